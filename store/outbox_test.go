package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

func outboxMsg(key string, number int, due time.Time) OutboxMessage {
	return OutboxMessage{Key: key, InstallationID: 1, RepoID: 7, Owner: "o", Repo: "r", Number: number,
		Kind: "review_requested", Person: "alice", Dest: "slack:U1ALICE", Payload: []byte(`{"text":"hi"}`), DueAt: due}
}

func TestOutboxExactlyOnceLifecycle(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		night := outboxMsg("7#1/review_requested/bob/g1", 1, t0.Add(10*time.Hour))
		night.Person, night.Dest = "bob", "slack:U2BOB"
		added, err := s.EnqueueOutbox(ctx, []OutboxMessage{outboxMsg("7#1/review_requested/alice/g1", 1, time.Time{}), night}, t0)
		if err != nil || added != 2 {
			t.Fatalf("enqueue: %d, %v", added, err)
		}
		// A redelivery enqueues the same keys: nothing new.
		if added, err := s.EnqueueOutbox(ctx, []OutboxMessage{outboxMsg("7#1/review_requested/alice/g1", 1, time.Time{})}, t0); err != nil || added != 0 {
			t.Fatalf("second enqueue: %d, %v", added, err)
		}
		got, err := s.ClaimOutbox(ctx, "a", t0, time.Minute, 10)
		if err != nil || len(got) != 1 || got[0].Person != "alice" || got[0].Attempts != 1 || string(got[0].Payload) != `{"text":"hi"}` {
			t.Fatalf("claim: %+v, %v (want alice's only: bob's is not due)", got, err)
		}
		if again, _ := s.ClaimOutbox(ctx, "b", t0.Add(30*time.Second), time.Minute, 10); len(again) != 0 {
			t.Fatalf("a leased message was claimed again: %+v", again)
		}
		// The lease runs out (the sender died): another sender takes it, and
		// the first one's late report changes nothing.
		retaken, err := s.ClaimOutbox(ctx, "b", t0.Add(2*time.Minute), time.Minute, 10)
		if err != nil || len(retaken) != 1 || retaken[0].Attempts != 2 {
			t.Fatalf("after the lease: %+v, %v", retaken, err)
		}
		if ok, err := s.MarkOutboxSent(ctx, got[0].ID, "a", "D1", "1.1", t0); ok || err != nil {
			t.Errorf("the old holder marked it sent: %v, %v", ok, err)
		}
		if ok, err := s.MarkOutboxSent(ctx, got[0].ID, "b", "D1", "1.2", t0.Add(2*time.Minute)); !ok || err != nil {
			t.Errorf("the holder could not mark it sent: %v, %v", ok, err)
		}
		if more, _ := s.ClaimOutbox(ctx, "c", t0.Add(time.Hour), time.Minute, 10); len(more) != 0 {
			t.Errorf("a sent message was claimed: %+v", more)
		}
		// Bob's becomes due in the morning; a 429 defers his destination.
		mustDo(t, s.DeferOutboxDest(ctx, "slack:U2BOB", t0.Add(11*time.Hour)))
		if early, _ := s.ClaimOutbox(ctx, "c", t0.Add(10*time.Hour), time.Minute, 10); len(early) != 0 {
			t.Errorf("claimed before the destination's Retry-After: %+v", early)
		}
		n, oldest, err := s.OutboxDepth(ctx, t0.Add(11*time.Hour+time.Minute))
		if err != nil || n != 1 || oldest != time.Minute {
			t.Errorf("depth = %d, %s, %v; want 1, 1m", n, oldest, err)
		}
		bob, err := s.ClaimOutbox(ctx, "c", t0.Add(11*time.Hour), time.Minute, 10)
		if err != nil || len(bob) != 1 {
			t.Fatalf("bob's: %+v, %v", bob, err)
		}
		if ok, err := s.RetryOutbox(ctx, bob[0].ID, "c", t0.Add(12*time.Hour), "slack: 503"); !ok || err != nil {
			t.Fatalf("retry: %v, %v", ok, err)
		}
		bob, _ = s.ClaimOutbox(ctx, "d", t0.Add(12*time.Hour), time.Minute, 10)
		if len(bob) != 1 {
			t.Fatal("the retried message did not come back")
		}
		if ok, err := s.FailOutbox(ctx, bob[0].ID, "d", "channel_not_found"); !ok || err != nil {
			t.Fatalf("fail: %v, %v", ok, err)
		}
		all, err := s.OutboxOf(ctx, 7, 1)
		if err != nil || len(all) != 2 || all[0].State != OutboxSent || all[0].SentTS != "1.2" ||
			all[1].State != OutboxFailed || all[1].LastError != "channel_not_found" {
			t.Errorf("outbox of the pull request: %+v, %v", all, err)
		}
	})
}

