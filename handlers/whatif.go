package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/riverqueue/river"

	"github.com/reviewpolicy/reviewpolicy/githubapi"
	"github.com/reviewpolicy/reviewpolicy/policy"
	"github.com/reviewpolicy/reviewpolicy/simulate"
)

// The what-if of a pull request that changes the policy: its proposed
// policy replayed over the repository's last closed pull requests, shown
// as a section of its check run. It runs as a job of its own after the
// check appears, from what the store already knows (package simulate's
// answers, kept in simulate_answers) and a bounded number of requests.
const (
	// WhatIfLast is how many closed pull requests the what-if replays.
	WhatIfLast = 100
	// WhatIfMaxCalls bounds the requests of one what-if job: pull requests
	// it cannot afford wait for the next one (a push, a base change), which
	// finds the others in the store (docs/api-budget.md).
	WhatIfMaxCalls = 150
	// whatIfTimeout bounds one what-if's time, well inside the job timeout.
	whatIfTimeout = 2 * time.Minute
	// whatIfAttempts: the what-if is advice; a failing one stays "pending".
	whatIfAttempts = 3
	// answerRetention is how long the replay's answers are kept.
	answerRetention = 30 * 24 * time.Hour
)

// whatIfPending is the section until the job has stored the replay.
const whatIfPending = "### What-if\n⏳ Replaying the last closed pull requests under this policy; the results follow here.\n"

// whatIfFailed is the section when the what-if could not be computed.
const whatIfFailed = "### What-if\nThe replay of the last closed pull requests could not be computed (see the app's log); a new push asks again.\n"

// whatIfNoCurrent is the section when the policy in force is invalid.
const whatIfNoCurrent = "### What-if\nThe policy in force is invalid, so there is nothing to compare this one with.\n"

// whatIfArgs asks for the what-if of one pull request's head under the
// policy in force on its base (its blob SHA: Key changes with either).
type whatIfArgs struct {
	Installation int64  `json:"installation"`
	RepoID       int64  `json:"repo_id"`
	Owner        string `json:"owner"`
	Repo         string `json:"repo"`
	Number       int    `json:"number"`
	Key          string `json:"key"`
}

func (whatIfArgs) Kind() string { return "whatif" }

// InstallationID places the job in the store's fair queue.
func (a whatIfArgs) InstallationID() int64 { return a.Installation }

// whatIfKey names the stored what-if of a pull request's head against the
// base's policy blob.
func whatIfKey(r repoRef, g *gathered) string {
	return fmt.Sprintf("whatif/%d/%d/%s/%s", r.RepoID, r.Number, g.headSHA, g.base[policy.FileName])
}

// attachWhatIf shows the stored what-if on a valid proposed policy, or says
// it follows and marks the evaluation to ask for it once the check is out.
func (a *App) attachWhatIf(ctx context.Context, r repoRef, g *gathered) error {
	p := g.facts.Proposed
	if p == nil || p.Err != nil {
		return nil
	}
	key := whatIfKey(r, g)
	data, found, err := a.Store.Answer(ctx, key)
	if err != nil {
		return err
	}
	if found && json.Unmarshal(data, &p.WhatIf) == nil {
		return nil
	}
	p.WhatIf, g.whatIf = whatIfPending, key
	return nil
}

// requestWhatIf enqueues the what-if job, once per key however many
// evaluations ask.
func (a *App) requestWhatIf(ctx context.Context, r repoRef, g *gathered) error {
	if g.whatIf == "" {
		return nil
	}
	return a.Store.Enqueue(ctx, whatIfArgs{Installation: r.Installation, RepoID: r.RepoID, Owner: r.Owner, Repo: r.Repo,
		Number: r.Number, Key: g.whatIf}, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}, MaxAttempts: whatIfAttempts})
}

type whatIfWorker struct {
	river.WorkerDefaults[whatIfArgs]
	app *App
}

func (w *whatIfWorker) Work(ctx context.Context, job *river.Job[whatIfArgs]) (err error) {
	a, t := w.app, job.Args
	begun := time.Now()
	defer func() { a.Metrics.observeJob("whatif", begun, err) }()
	r := repoRef{Installation: t.Installation, RepoID: t.RepoID, Owner: t.Owner, Repo: t.Repo, Number: t.Number}
	ctx, cancel := context.WithTimeout(withInstallation(ctx, r.Installation), whatIfTimeout)
	defer cancel()
	md, full, err := a.whatIf(ctx, r)
	if err != nil && job.Attempt < whatIfAttempts {
		return fmt.Errorf("what-if of %s: %w", r, err)
	}
	if err != nil {
		// The last attempt: say so rather than stay "pending"; the next head
		// or base policy asks again. The error is logged, not shown: it may
		// quote GitHub's answers.
		a.Logger.Warn("what-if failed", "pr", r.String(), "err", err)
		md = whatIfFailed
	}
	// The full report first: once the section appears, the page has it.
	if err := a.storeWhatIfReport(ctx, r, full); err != nil {
		return err
	}
	data, err := json.Marshal(md)
	if err != nil {
		return err
	}
	if err := a.Store.PutAnswer(ctx, t.Key, data, a.Now()); err != nil {
		return err
	}
	return a.requestEvaluation(ctx, r)
}

