package store

import (
	"context"
	"testing"
	"time"
)

// TestFactVersions: a scope starts at 0 and each bump moves it, apart from
// other scopes.
func TestFactVersions(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		if v, err := s.FactVersion(ctx, "base:1:main"); err != nil || v != 0 {
			t.Fatalf("before any bump: %d, %v", v, err)
		}
		mustDo(t, s.BumpFactVersion(ctx, "base:1:main"))
		mustDo(t, s.BumpFactVersion(ctx, "base:1:main"))
		mustDo(t, s.BumpFactVersion(ctx, "teams:acme"))
		if v, _ := s.FactVersion(ctx, "base:1:main"); v != 2 {
			t.Errorf("after two bumps: %d", v)
		}
		if v, _ := s.FactVersion(ctx, "teams:acme"); v != 1 {
			t.Errorf("other scope: %d", v)
		}
	})
}

// TestReviewsCurrentUntilAReviewEvent: the reviews an opened event records
// (none) or an evaluation reads stay current until a review event; what an
// evaluation read while an event came is recorded but not current; the
// opened event never overwrites what came first.
func TestReviewsCurrentUntilAReviewEvent(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		at := time.Date(2025, 3, 5, 12, 0, 0, 0, time.UTC)
		pr := PR{RepoID: 7, Number: 1}
		if r, err := s.ReviewsOf(ctx, pr); err != nil || r.Current {
			t.Fatalf("unknown pull request: %+v, %v", r, err)
		}
		mustDo(t, s.NoReviewsYet(ctx, pr, []byte("[]"), at))
		if r, _ := s.ReviewsOf(ctx, pr); !r.Current || string(r.Data) != "[]" || !r.ReadAt.Equal(at) {
			t.Fatalf("after opened: %+v", r)
		}
		mustDo(t, s.ReviewEvent(ctx, pr))
		r, _ := s.ReviewsOf(ctx, pr)
		if r.Current {
			t.Fatal("current after a review event")
		}
		mustDo(t, s.ReviewEvent(ctx, pr)) // comes while the evaluation reads
		mustDo(t, s.PutReviews(ctx, pr, r.Events, []byte(`[{"Author":"alice"}]`), at))
		if r2, _ := s.ReviewsOf(ctx, pr); r2.Current {
			t.Fatal("current although an event came during the read")
		}
		r, _ = s.ReviewsOf(ctx, pr)
		mustDo(t, s.PutReviews(ctx, pr, r.Events, []byte(`[{"Author":"bob"}]`), at))
		mustDo(t, s.PutReviews(ctx, pr, r.Events-1, []byte(`[{"Author":"old"}]`), at)) // a slower, older read
		mustDo(t, s.NoReviewsYet(ctx, pr, []byte("[]"), at))                           // opened delivered late
		if r, _ := s.ReviewsOf(ctx, pr); !r.Current || string(r.Data) != `[{"Author":"bob"}]` {
			t.Errorf("after a read: %+v %s", r, r.Data)
		}
		// A review event before the opened event: the opened one records nothing.
		other := PR{RepoID: 7, Number: 2}
		mustDo(t, s.ReviewEvent(ctx, other))
		mustDo(t, s.NoReviewsYet(ctx, other, []byte("[]"), at))
		if r, _ := s.ReviewsOf(ctx, other); r.Current {
			t.Errorf("opened after a review event made them current: %+v", r)
		}
	})
}

// TestSnapshotNewestWins: a newer snapshot replaces an older one whatever
// order they come in; one as new with other content leaves it distrusted;
// DistrustSnapshot does too, until a newer one comes.
func TestSnapshotNewestWins(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		pr := PR{RepoID: 7, Number: 3}
		t0 := time.Date(2025, 3, 5, 12, 0, 0, 0, time.UTC)
		snap := func(data string, sec int, trusted bool) Snapshot {
			return Snapshot{Data: []byte(data), UpdatedAt: t0.Add(time.Duration(sec) * time.Second), Trusted: trusted, RecordedAt: t0}
		}
		get := func() Snapshot {
			got, found, err := s.SnapshotOf(ctx, pr)
			if err != nil || !found {
				t.Fatalf("snapshot: %v, %v", found, err)
			}
			return got
		}
		if _, found, err := s.SnapshotOf(ctx, pr); err != nil || found {
			t.Fatalf("before any: %v, %v", found, err)
		}
		mustDo(t, s.RecordSnapshot(ctx, pr, snap("b", 2, true)))
		mustDo(t, s.RecordSnapshot(ctx, pr, snap("a", 1, true))) // older, delivered late
		if got := get(); string(got.Data) != "b" || !got.Trusted || !got.UpdatedAt.Equal(t0.Add(2*time.Second)) {
			t.Errorf("after an older one: %+v", got)
		}
		mustDo(t, s.RecordSnapshot(ctx, pr, snap("b", 2, true))) // the same again
		if got := get(); !got.Trusted {
			t.Error("the same snapshot again distrusted it")
		}
		mustDo(t, s.RecordSnapshot(ctx, pr, snap("c", 2, true))) // as new, other content
		if got := get(); got.Trusted {
			t.Errorf("two states with one updated_at: %+v", got)
		}
		mustDo(t, s.RecordSnapshot(ctx, pr, snap("d", 3, true)))
		if got := get(); string(got.Data) != "d" || !got.Trusted {
			t.Errorf("a newer one: %+v", got)
		}
		mustDo(t, s.DistrustSnapshot(ctx, pr))
		if got := get(); got.Trusted {
			t.Error("trusted after DistrustSnapshot")
		}
		mustDo(t, s.RecordSnapshot(ctx, pr, snap("e", 4, false))) // newer but too old to trust
		if got := get(); string(got.Data) != "e" || got.Trusted {
			t.Errorf("an untrusted newer one: %+v", got)
		}
		mustDo(t, s.RecordSnapshot(ctx, pr, snap("f", 5, true)))
		mustDo(t, s.RecordSnapshot(ctx, pr, snap("g", 1, false))) // an old delivery, late
		if got := get(); string(got.Data) != "f" || got.Trusted {
			t.Errorf("after an old, untrusted one: %+v", got)
		}
	})
}
