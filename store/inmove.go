package store

import (
	"context"
	"sync"

	"github.com/riverqueue/river"
)

// DeliveryHandler handles deliveries in the transaction that queues them,
// so that a delivery whose work is only writes to the store needs no job:
// no River insert, fetch and completion, no load of the delivery and no
// transaction of its own (docs/capacity.md). Set it in Options; it is used
// once Start has started the workers, and every delivery it declines gets
// its delivery job as before.
//
// On SQLite the inbox's mover handles them, on the main file's one
// connection, where a batch costs little more than a delivery. On
// PostgreSQL the enqueuer does, in the transaction that takes the
// deliveries from deliveries_unqueued: the handlings' writes go through a
// pipeline, one round trip for a batch (pipeline.go), and its evaluation
// requests are four statements in all (Writes.RequestEvaluations), locking
// pull requests in one order. Made a round trip at a time, a move of 100
// deliveries took tens of milliseconds, and capacity did not change
// (docs/capacity.md).
type DeliveryHandler interface {
	// Parallel is how many deliveries may be prepared at once right now:
	// preparing takes CPU that the acknowledgements may need, as the
	// delivery jobs it replaces did. The move itself waits for nothing: it
	// is one goroutine, and made to wait for the job gate's places it lost
	// them to the delivery jobs waiting there (the gate then woke its
	// waiters all at once; it keeps them in River's order since the ninth
	// session), so another installation's delivery waited behind one
	// installation's burst (TestBurstOfOneInstallationDoesNotDelayAnother).
	Parallel() int
	// Takes reports whether a delivery of this event may be handled in the
	// move; the others get their job without their payload being
	// decompressed here.
	Takes(event string) bool
	// Prepare returns how d, which it takes, is handled in the move, or
	// nil to give d its delivery job. It must not call GitHub or the store,
	// nor keep d.Payload once it returns: the next delivery's payload is
	// decompressed into the same buffer.
	Prepare(d Delivery) Handling
}

// Handling is one delivery's work done in the move.
type Handling interface {
	// Apply writes the delivery's facts with w, in the transaction that
	// records the delivery as queued. It must not call GitHub or wait for
	// anything but the store. If it fails, the whole batch is moved again
	// with a delivery job each.
	Apply(ctx context.Context, w Writes) error
	// Evaluates names the pull request whose evaluation the delivery asks
	// for; ok is false if it asks for none.
	Evaluates() (pr PR, ok bool)
	// EvaluationJob is the job that evaluates that pull request for the
	// request of the given version. The move asks for the evaluations after
	// every Apply, once per pull request (Writes.RequestEvaluations): the
	// request locks the pull request's row until the move commits, and an
	// evaluation starting meanwhile waits for it.
	EvaluationJob(version int64) river.JobArgs
	// Done is called once the transaction has committed.
	Done()
}

// prepare returns the handling of each of ds, nil where a job is needed;
// nil for all when deliveries are not handled in the move. Payloads are
// decompressed for Prepare, which runs on up to Parallel goroutines.
func (s *Store) prepare(ds []Delivery) []Handling {
	h := s.handler
	if !s.handling() || len(ds) == 0 {
		return nil
	}
	hs := make([]Handling, len(ds))
	next := make(chan int, len(ds))
	for i := range ds {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	for range max(1, min(h.Parallel(), len(ds))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte // each payload decompressed into the last one's
			for i := range next {
				d := ds[i]
				if !h.Takes(d.Event) {
					continue
				}
				p, err := decodePayloadInto(buf[:0], d.Payload)
				if err != nil {
					continue // the job reports it
				}
				if compressed(d.Payload) {
					buf = p // not the stored payload itself, which a job may need
				}
				d.Payload = p
				hs[i] = h.Prepare(d)
			}
		}()
	}
	wg.Wait()
	return hs
}

// moveWith runs move, which moves a batch, with handle (give deliveries
// their handling); if that fails it moves again without, a job for every
// delivery, so a handler's failure costs time, never a delivery. Each
// handling move reports as applied is told once the move has committed.
func (s *Store) moveWith(handle bool, move func(handle bool) (applied []Handling, err error)) error {
	applied, err := move(handle)
	if err != nil && handle {
		s.log.Warn("store: handling deliveries in the move failed; they get jobs", "err", err)
		applied, err = move(false)
	}
	if err != nil {
		return err
	}
	for _, h := range applied {
		h.Done()
	}
	return nil
}

// handling reports whether deliveries are handled in the move now.
func (s *Store) handling() bool { return s.handler != nil && s.started.Load() }

// applyOrEnqueue applies the handling of each new delivery in tx, then
// requests the evaluations they ask for, and queues a delivery job for
// each other one. ds and inserted are parallel, hs too unless nil. It
// returns the handlings applied.
func (s *Store) applyOrEnqueue(ctx context.Context, w Writes, ds []Delivery, inserted []bool, hs []Handling) ([]Handling, error) {
	var applied []Handling
	var jobs []Delivery
	for i, d := range ds {
		switch {
		case !inserted[i]:
		case hs != nil && hs[i] != nil:
			applied = append(applied, hs[i])
		default:
			jobs = append(jobs, d)
		}
	}
	for _, h := range applied {
		if err := h.Apply(ctx, w); err != nil {
			return nil, err
		}
	}
	if err := requestEvaluations(ctx, w, applied); err != nil {
		return nil, err
	}
	if err := w.sync(ctx); err != nil {
		return nil, err
	}
	return applied, s.insertDeliveryJobs(ctx, w.tx, jobs)
}

// requestEvaluations asks for the evaluations hs ask for.
func requestEvaluations(ctx context.Context, w Writes, hs []Handling) error {
	return w.RequestEvaluations(ctx, evaluationRequests(hs))
}

// evaluationRequests are the evaluations hs ask for, each pull request's
// once, in the order of their first handling.
func evaluationRequests(hs []Handling) []EvaluationRequest {
	asked := map[PR]bool{}
	var reqs []EvaluationRequest
	for _, h := range hs {
		pr, ok := h.Evaluates()
		if !ok || asked[pr] {
			continue
		}
		asked[pr] = true
		reqs = append(reqs, EvaluationRequest{PR: pr, Job: h.EvaluationJob})
	}
	return reqs
}
