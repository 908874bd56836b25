package main

import (
	"database/sql"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
)

const reassignAfterPolicy = `version: 1
reviewers:
  reassign_after: 1s
  rules:
    - {name: docs, paths: ["*.md"], reviewers: [carol, dave]}
`

// End to end, with the real job queue: carol, whom the app asked, stays
// silent past reassign_after; the app asks dave and withdraws its own
// request of carol, never erin's, whom a person asked. (dave's own timer
// may fire too before the test looks: he is the app's as well.)
func TestReassignAfterSilenceWithdrawsOnlyTheAppsRequest(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", reassignAfterPolicy)
	h.fake.RequestReviewers(owner, repoName, prNumber, "erin")
	h.start(t, nil)
	h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", nil))
	waitFor(t, "dave to be asked instead of carol", func() bool {
		users, _ := h.fake.RequestedReviewers(owner, repoName, prNumber)
		return slices.Contains(users, "dave")
	})
	h.settle(t)
	users, _ := h.fake.RequestedReviewers(owner, repoName, prNumber)
	if !slices.Contains(users, "erin") || slices.Contains(users, "carol") {
		t.Errorf("requested %v, want erin (a person's request) kept and carol withdrawn", users)
	}
	var withdrawn []string
	for _, c := range h.fake.Calls() {
		if c.Method != "DELETE" || !strings.HasSuffix(c.Path, "/requested_reviewers") {
			continue
		}
		var body struct{ Reviewers []string }
		must(t, json.Unmarshal(c.Body, &body))
		withdrawn = append(withdrawn, body.Reviewers...)
	}
	if len(withdrawn) == 0 || withdrawn[0] != "carol" || slices.Contains(withdrawn, "erin") {
		t.Errorf("withdrew %v; want carol first, and never erin", withdrawn)
	}
	if run := h.checkRuns()[0]; !strings.Contains(run.Summary, "carol did not respond within") {
		t.Errorf("the check does not say so:\n%s", run.Summary)
	}
	// dave stays silent too: the rule runs out of candidates, and the check
	// and the sticky comment say the app withdrew them, not a person.
	waitFor(t, "dave to be withdrawn too", func() bool { return !slices.Contains(h.requested(), "dave") })
	h.settle(t)
	want := "all 2 candidates are withdrawn after &lt;1m without a response (withdrawn after &lt;1m without a response: carol, dave)"
	if s := h.checkRuns()[0].Summary; !strings.Contains(s, want) || strings.Contains(s, "removed by a human") {
		t.Errorf("the check does not say %q:\n%s", want, s)
	}
	s := h.stickyBody(t)
	for _, who := range []string{"carol", "dave"} {
		if !strings.Contains(s, who+" did not respond within &lt;1m of working time; the app withdrew its request") {
			t.Errorf("the sticky comment does not say the app withdrew %s:\n%s", who, s)
		}
	}
	if strings.Contains(s, "removed by a human") {
		t.Errorf("the sticky comment calls a withdrawal a person's removal:\n%s", s)
	}
}

// Requests the app made before the policy set reassign_after get their
// timer from the first evaluation that sees the setting, counted from when
// they were made, once however many evaluations run at once.
func TestReassignTimerForRequestsMadeBefore(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", strings.Replace(reassignAfterPolicy, "  reassign_after: 1s\n", "", 1))
	h.start(t, nil)
	h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", nil))
	h.settle(t)
	if got := h.requested(); !slices.Equal(got, []string{"carol"}) || h.jobsOfKind(t, "reassign_timer", "") != 0 {
		t.Fatalf("requested %v with %d timers, want carol and none", got, h.jobsOfKind(t, "reassign_timer", ""))
	}
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", strings.Replace(reassignAfterPolicy, "1s", "2s", 1))
	push := pushPayload(t, repoName, "master", ".github/review-policy.yml")
	opened := payload(t, "pull_request/opened.payload.json", nil)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				h.send(t, "push", "", push)
			} else {
				h.send(t, "pull_request", "", opened)
			}
		}()
	}
	wg.Wait()
	waitFor(t, "dave to be asked instead of carol", func() bool { return slices.Contains(h.requested(), "dave") })
	h.settle(t)
	if n := h.timersOf(t, "carol"); n != 1 {
		t.Errorf("%d reassign timers for carol, want 1", n)
	}
	if run := h.checkRuns()[0]; !strings.Contains(run.Summary, "carol did not respond within") {
		t.Errorf("the check does not say carol was reassigned:\n%s", run.Summary)
	}
}

// timersOf counts the reassign timers of login's request.
func (h *harness) timersOf(t *testing.T, login string) int {
	t.Helper()
	db, err := sql.Open("sqlite", sqliteTestDSN(h.dbURL))
	must(t, err)
	defer db.Close()
	var n int
	must(t, db.QueryRow(`SELECT count(*) FROM river_job WHERE kind = 'reassign_timer' AND json_extract(args, '$.login') = $1`,
		login).Scan(&n))
	return n
}
