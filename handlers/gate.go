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
// So the gate bounds how many delivery jobs run at once, between 1 and the
// worker count. Every interval it looks at the acknowledgements since the
// last: if more than 1% took longer than the goal, it halves the bound;
// otherwise it raises it by one, the additive-increase, multiplicative-
// decrease rule TCP shares a link with. With no webhooks, or fast ones, the
// bound climbs to the worker count. Jobs never stop: the bound is at least 1.
//
// Like TCP, it starts slow, at one job, and reaches the worker count after
// as many intervals (a second by default). A process that starts with a
// backlog, or into a stream of webhooks, is at its busiest then, and every
// code path it runs is cold; started at the worker count, the gate took
// three looks to come down. Measured at 500 deliveries/s (cmd/loadgen
// -ack-log), the slow start halved the answers over 10 ms in a process's
// first 300 ms (a median of 3 in 18 runs, against 7.5 in 8); the first
// second stays slower than the rest either way. Its cost is under a second
// of fewer jobs.
type JobGate struct {
	max  int
	goal time.Duration

	acks, slow atomic.Int64 // since the last adjustment

	mu      sync.Mutex
	limit   int
	running int
	freed   chan struct{} // closed when a slot may have become free
}

// NewJobGate returns a gate for that many workers that keeps
// acknowledgements under goal. It lets one job run at first; Run raises
// the bound, so without Run it stays at one.
func NewJobGate(workers int, goal time.Duration) *JobGate {
	return &JobGate{max: max(workers, 1), goal: goal, limit: 1, freed: make(chan struct{})}
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

// Enter waits until the job may run, or ctx ends; release when it is done.
func (g *JobGate) Enter(ctx context.Context) (release func(), err error) {
	if g == nil {
		return func() {}, nil
	}
	for {
		g.mu.Lock()
		if g.running < g.limit {
			g.running++
			g.mu.Unlock()
			return g.leave, nil
		}
		freed := g.freed
		g.mu.Unlock()
		select {
		case <-freed:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (g *JobGate) leave() {
	g.mu.Lock()
	g.running--
	g.wakeLocked()
	g.mu.Unlock()
}

// wakeLocked lets every waiter look again; they are at most the worker
// count, so no queue is kept.
func (g *JobGate) wakeLocked() {
	close(g.freed)
	g.freed = make(chan struct{})
}

// Limit is how many delivery jobs may run at once now.
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
	switch {
	case slow*100 > acks:
		g.limit = max(g.limit/2, 1)
	case g.limit < g.max:
		g.limit++
		g.wakeLocked()
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

// Middleware gates River's delivery jobs and lets every other job through.
// The store runs it before a job takes one of its running slots
// (store.Options.Middleware), so a delivery job held back here leaves the
// slot to a job the gate does not hold back.
func (g *JobGate) Middleware() rivertype.Middleware { return &gateMiddleware{g: g} }

type gateMiddleware struct {
	river.MiddlewareDefaults
	g *JobGate
}

func (m *gateMiddleware) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	if job.Kind != (store.DeliveryArgs{}).Kind() {
		return doInner(ctx)
	}
	release, err := m.g.Enter(ctx)
	if err != nil {
		return err
	}
	defer release()
	return doInner(ctx)
}
