package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
)

// writeGroup commits the evaluations' small writes on SQLite several to a
// transaction. An evaluation writes six or seven times (its start, the
// verdict, the check run's lease and record, the comment's record, the
// page's summary, its end), each a statement of its own on the main file's
// one write connection. Run one by one, every write is a commit (its pages
// appended to the WAL) and a hand-over of the connection to the next
// waiting goroutine, which on a busy machine waits for a CPU while the
// connection waits for it; after loadgen stops sending, seven of ten
// workers waited there (docs/capacity.md). The group's one goroutine takes
// what is waiting, runs it back to back in one transaction, each write in a
// savepoint of its own so that one failing undoes only itself, and answers
// every caller once the transaction has committed: a caller's write is
// committed when its call returns, as before.
type writeGroup struct {
	db   *sql.DB
	reqs chan groupedWrite // unbuffered: a send is received or refused
	quit chan struct{}
	done sync.WaitGroup
	once sync.Once
}

// maxWriteGroup bounds one transaction, so its callers wait for a bounded
// time and the connection is free for River and the inbox's mover between
// transactions.
const maxWriteGroup = 32

// writer is where a grouped write runs its statements: the group's
// transaction, or the database itself where there is no group.
type writer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

type groupedWrite struct {
	ctx  context.Context
	fn   func(ctx context.Context, db writer) error
	done chan error
}

var errGroupClosed = errors.New("store: closed")

func newWriteGroup(db *sql.DB) *writeGroup {
	g := &writeGroup{db: db, reqs: make(chan groupedWrite), quit: make(chan struct{})}
	g.done.Add(1)
	go g.run()
	return g
}

// write runs fn in the group's next transaction and returns once that has
// committed. fn's writes are undone if it fails, and only they.
func (g *writeGroup) write(ctx context.Context, fn func(ctx context.Context, db writer) error) error {
	w := groupedWrite{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case g.reqs <- w:
	case <-g.quit:
		return errGroupClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	// Not abandoned when ctx ends: the group checks ctx before running fn,
	// and its statements run with ctx, so a write whose caller gave up is
	// not run, or stops where it is and is undone.
	return <-w.done
}

func (g *writeGroup) run() {
	defer g.done.Done()
	for {
		var first groupedWrite
		select {
		case first = <-g.reqs:
		case <-g.quit:
			return
		}
		batch := []groupedWrite{first}
	more:
		for len(batch) < maxWriteGroup {
			select {
			case w := <-g.reqs:
				batch = append(batch, w)
			default:
				break more
			}
		}
		errs := g.commit(batch)
		for i, w := range batch {
			w.done <- errs[i]
		}
	}
}

// commit runs batch in one transaction and returns each write's outcome.
func (g *writeGroup) commit(batch []groupedWrite) []error {
	errs := make([]error, len(batch))
	fail := func(err error) []error {
		for i := range errs {
			if errs[i] == nil {
				errs[i] = err
			}
		}
		return errs
	}
	// The transaction is the group's: one caller's cancelled context must
	// not roll back the others' writes.
	tx, err := g.db.BeginTx(context.Background(), nil)
	if err != nil {
		return fail(fmt.Errorf("store: begin grouped writes: %w", err))
	}
	for i, w := range batch {
		if errs[i] = w.ctx.Err(); errs[i] != nil {
			continue
		}
		if errs[i], err = runSaved(tx, w); err != nil {
			tx.Rollback()
			return fail(fmt.Errorf("store: grouped writes: %w", err))
		}
	}
	if err := tx.Commit(); err != nil {
		return fail(fmt.Errorf("store: commit grouped writes: %w", err))
	}
	return errs
}

// runSaved runs w in a savepoint of tx and undoes it if it fails. It
// returns w's error, and an error of the savepoint itself, after which tx
// cannot go on.
func runSaved(tx *sql.Tx, w groupedWrite) (wErr, txErr error) {
	ctx := context.Background()
	if _, err := tx.ExecContext(ctx, `SAVEPOINT grouped`); err != nil {
		return nil, err
	}
	if wErr = w.fn(w.ctx, tx); wErr != nil {
		if _, err := tx.ExecContext(ctx, `ROLLBACK TO grouped`); err != nil {
			return wErr, err
		}
	}
	_, txErr = tx.ExecContext(ctx, `RELEASE grouped`)
	return wErr, txErr
}

// close stops the group once the transaction it runs has committed; later
// writes fail with errGroupClosed.
func (g *writeGroup) close() {
	g.once.Do(func() {
		close(g.quit)
		g.done.Wait()
	})
}

// write runs fn as one write: in the write group's next transaction on
// SQLite, on the database itself on PostgreSQL, where each statement is a
// commit of its own as before (its commits are grouped by the server).
func (s *Store) write(ctx context.Context, fn func(ctx context.Context, db writer) error) error {
	if s.writes == nil {
		return fn(ctx, s.DB)
	}
	return s.writes.write(ctx, fn)
}
