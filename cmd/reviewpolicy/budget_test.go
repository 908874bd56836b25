package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/reviewpolicy/reviewpolicy/internal/githubfake"
)

// budgetPolicy uses every area, as a typical team would.
const budgetPolicy = `version: 1
template:
  sections:
    - {heading: Summary, min_words: 5}
    - {heading: Testing}
  ticket: {pattern: '[A-Z]+-[0-9]+', in: [title, body]}
reviewers:
  rules:
    - {name: docs, paths: ["*.md"], reviewers: ["@Codertocat/writers"]}
sla:
  first_review: 24h
  remind_before: 4h
`

// cost is what one event cost at the fake GitHub.
type cost struct {
	calls   int // every request, 304s included
	charged int // requests that spend rate limit (304s do not)
}

func (h *harness) cost(t *testing.T, from int) cost {
	t.Helper()
	var c cost
	for _, call := range h.fake.Calls()[from:] {
		c.calls++
		if call.Status != 304 {
			c.charged++
		}
	}
	return c
}

func (h *harness) callList(from int) string {
	var b strings.Builder
	for _, c := range h.fake.Calls()[from:] {
		fmt.Fprintf(&b, "  %s %s?%s -> %d\n", c.Method, c.Path, c.RawQuery, c.Status)
	}
	return b.String()
}

// TestAPIBudget keeps the GitHub calls each common event costs at or
// below docs/api-budget.md. A change that raises one must update the
// document and this table together, on purpose.
func TestAPIBudget(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", budgetPolicy)
	h.fake.SetFile(owner, repoName, "master", ".github/pull_request_template.md", "## Summary\n\n## Testing\n")
	h.fake.AddTeam(owner, "writers", "alice", "bob")
	h.start(t, nil)
	body := "## Summary\nFixes ACME-1: explain the install steps.\n\n## Testing\nRead it.\n"
	steps := []struct {
		name      string
		event     string
		fixture   string
		edit      func(map[string]any)
		before    func()
		maxCalls  int
		maxCharge int
	}{
		{name: "opened (cold)", event: "pull_request", fixture: "pull_request/opened.payload.json",
			before: func() {
				h.fake.EditPullRequest(owner, repoName, prNumber, func(p *githubfake.PullRequest) { p.Body = body })
			},
			edit: func(m map[string]any) { m["pull_request"].(map[string]any)["body"] = body }, maxCalls: 16, maxCharge: 16},
		{name: "edited", event: "pull_request", fixture: "pull_request/opened.payload.json",
			before: func() {
				h.fake.EditPullRequest(owner, repoName, prNumber, func(p *githubfake.PullRequest) { p.Body = body + "\nMore detail.\n" })
			},
			edit: func(m map[string]any) {
				m["action"] = "edited"
				m["changes"] = map[string]any{"body": map[string]any{"from": body}}
				m["pull_request"].(map[string]any)["body"] = body + "\nMore detail.\n"
			}, maxCalls: 5, maxCharge: 2},
		{name: "synchronize (new head)", event: "pull_request", fixture: "pull_request/synchronize.payload.json",
			before: func() {
				h.fake.AddPullRequest(owner, repoName, githubfake.PullRequest{Number: prNumber, Title: "Update the README",
					Body: body, HeadRef: "changes", HeadSHA: "1111111111111111111111111111111111111111", BaseRef: "master",
					Author: owner, Files: []string{"README.md"}, State: "open"})
			},
			edit: func(m map[string]any) {
				pr := m["pull_request"].(map[string]any)
				pr["body"] = body
				pr["head"].(map[string]any)["sha"] = "1111111111111111111111111111111111111111"
			}, maxCalls: 8, maxCharge: 5},
		{name: "review submitted", event: "pull_request_review", fixture: "pull_request_review/submitted.payload.json",
			before: func() { h.fake.AddReview(owner, repoName, prNumber, "alice", "APPROVED") },
			edit: func(m map[string]any) {
				m["review"].(map[string]any)["user"].(map[string]any)["login"] = "alice"
				m["pull_request"].(map[string]any)["body"] = body
			}, maxCalls: 5, maxCharge: 2},
	}
	for _, s := range steps {
		if s.before != nil {
			s.before()
		}
		from := len(h.fake.Calls())
		h.send(t, s.event, "", payload(t, s.fixture, s.edit))
		h.settle(t)
		got := h.cost(t, from)
		t.Logf("%s: %d calls, %d charged\n%s", s.name, got.calls, got.charged, h.callList(from))
		if got.calls > s.maxCalls || got.charged > s.maxCharge {
			t.Errorf("%s cost %d calls (%d charged), budget %d (%d): see docs/api-budget.md\n%s",
				s.name, got.calls, got.charged, s.maxCalls, s.maxCharge, h.callList(from))
		}
	}
}
