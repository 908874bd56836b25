package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/riverqueue/river"
)

// deliveryWrites is what a pull_request delivery records: its state, its
// payload, a history event keyed by the delivery, and the evaluation.
func deliveryWrites(ctx context.Context, w Writes, pr PR, at time.Time) error {
	if err := w.SeenOpen(ctx, pr.RepoID, pr.Number, at); err != nil {
		return err
	}
	if err := w.RecordSnapshot(ctx, pr, Snapshot{Data: []byte(`{"n":1}`), UpdatedAt: at, RecordedAt: at, Trusted: true}); err != nil {
		return err
	}
	if _, err := w.AddPREvent(ctx, PREvent{RepoID: pr.RepoID, Owner: "o", Repo: "r", Number: pr.Number,
		Key: "ready:delivery-1", Kind: EventReady, At: at}); err != nil {
		return err
	}
	return w.RequestEvaluation(ctx, pr, func(v int64) river.JobArgs { return evalArgs{Number: pr.Number, Version: v} }, nil)
}

// TestBatchRecordsAllOrNothingAndOnce: a batch that fails records nothing;
// GitHub redelivers and delivers concurrently, and batches of the same
// delivery side by side record one event and leave one waiting job.
func TestBatchRecordsAllOrNothingAndOnce(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		pr := PR{RepoID: 41, Number: 2}
		at := time.Unix(5000, 0)
		boom := errors.New("boom")
		err := s.Batch(ctx, func(w Writes) error {
			if err := deliveryWrites(ctx, w, pr, at); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("failed batch: %v, want boom", err)
		}
		if _, found, err := s.SnapshotOf(ctx, pr); found || err != nil {
			t.Errorf("failed batch left a snapshot (%v)", err)
		}
		if events, err := s.PREvents(ctx, pr.RepoID, pr.Number); len(events) != 0 || err != nil {
			t.Errorf("failed batch left events %v (%v)", events, err)
		}
		if n := count(t, s, `SELECT COUNT(*) FROM pr_evaluations`); n != 0 {
			t.Errorf("failed batch left %d evaluation requests", n)
		}

		sendConcurrently(t, 8, 8, func(int) error {
			return s.Batch(ctx, func(w Writes) error { return deliveryWrites(ctx, w, pr, at) })
		})
		if events, err := s.PREvents(ctx, pr.RepoID, pr.Number); err != nil || len(events) != 1 {
			t.Errorf("events %v (%v), want one", events, err)
		}
		requested := count(t, s, `SELECT requested FROM pr_evaluations`)
		if jobs := count(t, s, `SELECT COUNT(*) FROM river_job WHERE kind = 'test_evaluate'`); requested != 8 || jobs != 1 {
			t.Errorf("%d requests counted and %d jobs queued, want 8 and 1", requested, jobs)
		}
		if snap, found, err := s.SnapshotOf(ctx, pr); !found || err != nil || !snap.Trusted {
			t.Errorf("snapshot %+v found %v (%v), want a trusted one", snap, found, err)
		}
	})
}

func count(t *testing.T, s *Store, q string) int {
	t.Helper()
	var n int
	mustDo(t, s.DB.QueryRowContext(context.Background(), q).Scan(&n))
	return n
}
