package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/reviewpolicy/reviewpolicy/internal/githubfake"
	"github.com/reviewpolicy/reviewpolicy/policy/check"
)

// River moves scheduled jobs to runnable every 5 s: the reminder, due at
// 6 s, runs by about 11 s, which leaves a slow machine 5 s before the breach
// at 16 s would hide it. (With 12 s the margin was as little as 1 s.)
const slaPolicy = `version: 1
reviewers:
  rules:
    - {name: docs, paths: ["*.md"], reviewers: [carol]}
sla:
  first_review: 16s
  remind_before: 10s
  escalate_to: ["@Codertocat/leads"]
`

func (h *harness) comment(t *testing.T) string {
	var cs []githubfake.Comment
	for _, c := range h.fake.Comments(owner, repoName, prNumber) {
		if strings.HasPrefix(c.Body, check.Marker) { // not the mention comments
			cs = append(cs, c)
		}
	}
	if len(cs) > 1 {
		t.Fatalf("%d sticky comments, want 1", len(cs))
	}
	if len(cs) == 0 {
		return ""
	}
	return cs[0].Body
}

func TestSLAReminderThenBreachReachGitHub(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", slaPolicy)
	h.fake.AddTeam(owner, "leads", "dave")
	h.start(t, nil)
	h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", nil))
	waitFor(t, "a check run", func() bool { return len(h.checkRuns()) == 1 })
	if run := h.checkRuns()[0]; !strings.Contains(run.Summary, "first review due by") {
		t.Errorf("SLA section does not show the deadline:\n%s", run.Summary)
	}

	waitFor(t, "the reminder", func() bool { return strings.Contains(h.comment(t), "Review reminder") })
	if c := h.comment(t); !strings.Contains(c, "@carol") {
		t.Errorf("the reminder does not mention the requested reviewer:\n%s", c)
	}
	waitFor(t, "the breach", func() bool { return strings.Contains(h.comment(t), "overdue") })
	c := h.comment(t)
	if !strings.Contains(c, "@carol") || !strings.Contains(c, "@Codertocat/leads") {
		t.Errorf("the breach does not mention reviewers and escalation:\n%s", c)
	}
	_, teams := h.fake.RequestedReviewers(owner, repoName, prNumber)
	if len(teams) != 1 || teams[0] != "leads" {
		t.Errorf("escalation team requested: %v, want [leads]", teams)
	}
	run := h.checkRuns()[0]
	if run.Conclusion != "neutral" || !strings.Contains(run.Summary, "breached") {
		t.Errorf("breach under enforcement warn: %s\n%s", run.Conclusion, run.Summary)
	}

	// The first review stops the clock; the check reports how long it took.
	h.fake.AddReview(owner, repoName, prNumber, "carol", "COMMENTED")
	h.send(t, "pull_request_review", "", payload(t, "pull_request_review/submitted.payload.json", func(m map[string]any) {
		m["review"].(map[string]any)["user"].(map[string]any)["login"] = "carol"
	}))
	waitFor(t, "the reviewed state", func() bool { return strings.Contains(h.checkRuns()[0].Summary, "reviewed after") })
	h.settle(t)
	if n := escalations(t, h); n != 1 {
		t.Errorf("escalated %d times, want once", n)
	}
	metrics := h.metrics(t)
	for _, want := range []string{
		`reviewpolicy_sla_breaches_total{repository="Codertocat/Hello-World"} 1`,
		`reviewpolicy_time_to_first_review_seconds_count{repository="Codertocat/Hello-World"} 1`,
		`reviewpolicy_pull_requests_awaiting_first_review 0`,
		"# TYPE reviewpolicy_delivery_job_limit gauge", // workers.ack_goal is on by default
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func escalations(t *testing.T, h *harness) int {
	n := 0
	for _, c := range h.fake.Calls() {
		if c.Method == "POST" && strings.HasSuffix(c.Path, "/requested_reviewers") {
			var body struct {
				TeamReviewers []string `json:"team_reviewers"`
			}
			must(t, json.Unmarshal(c.Body, &body))
			if len(body.TeamReviewers) > 0 {
				n++
			}
		}
	}
	return n
}

func TestSLATimerSurvivesRestart(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", `version: 1
reviewers:
  rules:
    - {name: docs, paths: ["*.md"], reviewers: [carol]}
sla: {first_review: 3s}
`)
	stop := h.start(t, nil)
	h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", nil))
	waitFor(t, "a check run", func() bool { return len(h.checkRuns()) == 1 })
	stop()
	// The deadline passes while no process runs.
	time.Sleep(3 * time.Second)
	if strings.Contains(h.comment(t), "overdue") {
		t.Fatal("breach reported while the server was down")
	}
	h.start(t, nil)
	waitFor(t, "the breach after restart", func() bool { return strings.Contains(h.comment(t), "overdue") })
}

// An outsider's comment-only review (no access, never asked) is not a
// first review: the clock keeps running. A collaborator's stops it.
func TestOutsidersReviewDoesNotStopTheClock(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", `version: 1
reviewers:
  rules:
    - {name: docs, paths: ["*.md"], reviewers: [carol]}
sla:
  first_review: 24h
`)
	h.start(t, nil)
	h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", nil))
	h.settle(t)
	review := func(login, association string) {
		h.fake.AddReviewAs(owner, repoName, prNumber, login, "COMMENTED", association)
		h.send(t, "pull_request_review", "", payload(t, "pull_request_review/submitted.payload.json", func(m map[string]any) {
			m["review"].(map[string]any)["user"].(map[string]any)["login"] = login
			m["review"].(map[string]any)["author_association"] = association
		}))
		h.settle(t)
	}
	review("drive-by", "NONE")
	if s := h.checkRuns()[0].Summary; strings.Contains(s, "reviewed after") || !strings.Contains(s, "first review due by") {
		t.Errorf("an outsider's comment stopped the clock:\n%s", s)
	}
	review("carol", "COLLABORATOR")
	if s := h.checkRuns()[0].Summary; !strings.Contains(s, "reviewed after") {
		t.Errorf("a collaborator's review did not stop the clock:\n%s", s)
	}
}
