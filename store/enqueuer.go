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
)

// enqueuer moves PostgreSQL deliveries on from their acknowledgement. The
// acknowledgement records a delivery and a row of deliveries_unqueued in
// one statement (groupcommit.go); the enqueuer deletes such rows and, in
// the same transaction, handles the deliveries it can (inmove.go) and
// inserts the others' jobs, so a recorded delivery is handled once or gets
// exactly one job, however many processes' enqueuers run. Why not in the
// acknowledgement: its
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
		full, err := e.moveBatch(ctx)
		if err != nil || !full {
			return err
		}
	}
}

// moveBatch takes the oldest unqueued deliveries and, in one transaction,
// deletes their rows, handles those the store's DeliveryHandler takes
// (inmove.go) and queues a job for each other one; full reports whether it
// took as many as it could. Rows another process is moving are skipped,
// not waited for. The handled deliveries' writes go through a pipeline:
// one round trip for all of them.
func (e *enqueuer) moveBatch(ctx context.Context) (full bool, err error) {
	handle := e.s.handling()
	limit := maxMoveBatch
	if handle {
		limit = maxHandleBatch
	}
	var n int
	err = e.s.moveWith(handle, func(handle bool) (applied []Handling, err error) {
		err = inPipelinedTx(ctx, e.db, func(tx *sql.Tx, p *pipeline) error {
			ds, err := takeUnqueued(ctx, tx, limit)
			n = len(ds)
			if err != nil || n == 0 {
				return err
			}
			var hs []Handling
			if handle {
				if err := loadPayloads(ctx, tx, ds, e.s.handler.Takes); err != nil {
					return err
				}
				hs = e.s.prepare(ds)
			}
			inserted := make([]bool, n) // by the acknowledgement, each once
			for i := range inserted {
				inserted[i] = true
			}
			applied, err = e.s.applyOrEnqueue(ctx, Writes{db: p, tx: tx, s: e.s, pipe: p}, ds, inserted, hs)
			return err
		})
		return applied, err
	})
	if err != nil {
		return false, fmt.Errorf("store: move delivery jobs: %w", err)
	}
	return n == limit, nil
}

// takeUnqueued deletes up to limit of the oldest rows of
// deliveries_unqueued that no other transaction holds, and returns their
// deliveries, without payloads, in arrival order.
func takeUnqueued(ctx context.Context, tx *sql.Tx, limit int) ([]Delivery, error) {
	const q = `DELETE FROM deliveries_unqueued WHERE seq IN (
    SELECT seq FROM deliveries_unqueued ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED)
RETURNING seq, id, event, installation_id`
	rows, err := tx.QueryContext(ctx, q, limit)
	if err != nil {
		return nil, err
	}
	type row struct {
		seq int64
		d   Delivery
	}
	var got []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.seq, &r.d.ID, &r.d.Event, &r.d.InstallationID); err != nil {
			rows.Close()
			return nil, err
		}
		got = append(got, r)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, err
	}
	// RETURNING has no order; the fair queue places jobs in arrival order.
	slices.SortFunc(got, func(a, b row) int { return cmp.Compare(a.seq, b.seq) })
	ds := make([]Delivery, len(got))
	for i, r := range got {
		ds[i] = r.d
	}
	return ds, nil
}

// loadPayloads reads in the rest of each of ds that takes says may be
// handled in the move: its action, payload and time of arrival.
func loadPayloads(ctx context.Context, tx *sql.Tx, ds []Delivery, takes func(event string) bool) error {
	at := map[string]int{}
	var ids []string
	for i, d := range ds {
		if takes(d.Event) {
			at[d.ID] = i
			ids = append(ids, d.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	const q = `SELECT id, event, action, installation_id, payload, received_at, body_hash FROM deliveries WHERE id = ANY($1)`
	rows, err := tx.QueryContext(ctx, q, ids)
	if err != nil {
		return fmt.Errorf("read payloads: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return fmt.Errorf("read payloads: %w", err)
		}
		if i, ok := at[d.ID]; ok {
			ds[i] = d
		}
	}
	return rows.Err()
}
