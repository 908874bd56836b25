package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

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

// minimalPolicy uses one area, the template.
const minimalPolicy = `version: 1
template:
  sections:
    - {heading: Summary}
`

// budgetStep is one event of TestAPIBudget and what it may cost.
type budgetStep struct {
	name    string
	event   string
	fixture string
	number  int
	before  func()
	edit    func(m map[string]any)
	max     cost // calls (304s included) and charged
}

// freshPR makes a payload's pull request what GitHub would send: the state
// the fake holds (as the step set it: body, head, labels; reviewers asked
// by the app) and updated at; a recent updated_at is what lets the app use
// the payload instead of reading the pull request.
func (h *harness) freshPR(m map[string]any, number int, body, head string, labels []string, at time.Time) {
	pr := m["pull_request"].(map[string]any)
	pr["number"], pr["body"], pr["updated_at"] = number, body, at.UTC().Format(time.RFC3339)
	pr["head"].(map[string]any)["sha"] = head
	ls := []any{}
	for _, l := range labels {
		ls = append(ls, map[string]any{"name": l})
	}
	pr["labels"] = ls
	users, teams := h.fake.RequestedReviewers(owner, repoName, number)
	us, ts := []any{}, []any{}
	for _, u := range users {
		us = append(us, map[string]any{"login": u, "type": "User"})
	}
	for _, t := range teams {
		ts = append(ts, map[string]any{"slug": t})
	}
	pr["requested_reviewers"], pr["requested_teams"] = us, ts
	if n, ok := m["number"]; ok && n != nil {
		m["number"] = number
	}
}

const (
	syncSHA  = "1111111111111111111111111111111111111111"
	warmSHA  = "3333333333333333333333333333333333333333"
	warmPR   = 3
	budgetOK = "## Summary\nFixes ACME-1: explain the install steps.\n\n## Testing\nRead it.\n"
)

// budgetSteps are the events of docs/api-budget.md's table, in order, on
// one running server: pull request 2 opened, edited, pushed to, reviewed
// and labelled, then pull request 3 opened (warm: the policy, template and
// team are known).
func (h *harness) budgetSteps(budgets map[string]cost) []budgetStep {
	t0 := time.Now().Add(-time.Minute)
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Second) }
	body2 := budgetOK + "\nMore detail.\n"
	steps := []budgetStep{
		{name: "opened (cold)", event: "pull_request", fixture: "pull_request/opened.payload.json", number: prNumber,
			before: func() {
				h.fake.EditPullRequest(owner, repoName, prNumber, func(p *githubfake.PullRequest) { p.Body = budgetOK })
			},
			edit: func(m map[string]any) { h.freshPR(m, prNumber, budgetOK, headSHA, nil, at(1)) }},
		{name: "edited (body)", event: "pull_request", fixture: "pull_request/opened.payload.json", number: prNumber,
			before: func() {
				h.fake.EditPullRequest(owner, repoName, prNumber, func(p *githubfake.PullRequest) { p.Body = body2 })
			},
			edit: func(m map[string]any) {
				m["action"] = "edited"
				m["changes"] = map[string]any{"body": map[string]any{"from": budgetOK}}
				h.freshPR(m, prNumber, body2, headSHA, nil, at(2))
			}},
		{name: "synchronize (new head)", event: "pull_request", fixture: "pull_request/synchronize.payload.json", number: prNumber,
			before: func() {
				h.fake.EditPullRequest(owner, repoName, prNumber, func(p *githubfake.PullRequest) { p.HeadSHA = syncSHA })
			},
			edit: func(m map[string]any) { h.freshPR(m, prNumber, body2, syncSHA, nil, at(3)) }},
		{name: "review submitted", event: "pull_request_review", fixture: "pull_request_review/submitted.payload.json", number: prNumber,
			before: func() { h.fake.AddReview(owner, repoName, prNumber, "alice", "APPROVED") },
			edit: func(m map[string]any) {
				m["review"].(map[string]any)["user"].(map[string]any)["login"] = "alice"
				h.freshPR(m, prNumber, body2, syncSHA, nil, at(4))
			}},
		{name: "labeled (a label the policy does not read)", event: "pull_request", fixture: "pull_request/labeled.payload.json", number: prNumber,
			before: func() {
				h.fake.EditPullRequest(owner, repoName, prNumber, func(p *githubfake.PullRequest) { p.Labels = []string{"wontfix"} })
			},
			edit: func(m map[string]any) {
				m["label"] = map[string]any{"name": "wontfix"}
				h.freshPR(m, prNumber, body2, syncSHA, []string{"wontfix"}, at(5))
			}},
		{name: "opened (warm, another pull request)", event: "pull_request", fixture: "pull_request/opened.payload.json", number: warmPR,
			before: func() {
				h.fake.AddPullRequest(owner, repoName, githubfake.PullRequest{Number: warmPR, Title: "Document the guide",
					Body: budgetOK, HeadRef: "changes", HeadSHA: warmSHA, BaseRef: "master", Author: owner,
					Files: []string{"docs/guide.md"}, State: "open"})
			},
			edit: func(m map[string]any) { h.freshPR(m, warmPR, budgetOK, warmSHA, nil, at(6)) }},
	}
	for i := range steps {
		steps[i].max = budgets[steps[i].name]
	}
	return steps
}

// TestAPIBudget keeps the GitHub calls each common event costs at or below
// docs/api-budget.md, for a minimal policy and for one using every area. A
// change that raises one must update the document and this table together,
// on purpose.
func TestAPIBudget(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, policy string
		budgets      map[string]cost
	}{
		// Issue 18's targets: synchronize ≤ 2; opened, warm ≤ 6 (≤ 5
		// charged); edited no reads and only changed writes (≤ 2); review
		// submitted ≤ 2; an event that cannot change a result 0. A new
		// head's files and the pull requests on it are one GraphQL query.
		{"minimal", minimalPolicy, map[string]cost{
			"opened (cold)": {6, 6}, "edited (body)": {0, 0}, "synchronize (new head)": {2, 2},
			"review submitted": {0, 0}, "labeled (a label the policy does not read)": {0, 0},
			"opened (warm, another pull request)": {2, 2}}},
		{"every area", budgetPolicy, map[string]cost{
			"opened (cold)": {10, 10}, "edited (body)": {1, 1}, "synchronize (new head)": {2, 2},
			"review submitted": {2, 2}, "labeled (a label the policy does not read)": {0, 0},
			"opened (warm, another pull request)": {4, 4}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := setup(t)
			h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", tc.policy)
			h.fake.SetFile(owner, repoName, "master", ".github/pull_request_template.md", "## Summary\n\n## Testing\n")
			h.fake.AddTeam(owner, "writers", "alice", "bob")
			h.start(t, nil)
			for _, s := range h.budgetSteps(tc.budgets) {
				s.before()
				from := len(h.fake.Calls())
				h.send(t, s.event, "", payload(t, s.fixture, s.edit))
				h.settle(t)
				got := h.cost(t, from)
				t.Logf("%s: %d calls, %d charged\n%s", s.name, got.calls, got.charged, h.callList(from))
				if got.calls > s.max.calls || got.charged > s.max.charged {
					t.Errorf("%s cost %d calls (%d charged), budget %d (%d): see docs/api-budget.md\n%s",
						s.name, got.calls, got.charged, s.max.calls, s.max.charged, h.callList(from))
				}
			}
		})
	}
}
