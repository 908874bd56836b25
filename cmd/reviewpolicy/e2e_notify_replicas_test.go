package main

import (
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/reviewpolicy/reviewpolicy/internal/githubfake"
	"github.com/reviewpolicy/reviewpolicy/internal/slackfake"
)

const replicaNotifyPolicy = `version: 1
reviewers:
  rules:
    - {name: docs, paths: ["*.md"], reviewers: [carol]}
notify: {}
people:
  carol: {slack: U3CAROL}
`

// Three replicas on one PostgreSQL database DM the reviewer of 12 pull
// requests, every delivery sent twice to different replicas. One replica
// is killed while Slack holds its chat.postMessage (before Slack acts),
// and Slack answers one post with a 429: each DM still arrives exactly
// once, the killed replica's after its lease (workers.job_timeout) ran
// out.
func TestThreeReplicasOnPostgresSendEachDMOnce(t *testing.T) {
	t.Parallel()
	sl := newSlack(t)
	sl.RateLimitNext("chat.postMessage", 1)
	threeReplicasSendEachDMOnce(t, sl, false)
}

// As above, but the replica is killed after Slack accepted its post and
// before it could record it. The token may read DMs back (im:history), so
// the replica that takes the message over finds the post by the outbox
// key in its metadata (conversations.history) and does not send it again.
func TestThreeReplicasOnPostgresKilledAfterSlackAcceptedSendOnce(t *testing.T) {
	t.Parallel()
	sl := newSlack(t)
	sl.SetScopes("chat:write", "im:write", "im:history")
	threeReplicasSendEachDMOnce(t, sl, true)
	looked := 0
	for _, c := range sl.Calls() {
		if c.Method == "conversations.history" && c.Error == "" {
			looked++
		}
	}
	if looked == 0 {
		t.Error("no replica looked the post in doubt up")
	}
}

// threeReplicasSendEachDMOnce kills one of three replicas at its first
// chat.postMessage: before Slack acts on it, or (accepted) after.
func threeReplicasSendEachDMOnce(t *testing.T, sl *slackfake.Fake, accepted bool) {
	h := setup(t)
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", replicaNotifyPolicy)
	const prs = 12
	for n := firstPR; n < firstPR+prs; n++ {
		h.fake.AddPullRequest(owner, repoName, githubfake.PullRequest{Number: n, Title: "Docs " + strconv.Itoa(n),
			Body: "Updates the README.", HeadRef: "docs-" + strconv.Itoa(n), HeadSHA: prSHA(n), BaseRef: "master",
			Author: owner, Files: []string{"README.md"}, State: "open"})
	}
	cfg, err := os.ReadFile(h.cfgPath)
	must(t, err)
	must(t, os.WriteFile(h.cfgPath, append(cfg, "workers: {concurrency: 4}\n"...), 0o600))
	dbURL, db := newPostgresSchema(t)
	slackBase := strings.TrimSuffix(sl.URL, "api/")
	hold := newHoldPoint(t, slackBase, http.MethodPost, "/chat.postMessage", accepted)
	env := []string{"REVIEWPOLICY_DATABASE_URL=" + dbURL, "REVIEWPOLICY_SLACK_BOT_TOKEN=" + slackEnv(sl)["REVIEWPOLICY_SLACK_BOT_TOKEN"],
		"REVIEWPOLICY_WORKERS_JOB_TIMEOUT=5s", "REVIEWPOLICY_WORKERS_RESCUE_AFTER=6s"}
	victim := &replica{cmd: h.startChild(t, append(env, "REVIEWPOLICY_SLACK_API_URL="+hold.url+"api/")...), url: h.url}
	replicas := []*replica{victim}
	for range 2 {
		cmd := h.startChild(t, append(env, "REVIEWPOLICY_SLACK_API_URL="+sl.URL)...)
		replicas = append(replicas, &replica{cmd: cmd, url: h.url})
	}
	hold.armed.Store(true)
	for i := range prs {
		n := firstPR + i
		body := payload(t, "pull_request/opened.payload.json", func(m map[string]any) {
			m["number"] = n
			pr := m["pull_request"].(map[string]any)
			pr["number"] = n
			pr["id"] = 1000 + n
			pr["head"].(map[string]any)["sha"] = prSHA(n)
			pr["requested_reviewers"] = []any{}
		})
		for k := range 2 { // the same delivery to two replicas
			r := replicas[(i+k)%len(replicas)]
			if r.killed.Load() {
				r = replicas[(i+k+1)%len(replicas)]
			}
			if _, err := deliver(r.url, "pull_request", fmt.Sprint("notify-replica-", n), body); err != nil && !r.killed.Load() {
				t.Fatalf("delivery to a live replica: %v", err)
			}
		}
		if victim.killed.Load() {
			continue
		}
		select {
		case <-hold.hit:
			victim.killed.Store(true)
			must(t, victim.cmd.Process.Kill())
			_ = victim.cmd.Wait()
		default:
		}
	}
	if !victim.killed.Load() {
		select {
		case <-hold.hit:
			victim.killed.Store(true)
			must(t, victim.cmd.Process.Kill())
			_ = victim.cmd.Wait()
		case <-time.After(20 * time.Second):
			t.Fatal("the victim replica never sent a DM")
		}
	}
	waitFor(t, "a DM for every pull request", func() bool { return len(sl.DMs("U3CAROL")) >= prs })
	time.Sleep(2 * time.Second) // a double would come now: leases are 5 s and long gone
	seen := map[int]int{}
	for _, m := range sl.DMs("U3CAROL") {
		for n := firstPR; n < firstPR+prs; n++ {
			if strings.Contains(m.Text, fmt.Sprintf("#%d ", n)) {
				seen[n]++
			}
		}
	}
	for n := firstPR; n < firstPR+prs; n++ {
		if seen[n] != 1 {
			t.Errorf("PR #%d: %d DMs, want 1", n, seen[n])
		}
	}
	var pending int
	must(t, db.QueryRow(`SELECT count(*) FROM notify_outbox WHERE state <> 'sent'`).Scan(&pending))
	if pending != 0 {
		t.Errorf("%d outbox messages not sent", pending)
	}
}
