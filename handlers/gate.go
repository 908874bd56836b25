package handlers

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/reviewpolicy/reviewpolicy/store"
)

// JobGate lets webhook acknowledgements go first when the CPU is short.
//
// Why: when deliveries arrive faster than jobs finish (on two CPUs, beyond
// ~350 a second), the backlog of delivery jobs takes every spare cycle, and
// Go's scheduler has no priorities, so the acknowledgements wait for a CPU
// behind the jobs (an execution trace showed the inbox's writer runnable
// but not running for half its time). GitHub needs the acknowledgement
// within seconds; a job is durable and can wait. Fewer workers would do it,
// but would also slow the jobs when nothing else needs the CPU.
//
// So the gate bounds how many delivery and evaluation jobs run at once,
// between 1 and the worker count; an evaluation, more costly, may start
// below evaluationFloor whatever the bound. (Evaluations joined when
// deliveries came to be handled in the move that queues them, with no
// delivery job before the evaluation: ungated, they ran beside the
// acknowledgements and PostgreSQL's ack p99 at 500/s rose from 11 to 41
// ms.) Every interval it looks at the acknowledgements since the last: if
// more than 1% took longer than the goal, it halves the bound; otherwise
// it raises it by one, the additive-increase, multiplicative-
// decrease rule TCP shares a link with. With fast webhooks the bound climbs
// to the worker count. Jobs never stop: the bound is at least 1.
//
// With no webhook at all during a look, none answered and none in
// progress, there is nothing to share the CPU with, and the bound goes to
// the worker count at once. Climbing by one there held back the backlog a
// burst leaves: in one run after loadgen stopped sending, PostgreSQL ran
// 262, 331, 434, then 495 evaluations a second (docs/capacity.md, twelfth
// session; the gain in capacity was within noise).
// When webhooks come back, slow ones halve the bound at the next look.
//
// Like TCP, it starts slow, at one job. A process that starts into a
// stream of webhooks is at its busiest then, and every code path it runs
// is cold; started at the worker count, the gate took three looks to come
// down. Measured at 500 deliveries/s (cmd/loadgen -ack-log), the slow start
// halved the answers over 10 ms in a process's first 300 ms (a median of 3
// in 18 runs, against 7.5 in 8); the first second stays slower than the
// rest either way. Its cost is under a second of fewer jobs, and none for a
// process that starts with a backlog and no webhooks: its first look is
// quiet.
type JobGate struct {
	max  int
	goal time.Duration

	acks, slow atomic.Int64 // since the last adjustment
	inFlight   atomic.Int64 // acknowledgements begun and not yet observed

	mu      sync.Mutex
	limit   int
	running int
	waiting store.JobQueue
	taken   map[*store.JobWaiter]rider // by a cohort (cohort.go), until their goroutine wakes
	quiet   bool                       // the last look saw no webhook
}

// NewJobGate returns a gate for that many workers that keeps
// acknowledgements under goal. It lets one job run at first; Run raises
// the bound, so without Run it stays at one.
func NewJobGate(workers int, goal time.Duration) *JobGate {
	return &JobGate{max: max(workers, 1), goal: goal, limit: 1}
}

// ObserveAck records how long a webhook took to acknowledge.
func (g *JobGate) ObserveAck(d time.Duration) {
	if g == nil {
		return
	}
	g.acks.Add(1)
	if d > g.goal {
		g.slow.Add(1)
	}
}

// AckBegun counts a webhook in progress until done is called, so that a
// look during a slow acknowledgement is not taken for a quiet one.
func (g *JobGate) AckBegun() (done func()) {
	if g == nil {
		return func() {}
	}
	g.inFlight.Add(1)
	return func() { g.inFlight.Add(-1) }
}

// Enter waits until a job may run, or ctx ends; release when it is done.
// Waiters that name no job go in the order they came.
func (g *JobGate) Enter(ctx context.Context) (release func(), err error) {
	release, _, err = g.enter(ctx, nil)
	return release, err
}

