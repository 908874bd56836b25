package store

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// Writes handed to the group at once commit together, and one that fails
// is undone alone: the others' rows are there, its own is not, and each
// caller hears its own outcome.
func TestWriteGroupUndoesOnlyTheWriteThatFailed(t *testing.T) {
	t.Parallel()
	s := openStore(t, newSQLiteURL(t), Options{})
	ctx := context.Background()
	_, err := s.DB.ExecContext(ctx, `CREATE TABLE grouped (n INTEGER PRIMARY KEY)`)
	mustDo(t, err)
	// Hold the write connection so that the writes queue up behind it and
	// the group takes them in one transaction.
	hold, err := s.DB.BeginTx(ctx, nil)
	mustDo(t, err)
	failed := errors.New("this write fails after its insert")
	const writes = 8
	errs := make([]error, writes)
	var wg sync.WaitGroup
	for i := range writes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.write(ctx, func(ctx context.Context, db writer) error {
				if _, err := db.ExecContext(ctx, `INSERT INTO grouped (n) VALUES ($1)`, i); err != nil {
					return err
				}
				if i == 3 {
					return failed
				}
				return nil
			})
		}()
	}
	time.Sleep(100 * time.Millisecond)
	mustDo(t, hold.Rollback())
	wg.Wait()
	for i, err := range errs {
		if want := error(nil); i == 3 {
			if !errors.Is(err, failed) {
				t.Errorf("write 3: %v, want its own error", err)
			}
		} else if err != want {
			t.Errorf("write %d: %v", i, err)
		}
	}
	var got string
	mustDo(t, s.reads.QueryRowContext(ctx, `SELECT group_concat(n, ',') FROM (SELECT n FROM grouped ORDER BY n)`).Scan(&got))
	if got != "0,1,2,4,5,6,7" {
		t.Errorf("rows %s, want every write's but the failed one's", got)
	}
}

// A write is committed when its call returns: a read on another
// connection sees it at once, from many writers at the same time.
func TestWriteGroupCommitsBeforeAnswering(t *testing.T) {
	t.Parallel()
	s := openStore(t, newSQLiteURL(t), Options{})
	ctx := context.Background()
	_, err := s.DB.ExecContext(ctx, `CREATE TABLE grouped (n INTEGER PRIMARY KEY)`)
	mustDo(t, err)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 20 {
				n := i*100 + j
				err := s.write(ctx, func(ctx context.Context, db writer) error {
					_, err := db.ExecContext(ctx, `INSERT INTO grouped (n) VALUES ($1)`, n)
					return err
				})
				if err != nil {
					t.Error(err)
					return
				}
				var seen bool
				if err := s.reads.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM grouped WHERE n = $1)`, n).Scan(&seen); err != nil || !seen {
					t.Errorf("row %d not seen by a reader after its write returned (%v)", n, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// A write whose caller has given up is not run, and the group goes on
// with the others; once the store closes, writes fail instead of waiting.
func TestWriteGroupSkipsCancelledWritesAndCloses(t *testing.T) {
	t.Parallel()
	s := openStore(t, newSQLiteURL(t), Options{})
	ctx := context.Background()
	_, err := s.DB.ExecContext(ctx, `CREATE TABLE grouped (n INTEGER PRIMARY KEY)`)
	mustDo(t, err)
	insert := func(n int) func(ctx context.Context, db writer) error {
		return func(ctx context.Context, db writer) error {
			_, err := db.ExecContext(ctx, `INSERT INTO grouped (n) VALUES ($1)`, n)
			return err
		}
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.writes.write(cancelled, insert(1)); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled write: %v, want context.Canceled", err)
	}
	mustDo(t, s.write(ctx, insert(2)))
	var got string
	mustDo(t, s.reads.QueryRowContext(ctx, `SELECT group_concat(n, ',') FROM grouped`).Scan(&got))
	if got != "2" {
		t.Errorf("rows %s, want only the write that was not cancelled", got)
	}
	s.writes.close()
	done := make(chan error, 1)
	go func() { done <- s.write(ctx, insert(3)) }()
	select {
	case err := <-done:
		if !errors.Is(err, errGroupClosed) {
			t.Errorf("write after close: %v, want %v", err, errGroupClosed)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a write after close still waits")
	}
}
