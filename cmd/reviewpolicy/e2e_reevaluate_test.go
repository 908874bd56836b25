package main

import (
	"strings"
	"testing"

	"github.com/reviewpolicy/reviewpolicy/internal/githubfake"
)

// actionPayload is a check_run requested_action for the pull request's
// check run, clicked on the button with identifier, of the app appID.
func actionPayload(t *testing.T, identifier string, appID int64) []byte {
	return payload(t, "check_run/requested_action.payload.json", func(m map[string]any) {
		m["installation"] = map[string]any{"id": installID}
		m["repository"] = map[string]any{"id": repoID, "name": repoName, "full_name": owner + "/" + repoName,
			"owner": map[string]any{"login": owner}}
		m["requested_action"] = map[string]any{"identifier": identifier}
		run := m["check_run"].(map[string]any)
		run["head_sha"] = headSHA
		run["app"].(map[string]any)["id"] = appID
		run["pull_requests"] = []any{map[string]any{"number": prNumber}}
	})
}

// The check run carries a "Re-evaluate" button; clicking it evaluates the
// pull request again (here, a description fixed without any webhook).
// Another app's button, or another identifier, changes nothing.
func TestReevaluateButton(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", templatePolicy)
	h.start(t, nil)
	h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", nil))
	h.settle(t)
	if r := h.checkRuns(); len(r) != 1 || r[0].Conclusion != "failure" {
		t.Fatalf("check runs %+v, want one failing", r)
	}
	withButton := false
	for _, c := range h.fake.Calls() {
		if c.Method == "POST" && strings.HasSuffix(c.Path, "/check-runs") &&
			strings.Contains(string(c.Body), `"actions":[{"label":"Re-evaluate"`) && strings.Contains(string(c.Body), `"identifier":"reevaluate"`) {
			withButton = true
		}
	}
	if !withButton {
		t.Error("the check run was created without the Re-evaluate button")
	}

	fixed := "## Summary\nFixes ACME-42: the README now explains how to install.\n\n## Testing\nRendered it locally.\n"
	h.fake.EditPullRequest(owner, repoName, prNumber, func(p *githubfake.PullRequest) { p.Body = fixed })
	h.send(t, "check_run", "", actionPayload(t, "reevaluate", 12345))
	h.send(t, "check_run", "", actionPayload(t, "something-else", h.fake.AppID()))
	h.settle(t)
	if r := h.checkRuns(); r[0].Conclusion != "failure" {
		t.Errorf("another app's or another button's click evaluated: %s", r[0].Conclusion)
	}
	h.send(t, "check_run", "", actionPayload(t, "reevaluate", h.fake.AppID()))
	h.settle(t)
	if r := h.checkRuns(); len(r) != 1 || r[0].Conclusion != "success" {
		t.Errorf("after Re-evaluate: %+v, want one green check", r)
	}
}
