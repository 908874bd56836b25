package store

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
)

// The same body under a new delivery ID is a replay: refused, nothing
// recorded, no job; GitHub's Redeliver (same ID) stays a duplicate as
// before; different bodies are both recorded. On SQLite each case is tried
// against a first delivery still in the inbox and one moved into the main
// database.
func TestEnqueueDeliveryRefusesReplayedBody(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		for _, moved := range []bool{false, true} {
			if moved && s.inbox == nil {
				continue // PostgreSQL has no inbox
			}
			name := map[bool]string{false: "recorded", true: "moved"}[moved]
			t.Run(name, func(t *testing.T) { replayCases(t, s, name, moved) })
		}
	})
}

func replayCases(t *testing.T, s *Store, prefix string, moved bool) {
	ctx := context.Background()
	delivery := func(id, body string) Delivery {
		return Delivery{ID: prefix + id, Event: "pull_request", Payload: []byte(body), BodyHash: []byte(prefix + "hash of " + body)}
	}
	enqueue := func(d Delivery) bool {
		t.Helper()
		ok, err := s.EnqueueDelivery(ctx, d)
		if err != nil {
			t.Fatalf("EnqueueDelivery(%s): %v", d.ID, err)
		}
		return ok
	}
	depth := func() int64 {
		t.Helper()
		n, err := s.QueueDepth(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := depth()
	if !enqueue(delivery("a", `{"n":1}`)) {
		t.Fatal("first delivery refused")
	}
	if moved {
		if err := s.inbox.moveAll(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if enqueue(delivery("b", `{"n":1}`)) {
		t.Error("the same body under a new ID was recorded")
	}
	if _, err := s.Delivery(ctx, prefix+"b"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Delivery of the replay = %v, want ErrNotFound", err)
	}
	if enqueue(delivery("a", `{"n":1}`)) {
		t.Error("a redelivery under the same ID was recorded")
	}
	if !enqueue(delivery("c", `{"n":2}`)) {
		t.Error("a different body under a new ID was refused")
	}
	// Deliveries recorded without a hash are not each other's replays.
	for _, id := range []string{"x", "y"} {
		if !enqueue(Delivery{ID: prefix + id, Event: "ping", Payload: []byte(`{}`)}) {
			t.Errorf("delivery %s without a body hash refused", id)
		}
	}
	if got := depth() - before; got != 4 {
		t.Errorf("%d jobs enqueued, want 4 (a, c, x, y)", got)
	}
}

// An inbox file written before body hashes existed gains the column on Open.
func TestInboxFromBeforeBodyHashes(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "store.db")
	old, err := sql.Open(sqliteDriverName, path+".inbox")
	if err != nil {
		t.Fatal(err)
	}
	const oldSchema = `CREATE TABLE inbox (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,
event TEXT NOT NULL, action TEXT NOT NULL, installation_id INTEGER NOT NULL,
payload BLOB NOT NULL, received_at INTEGER NOT NULL) STRICT`
	if _, err := old.Exec(oldSchema); err != nil {
		t.Fatal(err)
	}
	if _, err := old.Exec(`INSERT INTO inbox (id, event, action, installation_id, payload, received_at)
VALUES ('left', 'push', '', 1, x'7b7d', 1)`); err != nil {
		t.Fatal(err)
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	s := openStore(t, "sqlite://"+path, Options{})
	ctx := context.Background()
	if _, err := s.Delivery(ctx, "left"); err != nil {
		t.Errorf("the delivery left in the old inbox: %v", err)
	}
	d := Delivery{ID: "new", Event: "push", Payload: []byte(`{}`), BodyHash: []byte("h")}
	if ok, err := s.EnqueueDelivery(ctx, d); err != nil || !ok {
		t.Fatalf("EnqueueDelivery = %v, %v", ok, err)
	}
	d.ID = "replay"
	if ok, err := s.EnqueueDelivery(ctx, d); err != nil || ok {
		t.Errorf("replay: EnqueueDelivery = %v, %v; want false", ok, err)
	}
}
