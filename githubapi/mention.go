package githubapi

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/go-github/v60/github"
)

// PostOnce creates a comment on pull request n whose body starts with
// marker, unless the app's comments already hold one: a retry after an
// answer that was lost finds the first and posts nothing. It returns the
// comment's GraphQL node ID. GitHub notifies the people a new comment
// mentions, which an edit of the sticky comment does not.
func (r *Repo) PostOnce(ctx context.Context, n int, marker, body string) (nodeID string, err error) {
	bot, err := r.api.BotLogin(ctx)
	if err != nil {
		return "", err
	}
	for page, err := range pages(&github.ListOptions{PerPage: 100}, func(opt *github.ListOptions) ([]*github.IssueComment, *github.Response, error) {
		return r.c.Issues.ListComments(ctx, r.Owner, r.Name, n, &github.IssueListCommentsOptions{ListOptions: *opt})
	}) {
		if err != nil {
			return "", fmt.Errorf("listing comments of %s: %w", r.pr(n), err)
		}
		for _, cm := range page {
			if strings.EqualFold(cm.GetUser().GetLogin(), bot) && strings.HasPrefix(cm.GetBody(), marker) {
				return cm.GetNodeID(), nil
			}
		}
	}
	cm, _, err := r.c.Issues.CreateComment(ctx, r.Owner, r.Name, n, &github.IssueComment{Body: github.String(marker + "\n" + body)})
	if err != nil {
		return "", fmt.Errorf("commenting on %s: %w", r.pr(n), err)
	}
	return cm.GetNodeID(), nil
}

// AppComments lists the node IDs of the app's comments on pull request n
// whose bodies start with prefix.
func (r *Repo) AppComments(ctx context.Context, n int, prefix string) ([]string, error) {
	bot, err := r.api.BotLogin(ctx)
	if err != nil {
		return nil, err
	}
	var ids []string
	for page, err := range pages(&github.ListOptions{PerPage: 100}, func(opt *github.ListOptions) ([]*github.IssueComment, *github.Response, error) {
		return r.c.Issues.ListComments(ctx, r.Owner, r.Name, n, &github.IssueListCommentsOptions{ListOptions: *opt})
	}) {
		if err != nil {
			return nil, fmt.Errorf("listing comments of %s: %w", r.pr(n), err)
		}
		for _, cm := range page {
			if strings.EqualFold(cm.GetUser().GetLogin(), bot) && strings.HasPrefix(cm.GetBody(), prefix) {
				ids = append(ids, cm.GetNodeID())
			}
		}
	}
	return ids, nil
}

// minimizeMutation hides a comment as outdated; minimizing one already
// minimized succeeds again.
const minimizeMutation = `mutation Minimize($id: ID!) {
  minimizeComment(input: {subjectId: $id, classifier: OUTDATED}) { minimizedComment { isMinimized } }
}`

// Minimize hides the comment with node ID id as outdated, through GitHub's
// GraphQL API at url (REST cannot).
func (in *Installation) Minimize(ctx context.Context, url, id string) error {
	var out struct {
		Data struct {
			MinimizeComment *struct {
				MinimizedComment struct {
					IsMinimized bool `json:"isMinimized"`
				} `json:"minimizedComment"`
			} `json:"minimizeComment"`
		} `json:"data"`
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := in.postGraphQL(ctx, url, minimizeMutation, "Minimize", map[string]any{"id": id}, &out); err != nil {
		return fmt.Errorf("minimizing comment %s: %w", id, err)
	}
	if len(out.Errors) > 0 || out.Data.MinimizeComment == nil || !out.Data.MinimizeComment.MinimizedComment.IsMinimized {
		msg := "not minimized"
		if len(out.Errors) > 0 {
			msg = out.Errors[0].Message
		}
		return fmt.Errorf("minimizing comment %s: %s", id, msg)
	}
	return nil
}
