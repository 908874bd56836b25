package handlers

import (
	"context"
	"runtime"
	"time"

	"github.com/riverqueue/river"

	"github.com/reviewpolicy/reviewpolicy/store"
)

// The app is the store's DeliveryHandler: a pull_request or
// pull_request_review delivery whose work is only writes to the store is
// handled in the transaction that queues it, without a job of its own
// (store.DeliveryHandler, docs/capacity.md). Its evaluation is still a
// job. What cannot be decoded or has no installation gets its delivery
// job, and so does every other event.
var _ store.DeliveryHandler = (*App)(nil)

// Parallel bounds the move's decoding as the job gate bounds delivery
// jobs, which did this work before: while acknowledgements are slow, one.
func (a *App) Parallel() int {
	n := runtime.GOMAXPROCS(0)
	if a.Gate != nil {
		n = min(n, a.Gate.Limit())
	}
	return n
}

// Takes: pull_request and pull_request_review deliveries.
func (a *App) Takes(event string) bool {
	return event == "pull_request" || event == "pull_request_review"
}

// Prepare decodes d into its work in the move, or returns nil for a job.
func (a *App) Prepare(d store.Delivery) store.Handling {
	start := time.Now()
	var work storeWork
	var err error
	switch {
	case !a.Takes(d.Event):
		return nil
	case d.Event == "pull_request":
		work, err = a.preparePullRequest(d)
	default:
		work, err = a.prepareReview(d)
	}
	if err != nil || (work.write != nil && work.ref.Installation == 0) {
		return nil // the job reports it
	}
	return &handling{app: a, event: d.Event, work: work, took: time.Since(start)}
}

// handling is one delivery's work in the move.
type handling struct {
	app   *App
	event string
	work  storeWork
	took  time.Duration // preparing and applying
}

func (h *handling) Apply(ctx context.Context, w store.Writes) error {
	if h.work.write == nil {
		return nil // an action that changes nothing
	}
	start := time.Now()
	defer func() { h.took += time.Since(start) }()
	return h.work.write(ctx, w)
}

func (h *handling) Evaluates() (store.PR, bool) {
	return store.PR{RepoID: h.work.ref.RepoID, Number: h.work.ref.Number}, h.work.write != nil
}

func (h *handling) EvaluationJob(version int64) river.JobArgs {
	return evaluationJob(h.work.ref)(version)
}

// Done counts the delivery as a delivery job that succeeded: the metrics
// and loadgen's drain count deliveries handled, however they were.
func (h *handling) Done() {
	h.app.Metrics.observeDuration("delivery:"+eventLabel(h.event), h.took, nil)
}
