package store

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// TestJobSlotsBoundRunningJobs: 200 jobs through 3 slots at once, never
// more than 3 running, every one run.
func TestJobSlotsBoundRunningJobs(t *testing.T) {
	t.Parallel()
	s := newJobSlots(3)
	var running, peak, done atomic.Int64
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Go(func() {
			err := s.Work(context.Background(), &rivertype.JobRow{ID: int64(i)}, func(context.Context) error {
				n := running.Add(1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				time.Sleep(100 * time.Microsecond)
				running.Add(-1)
				done.Add(1)
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if peak.Load() > 3 || done.Load() != 200 {
		t.Errorf("peak %d running, %d done; want at most 3 and 200", peak.Load(), done.Load())
	}
}

// TestJobSlotsStartInRiversOrder: jobs waiting for the one slot start by
// priority, then scheduled time, then ID, whatever order they came in;
// one whose context ends while it waits leaves without taking a slot.
func TestJobSlotsStartInRiversOrder(t *testing.T) {
	t.Parallel()
	s := newJobSlots(1)
	t0 := time.Now()
	hold := make(chan struct{})
	first := make(chan struct{})
	go func() {
		_ = s.Work(context.Background(), &rivertype.JobRow{ID: 1}, func(context.Context) error {
			close(first)
			<-hold
			return nil
		})
	}()
	<-first
	jobs := []*rivertype.JobRow{
		{ID: 9, Priority: 2, ScheduledAt: t0},
		{ID: 5, Priority: 1, ScheduledAt: t0.Add(time.Second)},
		{ID: 7, Priority: 1, ScheduledAt: t0},
		{ID: 3, Priority: 1, ScheduledAt: t0},
		{ID: 2, Priority: 4, ScheduledAt: t0},
	}
	var mu sync.Mutex
	var order []int64
	var wg sync.WaitGroup
	cancelled, cancel := context.WithCancel(context.Background())
	gaveUp := make(chan error, 1)
	go func() {
		gaveUp <- s.Work(cancelled, &rivertype.JobRow{ID: 4, Priority: 1, ScheduledAt: t0}, func(context.Context) error {
			t.Error("a cancelled job ran")
			return nil
		})
	}()
	for _, j := range jobs {
		wg.Go(func() {
			_ = s.Work(context.Background(), j, func(context.Context) error {
				mu.Lock()
				order = append(order, j.ID)
				mu.Unlock()
				return nil
			})
		})
	}
	waitFor(t, func() bool { s.mu.Lock(); defer s.mu.Unlock(); return s.waiting.Len() == len(jobs)+1 })
	cancel()
	if err := <-gaveUp; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled wait returned %v", err)
	}
	close(hold)
	wg.Wait()
	if want := []int64{3, 7, 5, 9, 2}; !slices.Equal(order, want) {
		t.Errorf("started %v, want %v", order, want)
	}
	if s.free != 1 {
		t.Errorf("%d slots free after all ran, want 1", s.free)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 10 s")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestQueueDepthCountsJobsHeldForASlot: with one worker busy, the jobs
// River has fetched into this process (marked running in river_job) still
// count as waiting, and the depth falls to 0 once they have run.
func TestQueueDepthCountsJobsHeldForASlot(t *testing.T) {
	t.Parallel()
	forEachEngineURL(t, func(t *testing.T, url string) {
		ctx := context.Background()
		release := make(chan struct{})
		var ran atomic.Int64
		w := river.NewWorkers()
		river.AddWorker(w, &fairWorker{fn: func(ctx context.Context, job *river.Job[fairArgs]) error {
			<-release
			ran.Add(1)
			return nil
		}})
		s := openStore(t, url, Options{Workers: w, MaxWorkers: 1, Logger: testLogger(t)})
		for n := 1; n <= 4; n++ {
			mustDo(t, s.Enqueue(ctx, fairArgs{Inst: 1, N: n}, nil))
		}
		mustDo(t, s.Start(ctx))
		waitFor(t, func() bool { return s.slots.waitingJobs() == 3 }) // one runs, River holds the rest
		if depth, err := s.QueueDepth(ctx); err != nil || depth != 3 {
			t.Errorf("QueueDepth with 3 jobs held for the one worker = %d, %v; want 3", depth, err)
		}
		close(release)
		waitFor(t, func() bool { return ran.Load() == 4 })
		if depth, err := s.QueueDepth(ctx); err != nil || depth != 0 {
			t.Errorf("QueueDepth after all ran = %d, %v; want 0", depth, err)
		}
	})
}
