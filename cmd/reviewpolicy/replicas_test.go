package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reviewpolicy/reviewpolicy/internal/githubfake"
	"github.com/reviewpolicy/reviewpolicy/internal/pgtest"
)

// newPostgresSchema gives one test a schema of its own (pgtest.URL), and
// returns its URL and a pool on it.
func newPostgresSchema(t *testing.T) (string, *sql.DB) {
	t.Helper()
	schemaURL := pgtest.URL(t)
	db, err := sql.Open("pgx", schemaURL)
	must(t, err)
	t.Cleanup(func() { db.Close() })
	return schemaURL, db
}

// replica is one `serve` process of the test.
type replica struct {
	url    string
	cmd    *exec.Cmd
	killed atomic.Bool
}

// deliver posts a signed webhook to one replica. Unlike harness.send it
// returns a connection error instead of failing: a dead replica is part of
// this test.
func deliver(url, event, id string, body []byte) (int, error) {
	req, err := http.NewRequest(http.MethodPost, url+"/api/github/hook", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", id)
	req.Header.Set("X-Hub-Signature-256", sign(body, secret))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, nil
}

const roundRobinPolicy = `version: 1
reviewers:
  strategy: round-robin
  rules:
    - {name: docs, paths: ["*.md"], reviewers: [alice, bob, carol], count: 1}
`

// The pull requests the replicas share: numbers firstPR and up. numPRs are
// always sent; up to maxPRs when the victim is slow to reach the crash point.
const (
	firstPR = 10
	numPRs  = 30
	maxPRs  = 60
)

func prSHA(n int) string { return fmt.Sprintf("%040x", n) }

// Three replicas share one PostgreSQL database and 30 pull requests; one of
// them, the River leader, is killed in the middle of a reviewer request.
// Nothing may be lost or done twice. The kill lands in each of the two
// windows a crash can hit: before GitHub acted on the request (the
// survivors must still ask someone) and after it acted but before the
// answer arrived (the survivors must not ask a second person, and must
// report the one asked). The scenarios run one after the other: six
// processes at once would crowd two cores.
func TestThreeReplicasOnPostgresShareWorkAndSurviveAKill(t *testing.T) {
	t.Parallel()
	t.Run("crash before GitHub acts", func(t *testing.T) { replicasScenario(t, false) })
	t.Run("crash after GitHub acts", func(t *testing.T) { replicasScenario(t, true) })
}

// replicasScenario runs the test; githubActs says whether the victim's last
// reviewer request reaches GitHub before the kill.
func replicasScenario(t *testing.T, githubActs bool) {
	h := setup(t)
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", roundRobinPolicy)
	for n := firstPR; n < firstPR+maxPRs; n++ {
		h.fake.AddPullRequest(owner, repoName, githubfake.PullRequest{Number: n, Title: "Docs " + strconv.Itoa(n),
			Body: "Updates the README.", HeadRef: "docs-" + strconv.Itoa(n), HeadSHA: prSHA(n), BaseRef: "master",
			Author: owner, Files: []string{"README.md"}, State: "open"})
	}
	// Four workers: each process opens workers + 10 PostgreSQL connections,
	// and the store's tests may use the same server meanwhile.
	cfg, err := os.ReadFile(h.cfgPath)
	must(t, err)
	must(t, os.WriteFile(h.cfgPath, append(cfg, "workers: {concurrency: 4}\n"...), 0o600))
	dbURL, db := newPostgresSchema(t)
	env := []string{"REVIEWPOLICY_DATABASE_URL=" + dbURL,
		// A job left "running" by the killed process is rescued after this.
		"REVIEWPOLICY_WORKERS_JOB_TIMEOUT=5s", "REVIEWPOLICY_WORKERS_RESCUE_AFTER=6s"}

	// The victim reaches GitHub through a crash point that holds one of its
	// reviewer requests until it is killed.
	crash := newHoldPoint(t, h.fake.URL, http.MethodPost, "/requested_reviewers", githubActs)

	// The victim starts alone so that it is River's leader: killing it also
	// makes the survivors elect a new leader, whose maintenance rescues the
	// victim's stuck jobs.
	victim := &replica{cmd: h.startChild(t, append(env, "GITHUB_V3_API_URL="+crash.url)...), url: h.url}
	waitFor(t, "the first replica to lead", func() bool {
		var n int
		return db.QueryRow(`SELECT count(*) FROM river_leader`).Scan(&n) == nil && n == 1
	})
	replicas := []*replica{victim}
	for range 2 {
		cmd := h.startChild(t, env...)
		replicas = append(replicas, &replica{cmd: cmd, url: h.url})
	}

	kill := func() {
		victim.killed.Store(true)
		must(t, victim.cmd.Process.Kill())
		_ = victim.cmd.Wait()
	}
	// send delivers to replicas round-robin; a delivery the dead replica
	// cannot take goes to the next one, as GitHub's redelivery would.
	failovers := 0
	send := func(i int) {
		n := firstPR + i
		id := "replica-delivery-" + strconv.Itoa(n)
		body := payload(t, "pull_request/opened.payload.json", func(m map[string]any) {
			m["number"] = n
			pr := m["pull_request"].(map[string]any)
			pr["number"] = n
			pr["id"] = 1000 + n
			pr["head"].(map[string]any)["sha"] = prSHA(n)
			pr["requested_reviewers"] = []any{}
		})
		for k := range replicas {
			r := replicas[(i+k)%len(replicas)]
			code, err := deliver(r.url, "pull_request", id, body)
			if err != nil && r.killed.Load() {
				failovers++
				continue
			}
			if err != nil {
				t.Fatalf("delivery %s to a live replica: %v", id, err)
			}
			// 200: the dead replica stored it before dying; it is not lost.
			if code != http.StatusAccepted && code != http.StatusOK {
				t.Fatalf("delivery %s answered %d", id, code)
			}
			return
		}
		t.Fatalf("no replica took delivery %s", id)
	}

	// A third of the load goes out, then the crash point arms; the victim
	// is killed as soon as it reaches it, while the rest is sent. Any
	// replica may take any job, so on a busy machine the survivors can take
	// all the rest; then more pull requests follow, one at a time, until the
	// victim takes one.
	third := numPRs / 3
	for i := range third {
		send(i)
	}
	crash.armed.Store(true)
	// reached kills the victim if it has reached the crash point within wait.
	reached := func(wait time.Duration) bool {
		select {
		case <-crash.hit:
			kill()
			return true
		case <-time.After(wait):
			return false
		}
	}
	sent := third
	for ; sent < numPRs; sent++ {
		if !victim.killed.Load() {
			select {
			case <-crash.hit:
				kill()
			default:
			}
		}
		send(sent)
	}
	for ; !victim.killed.Load() && sent < maxPRs && !reached(time.Second); sent++ {
		send(sent)
	}
	if !victim.killed.Load() && !reached(30*time.Second) {
		logJobs(t, db, `true`)
		t.Fatalf("the victim replica never requested reviewers in %d pull requests", sent)
	}
	t.Logf("%d pull requests; %d deliveries were redelivered to another replica after the kill", sent, failovers)

	defer func() {
		if t.Failed() {
			logJobs(t, db, `state <> 'completed'`)
		}
	}()
	// A pull_request delivery is handled in the move that takes it from
	// deliveries_unqueued, or, when that move fails, given a delivery job.
	waitFor(t, "every delivery to be handled or its job to complete", func() bool {
		var unmoved, running, givenUp int
		err := db.QueryRow(`SELECT (SELECT count(*) FROM deliveries_unqueued),
    count(*) FILTER (WHERE state NOT IN ('completed', 'cancelled', 'discarded')),
    count(*) FILTER (WHERE state IN ('cancelled', 'discarded'))
FROM river_job WHERE kind = 'delivery'`).Scan(&unmoved, &running, &givenUp)
		if err == nil && givenUp > 0 {
			t.Fatalf("%d delivery jobs were given up: the work is lost", givenUp)
		}
		return err == nil && unmoved == 0 && running == 0
	})
	waitFor(t, "every evaluation to finish", func() bool {
		var waiting int
		err := db.QueryRow(`SELECT count(*) FROM river_job WHERE kind = 'evaluate'
AND state NOT IN ('completed', 'cancelled', 'discarded')`).Scan(&waiting)
		return err == nil && waiting == 0
	})

	// Retries are expected (the rescued job, lost compare-and-swaps); they
	// are logged to show what the run went through.
	logJobs(t, db, `attempt > 1`)

	// Each delivery was stored once and given at most one job, and nothing
	// was given up.
	var stored, jobs, jobbed int
	must(t, db.QueryRow(`SELECT count(*) FROM deliveries`).Scan(&stored))
	must(t, db.QueryRow(`SELECT count(*), count(DISTINCT args->>'delivery_id') FROM river_job WHERE kind = 'delivery'`).Scan(&jobs, &jobbed))
	if stored != sent || jobs != jobbed {
		t.Errorf("%d deliveries stored, %d delivery jobs for %d deliveries; want %d stored, one job at most each", stored, jobs, jobbed, sent)
	}

	// One check run per head, none twice.
	runs := map[string][]githubfake.CheckRun{}
	for _, r := range h.checkRuns() {
		runs[r.HeadSHA] = append(runs[r.HeadSHA], r)
	}
	for n := firstPR; n < firstPR+sent; n++ {
		if rs := runs[prSHA(n)]; len(rs) != 1 || rs[0].Name != "review-policy" || rs[0].Status != "completed" {
			t.Errorf("PR #%d has check runs %+v, want one completed review-policy run", n, rs)
		}
	}
	if len(runs) != sent {
		t.Errorf("check runs on %d heads, want %d", len(runs), sent)
	}

	// Each pull request ends with exactly one reviewer from the rule. A
	// retry may repeat a request (GitHub keeps a login once), so the
	// invariant is the pull request's state plus: no request ever named
	// anyone else, which would show a turn handed out twice.
	asked := requestsByPR(t, h.fake.Calls())
	perPerson := map[string]int{}
	for n := firstPR; n < firstPR+sent; n++ {
		users, teams := h.fake.RequestedReviewers(owner, repoName, n)
		if len(users) != 1 || !slices.Contains([]string{"alice", "bob", "carol"}, users[0]) || len(teams) != 0 {
			t.Errorf("PR #%d requested users %v and teams %v, want one of alice, bob, carol", n, users, teams)
			continue
		}
		perPerson[users[0]]++
		// The check run reports the person asked, whichever replica asked.
		if rs := runs[prSHA(n)]; len(rs) == 1 && (rs[0].Conclusion != "success" || !strings.Contains(rs[0].Summary, users[0]+":")) {
			t.Errorf("PR #%d asked %s but its check run is %s:\n%s", n, users[0], rs[0].Conclusion, rs[0].Summary)
		}
		for _, req := range asked[n] {
			if !slices.Equal(req, users) {
				t.Errorf("PR #%d: a request named %v, but %v is the reviewer", n, req, users)
			}
		}
		if len(asked[n]) > 1 {
			t.Logf("PR #%d: the request was repeated %d times (a retry)", n, len(asked[n]))
		}
		if cs := h.fake.Comments(owner, repoName, n); len(cs) > 1 {
			t.Errorf("PR #%d has %d sticky comments, want at most 1", n, len(cs))
		}
	}
	// The rotation is one compare-and-swap counter in the shared database,
	// so turns stay fair across replicas. A turn is lost when a job claims
	// it and then dies before asking anyone: each of the killed replica's
	// evaluations in flight may have, and River rescues exactly those. With
	// lost turns among sent+lost claims handed out in order, each person is
	// asked between ⌊sent/3⌋-lost and ⌈(sent+lost)/3⌉ times.
	var rescued int
	must(t, db.QueryRow(`SELECT count(*) FROM river_job WHERE kind = 'evaluate' AND errors::text LIKE '%rescued%'`).Scan(&rescued))
	lost := max(1, rescued)
	for _, login := range []string{"alice", "bob", "carol"} {
		if got := perPerson[login]; got < sent/3-lost || got > (sent+lost+2)/3 {
			t.Errorf("%s was asked on %d of %d pull requests with up to %d turns lost, want %d to %d (all: %v)",
				login, got, sent, lost, sent/3-lost, (sent+lost+2)/3, perPerson)
		}
	}

	// The work was shared: each survivor finished delivery jobs.
	for i, r := range replicas[1:] {
		h.url = r.url
		if n := h.deliveriesDone(t); n == 0 {
			t.Errorf("replica %d processed no delivery", i+1)
		}
	}
}

// logJobs logs the delivery and evaluation jobs matching where, with their
// errors.
func logJobs(t *testing.T, db *sql.DB, where string) {
	rows, err := db.Query(`SELECT coalesce(args->>'delivery_id', 'evaluate #' || (args->>'number') || ' v' || (args->>'version')),
state, attempt, attempted_by::text, coalesce(errors::text, '') FROM river_job
WHERE kind IN ('delivery', 'evaluate') AND ` + where + ` ORDER BY id`)
	if err != nil {
		t.Logf("listing jobs: %v", err)
		return
	}
	defer rows.Close()
	for rows.Next() {
		var id, state, by, errs string
		var attempt int
		if err := rows.Scan(&id, &state, &attempt, &by, &errs); err != nil {
			t.Logf("listing jobs: %v", err)
			return
		}
		t.Logf("%s: %s on attempt %d by %s; errors: %s", id, state, attempt, by, errs)
	}
}

// requestsByPR returns, per pull request number, the reviewers named by
// each POST requested_reviewers.
func requestsByPR(t *testing.T, calls []githubfake.Call) map[int][][]string {
	t.Helper()
	prefix := "/repos/" + owner + "/" + repoName + "/pulls/"
	out := map[int][][]string{}
	for _, c := range calls {
		rest, ok := strings.CutPrefix(c.Path, prefix)
		if c.Method != http.MethodPost || !ok || !strings.HasSuffix(rest, "/requested_reviewers") {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSuffix(rest, "/requested_reviewers"))
		must(t, err)
		var body struct{ Reviewers []string }
		must(t, json.Unmarshal(c.Body, &body))
		out[n] = append(out[n], body.Reviewers)
	}
	return out
}
