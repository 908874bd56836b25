package handlers

import (
	"context"
	"time"

	"github.com/riverqueue/river"
)

// DeliveryRetention is how long a delivery is kept: long enough that a
// redelivery from GitHub's "recent deliveries" (kept 3 days) is still
// recognised as a duplicate, short enough that payloads do not pile up.
const DeliveryRetention = 14 * 24 * time.Hour

type pruneArgs struct{}

func (pruneArgs) Kind() string { return "prune" }

// PruneJob deletes old deliveries once a day.
func PruneJob() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(24*time.Hour),
		func() (river.JobArgs, *river.InsertOpts) {
			return pruneArgs{}, &river.InsertOpts{UniqueOpts: whileQueued}
		}, &river.PeriodicJobOpts{RunOnStart: true, ID: "prune"})
}

type pruneWorker struct {
	river.WorkerDefaults[pruneArgs]
	app *App
}

func (w *pruneWorker) Work(ctx context.Context, _ *river.Job[pruneArgs]) error {
	n, err := w.app.Store.PruneDeliveries(ctx, w.app.Now().Add(-DeliveryRetention))
	if err == nil && n > 0 {
		w.app.Logger.Info("pruned deliveries", "count", n)
	}
	return err
}
