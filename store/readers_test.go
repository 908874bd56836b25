package store

import (
	"context"
	"testing"
	"time"
)

// A read must not wait for the writer: with one connection for everything,
// a job's read queued behind River's completer and every other job's
// transaction. Here a write transaction stays open while the store reads.
func TestSQLiteReadsDoNotWaitForTheWriter(t *testing.T) {
	t.Parallel()
	s := openStore(t, newSQLiteURL(t), Options{})
	ctx := context.Background()
	k := ObjectKey{RepoID: 7, Number: 1, Kind: "comment"}
	mustDo(t, s.PutObject(ctx, k, Object{ID: 41}))

	tx, err := s.DB.BeginTx(ctx, nil) // _txlock=immediate: holds the write lock
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `UPDATE github_objects SET object_id = 42 WHERE repo_id = 7`); err != nil {
		t.Fatal(err)
	}

	readCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	o, ok, err := s.GetObject(readCtx, k)
	if err != nil || !ok {
		t.Fatalf("GetObject while a write transaction is open: %+v, %v, %v", o, ok, err)
	}
	if o.ID != 41 {
		t.Errorf("read %d; want 41, the committed value, not the open transaction's", o.ID)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if o, _, err := s.GetObject(ctx, k); err != nil || o.ID != 42 {
		t.Errorf("after the commit read %+v, %v; want 42", o, err)
	}
}

// The read pool refuses writes, so a write routed there by mistake fails
// in tests instead of racing River for SQLite's write lock.
func TestSQLiteReadPoolIsReadOnly(t *testing.T) {
	t.Parallel()
	s := openStore(t, newSQLiteURL(t), Options{})
	_, err := s.reads.ExecContext(context.Background(),
		`INSERT INTO github_objects (repo_id, number, kind, object_id, content_hash) VALUES (1, 1, 'x', 1, '')`)
	if err == nil {
		t.Fatal("a write through the read pool succeeded")
	}
}
