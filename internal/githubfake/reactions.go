package githubfake

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

func init() {
	endpoints["POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions"] = createReaction
}

// createReaction adds the app's reaction to a comment. As on GitHub, the
// same reaction by the same user is kept once: asking again answers 200
// with the existing one instead of 201.
func createReaction(q *request) response {
	f := q.fake
	var body struct {
		Content string `json:"content"`
	}
	if err := json.Unmarshal(q.body, &body); err != nil {
		return unprocessable("Problems parsing JSON")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	_, c, found := q.comment()
	if !found {
		return notFound
	}
	reaction := map[string]any{
		"id": stableID(fmt.Sprint(f.BotLogin(), "/", body.Content, "/", c.ID)), "node_id": "REA_1",
		"user": f.userJSON(f.BotLogin()), "content": body.Content,
		"created_at": time.Now().UTC().Format(time.RFC3339),
	}
	if slices.Contains(c.reactions, body.Content) {
		return ok(reaction)
	}
	c.reactions = append(c.reactions, body.Content)
	return created(reaction)
}

// Reactions returns the app's reactions on a comment, in the order made.
func (f *Fake) Reactions(owner, repoName string, commentID int64) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.mustRepo(owner, repoName).comments {
		if c.ID == commentID {
			return slices.Clone(c.reactions)
		}
	}
	return nil
}
