package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// writeGroup sends the evaluations' small writes several at a time. An
// evaluation writes six or seven times (its start, the verdict, the check
// run's lease and record, the comment's record, the page's summary, its
// end), each one statement that was a commit of its own.
//
// On SQLite each was also a hand-over of the main file's one write
// connection to the next waiting goroutine, which on a busy machine waits
// for a CPU while the connection waits for it; after loadgen stopped
// sending, seven of ten workers waited there. The group runs what is
// waiting back to back in one transaction.
//
// On PostgreSQL each was a round trip, and the database's CPU goes per
// round trip (docs/capacity.md). The group sends what is waiting as one
// pipeline, which PostgreSQL runs as one implicit transaction: one round
// trip, one commit.
//
// On either engine, if a statement fails, the group undoes them all and
// sends each again on its own, so that one failing fails only itself. A
// pipeline holds its earlier statements' row locks while a later one waits,
// so unlike single statements it can deadlock with another transaction (a
// move of deliveries locks records, then pull requests); PostgreSQL then
// aborts one of the two after deadlock_timeout, a second by default, and
// if that is the pipeline its writes go again one by one. None was seen in
// the twelfth or thirteenth session's runs.
//
// Either way every caller is answered once its write has committed, so a
// write is committed when its call returns, as before.
type writeGroup struct {
	db     *sql.DB
	sqlite bool
	reqs   chan groupedWrite // unbuffered: a send is received or refused
	quit   chan struct{}
	done   sync.WaitGroup
	once   sync.Once
}

// maxWriteGroup bounds one transaction, so its callers wait for a bounded
// time and, on SQLite, the connection is free for River and the inbox's
// mover between transactions.
const maxWriteGroup = 32

// groupRoundTimeout bounds one round of the group: callers wait for their
// answer without a deadline of their own, so a database that stopped
// answering must not hold them for ever.
const groupRoundTimeout = time.Minute

// groupedWrite is one statement: an Exec's, or, with scan, a QueryRow's
// whose row goes to scan (sql.ErrNoRows when there is none).
type groupedWrite struct {
	ctx   context.Context
	query string
	args  []any
	scan  []any
	done  chan groupedResult
}

type groupedResult struct {
	affected int64
	err      error
}

// newWriteGroup starts a group writing on db with senders goroutines.
func newWriteGroup(db *sql.DB, sqlite bool, senders int) *writeGroup {
	g := &writeGroup{db: db, sqlite: sqlite, reqs: make(chan groupedWrite), quit: make(chan struct{})}
	for range senders {
		g.done.Add(1)
		go g.run()
	}
	return g
}

// write sends w with the group's next round and returns its outcome once
// that has committed.
func (g *writeGroup) write(w groupedWrite) groupedResult {
	w.done = make(chan groupedResult, 1)
	select {
	case g.reqs <- w:
	case <-g.quit:
		return groupedResult{err: errClosed}
	case <-w.ctx.Done():
		return groupedResult{err: w.ctx.Err()}
	}
	// Not abandoned when ctx ends: the group skips a write whose context
	// has ended before its round, and answers every write it takes.
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
		batch := takeWaiting(g.reqs, []groupedWrite{first}, maxWriteGroup)
		var live []groupedWrite
		for _, w := range batch {
			if err := w.ctx.Err(); err != nil {
				w.done <- groupedResult{err: err}
				continue
			}
			live = append(live, w)
		}
		g.round(live)
	}
}

// takeWaiting appends to batch what ch has ready now, up to limit in all:
// what arrived while the last batch was being written goes in the next.
func takeWaiting[T any](ch <-chan T, batch []T, limit int) []T {
	for len(batch) < limit {
		select {
		case v := <-ch:
			batch = append(batch, v)
		default:
			return batch
		}
	}
	return batch
}

// round commits batch and answers each of its writes.
func (g *writeGroup) round(batch []groupedWrite) {
	if len(batch) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), groupRoundTimeout)
	defer cancel()
	send := g.sendPostgres
	if g.sqlite {
		send = g.commitSQLite
	}
	if res := send(ctx, batch); len(batch) == 1 || !failedAny(res) {
		answer(batch, res)
		return
	}
	// The whole batch was undone: each on its own again.
	for i := range batch {
		answer(batch[i:i+1], send(ctx, batch[i:i+1]))
	}
}

