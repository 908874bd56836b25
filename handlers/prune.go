package handlers

import (
	"context"
	"errors"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/riverqueue/river"

	"github.com/reviewpolicy/reviewpolicy/store"
)

// DeliveryRetention is how long a delivery is kept: long enough that a
// redelivery from GitHub's "recent deliveries" (kept 3 days) is still
// recognised as a duplicate, short enough that payloads do not pile up.
const DeliveryRetention = 14 * 24 * time.Hour

// pruneArgs carries the retention of closed pull requests
// (retention.closed_pull_requests; 0 keeps them), so whichever replica runs
// the job applies the setting of the leader that scheduled it.
type pruneArgs struct {
	ClosedPullRequests time.Duration `json:"closed_pull_requests,omitempty"`
	// History is retention.history: the web pages' events and the
	// summaries of pull requests closed longer ago are deleted (0 keeps them).
	History time.Duration `json:"history,omitempty"`
}

func (pruneArgs) Kind() string { return "prune" }

// PruneJob deletes old deliveries, and what is kept for pull requests
// closed longer than closedRetention, and history older than
// historyRetention, once a day.
func PruneJob(closedRetention, historyRetention time.Duration) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(24*time.Hour),
		func() (river.JobArgs, *river.InsertOpts) {
			return pruneArgs{ClosedPullRequests: closedRetention, History: historyRetention},
				&river.InsertOpts{UniqueOpts: whileQueued}
		}, &river.PeriodicJobOpts{RunOnStart: true, ID: "prune"})
}

type pruneWorker struct {
	river.WorkerDefaults[pruneArgs]
	app *App
}

func (w *pruneWorker) Work(ctx context.Context, job *river.Job[pruneArgs]) error {
	now := w.app.Now()
	n, err := w.app.Store.PruneDeliveries(ctx, now.Add(-DeliveryRetention))
	if err == nil && n > 0 {
		w.app.Logger.Info("pruned deliveries", "count", n)
	}
	if keep := job.Args.ClosedPullRequests; keep > 0 {
		prs, closedErr := w.app.Store.PruneClosed(ctx, now.Add(-keep))
		if prs > 0 {
			w.app.Logger.Info("pruned closed pull requests", "count", prs, "closed_before", now.Add(-keep))
		}
		objects, objErr := w.app.Store.PruneCommitObjects(ctx, now.Add(-keep))
		if objects > 0 {
			w.app.Logger.Info("pruned commit check runs no open pull request is on", "count", objects)
		}
		err = errors.Join(err, closedErr, objErr)
	}
	if keep := job.Args.History; keep > 0 {
		rows, histErr := w.app.Store.PruneHistory(ctx, now.Add(-keep))
		if rows > 0 {
			w.app.Logger.Info("pruned history", "rows", rows, "before", now.Add(-keep))
		}
		err = errors.Join(err, histErr)
	}
	if _, ansErr := w.app.Store.PruneAnswers(ctx, now.Add(-answerRetention)); ansErr != nil {
		err = errors.Join(err, ansErr)
	}
	return err
}

// trackClosed records, for the prune job, that a pull request closed (as of
// its closed_at) or reopened. Every event showing it closed records it
// again, an idempotent write: rows written for a closed pull request after
// it was pruned (its SLA clock, say) are then pruned in turn. Every event
// showing it open clears a closing recorded before it.
func (a *App) trackClosed(ctx context.Context, w store.Writes, r repoRef, action string, pr *github.PullRequest) error {
	switch {
	case pr.GetState() == "closed":
		return w.MarkClosed(ctx, r.RepoID, r.Number, timeOr(pr.ClosedAt, a.Now()))
	case action == "reopened":
		return w.MarkOpen(ctx, r.RepoID, r.Number, timeOr(pr.UpdatedAt, a.Now()))
	case pr.GetState() == "open":
		// Heals a lost reopened delivery before the prune finds it closed.
		return w.SeenOpen(ctx, r.RepoID, r.Number, timeOr(pr.UpdatedAt, a.Now()))
	}
	return nil
}

// timeOr is t's time, or def if the payload left it out.
func timeOr(t *github.Timestamp, def time.Time) time.Time {
	if t == nil || t.IsZero() {
		return def
	}
	return t.Time
}
