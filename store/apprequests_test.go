package store

import (
	"context"
	"testing"
	"time"
)

func TestAppRequestsWithdrawOnce(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(s.AddAppRequest(ctx, 7, 2, "Alice", t0))
		must(s.AddAppRequest(ctx, 7, 2, "alice", t0.Add(time.Hour))) // a retry keeps the first time
		must(s.AddAppRequest(ctx, 7, 2, "bob", t0.Add(time.Minute)))
		if r, found, err := s.AppRequestOf(ctx, 7, 2, "ALICE"); err != nil || !found || !r.Open || !r.RequestedAt.Equal(t0) {
			t.Fatalf("alice: %+v %v %v", r, found, err)
		}
		must(s.WithdrawAppRequest(ctx, 7, 2, "alice", "first"))
		must(s.WithdrawAppRequest(ctx, 7, 2, "alice", "second"))
		all, err := s.AppRequests(ctx, 7, 2)
		must(err)
		if len(all) != 2 || all[0].Login != "alice" || all[0].Open || all[0].Note != "first" || !all[1].Open {
			t.Errorf("requests %+v", all)
		}
		if _, found, _ := s.AppRequestOf(ctx, 7, 2, "carol"); found {
			t.Error("carol was never asked by the app")
		}
		must(s.AddDoneRules(ctx, 7, 2, []string{"a", "b"}))
		must(s.RemoveDoneRules(ctx, 7, 2, []string{"a"}))
		if done, _ := s.DoneRules(ctx, 7, 2); len(done) != 1 || done[0] != "b" {
			t.Errorf("done rules %v", done)
		}
	})
}

// TestWithdrawnAndUntimed: the app's withdrawals keep their why apart from
// a person's removals (which win), and requests without a timer are listed
// until marked.
func TestWithdrawnAndUntimed(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		must := func(err error) { t.Helper(); mustDo(t, err) }
		must(s.MarkWithdrawn(ctx, 7, 4, "Carol", "withdrawn after 8h without a response"))
		must(s.MarkWithdrawn(ctx, 7, 4, "carol", "withdrawn with /reviewpolicy reassign")) // the first why stays
		must(s.MarkWithdrawn(ctx, 7, 4, "dave", "withdrawn after 8h without a response"))
		must(s.MarkRemoved(ctx, 7, 4, "dave")) // a person's removal wins
		must(s.MarkRemoved(ctx, 7, 4, "erin"))
		w, err := s.Withdrawn(ctx, 7, 4)
		must(err)
		if len(w) != 1 || w["carol"] != "withdrawn after 8h without a response" {
			t.Errorf("withdrawn %v", w)
		}
		if rm, _ := s.Removed(ctx, 7, 4); len(rm) != 2 || rm[0] != "dave" || rm[1] != "erin" {
			t.Errorf("removed by a person %v, want dave and erin", rm)
		}

		must(s.AddAppRequest(ctx, 7, 4, "amy", t0))
		must(s.AddAppRequest(ctx, 7, 4, "bob", t0.Add(time.Minute)))
		must(s.WithdrawAppRequest(ctx, 7, 4, "bob", "gone"))
		u, err := s.UntimedAppRequests(ctx, 7, 4)
		must(err)
		if len(u) != 1 || u[0].Login != "amy" || !u[0].RequestedAt.Equal(t0) {
			t.Errorf("untimed %+v, want amy's open request", u)
		}
		must(s.MarkTimed(ctx, 7, 4, "AMY"))
		if u, _ := s.UntimedAppRequests(ctx, 7, 4); len(u) != 0 {
			t.Errorf("untimed after marking %+v", u)
		}
	})
}
