package githubapi

import (
	"context"
	"fmt"

	"github.com/google/go-github/v60/github"
)

// ClosedPullsPage reads one page (1-based) of the repository's closed pull
// requests, 100 to a page, newest first by creation: new pull requests push
// older ones further down, so a walk over pages may see one twice but never
// skips one. last is true on the last page.
func (r *Repo) ClosedPullsPage(ctx context.Context, page int) (prs []*github.PullRequest, last bool, err error) {
	opt := &github.PullRequestListOptions{State: "closed", Sort: "created", Direction: "desc",
		ListOptions: github.ListOptions{PerPage: 100, Page: page}}
	prs, resp, err := r.c.PullRequests.List(ctx, r.Owner, r.Name, opt)
	if err != nil {
		return nil, false, fmt.Errorf("listing closed pull requests of %s (page %d): %w", r, page, err)
	}
	return prs, resp.NextPage == 0, nil
}

// FirstFiles reads the first page of pull request n's files (at most 100
// paths, with renamed files' old names): one request whatever its size.
func (r *Repo) FirstFiles(ctx context.Context, n int) ([]string, error) {
	page, _, err := r.c.PullRequests.ListFiles(ctx, r.Owner, r.Name, n, &github.ListOptions{PerPage: 100})
	if err != nil {
		return nil, fmt.Errorf("listing files of %s: %w", r.pr(n), err)
	}
	var files []string
	for _, f := range page {
		files = append(files, f.GetFilename())
		if prev := f.GetPreviousFilename(); prev != "" {
			files = append(files, prev)
		}
	}
	return files, nil
}

// FirstReviews reads the first page of pull request n's reviews (at most
// 100): one request.
func (r *Repo) FirstReviews(ctx context.Context, n int) ([]*github.PullRequestReview, error) {
	page, _, err := r.c.PullRequests.ListReviews(ctx, r.Owner, r.Name, n, &github.ListOptions{PerPage: 100})
	if err != nil {
		return nil, fmt.Errorf("listing reviews of %s: %w", r.pr(n), err)
	}
	return page, nil
}
