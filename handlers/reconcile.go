package handlers

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/reviewpolicy/reviewpolicy/githubapi"
	"github.com/reviewpolicy/reviewpolicy/store"
)

// reconcileArgs sweeps open pull requests so a missed webhook cannot leave
// one unchecked or its SLA untracked. Installation 0 means every
// installation: that job only fans out one job per installation.
type reconcileArgs struct {
	Installation int64 `json:"installation"`
}

func (reconcileArgs) Kind() string { return "reconcile" }

// InstallationID places the job in the store's fair queue; 0 (the fan-out)
// belongs to no installation.
func (a reconcileArgs) InstallationID() int64 { return a.Installation }

// whileQueued makes a sweep unique while one is waiting or running, so an
// installation event and the schedule (or two new leaders) do not sweep
// twice at once; a finished sweep does not block the next.
var whileQueued = river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
	rivertype.JobStateRetryable, rivertype.JobStateScheduled,
}}

// ReconcileJob is the periodic sweep, run at start (webhooks sent while no
// process ran were lost: GitHub does not retry them) and every interval.
// Only the elected leader among replicas schedules it.
func ReconcileJob(interval time.Duration) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(interval),
		func() (river.JobArgs, *river.InsertOpts) {
			return reconcileArgs{}, &river.InsertOpts{UniqueOpts: whileQueued}
		}, &river.PeriodicJobOpts{RunOnStart: true, ID: "reconcile"})
}

type reconcileWorker struct {
	river.WorkerDefaults[reconcileArgs]
	app *App
}

func (w *reconcileWorker) Work(ctx context.Context, job *river.Job[reconcileArgs]) (err error) {
	start := time.Now()
	defer func() { w.app.Metrics.observeJob("reconcile", start, err) }()
	if job.Args.Installation == 0 {
		err = w.app.fanOut(ctx)
	} else {
		err = w.app.sweepInstallation(withInstallation(ctx, job.Args.Installation), job.Args.Installation)
	}
	if err != nil {
		return retryable(err, w.app.Now())
	}
	return nil
}

func (a *App) fanOut(ctx context.Context) error {
	for insts, err := range a.GitHub.Installations(ctx) {
		if err != nil {
			return err
		}
		for _, in := range insts {
			if err := a.Store.Enqueue(ctx, reconcileArgs{Installation: in.GetID()},
				&river.InsertOpts{UniqueOpts: whileQueued}); err != nil {
				return err
			}
		}
	}
	return nil
}

// sweepInstallation lists the open pull requests of every repository of an
// installation and evaluates those whose head the app has not checked yet.
// Cost: 1 + ceil(repos/100) + Σ ceil(open PRs/100) requests, plus one
// evaluation per missed head.
func (a *App) sweepInstallation(ctx context.Context, inst int64) error {
	in, err := a.GitHub.Installation(inst)
	if err != nil {
		return err
	}
	for repos, err := range in.Repos(ctx) {
		if err != nil {
			return err
		}
		for _, repo := range repos {
			gh := in.Repo(repo.GetID(), repo.GetOwner().GetLogin(), repo.GetName())
			if err := a.sweepRepo(ctx, gh, inst); err != nil {
				return err
			}
		}
	}
	return nil
}

func (a *App) sweepRepo(ctx context.Context, gh *githubapi.Repo, inst int64) error {
	for prs, err := range gh.OpenPulls(ctx, "") {
		if err != nil {
			return err
		}
		for _, pr := range prs {
			seen, err := gh.HasCheckRun(ctx, pr.GetHead().GetSHA())
			if err != nil {
				return err
			}
			if seen {
				continue
			}
			r := repoRef{Installation: inst, RepoID: gh.ID, Owner: gh.Owner, Repo: gh.Name, Number: pr.GetNumber()}
			if err := a.requestEvaluation(ctx, r); err != nil {
				return err
			}
		}
	}
	return nil
}

// onInstallation sweeps a new installation's (or newly added repositories')
// open pull requests so they are checked without waiting for a push.
func (a *App) onInstallation(ctx context.Context, d store.Delivery, log *slog.Logger) error {
	switch d.Action {
	case "created", "added", "unsuspend", "new_permissions_accepted":
	default:
		log.Info("installation change", "installation", d.InstallationID)
		return nil
	}
	if d.InstallationID == 0 {
		return nil
	}
	log.Info("sweeping installation", "installation", d.InstallationID)
	return a.Store.Enqueue(ctx, reconcileArgs{Installation: d.InstallationID}, &river.InsertOpts{UniqueOpts: whileQueued})
}
