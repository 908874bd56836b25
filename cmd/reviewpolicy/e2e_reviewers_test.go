package main

import (
	"encoding/json"
	"github.com/reviewpolicy/reviewpolicy/internal/githubfake"
	"slices"
	"strings"
	"testing"
)

const reviewersPolicy = `version: 1
reviewers:
  strategy: load-balance
  rules:
    - {name: docs, paths: ["*.md"], reviewers: ["@Codertocat/writers"], count: 1}
    - {name: security, paths: ["README.md"], reviewers: [carol], required_approvals: 1}
`

func setupReviewers(t *testing.T) *harness {
	h := setup(t)
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", reviewersPolicy)
	h.fake.AddTeam(owner, "writers", "alice", "bob", owner)
	h.start(t, nil)
	return h
}

func (h *harness) requested() []string {
	users, _ := h.fake.RequestedReviewers(owner, repoName, prNumber)
	return users
}

// requestBodies returns the reviewers of every POST requested_reviewers.
func (h *harness) requestBodies(t *testing.T) [][]string {
	var out [][]string
	for _, c := range h.fake.Calls() {
		if c.Method == "POST" && strings.HasSuffix(c.Path, "/requested_reviewers") {
			var body struct{ Reviewers []string }
			must(t, json.Unmarshal(c.Body, &body))
			out = append(out, body.Reviewers)
		}
	}
	return out
}

func TestReviewersFromTeamsAndRulesWithRequiredApproval(t *testing.T) {
	t.Parallel()
	h := setupReviewers(t)
	h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", nil))
	h.settle(t)

	// The author (a member of the team) is never asked; of alice and bob,
	// equally loaded and never asked, the first by login is.
	if got := h.requested(); !slices.Equal(got, []string{"alice", "carol"}) {
		t.Errorf("requested %v, want [alice carol]", got)
	}
	run := h.checkRuns()[0]
	if run.Conclusion != "failure" {
		t.Errorf("security needs carol's approval; conclusion %s", run.Conclusion)
	}
	for _, want := range []string{"rule **docs**", "rule **security**", "carol: rule security matched README.md", "0 of 1 approvals"} {
		if !strings.Contains(run.Summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, run.Summary)
		}
	}

	// A redelivered opened event must not ask again.
	h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", nil))
	h.settle(t)
	if n := len(h.requestBodies(t)); n != 1 {
		t.Errorf("reviewers requested %d times, want once", n)
	}

	// carol approves: the area passes.
	h.fake.AddReview(owner, repoName, prNumber, "carol", "APPROVED")
	h.send(t, "pull_request_review", "", payload(t, "pull_request_review/submitted.payload.json", func(m map[string]any) {
		review := m["review"].(map[string]any)
		review["state"] = "approved"
		review["user"].(map[string]any)["login"] = "carol"
		// As GitHub sends it: carol's request ended with her review.
		m["pull_request"].(map[string]any)["requested_reviewers"] = []any{map[string]any{"login": "alice", "type": "User"}}
	}))
	waitFor(t, "a green check", func() bool { return h.checkRuns()[0].Conclusion == "success" })
	if run := h.checkRuns()[0]; !strings.Contains(run.Summary, "1 of 1 approvals") {
		t.Errorf("summary after approval:\n%s", run.Summary)
	}
}

func TestManualChoicesAreRespected(t *testing.T) {
	t.Parallel()
	h := setupReviewers(t)
	// A person already asked bob (a writer) and octocat before the app ran.
	h.fake.RequestReviewers(owner, repoName, prNumber, "octocat", "bob")
	h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", func(m map[string]any) {
		pr := m["pull_request"].(map[string]any)
		reqs := pr["requested_reviewers"].([]any)
		bob := map[string]any{"login": "bob", "id": 99, "type": "User"}
		pr["requested_reviewers"] = append(reqs, bob)
	}))
	h.settle(t)
	bodies := h.requestBodies(t)
	if len(bodies) != 1 || !slices.Equal(bodies[0], []string{"carol"}) {
		t.Errorf("requests %v, want only [carol]: bob already covers docs", bodies)
	}

	// Someone removes carol; a new push must not bring her back.
	h.send(t, "pull_request", "", payload(t, "pull_request/review_request_removed.payload.json", func(m map[string]any) {
		m["requested_reviewer"].(map[string]any)["login"] = "carol"
	}))
	h.send(t, "pull_request", "", payload(t, "pull_request/synchronize.payload.json", nil))
	h.settle(t)
	if n := len(h.requestBodies(t)); n != 1 {
		t.Errorf("reviewers requested again after a human removed carol: %v", h.requestBodies(t))
	}
}

func TestPeopleWithoutAccessAreNotRequested(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", reviewersPolicy)
	h.fake.AddTeam(owner, "writers", "alice", "bob", owner)
	// alice left the repository's collaborators; the team still lists her.
	h.fake.SetCollaborators(owner, repoName, "bob", "carol", owner)
	h.start(t, nil)
	h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", nil))
	h.settle(t)
	if got := h.requested(); !slices.Equal(got, []string{"bob", "carol"}) {
		t.Errorf("requested %v, want [bob carol]", got)
	}
}

func TestBusyPeopleAskedOnlyWhenNoOneElseIsLeft(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", reviewersPolicy)
	h.fake.AddTeam(owner, "writers", "alice", "bob", owner)
	h.fake.SetBusy("alice", true) // she would win the tie otherwise
	h.start(t, nil)
	h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", nil))
	h.settle(t)
	if got := h.requested(); !slices.Equal(got, []string{"bob", "carol"}) {
		t.Errorf("requested %v, want [bob carol]: alice is busy", got)
	}
}

func TestRequestsWaitUntilReadyForReview(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", reviewersPolicy)
	h.fake.AddTeam(owner, "writers", "alice", "bob", owner)
	h.start(t, nil)
	h.fake.EditPullRequest(owner, repoName, prNumber, func(p *githubfake.PullRequest) { p.Draft = true })
	h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", func(m map[string]any) {
		m["pull_request"].(map[string]any)["draft"] = true
	}))
	h.settle(t)
	if got := h.requested(); len(got) != 0 {
		t.Errorf("a draft got review requests: %v", got)
	}
	h.fake.EditPullRequest(owner, repoName, prNumber, func(p *githubfake.PullRequest) { p.Draft = false })
	h.send(t, "pull_request", "", payload(t, "pull_request/ready_for_review.with-installation.payload.json", nil))
	waitFor(t, "requests once ready", func() bool { return len(h.requested()) == 2 })
	if got := h.requested(); !slices.Equal(got, []string{"alice", "carol"}) {
		t.Errorf("requested %v, want [alice carol]", got)
	}
}
