// Package handlers turns GitHub events into jobs and jobs into GitHub
// writes. The webhook endpoint only stores a delivery; River workers decode
// it (on SQLite most pull-request deliveries are decoded and recorded in the
// move that queues them instead: inmove.go), gather facts through the
// GitHub adapter (package githubapi), call the pure policy packages and
// write the check run, reviewer requests and sticky comment through it.
package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/palantir/go-githubapp/githubapp"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/reviewpolicy/reviewpolicy/bytecache"
	"github.com/reviewpolicy/reviewpolicy/githubapi"
	"github.com/reviewpolicy/reviewpolicy/store"
)

// App holds what the workers share. Build it with New, register its workers
// with Register before opening the store, then set Store.
type App struct {
	Store *store.Store
	AppID int64
	// GraphQLURL is GitHub's v4 endpoint, for people's "busy" status; ""
	// skips that check.
	GraphQLURL string
	Metrics    *Metrics
	Logger     *slog.Logger
	Now        func() time.Time
	// Gate, if set, bounds how many delivery jobs run at once while
	// webhooks are slow to be acknowledged (JobGate).
	Gate *JobGate
	// LeaseTTL bounds how long one evaluation holds its pull request; it
	// must outlast workers.job_timeout (default 5 min).
	LeaseTTL time.Duration
	// PublicURL is server.public_url: when set, a check run's details_url
	// is the pull request's page there (package web).
	PublicURL string
	// BackfillPulls is how many merged pull requests the expertise backfill
	// reads per repository (config expertise.backfill_pulls).
	BackfillPulls int

	// GitHub is every read of GitHub and the check-run and comment writes.
	GitHub *githubapi.API
	// Notify, if set, writes chat notifications to the outbox (notify.go).
	Notify *Notifications

	policies *policyCaches    // path@blob SHA -> parsed (policyload.go, policycache.go)
	facts    *bytecache.Cache // reads cached under the store's fact versions (facts.go)
}

// New returns an App; st may be set later (workers are registered before the
// store that runs them is opened).
func New(clients githubapp.ClientCreator, appID int64, m *Metrics, logger *slog.Logger, now func() time.Time) *App {
	if now == nil {
		now = time.Now
	}
	a := &App{AppID: appID, Metrics: m, Logger: logger, Now: now, policies: newPolicyCaches(), facts: bytecache.New(factsCacheBytes, cacheEntryOverhead, 0)}
	// The adapter reads a.Now at each call, so a test may move the clock.
	a.GitHub = githubapi.New(clients, appID, storeObjects{a}, func() time.Time { return a.Now() })
	return a
}

// Register adds every worker of the app.
func (a *App) Register(w *river.Workers) {
	river.AddWorker(w, &deliveryWorker{app: a})
	river.AddWorker(w, &slaWorker{app: a})
	river.AddWorker(w, &reconcileWorker{app: a})
	river.AddWorker(w, &evaluateWorker{app: a})
	river.AddWorker(w, &pruneWorker{app: a})
	river.AddWorker(w, &orgPolicyWorker{app: a})
	river.AddWorker(w, &mergeGroupWorker{app: a})
	river.AddWorker(w, &whatIfWorker{app: a})
	river.AddWorker(w, &backfillWorker{app: a})
	river.AddWorker(w, &reassignWorker{app: a})
}

type deliveryWorker struct {
	river.WorkerDefaults[store.DeliveryArgs]
	app *App
}

func (w *deliveryWorker) Work(ctx context.Context, job *river.Job[store.DeliveryArgs]) (err error) {
	start := time.Now() // after the job gate (JobGate.Middleware)
	defer func() { w.app.Metrics.observeJob("delivery:"+eventLabel(job.Args.Event), start, err) }()
	d, err := w.app.Store.Delivery(ctx, job.Args.DeliveryID)
	if errors.Is(err, store.ErrNotFound) {
		return river.JobCancel(fmt.Errorf("delivery %s was pruned before it ran", job.Args.DeliveryID))
	}
	if err != nil {
		return fmt.Errorf("loading delivery %s: %w", job.Args.DeliveryID, err)
	}
	log := w.app.Logger.With("delivery", d.ID, "event", d.Event, "action", d.Action, "attempt", job.Attempt)
	err = w.app.dispatch(withJob(withInstallation(ctx, d.InstallationID), job.JobRow), d, log)
	if err != nil {
		log.Warn("delivery failed", "err", err)
		return retryable(err, w.app.Now())
	}
	log.Debug("delivery handled", "took", time.Since(start))
	return nil
}

// dispatch maps an event to the work it triggers; events that cannot
// change a result are skipped here, before any API call.
func (a *App) dispatch(ctx context.Context, d store.Delivery, log *slog.Logger) error {
	switch d.Event {
	case "ping":
		log.Info("ping received")
		return nil
	case "installation", "installation_repositories":
		return a.onInstallation(ctx, d, log)
	case "pull_request":
		return a.onPullRequest(ctx, d, log)
	case "pull_request_review":
		return a.onReview(ctx, d, log)
	case "issue_comment":
		return a.onIssueComment(ctx, d, log)
	case "check_run", "check_suite":
		return a.onCheckRequest(ctx, d, log)
	case "push":
		return a.onPush(ctx, d, log)
	case "merge_group":
		return a.onMergeGroup(ctx, d, log)
	case "membership", "team", "organization":
		return a.onTeamChange(ctx, d, log)
	}
	log.Debug("event ignored")
	return nil
}

func withInstallation(ctx context.Context, id int64) context.Context {
	return context.WithValue(ctx, installationKey{}, id)
}

type jobKey struct{}

// jobInfo identifies the job an evaluation runs in: its claims on rules
// carry the ID, and a retry (attempt > 1) re-reads what an earlier attempt
// may already have done on GitHub.
type jobInfo struct {
	ID      int64
	Attempt int
}

func withJob(ctx context.Context, row *rivertype.JobRow) context.Context {
	return context.WithValue(ctx, jobKey{}, jobInfo{ID: row.ID, Attempt: row.Attempt})
}

func jobFrom(ctx context.Context) jobInfo {
	j, _ := ctx.Value(jobKey{}).(jobInfo)
	return j
}

func decode(d store.Delivery, v any) error {
	if err := json.Unmarshal(d.Payload, v); err != nil {
		return undecodable(d, err)
	}
	return nil
}

// decodeFields is decode for the handlers' own payload types (prEvent,
// reviewEvent), which name the few fields they read: decodeSparse skips
// the rest rather than decoding it.
func decodeFields(d store.Delivery, v any) error {
	if err := decodeSparse(d.Payload, v); err != nil {
		return undecodable(d, err)
	}
	return nil
}

// undecodable: a payload we cannot read will not get better on retry.
func undecodable(d store.Delivery, err error) error {
	return river.JobCancel(fmt.Errorf("decoding %s payload: %w", d.Event, err))
}
