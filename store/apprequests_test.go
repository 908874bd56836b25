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
