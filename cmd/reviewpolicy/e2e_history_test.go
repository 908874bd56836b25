package main

import (
	"database/sql"
	"strings"
	"sync"
	"testing"

	"github.com/reviewpolicy/reviewpolicy/internal/githubfake"
)

const historyPolicy = `version: 1
template:
  sections: [{heading: Why}]
reviewers:
  rules:
    - {name: docs, paths: ["*.md"], reviewers: [carol]}
sla:
  first_review: 24h
`

// startHistoryPR starts the server with historyPolicy and opens the pull
// request, waiting for its check run.
func startHistoryPR(t *testing.T) *harness {
	t.Helper()
	h := setup(t)
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", historyPolicy)
	// The fixtures' times are years old: keep the history, or the prune
	// job that runs at start could delete what the test looks for.
	h.start(t, map[string]string{"REVIEWPOLICY_RETENTION_HISTORY": "0"})
	h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", nil))
	waitFor(t, "a check run", func() bool { return len(h.checkRuns()) == 1 })
	return h
}

// The web pages' history is written once per event however often GitHub
// repeats it: two concurrent copies of one delivery, a second delivery of
// the same review, and the evaluations they cause.
func TestHistoryRecordsEachEventOnceUnderRepeatedDeliveries(t *testing.T) {
	t.Parallel()
	h := startHistoryPR(t)
	requested := payload(t, "pull_request/review_requested.payload.json", func(m map[string]any) {
		m["requested_reviewer"].(map[string]any)["login"] = "Carol"
	})
	h.fake.AddReview(owner, repoName, prNumber, "carol", "COMMENTED")
	review := payload(t, "pull_request_review/submitted.payload.json", func(m map[string]any) {
		m["review"].(map[string]any)["user"].(map[string]any)["login"] = "carol"
	})
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(2)
		go func() { defer wg.Done(); h.send(t, "pull_request", "req-1", requested) }()
		go func() { defer wg.Done(); h.send(t, "pull_request_review", "", review) }()
	}
	wg.Wait()
	h.settle(t)

	db, err := sql.Open("sqlite", sqliteTestDSN(h.dbURL))
	must(t, err)
	defer db.Close()
	count := func(q string, args ...any) int {
		var n int
		must(t, db.QueryRow(q, args...).Scan(&n))
		return n
	}
	if n := count(`SELECT count(*) FROM pr_events WHERE kind = 'requested' AND actor = 'carol'`); n != 1 {
		t.Errorf("%d requested events for carol, want 1", n)
	}
	if n := count(`SELECT count(*) FROM pr_events WHERE kind = 'reviewed' AND actor = 'carol'`); n != 1 {
		t.Errorf("%d reviewed events for carol, want 1", n)
	}
	if n := count(`SELECT count(*) FROM pr_events WHERE kind = 'ready'`); n != 1 {
		t.Errorf("%d ready events, want 1", n)
	}
	if n := count(`SELECT count(*) FROM pr_events WHERE kind = 'template' AND key LIKE '%:section'`); n != 1 {
		t.Errorf("%d failing template results recorded, want 1 (unchanged results are not repeated)", n)
	}
	var state, author, failures string
	var firstReview int64
	var snapshot []byte
	must(t, db.QueryRow(`SELECT state, author, template_failures, first_review_at, snapshot FROM pr_history
WHERE owner = 'codertocat' AND repo = 'hello-world' AND number = ?`, prNumber).Scan(&state, &author, &failures, &firstReview, &snapshot))
	if state != "open" || author != "codertocat" || failures != "section" || firstReview == 0 {
		t.Errorf("summary: state %q author %q failures %q first review %d", state, author, failures, firstReview)
	}
	for _, want := range []string{`"name":"docs"`, `"login":"carol"`, `"state":"reviewed"`, `"name":"Why"`} {
		if !strings.Contains(string(snapshot), want) {
			t.Errorf("snapshot lacks %s:\n%s", want, snapshot)
		}
	}

	// Closing, delivered twice, is recorded once and ends the pull request's open state.
	h.fake.EditPullRequest(owner, repoName, prNumber, func(p *githubfake.PullRequest) { p.State = "closed" })
	closed := payload(t, "pull_request/closed.payload.json", nil)
	h.send(t, "pull_request", "close-1", closed)
	h.send(t, "pull_request", "", closed)
	h.settle(t)
	if n := count(`SELECT count(*) FROM pr_events WHERE kind = 'closed'`); n != 1 {
		t.Errorf("%d closed events, want 1", n)
	}
	if n := count(`SELECT count(*) FROM pr_history WHERE state = 'closed' AND closed_at <> 0`); n != 1 {
		t.Errorf("the summary is not closed")
	}
	must(t, db.QueryRow(`SELECT snapshot FROM pr_history WHERE number = ?`, prNumber).Scan(&snapshot))
	if !strings.Contains(string(snapshot), `"name":"docs"`) {
		t.Errorf("closing wiped the page's last evaluation:\n%s", snapshot)
	}
}

