package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestExpertiseRowsOnceEachNewestFirst(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		var rows []ExpertiseRow
		for i := range 250 { // more than one batch
			rows = append(rows, ExpertiseRow{Number: i, Login: "Alice", Dir: fmt.Sprintf("svc/p%d", i%7), Kind: 1 + i%2,
				At: t0.Add(time.Duration(i) * time.Hour)})
		}
		// Concurrent and repeated deliveries of the same rows add nothing.
		var wg sync.WaitGroup
		for range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := s.AddExpertise(ctx, 7, rows); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if err := s.AddExpertise(ctx, 8, rows[:1]); err != nil { // another repository
			t.Fatal(err)
		}
		var got []ExpertiseRow
		err := s.Expertise(ctx, 7, t0.Add(50*time.Hour), 1000, func(login, dir string, kind int, at time.Time) {
			got = append(got, ExpertiseRow{Login: login, Dir: dir, Kind: kind, At: at})
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 200 {
			t.Fatalf("%d rows since hour 50, want 200", len(got))
		}
		if g := got[0]; g.Login != "alice" || !g.At.Equal(t0.Add(249*time.Hour)) || g.Dir != "svc/p4" || g.Kind != 2 {
			t.Errorf("newest row %+v", g)
		}
		n := 0
		if err := s.Expertise(ctx, 7, t0, 10, func(string, string, int, time.Time) { n++ }); err != nil || n != 10 {
			t.Errorf("limit 10 gave %d rows, %v", n, err)
		}
	})
}

func TestExpertiseBackfillProgressNeverGoesBack(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		if b, found, err := s.ExpertiseBackfill(ctx, 7); err != nil || found || b.NextPage != 1 {
			t.Fatalf("before: %+v %v %v", b, found, err)
		}
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(s.SetExpertiseBackfill(ctx, 7, Backfill{NextPage: 3, PullsSeen: 200}, now))
		must(s.SetExpertiseBackfill(ctx, 7, Backfill{NextPage: 2, PullsSeen: 100}, now)) // a late, older page
		if b, _, _ := s.ExpertiseBackfill(ctx, 7); b.NextPage != 3 || b.PullsSeen != 200 || b.Done {
			t.Errorf("after an older page: %+v", b)
		}
		must(s.SetExpertiseBackfill(ctx, 7, Backfill{NextPage: 4, PullsSeen: 250, Done: true}, now))
		must(s.SetExpertiseBackfill(ctx, 7, Backfill{NextPage: 9, PullsSeen: 900}, now))
		if b, found, _ := s.ExpertiseBackfill(ctx, 7); !found || !b.Done || b.PullsSeen != 250 {
			t.Errorf("a finished backfill changed: %+v", b)
		}
	})
}
