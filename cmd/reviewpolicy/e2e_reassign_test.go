package main

import (
	"encoding/json"
	"slices"
	"strings"
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
}