// With server.public_url, the check run's details link is the pull
// request's web page; without it, GitHub's default stays.
func TestCheckRunDetailsURLIsThePullRequestsPage(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ public, want string }{
		{"https://rp.example.com/", "https://rp.example.com/Codertocat/Hello-World/pull/2"},
		{"", ""},
	} {
		h := setup(t)
		h.start(t, map[string]string{"REVIEWPOLICY_PUBLIC_URL": c.public})
		h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", nil))
		waitFor(t, "a check run", func() bool { return len(h.checkRuns()) == 1 })
		h.settle(t)
		if got := h.checkRuns()[0].DetailsURL; got != c.want {
			t.Errorf("public_url %q: details_url %q, want %q", c.public, got, c.want)
		}
	}
}

// A review requested from a team is recorded once per request however
// GitHub repeats its delivery (concurrent copies, a redelivery), and the
// summary the overview counts keeps the team requested.
func TestHistoryRecordsTeamRequestsOnceUnderRepeatedDeliveries(t *testing.T) {
	t.Parallel()
	h := startHistoryPR(t)
	h.fake.AddTeam(owner, "core", "dora")
	h.fake.RequestTeams(owner, repoName, prNumber, "Core")
	teamRequested := payload(t, "pull_request/review_requested.payload.json", func(m map[string]any) {
		delete(m, "requested_reviewer")
		m["requested_team"] = map[string]any{"id": 4242, "slug": "Core", "name": "Core"}
	})
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() { defer wg.Done(); h.send(t, "pull_request", "team-1", teamRequested) }()
	}
	wg.Wait()
	h.settle(t)
	h.send(t, "pull_request", "team-1", teamRequested) // a redelivery after the first was handled
	h.settle(t)

	db, err := sql.Open("sqlite", sqliteTestDSN(h.dbURL))
	must(t, err)
	defer db.Close()
	var n int
	var actor, detail string
	must(t, db.QueryRow(`SELECT count(*), min(actor), min(detail) FROM pr_events WHERE kind = 'team_requested'`).Scan(&n, &actor, &detail))
	if n != 1 || actor != "core" || detail != "@codertocat/core" {
		t.Errorf("%d team request events (actor %q, detail %q), want 1 for core", n, actor, detail)
	}
	if n := countRows(t, db, `SELECT count(*) FROM pr_events WHERE kind = 'requested'`); n != 0 {
		t.Errorf("a team's request was also recorded as %d person requests", n)
	}
	var teams string
	must(t, db.QueryRow(`SELECT requested_teams FROM pr_history WHERE number = ?`, prNumber).Scan(&teams))
	if teams != "core" {
		t.Errorf("summary's requested teams = %q, want core", teams)
	}
}

func countRows(t *testing.T, db *sql.DB, q string) int {
	t.Helper()
	var n int
	must(t, db.QueryRow(q).Scan(&n))
	return n
}
