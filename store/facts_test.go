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
		mustDo(t, s.NoReviewsYet(ctx, pr, []byte("[]"), at))                         // opened delivered late
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
