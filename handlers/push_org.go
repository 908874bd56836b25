package handlers

import (
	"context"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/reviewpolicy/reviewpolicy/githubapi"
	"github.com/reviewpolicy/reviewpolicy/policy"
)

// orgPolicyArgs re-evaluates, after a change of the organisation default
// policy, the open pull requests that follow it: those whose base branch
// has no policy file, or one that says "extends: org".
type orgPolicyArgs struct {
	Installation int64  `json:"installation"`
	Owner        string `json:"owner"`
	Trigger      string `json:"trigger"`
}

func (orgPolicyArgs) Kind() string { return "org_policy" }

type orgPolicyWorker struct {
	river.WorkerDefaults[orgPolicyArgs]
	app *App
}

func (w *orgPolicyWorker) Work(ctx context.Context, job *river.Job[orgPolicyArgs]) (err error) {
	start := time.Now()
	defer func() { w.app.Metrics.observeJob("org_policy", start, err) }()
	if err = w.app.sweepOrgPolicy(withInstallation(ctx, job.Args.Installation), job.Args); err != nil {
		return retryable(err, w.app.Now())
	}
	return nil
}

// sweepOrgPolicy costs ceil(repositories/100) + Σ ceil(open PRs/100)
// listings, plus one .github listing (and at most one policy fetch) per
// repository and base branch, then one evaluation per following pull
// request, orgMaxPRs at most.
func (a *App) sweepOrgPolicy(ctx context.Context, args orgPolicyArgs) error {
	in, err := a.GitHub.Installation(args.Installation)
	if err != nil {
		return err
	}
	var jobs []evaluateArgs
	for repos, err := range in.Repos(ctx) {
		if err != nil {
			return err
		}
		for _, repo := range repos {
			if !strings.EqualFold(repo.GetOwner().GetLogin(), args.Owner) || len(jobs) >= orgMaxPRs {
				continue
			}
			r := repoRef{Installation: args.Installation, RepoID: repo.GetID(), Owner: repo.GetOwner().GetLogin(), Repo: repo.GetName()}
			prs, bases, err := a.openPulls(ctx, r, "", args.Trigger, orgMaxPRs-len(jobs))
			if err != nil {
				return err
			}
			kept, err := a.followingOrg(ctx, in.Repo(r.RepoID, r.Owner, r.Repo), prs, bases)
			if err != nil {
				return err
			}
			jobs = append(jobs, kept...)
		}
		if len(jobs) >= orgMaxPRs {
			break // before the next page is asked for
		}
	}
	if len(jobs) >= orgMaxPRs {
		a.Logger.Warn("too many open pull requests follow the organisation default; the rest follow at their next event",
			"owner", args.Owner, "limit", orgMaxPRs)
	}
	return a.spread(ctx, jobs, pushPerSecond)
}

// followingOrg keeps the pull requests whose base branch takes the
// organisation default: no policy file, or a valid one extending it. An
// invalid file fails the check whatever the default says.
func (a *App) followingOrg(ctx context.Context, gh *githubapi.Repo, prs []evaluateArgs, bases []string) ([]evaluateArgs, error) {
	follows := map[string]bool{}
	var kept []evaluateArgs
	for i, pr := range prs {
		base := bases[i]
		f, seen := follows[base]
		if !seen {
			var err error
			if f, err = a.baseFollowsOrg(ctx, gh, base); err != nil {
				return nil, err
			}
			follows[base] = f
		}
		if f {
			kept = append(kept, pr)
		}
	}
	return kept, nil
}

func (a *App) baseFollowsOrg(ctx context.Context, gh *githubapi.Repo, base string) (bool, error) {
	files, err := gh.GitHubDir(ctx, base)
	if err != nil {
		return false, err
	}
	sha, ok := files[policy.FileName]
	if !ok {
		return true, nil
	}
	p, err := a.parseBlob(ctx, gh, policy.FileName, base, sha)
	if err != nil {
		return false, err
	}
	if p.file == nil && p.err == nil {
		return true, nil // gone since the listing
	}
	return p.err == nil && p.file.Policy.Extends == "org", nil
}
