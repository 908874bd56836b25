package store

import (
	"cmp"
	"container/heap"
	"context"
	"sync"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// jobSlots bounds how many jobs run at once in a process (Options.
// MaxWorkers), apart from how many River may hold: River fetches up to
// fetchAhead times as many, which wait here. Why: River fetches at most
// once per fetchCooldown and takes no more jobs than it has free workers,
// so with as many workers as jobs may run it fetched one or two jobs at a
// time, one fetch per job or so, and a fetch is River's costliest query
// (on PostgreSQL 5-8 ms of the database's time under load; BENCHMARKS.md,
// replicas). Holding more lets each fetch take many.
//
// Waiting jobs start in River's own order (priority, then scheduled time,
// then ID), so the fair queue (fairqueue.go) keeps its order among the jobs
// fetched together.
type jobSlots struct {
	river.MiddlewareDefaults

	mu      sync.Mutex
	free    int
	waiting slotQueue
}

func newJobSlots(n int) *jobSlots { return &jobSlots{free: max(n, 1)} }

// Work runs the job once a slot is free.
func (s *jobSlots) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	if err := s.acquire(ctx, job); err != nil {
		return err
	}
	defer s.release()
	return doInner(ctx)
}

func (s *jobSlots) acquire(ctx context.Context, job *rivertype.JobRow) error {
	s.mu.Lock()
	if s.free > 0 && len(s.waiting) == 0 {
		s.free--
		s.mu.Unlock()
		return nil
	}
	w := &slotWaiter{job: job, ready: make(chan struct{})}
	heap.Push(&s.waiting, w)
	s.mu.Unlock()
	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		defer s.mu.Unlock()
		if w.index < 0 { // handed a slot meanwhile: give it on
			s.handOn()
		} else {
			heap.Remove(&s.waiting, w.index)
		}
		return ctx.Err()
	}
}

// waitingJobs is how many jobs River has handed this process that wait
// for a slot; nil has none.
func (s *jobSlots) waitingJobs() int {
	if s == nil {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.waiting)
}

func (s *jobSlots) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handOn()
}

// handOn gives a freed slot to the first waiter, or keeps it.
func (s *jobSlots) handOn() {
	if len(s.waiting) == 0 {
		s.free++
		return
	}
	w := heap.Pop(&s.waiting).(*slotWaiter)
	close(w.ready)
}

type slotWaiter struct {
	job   *rivertype.JobRow
	ready chan struct{}
	index int // in the heap; -1 once popped
}

// slotQueue is a heap of waiters in River's fetch order.
type slotQueue []*slotWaiter

func (q slotQueue) Len() int { return len(q) }

func (q slotQueue) Less(i, j int) bool { return JobOrder(q[i].job, q[j].job) < 0 }

// JobOrder compares two jobs in River's fetch order (priority, then
// scheduled time, then ID): negative if a comes first. Jobs waiting to
// run in a process start in this order, so that the fair queue
// (fairqueue.go) keeps its order among the jobs fetched together.
func JobOrder(a, b *rivertype.JobRow) int {
	return cmp.Or(cmp.Compare(a.Priority, b.Priority), a.ScheduledAt.Compare(b.ScheduledAt), cmp.Compare(a.ID, b.ID))
}

func (q slotQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index, q[j].index = i, j
}

func (q *slotQueue) Push(x any) {
	w := x.(*slotWaiter)
	w.index = len(*q)
	*q = append(*q, w)
}

func (q *slotQueue) Pop() any {
	old := *q
	w := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	w.index = -1
	return w
}
