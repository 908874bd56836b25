package main

import (
	"database/sql"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reviewpolicy/reviewpolicy/internal/githubfake"
)

const expertisePolicyFile = `version: 1
reviewers:
  strategy: expertise
  expertise: {half_life: 90d}
  max_open_requests: 5
  rules:
    - {name: api, paths: ["svc/**"], reviewers: [alice, bob, carol]}
`

// mergePull adds a merged pull request to the fake and delivers its
// "closed" event twice, concurrently, as GitHub may. The event's times are
// the merge's: the fixture's, from 2019, would be pruned as closed long ago
// by the prune job that runs at start, and its evaluation with it. Its
// pull request has no updated_at, so it leaves no snapshot (the fixture's
// title and author differ from the fake's, which at the same updated_at
// would leave neither trusted): the evaluation reads GitHub and keeps that.
func (h *harness) mergePull(t *testing.T, number int, author string, files []string, reviewers ...string) {
	t.Helper()
	merged := time.Now().Add(-48 * time.Hour).UTC().Truncate(time.Second)
	h.fake.AddPullRequest(owner, repoName, githubfake.PullRequest{Number: number, Title: "change", HeadRef: "c",
		HeadSHA: strings.Repeat("ab", 20), BaseRef: "master", Author: author, Files: files, State: "closed",
		ClosedAt: merged, MergedAt: merged})
	for _, r := range reviewers {
		h.fake.AddReviewAt(owner, repoName, number, r, "APPROVED", "COLLABORATOR", time.Now().Add(-72*time.Hour))
	}
	closed := payload(t, "pull_request/closed.payload.json", func(m map[string]any) {
		m["number"] = number
		pr := m["pull_request"].(map[string]any)
		pr["number"], pr["merged"] = number, true
		pr["merged_at"], pr["closed_at"] = merged.Format(time.RFC3339), merged.Format(time.RFC3339)
		delete(pr, "updated_at")
	})
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() { defer wg.Done(); h.send(t, "pull_request", "", closed) }()
	}
	wg.Wait()
	h.settle(t)
}

// History learnt from merged pull requests decides who reviews, and the
// check explains the choice with its numbers.
func TestExpertiseLearnsFromMergedPullRequestsAndExplains(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", expertisePolicyFile)
	h.fake.EditPullRequest(owner, repoName, prNumber, func(p *githubfake.PullRequest) { p.Files = []string{"svc/api/x.go"} })
	h.start(t, nil)
	h.mergePull(t, 5, "carol", []string{"svc/api/a.go"}, "alice")
	h.mergePull(t, 6, "bob", []string{"svc/api/b.go", "web/c.go"}, "alice", "renovate[bot]")

	h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", nil))
	h.settle(t)
	if got := h.requested(); !slices.Equal(got, []string{"alice"}) {
		t.Errorf("requested %v, want [alice]: two reviews in svc/api beat one change", got)
	}
	// The first evaluation explains the choice while the backfill (which
	// then evaluates again, finding alice already requested) still runs:
	// look at every check run the app wrote on the head.
	var summary string
	for _, c := range h.fake.Calls() {
		if strings.Contains(c.Path, "/check-runs") && (c.Method == "POST" || c.Method == "PATCH") &&
			strings.Contains(string(c.Body), "; chosen") {
			summary = string(c.Body)
		}
	}
	for _, want := range []string{
		"alice: rule api matched svc/api/x.go; 2 reviews and 0 changes in svc/api in 90 days, score 0.",
		"; chosen",
		"considered: bob: 0 reviews and 1 change in svc/api in 90 days",
		"expertise still learning",
	} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, summary)
		}
	}
}

// A merged pull request's evaluation that fails after reading the pull
// request is retried from the store's snapshot of it, which must still
// say merged: the retry learns what the first attempt did not.
func TestExpertiseLearnsAMergeWhoseFirstEvaluationFailed(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", expertisePolicyFile)
	h.start(t, nil)
	reviews := "/repos/" + owner + "/" + repoName + "/pulls/6/reviews"
	h.fake.FailNext("GET", reviews, http.StatusBadGateway, nil)
	h.mergePull(t, 6, "bob", []string{"svc/api/b.go"}, "alice")
	if n := h.fake.CountCalls("GET", reviews); n != 2 {
		t.Errorf("reviews read %d times, want 2 (one failed, one retried)", n)
	}
	db, err := sql.Open("sqlite", sqliteTestDSN(h.dbURL))
	must(t, err)
	defer db.Close()
	var rows []string
	r, err := db.Query(`SELECT login || ' ' || kind FROM expertise_rows WHERE number = 6 ORDER BY login`)
	must(t, err)
	for r.Next() {
		var s string
		must(t, r.Scan(&s))
		rows = append(rows, s)
	}
	must(t, r.Err())
	if want := []string{"alice 1", "bob 2"}; !slices.Equal(rows, want) {
		t.Errorf("expertise rows of the merge: %q, want %q (a review, a change)", rows, want)
	}
}
