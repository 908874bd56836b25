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
		var replies, firsts atomic.Int32
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				first, err := s.AddCommands(ctx, 7, 2, rows)
				if err != nil {
					t.Error(err)
				} else if first {
					firsts.Add(1)
				}
				if ok, err := s.ClaimReply(ctx, 7, 11); err != nil {
					t.Error(err)
				} else if ok {
					replies.Add(1)
				}
			}()
		}
		wg.Wait()
		if n, f := replies.Load(), firsts.Load(); n != 1 || f != 1 {
			t.Errorf("%d replies claimed and %d first records, want 1 and 1", n, f)
		}
		if ok, found, err := s.CommentOK(ctx, 7, 11); err != nil || ok || !found {
			t.Errorf("comment 11: ok %v found %v %v; want a refusal recorded", ok, found, err)
		}
		// A later comment with the same line numbers is its own.
		if _, err := s.AddCommands(ctx, 7, 2, []CommandRow{{CommentID: 12, Line: 1, Kind: "explain", Actor: "x", OK: true, At: at.Add(time.Minute)}}); err != nil {
			t.Fatal(err)
		}
		if ok, found, _ := s.CommentOK(ctx, 7, 12); !ok || !found {
			t.Errorf("comment 12: ok %v found %v", ok, found)
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
