package handlers

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/reviewpolicy/reviewpolicy/githubapi"
	"github.com/reviewpolicy/reviewpolicy/policy"
	"github.com/reviewpolicy/reviewpolicy/policy/decide"
	"github.com/reviewpolicy/reviewpolicy/policy/reviewers"
	"github.com/reviewpolicy/reviewpolicy/policy/sla"
	"github.com/reviewpolicy/reviewpolicy/store"
)

// reassignArgs is the durable timer of one review request the app made:
// when it fires and the reviewer has not responded, the app asks the next
// candidate and withdraws its request.
type reassignArgs struct {
	Installation int64  `json:"installation"`
	RepoID       int64  `json:"repo_id"`
	Owner        string `json:"owner"`
	Repo         string `json:"repo"`
	Number       int    `json:"number"`
	Login        string `json:"login"`
}

func (reassignArgs) Kind() string { return "reassign_timer" }

// InstallationID places the job in the store's fair queue.
func (a reassignArgs) InstallationID() int64 { return a.Installation }

// reassignDue is when a request made at `at` has waited reassign_after of
// working time (the SLA's working hours and holidays; clock time without).
func reassignDue(p *policy.Policy, at time.Time) time.Time {
	var wh *policy.WorkingHours
	var hol []policy.Date
	if p.SLA != nil {
		wh, hol = p.SLA.WorkingHours, p.SLA.Holidays
	}
	return sla.Deadline(at, p.Reviewers.ReassignAfter, wh, hol)
}

// trackRequests remembers the requests the app just made; startTimers
// schedules their timers.
func (a *App) trackRequests(ctx context.Context, r repoRef, logins []string, now time.Time) error {
	for _, login := range logins {
		if err := a.Store.AddAppRequest(ctx, r.RepoID, r.Number, login, now); err != nil {
			return err
		}
	}
	return nil
}

// startTimers schedules the reassign timer of each open request of the
// app that has none: the ones just made, and those made before the policy
// set reassign_after, which count from when they were made. The job is
// unique by its arguments, so evaluations at once schedule it once.
func (a *App) startTimers(ctx context.Context, r repoRef, p *policy.Policy) error {
	if p == nil || p.Reviewers == nil || p.Reviewers.ReassignAfter <= 0 {
		return nil
	}
	reqs, err := a.Store.UntimedAppRequests(ctx, r.RepoID, r.Number)
	if err != nil {
		return err
	}
	for _, q := range reqs {
		args := reassignArgs{Installation: r.Installation, RepoID: r.RepoID, Owner: r.Owner, Repo: r.Repo,
			Number: r.Number, Login: q.Login}
		opts := &river.InsertOpts{ScheduledAt: reassignDue(p, q.RequestedAt), UniqueOpts: river.UniqueOpts{ByArgs: true}}
		if err := a.Store.Enqueue(ctx, args, opts); err != nil {
			return fmt.Errorf("scheduling reassignment of %s on %s: %w", q.Login, r, err)
		}
		if err := a.Store.MarkTimed(ctx, r.RepoID, r.Number, q.Login); err != nil {
			return err
		}
	}
	return nil
}

type reassignWorker struct {
	river.WorkerDefaults[reassignArgs]
	app *App
}

