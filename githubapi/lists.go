package githubapi

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"

	"github.com/google/go-github/v60/github"
)

// pages yields a listing one page at a time and asks for the next page only
// when the caller goes on, so a caller that stops early pays for no page it
// did not read. An error ends the listing.
func pages[T any](opt *github.ListOptions, list func(*github.ListOptions) ([]T, *github.Response, error)) iter.Seq2[[]T, error] {
	return func(yield func([]T, error) bool) {
		for {
			page, resp, err := list(opt)
			if err != nil {
				yield(nil, err)
				return
			}
			if !yield(page, nil) || resp.NextPage == 0 {
				return
			}
			opt.Page = resp.NextPage
		}
	}
}

// NotFound reports whether err is GitHub's 404: the object is gone, or the
// app cannot see it.
func NotFound(err error) bool {
	var e *github.ErrorResponse
	return errors.As(err, &e) && e.Response != nil && e.Response.StatusCode == http.StatusNotFound
}

// Installations lists the app's installations, page by page. Each names the
// app's slug, so BotLogin needs no request of its own once it ran.
func (a *API) Installations(ctx context.Context) iter.Seq2[[]*github.Installation, error] {
	return func(yield func([]*github.Installation, error) bool) {
		c, err := a.clients.NewAppClient()
		if err != nil {
			yield(nil, err)
			return
		}
		for page, err := range pages(&github.ListOptions{PerPage: 100}, func(opt *github.ListOptions) ([]*github.Installation, *github.Response, error) {
			insts, resp, err := c.Apps.ListInstallations(ctx, opt)
			if err != nil {
				return nil, resp, fmt.Errorf("listing installations: %w", err)
			}
			for _, in := range insts {
				a.learnSlug(in.GetAppSlug())
			}
			return insts, resp, nil
		}) {
			if !yield(page, err) {
				return
			}
		}
	}
}

// Repos lists the installation's repositories, page by page.
func (in *Installation) Repos(ctx context.Context) iter.Seq2[[]*github.Repository, error] {
	return pages(&github.ListOptions{PerPage: 100}, func(opt *github.ListOptions) ([]*github.Repository, *github.Response, error) {
		repos, resp, err := in.c.Apps.ListRepos(ctx, opt)
		if err != nil {
			return nil, resp, fmt.Errorf("listing repositories of installation %d: %w", in.id, err)
		}
		return repos.Repositories, resp, nil
	})
}

// OpenPulls lists the open pull requests into base ("": any base), page by
// page.
func (r *Repo) OpenPulls(ctx context.Context, base string) iter.Seq2[[]*github.PullRequest, error] {
	opt := &github.PullRequestListOptions{State: "open", Base: base, ListOptions: github.ListOptions{PerPage: 100}}
	return pages(&opt.ListOptions, func(*github.ListOptions) ([]*github.PullRequest, *github.Response, error) {
		prs, resp, err := r.c.PullRequests.List(ctx, r.Owner, r.Name, opt)
		if err != nil {
			return nil, resp, fmt.Errorf("listing open pull requests of %s: %w", r, err)
		}
		return prs, resp, nil
	})
}

// TeamMembers lists a team's members; found is false when the team does not
// exist or the app cannot see it.
func (in *Installation) TeamMembers(ctx context.Context, org, slug string) (members []string, found bool, err error) {
	opt := &github.TeamListTeamMembersOptions{ListOptions: github.ListOptions{PerPage: 100}}
	for {
		page, resp, err := in.c.Teams.ListTeamMembersBySlug(ctx, org, slug, opt)
		if resp != nil && resp.StatusCode == http.StatusNotFound {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, fmt.Errorf("listing members of @%s/%s: %w", org, slug, err)
		}
		for _, u := range page {
			members = append(members, u.GetLogin())
		}
		if resp.NextPage == 0 {
			return members, true, nil
		}
		opt.Page = resp.NextPage
	}
}
