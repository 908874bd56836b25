package main

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/reviewpolicy/reviewpolicy/internal/githubfake"
)

const conditionsPolicy = `version: 1
template:
  sections:
    - {heading: Rollout plan, when: {lines_changed: ">500"}}
reviewers:
  rules:
    - name: big-changes
      paths: ["**"]
      when: {lines_changed: ">500"}
      reviewers: ["@Codertocat/tech-leads"]
      required_approvals: 1
    - name: first-timers
      paths: ["**"]
      when: {authors: [first_time]}
      reviewers: [mentor]
`

// A 600-line pull request gets a lead and needs a "Rollout plan"; the same
// pull request at 20 lines needs neither. Deliveries come concurrently and
// twice, and the lead is asked once.
func TestLargePullRequestGetsALeadAndNeedsRolloutPlan(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", conditionsPolicy)
	h.fake.AddTeam(owner, "tech-leads", "lena")
	h.fake.EditPullRequest(owner, repoName, prNumber, func(p *githubfake.PullRequest) { p.Additions, p.Deletions = 550, 50 })
	h.start(t, nil)

	opened := payload(t, "pull_request/opened.payload.json", nil)
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() { defer wg.Done(); h.send(t, "pull_request", "", opened) }()
	}
	wg.Wait()
	h.settle(t)

	if got := h.requested(); !slices.Equal(got, []string{"lena"}) {
		t.Errorf("requested %v, want [lena] (the lead; not the mentor: the author is a member)", got)
	}
	if n := len(h.requestBodies(t)); n != 1 {
		t.Errorf("reviewers requested %d times, want once", n)
	}
	runs := h.checkRuns()
	if len(runs) != 1 {
		t.Fatalf("%d check runs, want 1", len(runs))
	}
	for _, want := range []string{"**Rollout plan**", "rule **big-changes**", "lena: rule big-changes",
		`rule **first-timers**: not applied — condition not met: authors first\_time (Codertocat is not one of them)`} {
		if !strings.Contains(runs[0].Summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, runs[0].Summary)
		}
	}
	if runs[0].Conclusion != "failure" {
		t.Errorf("conclusion %s, want failure (no rollout plan, no lead approval)", runs[0].Conclusion)
	}
}

func TestSmallPullRequestNeedsNoLeadNorRolloutPlan(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", conditionsPolicy)
	h.fake.AddTeam(owner, "tech-leads", "lena")
	h.fake.EditPullRequest(owner, repoName, prNumber, func(p *githubfake.PullRequest) {
		p.Additions, p.Deletions, p.Association = 15, 5, "FIRST_TIME_CONTRIBUTOR"
	})
	h.start(t, nil)
	h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", nil))
	h.settle(t)

	if got := h.requested(); !slices.Equal(got, []string{"mentor"}) {
		t.Errorf("requested %v, want [mentor] (a first-time author, a small change)", got)
	}
	run := h.checkRuns()[0]
	if strings.Contains(run.Summary, "Rollout plan") {
		t.Errorf("a 20-line change must not need a rollout plan:\n%s", run.Summary)
	}
	if !strings.Contains(run.Summary, `lines\_changed &gt;500 (20 lines changed)`) {
		t.Errorf("summary does not say why the lead rule was not applied:\n%s", run.Summary)
	}
}
