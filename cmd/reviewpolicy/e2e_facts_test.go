package main

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/reviewpolicy/reviewpolicy/internal/githubfake"
	"github.com/reviewpolicy/reviewpolicy/policy/check"
)

// countSince counts the calls made since from whose method and path match
// (path: exactly) and whose query contains query.
func (h *harness) countSince(from int, method, path, query string) int {
	n := 0
	for _, c := range h.fake.Calls()[from:] {
		if c.Method == method && c.Path == path && strings.Contains(c.RawQuery, query) {
			n++
		}
	}
	return n
}

// membershipPayload is a membership event: someone added to the writers team.
func membershipPayload() []byte {
	return []byte(`{"action":"added","scope":"team","member":{"login":"carol","id":9},` +
		`"team":{"slug":"writers","name":"writers","id":5},"organization":{"login":"Codertocat","id":1},` +
		`"sender":{"login":"Codertocat","id":1},"installation":{"id":` + strconv.Itoa(installID) + `}}`)
}

// TestSkippedReadsFollowTheirEvents shows, for each read an evaluation no
// longer makes on every event, the event that replaces it: the opened
// event (no reviews, no comment, no check-run look-up), a membership event
// (team members), a push changing the policy (the .github listing) and a
// review event (reviews). Between them, the cached facts are used and a
// change on GitHub without its event is not seen.
func TestSkippedReadsFollowTheirEvents(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", budgetPolicy)
	h.fake.SetFile(owner, repoName, "master", ".github/pull_request_template.md", "## Summary\n\n## Testing\n")
	h.fake.AddTeam(owner, "writers", "alice", "bob")
	h.start(t, nil)
	body := "## Summary\nFixes ACME-1: explain the install steps.\n\n## Testing\nRead it.\n"
	h.fake.EditPullRequest(owner, repoName, prNumber, func(p *githubfake.PullRequest) { p.Body = body })
	sendPR := func(action, b string) int {
		from := len(h.fake.Calls())
		h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", func(m map[string]any) {
			m["action"] = action
			m["pull_request"].(map[string]any)["body"] = b
			if action == "edited" {
				m["changes"] = map[string]any{"body": map[string]any{"from": "before"}}
			}
		}))
		h.settle(t)
		return from
	}
	edit := func(b string) int {
		h.fake.EditPullRequest(owner, repoName, prNumber, func(p *githubfake.PullRequest) { p.Body = b })
		return sendPR("edited", b)
	}
	reviews, comments := "/repos/"+owner+"/"+repoName+"/pulls/2/reviews", "/repos/"+owner+"/"+repoName+"/issues/2/comments"
	dir, team := "/repos/"+owner+"/"+repoName+"/contents/.github", "/orgs/codertocat/teams/writers/members"

	from := sendPR("opened", body)
	if n := h.countSince(from, http.MethodGet, reviews, ""); n != 0 {
		t.Errorf("opened: %d review listings; a pull request just opened has none", n)
	}
	if n := h.countSince(from, http.MethodGet, comments, ""); n != 0 {
		t.Errorf("opened: %d comment listings; a pull request just opened has no comment", n)
	}
	if n := h.countSince(from, http.MethodGet, "/repos/"+owner+"/"+repoName+"/commits/"+headSHA+"/check-runs", ""); n != 0 {
		t.Errorf("opened: %d check-run look-ups; the commit was claimed in the store first", n)
	}
	if runs := h.checkRuns(); len(runs) != 1 || runs[0].Conclusion != check.Success {
		t.Fatalf("after opened: %+v", runs)
	}

	// Team and policy change on GitHub without their events: not seen.
	h.fake.AddTeam(owner, "writers", "alice", "bob", "carol")
	strict := strings.Replace(budgetPolicy, "    - {heading: Testing}\n", "    - {heading: Testing}\n    - {heading: Risks}\n", 1)
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", strict)
	from = edit(body + "\nMore.\n")
	for _, p := range []string{dir, team, reviews} {
		if n := h.countSince(from, http.MethodGet, p, ""); n != 0 {
			t.Errorf("edited: %d reads of %s, which no event changed", n, p)
		}
	}

	h.send(t, "membership", "", membershipPayload())
	h.settle(t)
	from = edit(body + "\nMore again.\n")
	if n := h.countSince(from, http.MethodGet, team, ""); n != 1 {
		t.Errorf("edited after a membership event: %d team listings, want 1", n)
	}
	if n := h.countSince(from, http.MethodGet, dir, ""); n != 0 {
		t.Errorf("edited after a membership event: %d .github listings, want 0", n)
	}

	from = len(h.fake.Calls())
	h.send(t, "push", "", pushPayload(t, repoName, "master", ".github/review-policy.yml"))
	h.settle(t)
	if n := h.countSince(from, http.MethodGet, dir, ""); n != 1 {
		t.Errorf("push changing the policy: %d .github listings, want 1\n%s", n, h.callList(from))
	}
	if runs := h.checkRuns(); len(runs) != 1 || runs[0].Conclusion != check.Failure {
		t.Errorf("after the policy push the new section is required: %+v", runs)
	}

	h.fake.AddReview(owner, repoName, prNumber, "alice", "APPROVED")
	from = len(h.fake.Calls())
	h.send(t, "pull_request_review", "", payload(t, "pull_request_review/submitted.payload.json", func(m map[string]any) {
		m["review"].(map[string]any)["user"].(map[string]any)["login"] = "alice"
	}))
	h.settle(t)
	if n := h.countSince(from, http.MethodGet, reviews, ""); n != 1 {
		t.Errorf("review submitted: %d review listings, want 1", n)
	}
	from = edit(body + "\nLast.\n")
	if n := h.countSince(from, http.MethodGet, reviews, ""); n != 0 {
		t.Errorf("edited after the review was read: %d review listings, want 0", n)
	}
}

