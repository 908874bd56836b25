package handlers

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/reviewpolicy/reviewpolicy/githubapi"
	"github.com/reviewpolicy/reviewpolicy/policy"
	"github.com/reviewpolicy/reviewpolicy/store"
)

// A push to a base branch that changes the policy, a pull-request template
// or CODEOWNERS changes the verdict of that branch's open pull requests,
// which get no event of their own: the push re-evaluates them, spread over
// time and capped (docs/api-budget.md).
const (
	// pushCommitLimit and pushFileLimit are GitHub's caps on a push
	// webhook: at most 2048 commits, at most 3000 changed files per commit.
	// A list at a cap may be cut short.
	pushCommitLimit = 2048
	pushFileLimit   = 3000
	// pushPerSecond re-evaluations start per second after a push; the
	// first starts at once.
	pushPerSecond = 2
	// pushMaxPRs caps the re-evaluations of one push to one branch (about
	// 5 requests each); orgMaxPRs those of a change of the organisation
	// default, which reaches every repository of the installation.
	pushMaxPRs = 200
	orgMaxPRs  = 1000
)

// pushEvent is what the app reads of a push payload. Decoded by hand: the
// payload's repository carries Unix timestamps and an owner with "name".
type pushEvent struct {
	Ref     string       `json:"ref"`
	After   string       `json:"after"`
	Created bool         `json:"created"`
	Deleted bool         `json:"deleted"`
	Forced  bool         `json:"forced"`
	Commits []pushCommit `json:"commits"`
	Repo    struct {
		ID            int64  `json:"id"`
		Name          string `json:"name"`
		DefaultBranch string `json:"default_branch"`
		Owner         struct {
			Login string `json:"login"`
			Name  string `json:"name"`
		} `json:"owner"`
	} `json:"repository"`
}

type pushCommit struct {
	Added    []string `json:"added"`
	Modified []string `json:"modified"`
	Removed  []string `json:"removed"`
}

func (ev *pushEvent) owner() string {
	if ev.Repo.Owner.Login != "" {
		return ev.Repo.Owner.Login
	}
	return ev.Repo.Owner.Name
}

// mayTouch reports whether the push may have changed a file that match
// accepts. Every commit counts, distinct or not: a fast-forward brings
// commits pushed elsewhere before, and they change this branch all the
// same. When the lists may be incomplete (a force push, whose dropped
// commits are not listed; an empty list; a list at GitHub's cap) the answer
// is yes: a needless re-evaluation costs a few requests, a missed one
// leaves a wrong verdict until the next event.
func (ev *pushEvent) mayTouch(match func(string) bool) bool {
	if ev.Forced || len(ev.Commits) == 0 || len(ev.Commits) >= pushCommitLimit {
		return true
	}
	for _, c := range ev.Commits {
		if len(c.Added)+len(c.Modified)+len(c.Removed) >= pushFileLimit {
			return true
		}
		for _, list := range [][]string{c.Added, c.Modified, c.Removed} {
			for _, f := range list {
				if match(f) {
					return true
				}
			}
		}
	}
	return false
}

// branchInput reports whether path is read from a base branch to judge its
// pull requests. Case is ignored: a needless match costs little.
func branchInput(path string) bool {
	if strings.EqualFold(path, policy.FileName) {
		return true
	}
	for _, list := range [][]string{githubapi.TemplatePaths, githubapi.CodeownersPaths} {
		for _, p := range list {
			if strings.EqualFold(path, p) {
				return true
			}
		}
	}
	return false
}

func orgDefault(path string) bool { return strings.EqualFold(path, policy.OrgFileName) }

