package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/reviewpolicy/reviewpolicy/internal/githubfake"
)

// issueCommentPayload is an issue_comment webhook about a pull request's
// comment, as GitHub sends it (the fields the app reads).
func issueCommentPayload(t *testing.T, action string, id int64, sender string) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"action":       action,
		"installation": map[string]any{"id": installID},
		"repository":   map[string]any{"id": repoID, "name": repoName, "full_name": owner + "/" + repoName, "owner": map[string]any{"login": owner}},
		"issue":        map[string]any{"number": prNumber, "pull_request": map[string]any{"url": "https://api.github.com/repos/x/y/pulls/2"}},
		"comment":      map[string]any{"id": id, "body": "edited", "user": map[string]any{"login": "someone[bot]", "type": "Bot"}},
		"sender":       map[string]any{"login": sender, "type": "User"},
	})
	must(t, err)
	return b
}

// Someone edits the app's sticky comment; the app writes it back, and
// again after every later change, instead of trusting what it wrote last.
func TestStickyCommentEditedByAPersonIsWrittenBack(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", templatePolicy)
	h.start(t, nil)
	h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", nil))
	h.settle(t)
	cs := h.fake.Comments(owner, repoName, prNumber)
	if len(cs) != 1 {
		t.Fatalf("%d comments, want 1", len(cs))
	}
	original := cs[0]
	h.fake.EditComment(owner, repoName, original.ID, "LGTM, ignore the bot")
	h.send(t, "issue_comment", "", issueCommentPayload(t, "edited", original.ID, "mallory"))
	h.settle(t)
	if cs := h.fake.Comments(owner, repoName, prNumber); len(cs) != 1 || cs[0].Body != original.Body {
		t.Errorf("after a person edited it, the comment is %+v, want the app's text back", cs)
	}

	// Deleted: a new one is created, as the author still has work to do.
	h.fake.EditPullRequest(owner, repoName, prNumber, func(p *githubfake.PullRequest) { p.Title = "Still no ticket" })
	h.fake.DeleteComment(owner, repoName, original.ID)
	h.send(t, "issue_comment", "", issueCommentPayload(t, "deleted", original.ID, "mallory"))
	h.settle(t)
	if cs := h.fake.Comments(owner, repoName, prNumber); len(cs) != 1 || !strings.Contains(cs[0].Body, "ticket") || cs[0].ID == original.ID {
		t.Errorf("after a person deleted it: %+v, want one new comment", cs)
	}
}
