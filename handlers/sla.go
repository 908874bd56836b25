package handlers

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/riverqueue/river"

	"github.com/reviewpolicy/reviewpolicy/policy"
	"github.com/reviewpolicy/reviewpolicy/policy/sla"
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

func (w *slaWorker) Work(ctx context.Context, job *river.Job[slaTimerArgs]) (err error) {
	start := time.Now()
	defer func() { w.app.Metrics.observeJob("sla_"+job.Args.Event, start, err) }()
	t := job.Args
	r := repoRef{Installation: t.Installation, RepoID: t.RepoID, Owner: t.Owner, Repo: t.Repo, Number: t.Number}
	ctx = withJob(withInstallation(ctx, t.Installation), job.JobRow)
	rec, found, err := w.app.Store.SLA(ctx, t.RepoID, t.Number)
	if err != nil || !found || rec.Generation != t.Generation || !rec.Waiting {
		return err // reviewed, paused, closed or moved: a stale timer
	}
	// Exactly once across replicas and retries: the first claim wins. The
	// claim comes before the writes, so a crash after it loses one
	// notification rather than sending two; the next evaluation still
	// renders the reminder or breach in the comment and check.
	won, err := w.app.Store.ClaimSLAEvent(ctx, t.RepoID, t.Number, t.Generation, t.Event)
	if err != nil || !won {
		return err
	}
	log := w.app.Logger.With("pr", r.String(), "sla", t.Event)
	if t.Event == "breach" {
		w.app.Metrics.SLABreaches.WithLabelValues(t.Owner + "/" + t.Repo).Inc()
		if err := w.app.escalate(ctx, r); err != nil {
			log.Warn("escalation failed", "err", err)
			return retryable(err, w.app.Now())
		}
	}
	if err := w.app.evaluate(ctx, evaluation{ref: r}, log); err != nil {
		return retryable(err, w.app.Now())
	}
	return nil
}

// escalate requests a review from the policy's escalate_to people and teams.
func (a *App) escalate(ctx context.Context, r repoRef) error {
	c, err := a.Clients.NewInstallationClient(r.Installation)
	if err != nil {
		return err
	}
	pr, _, err := c.PullRequests.Get(ctx, r.Owner, r.Repo, r.Number)
	if err != nil {
		return fmt.Errorf("reading %s: %w", r, err)
	}
	base, err := a.listGitHubDir(ctx, c, r, pr.GetBase().GetRef())
	if err != nil {
		return err
	}
	pol, err := a.loadPolicy(ctx, c, r, pr.GetBase().GetRef(), base)
	if err != nil || pol.policy == nil || pol.policy.SLA == nil {
		return err
	}
	var req github.ReviewersRequest
	for _, ref := range pol.policy.SLA.EscalateTo {
		if _, slug, ok := splitTeam(ref); ok {
			req.TeamReviewers = append(req.TeamReviewers, slug)
		} else if login := strings.TrimPrefix(ref, "@"); !strings.EqualFold(login, pr.GetUser().GetLogin()) {
			req.Reviewers = append(req.Reviewers, login)
		}
	}
	if len(req.Reviewers)+len(req.TeamReviewers) == 0 {
		return nil
	}
	if _, _, err := c.PullRequests.RequestReviewers(ctx, r.Owner, r.Repo, r.Number, req); err != nil {
		return fmt.Errorf("escalating %s: %w", r, err)
	}
	return nil
}

// slaMessage is the SLA's line in the sticky comment, derived from the
// clock, so every later evaluation renders the same words.
func slaMessage(p *policy.Policy, pr *github.PullRequest, st sla.Status, c sla.Clock, now time.Time) (string, []string) {
	if st.State != sla.Running {
		return "", nil
	}
	var mentions []string
	for _, u := range pr.RequestedReviewers {
		mentions = append(mentions, "@"+u.GetLogin())
	}
	for _, t := range pr.RequestedTeams {
		mentions = append(mentions, "@"+pr.GetBase().GetRepo().GetOwner().GetLogin()+"/"+t.GetSlug())
	}
	if st.Breached {
		for _, ref := range p.SLA.EscalateTo {
			mentions = append(mentions, "@"+strings.TrimPrefix(ref, "@"))
		}
		return fmt.Sprintf("🚨 **First review overdue**: %s.", st.Summary), dedupe(mentions)
	}
	remindAt, _ := sla.Timers(p.SLA, c)
	if !remindAt.IsZero() && !now.Before(remindAt) {
		return fmt.Sprintf("⏰ **Review reminder**: %s.", st.Summary), dedupe(mentions)
	}
	return "", nil
}

func dedupe(xs []string) []string {
	seen := map[string]bool{}
	out := xs[:0]
	for _, x := range xs {
		if k := strings.ToLower(x); !seen[k] {
			seen[k] = true
			out = append(out, x)
		}
	}
	return out
}
