package store

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestCommandsOnceAndOneReply(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		rows := []CommandRow{
			{CommentID: 11, Line: 1, Kind: "snooze", Actor: "lee", OK: true, For: 4 * time.Hour, Reason: "vendor", At: at},
			{CommentID: 11, Line: 2, Kind: "skip template", Actor: "lee", OK: false, At: at},
		}
		var wg sync.WaitGroup
		var replies atomic.Int32
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := s.AddCommands(ctx, 7, 2, rows); err != nil {
					t.Error(err)
				}
				if ok, err := s.ClaimReply(ctx, 7, 11); err != nil {
					t.Error(err)
				} else if ok {
					replies.Add(1)
				}
			}()
		}
		wg.Wait()
		if n := replies.Load(); n != 1 {
			t.Errorf("%d replies claimed, want 1", n)
		}
		// A later comment with the same line numbers is its own.
		if err := s.AddCommands(ctx, 7, 2, []CommandRow{{CommentID: 12, Line: 1, Kind: "explain", Actor: "x", OK: true, At: at.Add(time.Minute)}}); err != nil {
			t.Fatal(err)
		}
		got, err := s.Commands(ctx, 7, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Kind != "snooze" || got[0].For != 4*time.Hour || got[0].Reason != "vendor" || got[1].Kind != "explain" {
			t.Errorf("allowed commands, oldest first: %+v", got)
		}
		if err := s.ReleaseReply(ctx, 7, 11); err != nil {
			t.Fatal(err)
		}
		if ok, _ := s.ClaimReply(ctx, 7, 11); !ok {
			t.Error("a released reply cannot be claimed again")
		}
	})
}
