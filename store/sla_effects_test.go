package store

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestSLAEffectLease(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		k := SLAEffectKey{RepoID: 5, Number: 9, Generation: 2, Event: "breach"}
		t0 := time.Date(2025, 3, 5, 10, 0, 0, 0, time.UTC)
		ttl := 10 * time.Minute
		step := func(what string, got SLAEffect, err error, want SLAEffect) {
			t.Helper()
			if err != nil || got != want {
				t.Errorf("%s: %v, %v; want %v", what, got, err, want)
			}
		}
		if had, err := s.HasSLAEffects(ctx, 5, 9, "bre"); had || err != nil {
			t.Errorf("effects before any: %v, %v", had, err)
		}
		got, err := s.AcquireSLAEffect(ctx, k, "job:1", t0, ttl)
		step("first acquire", got, err, EffectAcquired)
		if had, err := s.HasSLAEffects(ctx, 5, 9, "bre"); !had || err != nil {
			t.Errorf("a leased effect: %v, %v", had, err)
		}
		if had, _ := s.HasSLAEffects(ctx, 5, 9, "mention_"); had {
			t.Error("another prefix matched")
		}
		got, err = s.AcquireSLAEffect(ctx, k, "job:2", t0.Add(time.Minute), ttl)
		step("another job inside the lease", got, err, EffectBusy)
		got, err = s.AcquireSLAEffect(ctx, k, "job:1", t0.Add(2*time.Minute), ttl)
		step("a retry of the same job", got, err, EffectAcquired)
		got, err = s.AcquireSLAEffect(ctx, k, "job:2", t0.Add(2*time.Minute+ttl-time.Second), ttl)
		step("another job just before the renewed lease ends", got, err, EffectBusy)
		got, err = s.AcquireSLAEffect(ctx, k, "job:2", t0.Add(2*time.Minute+ttl+time.Second), ttl)
		step("another job after the lease expired", got, err, EffectAcquired)
		got, err = s.AcquireSLAEffect(ctx, k, "job:1", t0.Add(2*time.Minute+ttl+2*time.Second), ttl)
		step("the first job, now that job:2 holds it", got, err, EffectBusy)

		// Releasing lets anyone take it at once; only the holder can release.
		mustDo(t, s.ReleaseSLAEffect(ctx, k, "job:1"))
		got, err = s.AcquireSLAEffect(ctx, k, "job:3", t0.Add(3*time.Minute+ttl), ttl)
		step("after a non-holder's release", got, err, EffectBusy)
		mustDo(t, s.ReleaseSLAEffect(ctx, k, "job:2"))
		got, err = s.AcquireSLAEffect(ctx, k, "job:3", t0.Add(3*time.Minute+ttl), ttl)
		step("after the holder's release", got, err, EffectAcquired)

		if ok, err := s.FinishSLAEffect(ctx, k, "job:3"); err != nil || !ok {
			t.Errorf("finish: %v, %v", ok, err)
		}
		if ok, err := s.FinishSLAEffect(ctx, k, "job:3"); err != nil || ok {
			t.Errorf("second finish: %v, %v; want false", ok, err)
		}
		for _, owner := range []string{"job:3", "job:4"} {
			got, err = s.AcquireSLAEffect(ctx, k, owner, t0.Add(24*time.Hour), ttl)
			step("acquire when done by "+owner, got, err, EffectDone)
		}
		// Other generations and events are separate.
		for _, other := range []SLAEffectKey{{5, 9, 3, "breach"}, {5, 9, 2, "remind"}, {5, 10, 2, "breach"}} {
			got, err = s.AcquireSLAEffect(ctx, other, "job:9", t0, ttl)
			step(fmt.Sprintf("acquire %+v", other), got, err, EffectAcquired)
		}
	})
}

func TestSLAEffectConcurrentAcquire(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		k := SLAEffectKey{RepoID: 5, Number: 9, Generation: 1, Event: "breach"}
		now := time.Now()
		var acquired, busy atomic.Int32
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() {
				got, err := s.AcquireSLAEffect(ctx, k, fmt.Sprint("job:", i), now, time.Minute)
				if err != nil {
					t.Error(err)
				}
				switch got {
				case EffectAcquired:
					acquired.Add(1)
				case EffectBusy:
					busy.Add(1)
				}
			})
		}
		wg.Wait()
		if acquired.Load() != 1 || busy.Load() != 19 {
			t.Errorf("%d acquired, %d busy; want 1 and 19", acquired.Load(), busy.Load())
		}
	})
}