func (a *App) onPush(ctx context.Context, d store.Delivery, log *slog.Logger) error {
	var ev pushEvent
	if err := decode(d, &ev); err != nil {
		return err
	}
	branch, isBranch := strings.CutPrefix(ev.Ref, "refs/heads/")
	// Tags judge nothing; a new branch has no pull requests yet; those of a
	// deleted branch are closed by GitHub.
	if !isBranch || d.InstallationID == 0 {
		return nil
	}
	if err := a.forgetBaseFacts(ctx, &ev, branch); err != nil {
		return err
	}
	if ev.Created || ev.Deleted || ev.After == "" {
		return nil
	}
	trigger := "push:" + ev.After
	if strings.EqualFold(ev.Repo.Name, ".github") && branch == ev.Repo.DefaultBranch && ev.mayTouch(orgDefault) {
		log.Info("organisation default policy changed: sweeping the installation", "owner", ev.owner())
		err := a.Store.Enqueue(ctx, orgPolicyArgs{Installation: d.InstallationID, Owner: ev.owner(), Trigger: trigger},
			&river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}})
		if err != nil {
			return err
		}
	}
	if !ev.mayTouch(branchInput) {
		return nil
	}
	r := repoRef{Installation: d.InstallationID, RepoID: ev.Repo.ID, Owner: ev.owner(), Repo: ev.Repo.Name}
	jobs, _, err := a.openPulls(ctx, r, branch, trigger, pushMaxPRs)
	if err != nil {
		return err
	}
	log.Info("policy inputs changed on a base branch", "branch", branch, "pull_requests", len(jobs))
	return a.spread(ctx, jobs, pushPerSecond)
}

// forgetBaseFacts bumps the versions of what evaluations cached of the
// branch (its .github listing and template) and, for the organisation's
// .github repository, of the organisation default, when the push may have
// changed them. A branch created or deleted counts: its name may come back
// with other files.
func (a *App) forgetBaseFacts(ctx context.Context, ev *pushEvent, branch string) error {
	if ev.Created || ev.Deleted || ev.mayTouch(branchInput) {
		if err := a.Store.BumpFactVersion(ctx, baseScope(ev.Repo.ID, branch)); err != nil {
			return err
		}
	}
	if strings.EqualFold(ev.Repo.Name, ".github") && branch == ev.Repo.DefaultBranch && ev.mayTouch(orgDefault) {
		return a.Store.BumpFactVersion(ctx, orgScope(ev.owner()))
	}
	return nil
}

// openPulls lists up to limit open pull requests into base ("": any base)
// as evaluation jobs, with each one's base branch; ceil(limit/100) requests
// at most.
func (a *App) openPulls(ctx context.Context, r repoRef, base, trigger string, limit int) (jobs []evaluateArgs, bases []string, err error) {
	gh, err := a.repo(r)
	if err != nil {
		return nil, nil, err
	}
	for prs, err := range gh.OpenPulls(ctx, base) {
		if err != nil {
			return nil, nil, err
		}
		for _, pr := range prs {
			if len(jobs) == limit {
				a.Logger.Warn("too many open pull requests to re-evaluate; the rest follow at their next event",
					"repo", r.Owner+"/"+r.Repo, "base", base, "limit", limit)
				return jobs, bases, nil
			}
			jobs = append(jobs, evaluateArgs{Installation: r.Installation, RepoID: r.RepoID, Owner: r.Owner,
				Repo: r.Repo, Number: pr.GetNumber()})
			bases = append(bases, pr.GetBase().GetRef())
		}
	}
	return jobs, bases, nil
}

// spread asks for one evaluation per pull request, perSecond a second.
// The same push delivered twice, at once or later, or handled by two
// replicas, asks twice; the evaluations coalesce (docs/concurrency.md), and
// one that finds nothing changed writes nothing.
func (a *App) spread(ctx context.Context, jobs []evaluateArgs, perSecond int) error {
	start := time.Now() // River schedules by the wall clock, not App.Now
	for i, args := range jobs {
		// The first too: its slot is the push's time, not whenever the
		// insert happens to run.
		opts := &river.InsertOpts{ScheduledAt: start.Add(time.Duration(i) * time.Second / time.Duration(perSecond))}
		pr := store.PR{RepoID: args.RepoID, Number: args.Number}
		err := a.Store.RequestEvaluation(ctx, pr, func(v int64) river.JobArgs {
			args.Version = v
			return args
		}, opts)
		if err != nil {
			return err
		}
	}
	return nil
}