// TestPayloadReplacesThePullRequestRead: a recent payload stands for the
// pull request (no GET); one delivered late, older than what was seen, is
// not applied; an old payload (the fixtures' 2019; it even says another
// body) or two different states with one updated_at make the evaluation
// read GitHub, and GitHub's state is what counts.
func TestPayloadReplacesThePullRequestRead(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", templatePolicy)
	h.start(t, nil)
	good := "## Summary\nFixes ACME-1: explain the install steps.\n\n## Testing\nRead it.\n"
	bad := "## Summary\nFixes ACME-1: explain the install steps.\n"
	t0 := time.Now().Add(-time.Minute)
	pull := "/repos/" + owner + "/" + repoName + "/pulls/2"
	step := func(name, action, body string, sec int, wantReads int, want string) {
		t.Helper()
		from := len(h.fake.Calls())
		h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", func(m map[string]any) {
			m["action"] = action
			if action == "edited" {
				m["changes"] = map[string]any{"body": map[string]any{"from": "x"}}
			}
			h.freshPR(m, prNumber, body, headSHA, nil, t0.Add(time.Duration(sec)*time.Second))
			if sec < 0 {
				m["pull_request"].(map[string]any)["updated_at"] = "2019-05-15T15:20:33Z"
			}
		}))
		h.settle(t)
		if n := h.countSince(from, http.MethodGet, pull, ""); n != wantReads {
			t.Errorf("%s: %d reads of the pull request, want %d\n%s", name, n, wantReads, h.callList(from))
		}
		if runs := h.checkRuns(); len(runs) != 1 || runs[0].Conclusion != want {
			t.Errorf("%s: check runs %+v, want one %s", name, runs, want)
		}
	}
	h.fake.EditPullRequest(owner, repoName, prNumber, func(p *githubfake.PullRequest) { p.Body = good })
	step("opened, a payload from long ago", "opened", bad, -1, 1, check.Success)
	step("edited, recent payload", "edited", good, 1, 0, check.Success)
	h.fake.EditPullRequest(owner, repoName, prNumber, func(p *githubfake.PullRequest) { p.Body = bad })
	step("edited, recent payload", "edited", bad, 3, 0, check.Failure)
	step("an older edit delivered late", "edited", good, 2, 0, check.Failure)
	step("another state with the same updated_at", "edited", good, 3, 1, check.Failure)
	h.fake.EditPullRequest(owner, repoName, prNumber, func(p *githubfake.PullRequest) { p.Body = good })
	step("a newer payload again", "edited", good, 4, 0, check.Success)
}
