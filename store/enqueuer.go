package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"github.com/riverqueue/river"
)

// enqueuer gives PostgreSQL deliveries their jobs. The acknowledgement
// records a delivery and a row of deliveries_unqueued in one statement
// (groupcommit.go); the enqueuer deletes such rows and inserts their jobs
// in one transaction, so a recorded delivery gets exactly one job, however
// many processes' enqueuers run. Why not in the acknowledgement: its
// transaction was five round trips (begin, insert, the fair queue's
// backlog read, River's insert, commit), each a wait for a database the
// jobs keep busy; now it is one. SQLite's inbox splits the work the same way
// (inbox.go), for its own reasons.
//
// It runs after every batch that recorded a delivery, at most every
// moveEvery, and every movePoll for rows that a process which died between
// the two steps left behind.
type enqueuer struct {
	s   *Store
	db  *sql.DB // the intake's pool: its commits are asynchronous too
	log *slog.Logger

	moving sync.Mutex // one move at a time in a process

	kick chan struct{} // buffered: a wake-up waiting is enough
	quit chan struct{}
	wg   sync.WaitGroup
	err  error // the last move's, on close
	once sync.Once
}

func newEnqueuer(s *Store, db *sql.DB, log *slog.Logger) *enqueuer {
	if log == nil {
		log = slog.Default()
	}
	e := &enqueuer{s: s, db: db, log: log, kick: make(chan struct{}, 1), quit: make(chan struct{})}
	e.wg.Add(1)
	go e.run()
	return e
}

// wake asks for a move soon; it never blocks.
func (e *enqueuer) wake() {
	select {
	case e.kick <- struct{}{}:
	default:
	}
}

func (e *enqueuer) run() {
	defer e.wg.Done()
	move := func() error { return e.moveAll(context.Background()) }
	e.err = moveLoop(e.kick, e.quit, move, move, e.log, "store: enqueuing deliveries' jobs failed; retrying")
}

// close makes a last move and stops.
func (e *enqueuer) close() error {
	e.once.Do(func() { close(e.quit) })
	e.wg.Wait()
	return e.err
}

// moveAll moves batches until deliveries_unqueued has nothing this process
// can take; another process's move may still hold some rows.
func (e *enqueuer) moveAll(ctx context.Context) error {
	e.moving.Lock()
	defer e.moving.Unlock()
	for {
		n, err := e.moveBatch(ctx)
		if err != nil || n < maxMoveBatch {
			return err
		}
	}
}

// moveBatch enqueues the jobs of the oldest unqueued deliveries and deletes
// their rows, in one transaction, and reports how many. Rows another
// process is moving are skipped, not waited for.
func (e *enqueuer) moveBatch(ctx context.Context) (int, error) {
	type row struct {
		seq  int64
		args DeliveryArgs
		inst int64
	}
	var n int
	err := inTx(ctx, e.db, func(tx *sql.Tx) error {
		const q = `DELETE FROM deliveries_unqueued WHERE seq IN (
    SELECT seq FROM deliveries_unqueued ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED)
RETURNING seq, id, event, installation_id`
		rows, err := tx.QueryContext(ctx, q, maxMoveBatch)
		if err != nil {
			return err
		}
		var got []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.seq, &r.args.DeliveryID, &r.args.Event, &r.inst); err != nil {
				rows.Close()
				return err
			}
			got = append(got, r)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil || len(got) == 0 {
			return err
		}
		// RETURNING has no order; the fair queue places jobs in arrival order.
		slices.SortFunc(got, func(a, b row) int { return cmp.Compare(a.seq, b.seq) })
		jobs := make([]river.InsertManyParams, len(got))
		insts := make([]int64, len(got))
		for i, r := range got {
			jobs[i] = river.InsertManyParams{Args: r.args}
			insts[i] = r.inst
		}
		n = len(got)
		return e.s.insertFair(ctx, tx, jobs, insts)
	})
	if err != nil {
		return 0, fmt.Errorf("store: enqueue delivery jobs: %w", err)
	}
	return n, nil
}
