package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/riverqueue/river"

	"github.com/reviewpolicy/reviewpolicy/githubapi"
	"github.com/reviewpolicy/reviewpolicy/policy"
	"github.com/reviewpolicy/reviewpolicy/policy/sla"
	"github.com/reviewpolicy/reviewpolicy/store"
)

// slaTimerArgs is a durable timer: a reminder or a breach of one clock
// generation. A timer whose generation is no longer the clock's is stale and
// does nothing, so moving a deadline never needs to find old timers.
type slaTimerArgs struct {
	Installation int64  `json:"installation"`
	RepoID       int64  `json:"repo_id"`
	Owner        string `json:"owner"`
	Repo         string `json:"repo"`
	Number       int    `json:"number"`
	Generation   int    `json:"generation"`
	Event        string `json:"event"` // "remind" or "breach"
}

func (slaTimerArgs) Kind() string { return "sla_timer" }

// InstallationID places the job in the store's fair queue.
func (a slaTimerArgs) InstallationID() int64 { return a.Installation }

func (a *App) scheduleTimers(ctx context.Context, r repoRef, p *policy.SLAPolicy, c sla.Clock) error {
	remindAt, breachAt := sla.Timers(p, c)
	for event, at := range map[string]time.Time{"remind": remindAt, "breach": breachAt} {
		if at.IsZero() {
			continue
		}
		args := slaTimerArgs{Installation: r.Installation, RepoID: r.RepoID, Owner: r.Owner, Repo: r.Repo,
			Number: r.Number, Generation: c.Generation, Event: event}
		// Unique by args: two replicas (or a redelivery) schedule one timer.
		opts := &river.InsertOpts{ScheduledAt: at, UniqueOpts: river.UniqueOpts{ByArgs: true}}
		if err := a.Store.Enqueue(ctx, args, opts); err != nil {
			return fmt.Errorf("scheduling SLA %s for %s: %w", event, r, err)
		}
	}
	return nil
}

type slaWorker struct {
	river.WorkerDefaults[slaTimerArgs]
	app *App
}

// escalationLease is how long a job may work on an escalation before
// another job may take it over: longer than workers.job_timeout (2 min by
// default), so only a job whose process died loses it.
const escalationLease = 10 * time.Minute

// timerSlack absorbs the rounding of a timer's time in the job queue: a
// timer that fires this close to its deadline is due.
const timerSlack = time.Second

// errEscalationBusy: another job holds the escalation's lease.
var errEscalationBusy = errors.New("another job is escalating")

// Work runs a reminder or breach timer. It re-reads the clock and the
// policy in force before doing anything: a stale timer (the clock moved
// on), no policy, a policy without an SLA area or with
// `enforcement: {sla: off}` mean nothing happens, not even a counted
// breach; on a closed or draft pull request it only evaluates, which
// catches the clock up. A deadline that the policy in force puts later
// snoozes the timer until then.
func (w *slaWorker) Work(ctx context.Context, job *river.Job[slaTimerArgs]) (err error) {
	start := time.Now()
	defer func() { w.app.Metrics.observeJob("sla_"+job.Args.Event, start, err) }()
	t := job.Args
	r := repoRef{Installation: t.Installation, RepoID: t.RepoID, Owner: t.Owner, Repo: t.Repo, Number: t.Number}
	ctx = withJob(withInstallation(ctx, t.Installation), job.JobRow)
	log := w.app.Logger.With("pr", r.String(), "sla", t.Event, "generation", t.Generation)
	clock, live, err := w.app.liveClock(ctx, t)
	if err != nil || !live {
		return err
	}
	f, err := w.app.slaFacts(ctx, r)
	if err != nil {
		return retryable(err, w.app.Now())
	}
	if f.policy == nil || f.policy.SLA == nil || f.policy.Enforcement.SLA == policy.ModeOff {
		log.Info("SLA timer ignored: no SLA in force")
		return nil
	}
	if f.pr.GetState() == "closed" || f.pr.GetDraft() {
		// The clock missed an event: nothing is due, and the evaluation
		// ends or pauses the clock.
		return w.app.evaluateTimer(ctx, r, log)
	}
	remindAt, breachAt := sla.Timers(f.policy.SLA, clock)
	due := breachAt
	if t.Event == "remind" {
		due = remindAt
	}
	now := w.app.Now()
	switch {
	case due.IsZero():
		return nil // e.g. remind_before was removed
	case now.Add(timerSlack).Before(due):
		return river.JobSnooze(due.Sub(now))
	}
	if t.Event == "breach" {
		if err := w.app.breach(ctx, f, t); err != nil {
			if errors.Is(err, errEscalationBusy) {
				// Come back when the holder's lease ends: by then it has
				// finished, or died and this job takes over.
				return river.JobSnooze(escalationLease)
			}
			log.Warn("escalation failed", "err", err)
			return retryable(err, w.app.Now())
		}
	} else if err := w.app.recordEvent(ctx, w.app.Store.Writes, r, store.EventReminded, "", fmt.Sprint(t.Generation), now); err != nil {
		return retryable(err, now)
	}
	if err := w.app.mentionTimer(ctx, f, t, clock); err != nil {
		if errors.Is(err, errEscalationBusy) {
			return river.JobSnooze(escalationLease)
		}
		return retryable(err, w.app.Now())
	}
	if err := w.app.notifyTimer(ctx, f, t, clock); err != nil {
		return retryable(err, w.app.Now())
	}
	return w.app.evaluateTimer(ctx, r, log)
}