func TestOutboxDropSparesMessagesInFlight(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		var msgs []OutboxMessage
		for i, kind := range []string{"review_requested", "reminder", "reminder", "breach"} {
			m := outboxMsg(fmt.Sprintf("k%d", i), 3, t0)
			m.Kind = kind
			msgs = append(msgs, m)
		}
		other := outboxMsg("other", 4, t0)
		if _, err := s.EnqueueOutbox(ctx, append(msgs, other), t0); err != nil {
			t.Fatal(err)
		}
		held, err := s.ClaimOutbox(ctx, "a", t0, time.Minute, 1) // k0, the oldest
		if err != nil || len(held) != 1 || held[0].Key != "k0" {
			t.Fatalf("claim: %+v, %v", held, err)
		}
		if n, err := s.DropOutbox(ctx, 7, 3, t0, "reminder"); err != nil || n != 2 {
			t.Errorf("drop reminders: %d, %v", n, err)
		}
		if n, err := s.DropOutbox(ctx, 7, 3, t0); err != nil || n != 1 {
			t.Errorf("drop the rest: %d, %v; want 1 (k0 is being sent)", n, err)
		}
		if busy, err := s.OutboxInFlight(ctx, 7, 3, 0, t0); !busy || err != nil {
			t.Errorf("in flight: %v, %v", busy, err)
		}
		if busy, err := s.OutboxInFlight(ctx, 7, 3, held[0].ID, t0); busy || err != nil {
			t.Errorf("in flight but the one asking: %v, %v", busy, err)
		}
		if ok, _ := s.MarkOutboxSent(ctx, held[0].ID, "a", "D1", "1.1", t0); !ok {
			t.Error("the message in flight could not be marked sent")
		}
		left, _ := s.ClaimOutbox(ctx, "b", t0, time.Minute, 10)
		if len(left) != 1 || left[0].Key != "other" {
			t.Errorf("left after the drops: %+v, want only the other pull request's", left)
		}
	})
}

// Senders racing for one outbox each get distinct messages, and together
// every message once.
func TestOutboxConcurrentClaimsNeverOverlap(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		t0 := time.Now()
		const total = 120
		var msgs []OutboxMessage
		for i := range total {
			msgs = append(msgs, outboxMsg(fmt.Sprint("c", i), i, t0))
		}
		if _, err := s.EnqueueOutbox(ctx, msgs, t0); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		seen := map[int64]string{}
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				owner := fmt.Sprint("w", w)
				for {
					got, err := s.ClaimOutbox(ctx, owner, t0, time.Hour, 7)
					if err != nil {
						t.Error(err)
						return
					}
					if len(got) == 0 {
						return
					}
					for _, m := range got {
						mu.Lock()
						if prev, dup := seen[m.ID]; dup {
							t.Errorf("message %d claimed by %s and %s", m.ID, prev, owner)
						}
						seen[m.ID] = owner
						mu.Unlock()
						if ok, err := s.MarkOutboxSent(ctx, m.ID, owner, "C", "1", t0); !ok || err != nil {
							t.Errorf("mark %d: %v, %v", m.ID, ok, err)
						}
					}
				}
			}()
		}
		wg.Wait()
		if len(seen) != total {
			t.Errorf("%d messages claimed, want %d", len(seen), total)
		}
	})
}

func TestNotifyPRSnapshots(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		mustDo(t, s.PutNotifyPR(ctx, NotifyPR{InstallationID: 1, RepoID: 7, Number: 1, Snapshot: []byte(`{"a":1}`), Open: true, UpdatedAt: t0}))
		mustDo(t, s.PutNotifyPR(ctx, NotifyPR{InstallationID: 1, RepoID: 7, Number: 2, Snapshot: []byte(`{}`), Open: true,
			ReviewedAt: t0.Add(time.Hour), ReviewedAfter: 90 * time.Minute, UpdatedAt: t0}))
		// A later write without a review keeps the review's figures.
		mustDo(t, s.PutNotifyPR(ctx, NotifyPR{InstallationID: 1, RepoID: 7, Number: 2, Snapshot: []byte(`{"b":2}`), Open: true, UpdatedAt: t0}))
		mustDo(t, s.PutNotifyPR(ctx, NotifyPR{InstallationID: 1, RepoID: 7, Number: 3, Snapshot: []byte(`{}`), Open: true, UpdatedAt: t0}))
		mustDo(t, s.CloseNotifyPR(ctx, 7, 2))
		mustDo(t, s.CloseNotifyPR(ctx, 7, 3))
		got, err := s.DigestPRs(ctx, t0)
		if err != nil || len(got) != 2 || got[0].Number != 1 || string(got[0].Snapshot) != `{"a":1}` ||
			got[1].Number != 2 || got[1].Open || got[1].ReviewedAfter != 90*time.Minute || string(got[1].Snapshot) != `{"b":2}` {
			t.Errorf("digest PRs: %+v, %v (want #1 open and #2, closed but reviewed this week)", got, err)
		}
		if got, _ := s.DigestPRs(ctx, t0.Add(2*time.Hour)); len(got) != 1 {
			t.Errorf("since after the review: %+v", got)
		}
	})
}
