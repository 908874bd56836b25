package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync"
	"testing"
)

// TestGroupCommitSharesTransactions: 60 concurrent deliveries (40 IDs, some
// twice, and one that PostgreSQL refuses) each new one recorded with one
// job, each duplicate reported as such, the refused one failing alone; on
// PostgreSQL in fewer transactions than deliveries (SQLite's inbox groups
// them its own way, inbox_test.go).
func TestGroupCommitSharesTransactions(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		pg := s.group != nil
		ctx := context.Background()
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := map[string]int{}
		var errs []string
		for i := range 60 {
			id := fmt.Sprint("g", i%40)
			event := "push"
			if i == 7 {
				id, event = "bad", "push\xff" // not UTF-8: PostgreSQL refuses the text
			}
			wg.Go(func() {
				ok, err := s.EnqueueDelivery(ctx, Delivery{ID: id, Event: event, Payload: []byte(`{}`)})
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, id)
				} else if ok {
					wins[id]++
				}
			})
		}
		wg.Wait()
		want := 41 // g0..g39 and bad
		if pg {
			want = 40
			if len(errs) != 1 || errs[0] != "bad" {
				t.Errorf("failed: %v, want only bad", errs)
			}
		} else if len(errs) != 0 {
			t.Errorf("failed: %v", errs)
		}
		if len(wins) != want {
			t.Errorf("%d deliveries recorded, want %d", len(wins), want)
		}
		for id, n := range wins {
			if n != 1 {
				t.Errorf("%s recorded %d times", id, n)
			}
		}
		if depth, err := s.QueueDepth(ctx); err != nil || depth != int64(want) {
			t.Errorf("QueueDepth = %d, %v; want %d", depth, err, want)
		}
		if !pg {
			return
		}
		s.group.mu.Lock()
		batches := s.group.batches
		s.group.mu.Unlock()
		if batches >= 60 {
			t.Errorf("%d transactions for 60 concurrent deliveries: nothing was grouped", batches)
		}
		t.Logf("60 deliveries in %d batches", batches)
	})
}

// TestRecordDeliveriesInOneBatch: in one batch (SQLite: the inbox mover's
// recordDeliveries; PostgreSQL: the acknowledgement's one statement) the
// first of two deliveries with one ID or one body hash wins, deliveries
// without a hash never collide, and one recorded before is a duplicate.
func TestRecordDeliveriesInOneBatch(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		if _, err := s.EnqueueDelivery(ctx, Delivery{ID: "old", Event: "push", BodyHash: []byte("h0")}); err != nil {
			t.Fatal(err)
		}
		if s.inbox != nil { // SQLite: from the inbox into the main file, which the batch writes
			mustDo(t, s.inbox.moveAll(ctx))
		}
		ds := []Delivery{
			{ID: "a", Event: "push", BodyHash: []byte("h1")},
			{ID: "a", Event: "push", BodyHash: []byte("h2")}, // same ID
			{ID: "b", Event: "push", BodyHash: []byte("h1")}, // same body
			{ID: "c", Event: "push"},
			{ID: "d", Event: "push"},
			{ID: "old", Event: "push"},
			{ID: "e", Event: "push", BodyHash: []byte("h0")}, // the old one's body
		}
		for i := range ds {
			ds[i].Payload = encodePayload(nil)
		}
		var got []bool
		var err error
		if s.intake != nil {
			got, err = recordUnqueued(ctx, s.intake, ds)
		} else {
			err = s.inTx(ctx, func(tx *sql.Tx) error {
				got, _, err = s.recordDeliveries(ctx, tx, ds, nil)
				return err
			})
		}
		if err != nil {
			t.Fatal(err)
		}
		want := []bool{true, false, false, true, true, false, false}
		if !slices.Equal(got, want) {
			t.Errorf("inserted %v, want %v", got, want)
		}
	})
}