// evaluateTimer renders the reminder or breach (or the clock's new state)
// in the check run and sticky comment.
func (a *App) evaluateTimer(ctx context.Context, r repoRef, log *slog.Logger) error {
	if err := a.evaluate(ctx, evaluation{ref: r}, log); err != nil {
		return retryable(err, a.Now())
	}
	return nil
}

// liveClock reads the clock a timer belongs to; live is false when the
// timer is stale: the clock was reviewed, paused, closed or restarted.
func (a *App) liveClock(ctx context.Context, t slaTimerArgs) (sla.Clock, bool, error) {
	rec, found, err := a.Store.SLA(ctx, t.RepoID, t.Number)
	if err != nil || !found || rec.Generation != t.Generation || !rec.Waiting {
		return sla.Clock{}, false, err
	}
	var clock sla.Clock
	if err := json.Unmarshal(rec.State, &clock); err != nil {
		return sla.Clock{}, false, river.JobCancel(fmt.Errorf("reading SLA clock of %d#%d: %w", t.RepoID, t.Number, err))
	}
	return clock, true, nil
}

// slaFacts is what a timer needs to know about its pull request now.
type slaFacts struct {
	ref    repoRef
	gh     *githubapi.Repo
	pr     *github.PullRequest
	policy *policy.Policy // the policy in force; nil: none, or invalid
}

func (a *App) slaFacts(ctx context.Context, r repoRef) (slaFacts, error) {
	gh, err := a.repo(r)
	if err != nil {
		return slaFacts{}, err
	}
	pr, err := gh.PullRequest(ctx, r.Number)
	if err != nil {
		return slaFacts{}, err
	}
	base, err := gh.GitHubDir(ctx, pr.GetBase().GetRef())
	if err != nil {
		return slaFacts{}, err
	}
	pol, err := a.loadPolicy(ctx, gh, pr.GetBase().GetRef(), base)
	if err != nil {
		return slaFacts{}, err
	}
	return slaFacts{ref: r, gh: gh, pr: pr, policy: pol.policy}, nil
}

// breach counts the breach and escalates. The count is claimed first, so
// retries and duplicate timers of one clock generation count it once (a
// crash between the claim and the increment loses a count, never adds
// one); the escalation is retried until its requests exist.
func (a *App) breach(ctx context.Context, f slaFacts, t slaTimerArgs) error {
	won, err := a.Store.ClaimSLAEvent(ctx, t.RepoID, t.Number, t.Generation, t.Event)
	if err != nil {
		return err
	}
	if won {
		a.Metrics.SLABreaches.WithLabelValues(t.Owner + "/" + t.Repo).Inc()
	}
	if err := a.recordBreach(ctx, t); err != nil {
		return err
	}
	return a.escalate(ctx, f, t)
}

