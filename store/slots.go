package store

import (
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
	waiting JobQueue
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
	if s.free > 0 && s.waiting.Len() == 0 {
		s.free--
		s.mu.Unlock()
		return nil
	}
	w := s.waiting.Push(job)
	s.mu.Unlock()
	select {
	case <-w.Ready:
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		defer s.mu.Unlock()
		if !s.waiting.Remove(w) { // handed a slot meanwhile: give it on
			s.handOn()
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
	return s.waiting.Len()
}

func (s *jobSlots) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handOn()
}

// handOn gives a freed slot to the first waiter, or keeps it.
func (s *jobSlots) handOn() {
	if s.waiting.Len() == 0 {
		s.free++
		return
	}
	s.waiting.Pop()
}