// whatIfReport is a replay's full report and the head it replayed, kept
// for the pull request's page.
type whatIfReport struct {
	head   string
	report simulate.Report
}

// storeWhatIfReport keeps the full report under the pull request and head
// (nil: nothing was replayed). One too large to keep is left out: the page
// then shows none, and the check run still has its section.
func (a *App) storeWhatIfReport(ctx context.Context, r repoRef, full *whatIfReport) error {
	if full == nil {
		return nil
	}
	data, err := simulate.EncodeStored(full.head, full.report)
	if errors.Is(err, simulate.ErrTooLarge) {
		a.Logger.Warn("what-if report too large for the page", "pr", r.String())
		return nil
	}
	if err != nil {
		return err
	}
	return a.Store.PutAnswer(ctx, simulate.StoredKey(r.RepoID, r.Number, full.head), data, a.Now())
}

// whatIf replays the last closed pull requests under the policy in force on
// the pull request's base and the one its head proposes: the check run's
// section, and the full report when there was something to replay.
func (a *App) whatIf(ctx context.Context, r repoRef) (string, *whatIfReport, error) {
	gh, err := a.repo(r)
	if err != nil {
		return "", nil, err
	}
	pr, err := gh.PullRequest(ctx, r.Number)
	if err != nil {
		return "", nil, err
	}
	base, err := gh.GitHubDir(ctx, pr.GetBase().GetRef())
	if err != nil {
		return "", nil, err
	}
	current, err := a.loadPolicy(ctx, gh, pr.GetBase().GetRef(), base)
	if err != nil {
		return "", nil, fmt.Errorf("the policy in force: %w", err)
	}
	if current.err != nil {
		return whatIfNoCurrent, nil, nil
	}
	proposed, err := a.proposedPolicy(ctx, gh, pr)
	if err != nil {
		return "", nil, err
	}
	g := &simulate.Gatherer{Repo: gh, Cache: storeAnswers{a}, Now: a.Now, MaxCalls: WhatIfMaxCalls}
	h, err := g.History(ctx, WhatIfLast, current.policy, proposed)
	if err != nil {
		return "", nil, err
	}
	a.Logger.Info("what-if replayed", "pr", r.String(), "pull_requests", len(h.PRs), "unread", h.Unread, "requests", g.Calls())
	rep, err := simulate.ReplayContext(ctx, h, current.policy, proposed, current.source, policy.FileName)
	if err != nil {
		return "", nil, err
	}
	return simulate.Markdown(rep), &whatIfReport{head: pr.GetHead().GetSHA(), report: rep}, nil
}

// proposedPolicy is the policy file at the pull request's head, resolved
// like the one in force would be once merged.
func (a *App) proposedPolicy(ctx context.Context, gh *githubapi.Repo, pr *github.PullRequest) (*policy.Policy, error) {
	owner, repo := gh.Owner, gh.Name
	if head := pr.GetHead().GetRepo(); head != nil && head.GetOwner().GetLogin() != "" {
		owner, repo = head.GetOwner().GetLogin(), head.GetName()
	}
	text, sha, found, err := gh.File(ctx, owner, repo, policy.FileName, pr.GetHead().GetSHA())
	if err != nil || !found {
		return nil, err
	}
	p := a.parseCached(a.policies.proposed, policy.FileName, sha, text)
	if p.err != nil {
		return nil, p.err
	}
	if p.file.Policy.Extends != "org" {
		return p.file.Policy, nil
	}
	org, _, err := a.loadOrgPolicy(ctx, gh.Installation, gh.Owner)
	if err != nil || org.err != nil {
		return nil, cmpErr(err, org.err)
	}
	var orgPolicy *policy.Policy
	if org.file != nil {
		orgPolicy = org.file.Policy
	}
	return policy.Resolve(p.file, orgPolicy), nil
}

func cmpErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// storeAnswers lends the store's simulate_answers to the replay's gatherer.
type storeAnswers struct{ a *App }

func (s storeAnswers) Get(ctx context.Context, key string) ([]byte, bool) {
	v, found, err := s.a.Store.Answer(ctx, key)
	return v, found && err == nil
}

func (s storeAnswers) Put(ctx context.Context, key string, value []byte) error {
	return s.a.Store.PutAnswer(ctx, key, value, s.a.Now())
}