// answer gives each write of batch its outcome.
func answer(batch []groupedWrite, res []groupedResult) {
	for i, w := range batch {
		w.done <- res[i]
	}
}

// failedAny reports whether any write failed (finding no row is not a
// failure).
func failedAny(res []groupedResult) bool {
	for _, r := range res {
		if r.err != nil && !errors.Is(r.err, sql.ErrNoRows) {
			return true
		}
	}
	return false
}

// commitSQLite runs batch in one transaction. A statement that fails
// undoes itself, but some failures (a full disk, an I/O error) roll back the
// whole transaction, so any failure rolls it back, as on PostgreSQL, and
// round sends each write again on its own.
func (g *writeGroup) commitSQLite(ctx context.Context, batch []groupedWrite) []groupedResult {
	res := make([]groupedResult, len(batch))
	fail := func(err error) []groupedResult {
		for i := range res {
			if res[i].err == nil || errors.Is(res[i].err, sql.ErrNoRows) {
				res[i] = groupedResult{err: err}
			}
		}
		return res
	}
	tx, err := g.db.BeginTx(ctx, nil)
	if err != nil {
		return fail(fmt.Errorf("store: begin grouped writes: %w", err))
	}
	for i, w := range batch {
		if res[i] = runIn(tx, w); failedAny(res[i : i+1]) {
			tx.Rollback()
			return res
		}
	}
	if err := tx.Commit(); err != nil {
		return fail(fmt.Errorf("store: commit grouped writes: %w", err))
	}
	return res
}

// runIn runs w in tx.
func runIn(tx *sql.Tx, w groupedWrite) groupedResult {
	if w.scan != nil {
		return groupedResult{err: tx.QueryRowContext(w.ctx, w.query, w.args...).Scan(w.scan...)}
	}
	sr, err := tx.ExecContext(w.ctx, w.query, w.args...)
	if err != nil {
		return groupedResult{err: err}
	}
	n, err := sr.RowsAffected()
	return groupedResult{affected: n, err: err}
}

// sendPostgres sends batch as one pipeline on a connection of db.
func (g *writeGroup) sendPostgres(ctx context.Context, batch []groupedWrite) []groupedResult {
	res := make([]groupedResult, len(batch))
	conn, err := g.db.Conn(ctx)
	if err == nil {
		err = withPgx(conn, func(c *pgx.Conn) error {
			b := &pgx.Batch{}
			for _, w := range batch {
				b.Queue(w.query, w.args...)
			}
			br := c.SendBatch(ctx, b)
			for i, w := range batch {
				res[i] = readResult(br, w)
			}
			return br.Close()
		})
		conn.Close()
	}
	if err != nil {
		for i := range res {
			if res[i].err == nil || errors.Is(res[i].err, sql.ErrNoRows) {
				res[i] = groupedResult{err: fmt.Errorf("store: grouped writes: %w", err)}
			}
		}
	}
	return res
}

// readResult reads w's outcome from the pipeline's results.
func readResult(br pgx.BatchResults, w groupedWrite) groupedResult {
	if w.scan != nil {
		err := br.QueryRow().Scan(w.scan...)
		if errors.Is(err, pgx.ErrNoRows) {
			err = sql.ErrNoRows
		}
		return groupedResult{err: err}
	}
	tag, err := br.Exec()
	return groupedResult{affected: tag.RowsAffected(), err: err}
}

// close stops the group once the rounds it runs have committed; later
// writes fail with errClosed.
func (g *writeGroup) close() {
	g.once.Do(func() {
		close(g.quit)
		g.done.Wait()
	})
}

// writeExec runs query as one write of the group (see writeGroup) and
// returns the rows it affected.
func (s *Store) writeExec(ctx context.Context, query string, args ...any) (int64, error) {
	r := s.writes.write(groupedWrite{ctx: ctx, query: query, args: args})
	return r.affected, r.err
}

// writeQueryRow runs query, which returns at most one row, as one write of
// the group and scans the row into dest; sql.ErrNoRows if there is none.
func (s *Store) writeQueryRow(ctx context.Context, dest []any, query string, args ...any) error {
	return s.writes.write(groupedWrite{ctx: ctx, query: query, args: args, scan: dest}).err
}
