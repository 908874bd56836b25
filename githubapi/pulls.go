package githubapi

import (
	"context"
	"fmt"
	"net/http"

	"github.com/google/go-github/v60/github"
)

// GitHub answers at most 3000 files for a pull request.
const maxFiles = 3000

// maxCommitPulls bounds the pull requests read for one commit.
const maxCommitPulls = 300

// PullRequest reads pull request n as it is now.
func (r *Repo) PullRequest(ctx context.Context, n int) (*github.PullRequest, error) {
	pr, _, err := r.c.PullRequests.Get(ctx, r.Owner, r.Name, n)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", r.pr(n), err)
	}
	return pr, nil
}

// Files lists every path pull request n into baseRef changes at headSHA (a
// renamed file under both names), read once for the three: a push (a new
// head) or a new base changes the list, and two pull requests with one head
// but different bases change different files.
func (r *Repo) Files(ctx context.Context, n int, baseRef, headSHA string) ([]string, error) {
	key := r.filesKey(n, baseRef, headSHA)
	if v, ok := r.api.cache.files.Get(key); ok {
		return v.([]string), nil
	}
	var files []string
	opt := &github.ListOptions{PerPage: 100}
	for {
		page, resp, err := r.c.PullRequests.ListFiles(ctx, r.Owner, r.Name, n, opt)
		if err != nil {
			return nil, fmt.Errorf("listing files of %s: %w", r.pr(n), err)
		}
		for _, f := range page {
			files = append(files, f.GetFilename())
			if prev := f.GetPreviousFilename(); prev != "" {
				files = append(files, prev)
			}
		}
		if resp.NextPage == 0 || len(files) >= maxFiles*2 {
			break
		}
		opt.Page = resp.NextPage
	}
	r.api.cache.files.Add(key, files, filesCost(files))
	return files, nil
}

// filesKey is where the file list of pull request n into baseRef at
// headSHA is cached.
func (r *Repo) filesKey(n int, baseRef, headSHA string) string {
	return fmt.Sprintf("%d/%d/%s/%s", r.ID, n, headSHA, baseRef)
}

// filesCost is what a file list holds in memory: each path and its string
// header.
func filesCost(files []string) int {
	n := 24 * cap(files)
	for _, f := range files {
		n += len(f)
	}
	return n
}

// Reviews lists every review of pull request n.
func (r *Repo) Reviews(ctx context.Context, n int) ([]*github.PullRequestReview, error) {
	var all []*github.PullRequestReview
	for page, err := range pages(&github.ListOptions{PerPage: 100}, func(opt *github.ListOptions) ([]*github.PullRequestReview, *github.Response, error) {
		return r.c.PullRequests.ListReviews(ctx, r.Owner, r.Name, n, opt)
	}) {
		if err != nil {
			return nil, fmt.Errorf("listing reviews of %s: %w", r.pr(n), err)
		}
		all = append(all, page...)
	}
	return all, nil
}

// RequestReviewers asks GitHub to request req's people and teams on pull
// request n.
func (r *Repo) RequestReviewers(ctx context.Context, n int, req github.ReviewersRequest) error {
	_, _, err := r.c.PullRequests.RequestReviewers(ctx, r.Owner, r.Name, n, req)
	return err
}

// RequestedReviewers lists who is asked to review pull request n now
// (GitHub drops a request once the person reviews).
func (r *Repo) RequestedReviewers(ctx context.Context, n int) (*github.Reviewers, error) {
	live, _, err := r.c.PullRequests.ListReviewers(ctx, r.Owner, r.Name, n, nil)
	if err != nil {
		return nil, fmt.Errorf("listing requested reviewers of %s: %w", r.pr(n), err)
	}
	return live, nil
}

// Tree lists the files at ref, recursively; GitHub cuts a large tree short
// and says so (Truncated).
func (r *Repo) Tree(ctx context.Context, ref string) (*github.Tree, error) {
	tree, _, err := r.c.Git.GetTree(ctx, r.Owner, r.Name, ref, true)
	if err != nil {
		return nil, fmt.Errorf("listing files of %s@%s: %w", r, ref, err)
	}
	return tree, nil
}

// CommitsBetween returns the SHAs of the commits in head and not in base,
// reading at most about limit of them (pages of 100). A base or head that
// GitHub does not know (gone, or never pushed) gives what was read so far.
func (r *Repo) CommitsBetween(ctx context.Context, base, head string, limit int) (map[string]bool, error) {
	shas := map[string]bool{}
	opt := &github.ListOptions{PerPage: 100}
	for len(shas) < limit {
		cmp, resp, err := r.c.Repositories.CompareCommits(ctx, r.Owner, r.Name, base, head, opt)
		if resp != nil && resp.StatusCode == http.StatusNotFound {
			return shas, nil
		}
		if err != nil {
			return nil, fmt.Errorf("comparing %s with %s: %w", head, base, err)
		}
		for _, cm := range cmp.Commits {
			shas[cm.GetSHA()] = true
		}
		if resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	return shas, nil
}