// enter is Enter for job: waiting jobs start in River's order, as the
// store's running slots take them (store.JobQueue). Why: River hands a
// process several times as many jobs as it runs, and they wait here; woken
// all at once, any of them started, and another installation's evaluation
// waited behind a burst's (TestBurstOfOneInstallationDoesNotDelayAnother).
// A job a cohort took along comes out as its rider, with no place.
func (g *JobGate) enter(ctx context.Context, job *rivertype.JobRow) (release func(), r *rider, err error) {
	if g == nil {
		return func() {}, nil, nil
	}
	g.mu.Lock()
	if g.running < g.boundFor(job) && g.waiting.Len() == 0 {
		g.running++
		g.mu.Unlock()
		return g.leave, nil, nil
	}
	w := g.waiting.Push(job)
	g.mu.Unlock()
	select {
	case <-w.Ready:
		g.mu.Lock()
		defer g.mu.Unlock()
		if r, ok := g.takenAlong(w); ok {
			return nil, &r, nil
		}
		return g.leave, nil, nil
	case <-ctx.Done():
		g.mu.Lock()
		defer g.mu.Unlock()
		if _, ok := g.takenAlong(w); ok {
			return nil, nil, ctx.Err() // its cohort may still evaluate it; River asks again
		}
		if !g.waiting.Remove(w) { // let in meanwhile: give the place on
			g.running--
			g.letInLocked()
		}
		return nil, nil, ctx.Err()
	}
}

func (g *JobGate) leave() {
	g.mu.Lock()
	g.running--
	g.letInLocked()
	g.mu.Unlock()
}

// evaluationFloor is how many jobs may run, however low the bound, when
// the next is an evaluation. Why: the gate counts jobs, and an evaluation
// is worth several delivery jobs (tens of milliseconds on PostgreSQL,
// against about 3). With the bound at one or two on a busy machine, one
// evaluation at a time did not keep up with 100 deliveries a second, and
// PostgreSQL's end-to-end p99 reached 3 s in a 10-minute soak beside
// SQLite, 24 s in a 30-minute one (BENCHMARKS.md, ninth session).
const evaluationFloor = 3

// boundFor is how many jobs may run for job (nil: not a job) to start.
func (g *JobGate) boundFor(job *rivertype.JobRow) int {
	if job != nil && job.Kind == (evaluateArgs{}).Kind() {
		return max(g.limit, min(evaluationFloor, g.max))
	}
	return g.limit
}

// letInLocked starts the first waiters while the bound allows.
func (g *JobGate) letInLocked() {
	for w := g.waiting.First(); w != nil && g.running < g.boundFor(w.Job); w = g.waiting.First() {
		g.running++
		g.waiting.Pop()
	}
}

// Limit is how many gated jobs (deliveries, evaluations) may run at once now.
func (g *JobGate) Limit() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.limit
}

// adjust applies the rule to the acknowledgements since the last call.
func (g *JobGate) adjust() {
	acks, slow := g.acks.Swap(0), g.slow.Swap(0)
	g.mu.Lock()
	defer g.mu.Unlock()
	g.quiet = acks == 0 && g.inFlight.Load() == 0
	switch {
	case slow*100 > acks:
		g.limit = max(g.limit/2, 1)
	case g.quiet:
		g.limit = g.max
		g.letInLocked()
	case g.limit < g.max:
		g.limit++
		g.letInLocked()
	}
}

// Run adjusts the bound every interval until ctx ends, and reports each
// new bound to report (for instance a gauge), the first at once.
func (g *JobGate) Run(ctx context.Context, interval time.Duration, report func(limit int)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	last := g.Limit()
	report(last)
	for {
		select {
		case <-t.C:
			g.adjust()
		case <-ctx.Done():
			return
		}
		if n := g.Limit(); n != last {
			report(n)
			last = n
		}
	}
}

// Middleware gates River's delivery and evaluation jobs and lets every
// other job through. The store runs it before a job takes one of its
// running slots (store.Options.Middleware), so a job held back here leaves
// the slot to a job the gate does not hold back.
func (g *JobGate) Middleware() rivertype.Middleware { return &gateMiddleware{g: g} }

type gateMiddleware struct {
	river.MiddlewareDefaults
	g *JobGate
}

func (m *gateMiddleware) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	if job.Kind != (store.DeliveryArgs{}).Kind() && job.Kind != (evaluateArgs{}).Kind() {
		return doInner(ctx)
	}
	release, r, err := m.g.enter(ctx, job)
	switch {
	case err != nil:
		return err
	case r != nil:
		return r.wait(ctx) // its cohort's leader evaluates it
	}
	defer release()
	if job.Kind == (evaluateArgs{}).Kind() {
		if c := m.g.cohortFor(job); c != nil {
			defer c.leave()
			ctx = withCohort(ctx, c)
		}
	}
	return doInner(ctx)
}
