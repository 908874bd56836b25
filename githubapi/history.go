package githubapi

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/google/go-github/v60/github"
)

// The reads of `reviewpolicy simulate`, which replays closed pull requests:
// what each one was, not what it is now.

// RepoInstallation finds the app's installation that sees owner/name, and
// the repository's ID and default branch.
func (a *API) RepoInstallation(ctx context.Context, owner, name string) (*Repo, string, error) {
	c, err := a.clients.NewAppClient()
	if err != nil {
		return nil, "", err
	}
	inst, _, err := c.Apps.FindRepositoryInstallation(ctx, owner, name)
	if err != nil {
		return nil, "", fmt.Errorf("finding the app's installation on %s/%s: %w", owner, name, err)
	}
	in, err := a.Installation(inst.GetID())
	if err != nil {
		return nil, "", err
	}
	repo, _, err := in.c.Repositories.Get(ctx, owner, name)
	if err != nil {
		return nil, "", fmt.Errorf("reading %s/%s: %w", owner, name, err)
	}
	return in.Repo(repo.GetID(), repo.GetOwner().GetLogin(), repo.GetName()), repo.GetDefaultBranch(), nil
}

// ClosedPulls lists up to last closed pull requests, most recently updated
// first (GitHub cannot sort by closing time; a closed pull request's last
// update is usually its closing).
func (r *Repo) ClosedPulls(ctx context.Context, last int) ([]*github.PullRequest, error) {
	opt := &github.PullRequestListOptions{State: "closed", Sort: "updated", Direction: "desc",
		ListOptions: github.ListOptions{PerPage: min(100, max(1, last))}}
	var all []*github.PullRequest
	for page, err := range pages(&opt.ListOptions, func(*github.ListOptions) ([]*github.PullRequest, *github.Response, error) {
		return r.c.PullRequests.List(ctx, r.Owner, r.Name, opt)
	}) {
		if err != nil {
			return nil, fmt.Errorf("listing closed pull requests of %s: %w", r, err)
		}
		if all = append(all, page...); len(all) >= last {
			return all[:last], nil
		}
	}
	return all, nil
}

// FileStats lists the paths pull request n changed (a renamed file under
// both names) with the lines added and deleted, at most GitHub's 3000 files.
func (r *Repo) FileStats(ctx context.Context, n int) (files []string, additions, deletions int, err error) {
	for page, err := range pages(&github.ListOptions{PerPage: 100}, func(opt *github.ListOptions) ([]*github.CommitFile, *github.Response, error) {
		return r.c.PullRequests.ListFiles(ctx, r.Owner, r.Name, n, opt)
	}) {
		if err != nil {
			return nil, 0, 0, fmt.Errorf("listing files of %s: %w", r.pr(n), err)
		}
		for _, f := range page {
			files = append(files, f.GetFilename())
			if prev := f.GetPreviousFilename(); prev != "" {
				files = append(files, prev)
			}
			additions += f.GetAdditions()
			deletions += f.GetDeletions()
		}
		if len(files) >= maxFiles*2 {
			break
		}
	}
	return files, additions, deletions, nil
}

// Timeline lists the events of pull request n, oldest first.
func (r *Repo) Timeline(ctx context.Context, n int) ([]*github.Timeline, error) {
	var all []*github.Timeline
	for page, err := range pages(&github.ListOptions{PerPage: 100}, func(opt *github.ListOptions) ([]*github.Timeline, *github.Response, error) {
		return r.c.Issues.ListIssueTimeline(ctx, r.Owner, r.Name, n, opt)
	}) {
		if err != nil {
			return nil, fmt.Errorf("listing the timeline of %s: %w", r.pr(n), err)
		}
		all = append(all, page...)
	}
	return all, nil
}

// BlobText reads a blob by its SHA: the way to read a file at an old commit
// whose listing gave the SHA, once per SHA for a caller that keeps it.
func (r *Repo) BlobText(ctx context.Context, sha string) (string, error) {
	b, _, err := r.c.Git.GetBlob(ctx, r.Owner, r.Name, sha)
	if err != nil {
		return "", fmt.Errorf("reading blob %s of %s: %w", sha, r, err)
	}
	if b.GetEncoding() != "base64" {
		return b.GetContent(), nil
	}
	text, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(b.GetContent(), "\n", ""))
	if err != nil {
		return "", fmt.Errorf("decoding blob %s of %s: %w", sha, r, err)
	}
	return string(text), nil
}
