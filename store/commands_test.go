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
		if rows, done, err := s.CommentCommands(ctx, 7, 11); err != nil || len(rows) != 2 || rows[1].OK || done {
			t.Errorf("comment 11: %+v done %v %v; want a refusal recorded, not done", rows, done, err)
		}
		// A later comment with the same line numbers is its own.
		if _, err := s.AddCommands(ctx, 7, 2, []CommandRow{{CommentID: 12, Line: 1, Kind: "explain", Actor: "x", OK: true, At: at.Add(time.Minute)}}); err != nil {
			t.Fatal(err)
		}
		if rows, _, _ := s.CommentCommands(ctx, 7, 12); len(rows) != 1 || !rows[0].OK {
			t.Errorf("comment 12: %+v", rows)
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

// TestCommandsClaimedOnceUntilDone: of deliveries at once, one holds a
// comment's commands; a failed holder gives them back; a holder that
// vanished loses them after the lease; done commands are held by nobody.
func TestCommandsClaimedOnceUntilDone(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		rows := []CommandRow{{CommentID: 21, Line: 1, Kind: "reassign", Actor: "amy", OK: true, Target: "Erin", Withdraw: "Carol", At: now},
			{CommentID: 21, Line: 2, Kind: "snooze", Actor: "amy", OK: false, Why: "snooze may be run by a lead", At: now}}
		if _, err := s.AddCommands(ctx, 7, 3, rows); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var held atomic.Int32
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if mine, err := s.ClaimCommands(ctx, 7, 21, now, time.Minute); err != nil {
					t.Error(err)
				} else if mine {
					held.Add(1)
				}
			}()
		}
		wg.Wait()
		if n := held.Load(); n != 1 {
			t.Fatalf("%d deliveries hold the commands, want 1", n)
		}
		claim := func(at time.Time) bool {
			t.Helper()
			mine, err := s.ClaimCommands(ctx, 7, 21, at, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			return mine
		}
		if claim(now.Add(30 * time.Second)) {
			t.Error("claimed within the holder's lease")
		}
		if !claim(now.Add(2 * time.Minute)) {
			t.Error("a vanished holder's commands cannot be taken up after the lease")
		}
		if err := s.ReleaseCommands(ctx, 7, 21); err != nil {
			t.Fatal(err)
		}
		if !claim(now.Add(2 * time.Minute)) {
			t.Error("released commands cannot be claimed at once")
		}
		got, done, err := s.CommentCommands(ctx, 7, 21)
		if err != nil || done || len(got) != 2 || got[0].Withdraw != "carol" || got[0].Target != "erin" || got[1].Why != rows[1].Why {
			t.Errorf("recorded %+v done %v %v", got, done, err)
		}
		if err := s.FinishCommands(ctx, 7, 21); err != nil {
			t.Fatal(err)
		}
		if _, done, _ := s.CommentCommands(ctx, 7, 21); !done {
			t.Error("finished commands are not done")
		}
		if claim(now.Add(time.Hour)) {
			t.Error("done commands were claimed")
		}
	})
}
