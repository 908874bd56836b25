package store

import (
	"context"
	"database/sql"
	"fmt"
)

// Writes are the store writes an event's job makes. Store embeds the ones
// that commit each write on its own; Batch gives ones that share a
// transaction, so a delivery job commits once instead of once per fact
// (issue 18: six commits made most of a pull_request job's store cost).
// Every write is idempotent on its own, so a batch redelivered, retried or
// run beside another of the same pull request records nothing twice, and
// one that fails records nothing at all.
type Writes struct {
	db interface {
		ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
		QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	}
	tx *sql.Tx // nil: each write commits on its own
	s  *Store
	// pipe, if set, is db: tx's writes are queued and sent together
	// (pipeline.go); a write that uses tx itself sends them first (sync).
	pipe *pipeline
}

// sync sends the writes a pipeline holds, so that what runs on w.tx next
// comes after them.
func (w Writes) sync(ctx context.Context) error {
	if w.pipe == nil {
		return nil
	}
	return w.pipe.flush(ctx)
}

// Batch runs fn with writes that commit together when it returns nil, and
// not at all otherwise. fn must not call GitHub or wait on anything but the
// store: the transaction holds its rows (SQLite: the write lock) meanwhile.
func (s *Store) Batch(ctx context.Context, fn func(w Writes) error) error {
	if err := s.batch(ctx, fn); err != nil {
		return fmt.Errorf("store: batch: %w", err)
	}
	return nil
}

func (s *Store) batch(ctx context.Context, fn func(w Writes) error) error {
	return inTx(ctx, s.DB, func(tx *sql.Tx) error { return fn(Writes{db: tx, tx: tx, s: s}) })
}

// inTx runs fn in w's transaction, or in one of its own when w has none,
// for writes of several statements that must land together.
func (w Writes) inTx(ctx context.Context, fn func(w Writes) error) error {
	if w.tx != nil {
		return fn(w)
	}
	return w.s.batch(ctx, fn)
}
