package githubapi

import (
	"context"
	"fmt"

	"github.com/google/go-github/v60/github"
)

// React adds the app's reaction ("+1", "confused", ...) to an issue or pull
// request comment. GitHub keeps one reaction per user and content, so
// reacting twice leaves one.
func (r *Repo) React(ctx context.Context, commentID int64, content string) error {
	if _, _, err := r.c.Reactions.CreateIssueCommentReaction(ctx, r.Owner, r.Name, commentID, content); err != nil {
		return fmt.Errorf("reacting to comment %d on %s: %w", commentID, r, err)
	}
	return nil
}

// Comment writes a new comment on pull request n.
func (r *Repo) Comment(ctx context.Context, n int, body string) error {
	if _, _, err := r.c.Issues.CreateComment(ctx, r.Owner, r.Name, n, &github.IssueComment{Body: github.String(body)}); err != nil {
		return fmt.Errorf("commenting on %s: %w", r.pr(n), err)
	}
	return nil
}

// RemoveReviewers withdraws review requests of users on pull request n.
func (r *Repo) RemoveReviewers(ctx context.Context, n int, logins []string) error {
	if _, err := r.c.PullRequests.RemoveReviewers(ctx, r.Owner, r.Name, n, github.ReviewersRequest{Reviewers: logins}); err != nil {
		return fmt.Errorf("withdrawing review requests %v on %s: %w", logins, r.pr(n), err)
	}
	return nil
}
