package main

import (
	"strings"
	"testing"

	"github.com/reviewpolicy/reviewpolicy/internal/githubfake"
)

// Check runs belong to a commit. A branch opened against a strict base and
// against a base without a policy must not be judged by the lenient one.
func TestSharedHeadShowsTheStrictestVerdict(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", templatePolicy)
	// The same branch, also opened against dev, which has no policy.
	h.fake.AddPullRequest(owner, repoName, githubfake.PullRequest{Number: 3, Title: "Same branch", Body: "x",
		HeadRef: "changes", HeadSHA: headSHA, BaseRef: "dev", Author: owner, Files: []string{"README.md"}})
	h.start(t, nil)
	lenient := payload(t, "pull_request/opened.payload.json", func(m map[string]any) {
		m["number"] = 3
		m["pull_request"].(map[string]any)["number"] = 3
		m["pull_request"].(map[string]any)["base"].(map[string]any)["ref"] = "dev"
	})
	// The lenient pull request's event comes first, then both at once again.
	h.send(t, "pull_request", "", lenient)
	h.settle(t)
	h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", nil))
	h.send(t, "pull_request", "", lenient)
	h.settle(t)

	runs := h.checkRuns()
	if len(runs) != 1 {
		t.Fatalf("%d check runs on the shared head, want 1: %+v", len(runs), runs)
	}
	r := runs[0]
	if r.Conclusion != "failure" {
		t.Errorf("the shared head's check is %s, want the strict base's failure:\n%s", r.Conclusion, r.Summary)
	}
	for _, want := range []string{"#2 into `master`: failure", "#3 into `dev`: success"} {
		if !strings.Contains(r.Summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, r.Summary)
		}
	}

	// The strict pull request closes: the check is the remaining one's.
	h.fake.EditPullRequest(owner, repoName, prNumber, func(p *githubfake.PullRequest) { p.State = "closed" })
	h.send(t, "pull_request", "", payload(t, "pull_request/closed.payload.json", nil))
	h.settle(t)
	if runs := h.checkRuns(); len(runs) != 1 || runs[0].Conclusion != "success" {
		t.Errorf("after the strict pull request closed: %+v", runs)
	}
}

// Before the strict pull request has a verdict, the lenient one's
// evaluation must not turn the shared head green.
func TestSharedHeadIsNotGreenWhileAPullRequestOnItIsUnjudged(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", templatePolicy)
	h.fake.AddPullRequest(owner, repoName, githubfake.PullRequest{Number: 3, Title: "Same branch", Body: "x",
		HeadRef: "changes", HeadSHA: headSHA, BaseRef: "dev", Author: owner, Files: []string{"README.md"}})
	h.start(t, nil)
	// Only the lenient pull request's event arrives; the app learns of #2
	// from GitHub's list of pull requests on the commit and evaluates it.
	h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", func(m map[string]any) {
		m["number"] = 3
		m["pull_request"].(map[string]any)["number"] = 3
	}))
	waitFor(t, "the strict verdict", func() bool {
		r := h.checkRuns()
		return len(r) == 1 && r[0].Conclusion == "failure"
	})
	for _, c := range h.fake.Calls() {
		if c.Method == "PATCH" || c.Method == "POST" {
			if strings.Contains(c.Path, "/check-runs") && strings.Contains(string(c.Body), `"conclusion":"success"`) {
				t.Errorf("the shared head was green before #2 was judged: %s %s", c.Method, c.Body)
			}
		}
	}
}