// escalate requests a review from the policy's escalate_to people and
// teams, and records the escalation as done only once they are requested.
//
// Exactly once, without a claim that outlives a failure: a job first takes
// a lease on the escalation (store.AcquireSLAEffect), keyed by the pull
// request and the clock generation; a duplicate job, or a second attempt
// running beside the first, waits for the lease to end. The holder then
// reads who is requested on GitHub and asks only for the
// missing leads, so a retry after a request that GitHub carried out but
// whose answer was lost sends nothing twice. A failed request releases the
// lease and the job is retried; success marks the escalation done.
func (a *App) escalate(ctx context.Context, f slaFacts, t slaTimerArgs) error {
	want := escalation(f.policy.SLA.EscalateTo, f.pr.GetUser().GetLogin())
	if len(want.Reviewers)+len(want.TeamReviewers) == 0 {
		return nil
	}
	k := store.SLAEffectKey{RepoID: t.RepoID, Number: t.Number, Generation: t.Generation, Event: "escalate"}
	owner := effectOwner(ctx)
	if proceed, err := a.acquireEffect(ctx, k, owner); !proceed {
		return err
	}
	if err := a.requestMissing(ctx, f, want); err != nil {
		return errors.Join(err, a.Store.ReleaseSLAEffect(context.WithoutCancel(ctx), k, owner))
	}
	_, err := a.Store.FinishSLAEffect(ctx, k, owner)
	return err
}

// escalation is the review request escalate_to stands for; the author
// cannot be asked to review their own pull request.
func escalation(refs []string, author string) github.ReviewersRequest {
	var req github.ReviewersRequest
	for _, ref := range refs {
		if _, slug, ok := splitTeam(ref); ok {
			req.TeamReviewers = append(req.TeamReviewers, slug)
		} else if login := strings.TrimPrefix(ref, "@"); !strings.EqualFold(login, author) {
			req.Reviewers = append(req.Reviewers, login)
		}
	}
	return req
}

// requestMissing asks for the people and teams of want that GitHub does
// not list as requested yet; nothing when all are.
func (a *App) requestMissing(ctx context.Context, f slaFacts, want github.ReviewersRequest) error {
	r := f.ref
	live, err := f.gh.RequestedReviewers(ctx, r.Number)
	if err != nil {
		return err
	}
	var req github.ReviewersRequest
	for _, login := range want.Reviewers {
		if !slices.ContainsFunc(live.Users, func(u *github.User) bool { return strings.EqualFold(u.GetLogin(), login) }) {
			req.Reviewers = append(req.Reviewers, login)
		}
	}
	for _, slug := range want.TeamReviewers {
		if !slices.ContainsFunc(live.Teams, func(t *github.Team) bool { return strings.EqualFold(t.GetSlug(), slug) }) {
			req.TeamReviewers = append(req.TeamReviewers, slug)
		}
	}
	if len(req.Reviewers)+len(req.TeamReviewers) == 0 {
		return nil
	}
	// As in requestReviewers (act.go): the kept pull request no longer
	// shows who is asked, so the next evaluation reads GitHub.
	if err := a.Store.DistrustSnapshot(ctx, store.PR{RepoID: r.RepoID, Number: r.Number}); err != nil {
		return err
	}
	if err := f.gh.RequestReviewers(ctx, r.Number, req); err != nil {
		return fmt.Errorf("escalating %s: %w", r, err)
	}
	return nil
}

// acquireEffect takes the lease on an SLA effect for this job attempt.
// proceed is false when the effect is done already (err nil) or another
// attempt holds it (errEscalationBusy, so the job retries). One owner per
// attempt: River may rescue a job that looks stuck and run it again while
// the first attempt still runs, and the two must not both act. A failed
// attempt releases its lease, so the next one starts at once; a crashed
// one holds it until escalationLease ends.
func (a *App) acquireEffect(ctx context.Context, k store.SLAEffectKey, owner string) (proceed bool, err error) {
	switch got, err := a.Store.AcquireSLAEffect(ctx, k, owner, a.Now(), escalationLease); {
	case err != nil:
		return false, err
	case got == store.EffectDone:
		return false, nil
	case got == store.EffectBusy:
		return false, errEscalationBusy
	}
	return true, nil
}

// effectOwner names this job attempt as an effect's lease holder.
func effectOwner(ctx context.Context) string {
	j := jobFrom(ctx)
	return fmt.Sprintf("job:%d/%d", j.ID, j.Attempt)
}