// Work re-reads everything before acting: the request must still be the
// app's, open and unanswered, on an open, ready pull request, under a
// policy that still reassigns, and due by that policy (else it waits).
func (w *reassignWorker) Work(ctx context.Context, job *river.Job[reassignArgs]) (err error) {
	a, t := w.app, job.Args
	begun := time.Now()
	defer func() { a.Metrics.observeJob("reassign", begun, err) }()
	r := repoRef{Installation: t.Installation, RepoID: t.RepoID, Owner: t.Owner, Repo: t.Repo, Number: t.Number}
	ctx = withJob(withInstallation(ctx, t.Installation), job.JobRow)
	req, found, err := a.Store.AppRequestOf(ctx, r.RepoID, r.Number, t.Login)
	if err != nil || !found || !req.Open {
		return err
	}
	gh, err := a.repo(r)
	if err != nil {
		return err
	}
	g, err := a.gather(ctx, gh, r)
	if err != nil {
		return retryable(err, a.Now())
	}
	p := g.facts.Policy
	if g.facts.Closed || g.facts.PR.Draft || p == nil || p.Reviewers == nil || p.Reviewers.ReassignAfter <= 0 ||
		!waiting(g.facts, t.Login) {
		return nil
	}
	if due := reassignDue(p, req.RequestedAt); a.Now().Add(timerSlack).Before(due) {
		return river.JobSnooze(due.Sub(a.Now()))
	}
	after := sla.FormatDuration(p.Reviewers.ReassignAfter)
	note := fmt.Sprintf("%s did not respond within %s of working time; the app withdrew its request and asked the next candidate",
		t.Login, after)
	return a.withdraw(ctx, gh, r, g, t.Login, note, "withdrawn after "+after+" without a response")
}

// waiting: login is still requested and has not reviewed.
func waiting(f decide.Facts, login string) bool {
	if !slices.ContainsFunc(f.Requested, func(u string) bool { return strings.EqualFold(u, login) }) {
		return false
	}
	return !slices.ContainsFunc(f.Reviews, func(rv policy.Review) bool { return strings.EqualFold(rv.Author, login) })
}

// withdraw takes back the app's request of login and lets the next
// evaluation ask the next candidate of the rules login was on. Each step is
// idempotent, so a retry or a second worker redoes them harmlessly, and a
// request already gone is not withdrawn again; login is marked withdrawn
// (why says how, for the check), so no evaluation asks them again on this
// pull request.
func (a *App) withdraw(ctx context.Context, gh *githubapi.Repo, r repoRef, g *gathered, login, note, why string) error {
	d := decide.Decide(notWithdrawn(g.facts, login), a.Now())
	var rules []string
	if d.Reviewers != nil {
		for _, rr := range d.Reviewers.Rules {
			if slices.ContainsFunc(rr.Assigned, func(as reviewers.Assignment) bool { return strings.EqualFold(as.Login, login) }) {
				rules = append(rules, rr.Name)
			}
		}
	}
	if err := a.Store.MarkWithdrawn(ctx, r.RepoID, r.Number, login, why); err != nil {
		return err
	}
	if err := a.Store.RemoveDoneRules(ctx, r.RepoID, r.Number, rules); err != nil {
		return err
	}
	if slices.ContainsFunc(g.facts.Requested, func(u string) bool { return strings.EqualFold(u, login) }) {
		if err := gh.RemoveReviewers(ctx, r.Number, []string{login}); err != nil {
			return retryable(err, a.Now())
		}
	}
	if err := a.Store.RemoveReviewRequest(ctx, r.Installation, r.RepoID, r.Number, login); err != nil {
		return err
	}
	if err := a.Store.WithdrawAppRequest(ctx, r.RepoID, r.Number, login, note); err != nil {
		return err
	}
	a.Logger.Info("review request withdrawn", "pr", r.String(), "login", login)
	return a.requestEvaluation(ctx, r)
}

// notWithdrawn are facts in which login's withdrawal has not begun, so a
// retry finds the same rules login covered as the first attempt did.
func notWithdrawn(f decide.Facts, login string) decide.Facts {
	key := strings.ToLower(login)
	if f.Withdrawn[key] == "" {
		return f
	}
	w := maps.Clone(f.Withdrawn)
	delete(w, key)
	f.Withdrawn = w
	return f
}

// readReassignments gives the facts the app's withdrawn requests (reqs), to
// say so.
func readReassignments(reqs []store.AppRequest, f *decide.Facts) {
	for _, q := range reqs {
		if !q.Open && q.Note != "" {
			f.Reassigned = append(f.Reassigned, q.Note)
		}
	}
}
