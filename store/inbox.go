package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
)

// errClosed answers EnqueueDelivery calls made or pending when Close runs.
var errClosed = errors.New("store: closed")

// Limits of one inbox transaction: deliveries acknowledged together, and
// deliveries moved into the main database together.
const (
	maxAckBatch  = 256
	maxMoveBatch = 500
)

// movePoll is how often the mover looks for deliveries nobody told it about:
// those a crashed process or another process left in the inbox.
const movePoll = time.Second

// inbox is where EnqueueDelivery records SQLite deliveries: a second
// database file next to the main one, which a mover drains into the main
// database's deliveries table and River's queue. Why: River's completer
// holds the main file's one write lock for tens of milliseconds at a time
// under load (it updates finished jobs one row at a time in one
// transaction), and a webhook writing to that file waited behind it; see
// doc.go. The inbox file has no other writer but the mover's short deletes.
//
// Calls arriving together are written in one transaction by one goroutine
// (group commit), and each caller is answered after that commit, so an
// acknowledged delivery is as durable as before.
type inbox struct {
	db   *sql.DB // the inbox file, one connection
	main *sql.DB // one more connection to the main file, only to read deliveries
	s    *Store  // the main database and River client the mover writes to
	log  *slog.Logger

	// writeBatch is write; tests replace it before start.
	writeBatch func([]*inboxRequest) ([]bool, error)

	reqs chan *inboxRequest // unbuffered, so no request is left behind in it on close
	wake chan struct{}      // buffered 1: deliveries are waiting to move
	quit chan struct{}
	// batched is closed when the batcher has returned, after answering the
	// batch it was writing, so the mover's last move includes that batch.
	batched chan struct{}
	wg      sync.WaitGroup
	once    sync.Once
	err     error // from the mover's last attempt on close
}

type inboxRequest struct {
	ctx context.Context
	d   Delivery
	res chan inboxResult // buffered 1, so the batcher never blocks on it
}

type inboxResult struct {
	inserted bool
	err      error
}

const inboxSchema = `CREATE TABLE IF NOT EXISTS inbox (
    seq             INTEGER PRIMARY KEY, -- arrival order
    id              TEXT NOT NULL UNIQUE,
    event           TEXT NOT NULL,
    action          TEXT NOT NULL,
    installation_id INTEGER NOT NULL,
    payload         BLOB NOT NULL,
    received_at     INTEGER NOT NULL
) STRICT`

// openInbox opens (creating if needed) the inbox next to the main database
// file at path, and starts its batcher and mover. The mover moves anything
// a previous process left behind right away.
func openInbox(ctx context.Context, s *Store, path string, log *slog.Logger) (*inbox, error) {
	ib, err := newInbox(ctx, s, path, log)
	if err != nil {
		return nil, err
	}
	ib.start()
	return ib, nil
}

// newInbox is openInbox without starting.
func newInbox(ctx context.Context, s *Store, path string, log *slog.Logger) (*inbox, error) {
	db, err := openSQLite(ctx, path+".inbox")
	if err != nil {
		return nil, err
	}
	if _, err := db.ExecContext(ctx, inboxSchema); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: create inbox: %w", err)
	}
	main, err := openSQLite(ctx, path)
	if err != nil {
		db.Close()
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	ib := &inbox{db: db, main: main, s: s, log: log,
		reqs: make(chan *inboxRequest), wake: make(chan struct{}, 1),
		quit: make(chan struct{}), batched: make(chan struct{})}
	ib.writeBatch = ib.write
	ib.wake <- struct{}{}
	return ib, nil
}

func (ib *inbox) start() {
	ib.wg.Add(2)
	go ib.batch()
	go ib.move()
}

// enqueue records d and reports whether it is new. If ctx ends while d's
// batch is being written, it returns ctx's error although d may have been
// recorded; a redelivery is then reported as a duplicate and its job runs
// once, as for any delivery.
func (ib *inbox) enqueue(ctx context.Context, d Delivery) (bool, error) {
	req := &inboxRequest{ctx: ctx, d: d, res: make(chan inboxResult, 1)}
	select {
	case ib.reqs <- req:
	case <-ib.quit:
		return false, errClosed
	case <-ctx.Done():
		return false, ctx.Err()
	}
	select {
	case r := <-req.res:
		return r.inserted, r.err
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

// batch takes the first waiting request, then every other one already
// waiting (senders queue on the channel in arrival order), writes them in one
// transaction and answers each.
func (ib *inbox) batch() {
	defer ib.wg.Done()
	defer close(ib.batched)
	for {
		// Stop before anything else once closing, though callers may wait.
		select {
		case <-ib.quit:
			return
		default:
		}
		var reqs []*inboxRequest
		select {
		case r := <-ib.reqs:
			reqs = append(reqs, r)
		case <-ib.quit:
			return
		}
	more:
		for len(reqs) < maxAckBatch {
			select {
			case r := <-ib.reqs:
				reqs = append(reqs, r)
			default:
				break more
			}
		}
		// Callers that gave up are not written: they were told nothing was.
		reqs = slices.DeleteFunc(reqs, func(r *inboxRequest) bool {
			if err := r.ctx.Err(); err != nil {
				r.res <- inboxResult{err: err}
				return true
			}
			return false
		})
		if len(reqs) == 0 {
			continue
		}
		inserted, err := ib.writeBatch(reqs)
		for i, r := range reqs {
			if err != nil {
				r.res <- inboxResult{err: err}
			} else {
				r.res <- inboxResult{inserted: inserted[i]}
			}
		}
		if err == nil {
			select {
			case ib.wake <- struct{}{}:
			default: // the mover has been told already
			}
		}
	}
}

// write records reqs' deliveries in the inbox in one transaction and reports
// which were new. A delivery is a duplicate if its ID is in the inbox,
// including earlier in this batch, or in the main database. The order makes
// this exact: the mover commits a delivery to the main database before it
// deletes it from the inbox, so one that is no longer in the inbox when the
// insert runs is already visible to the read of the main database after it.
func (ib *inbox) write(reqs []*inboxRequest) ([]bool, error) {
	// Not a caller's context: a batch serves several callers.
	ctx := context.Background()
	const insert = `INSERT INTO inbox (id, event, action, installation_id, payload, received_at)
VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING`
	const undo = `DELETE FROM inbox WHERE id = $1`
	const recorded = `SELECT EXISTS (SELECT 1 FROM deliveries WHERE id = $1)`
	inserted := make([]bool, len(reqs))
	err := inTx(ctx, ib.db, func(tx *sql.Tx) error {
		for i, r := range reqs {
			d := r.d
			res, err := tx.ExecContext(ctx, insert, d.ID, d.Event, d.Action, d.InstallationID, d.Payload, micros(d.ReceivedAt))
			if err != nil {
				return fmt.Errorf("insert into inbox: %w", err)
			}
			if n, err := res.RowsAffected(); err != nil || n == 0 {
				if err != nil {
					return fmt.Errorf("insert into inbox: %w", err)
				}
				continue // in the inbox already
			}
			var seen bool
			if err := ib.main.QueryRowContext(ctx, recorded, d.ID).Scan(&seen); err != nil {
				return fmt.Errorf("look up delivery: %w", err)
			}
			if seen {
				if _, err := tx.ExecContext(ctx, undo, d.ID); err != nil {
					return fmt.Errorf("delete from inbox: %w", err)
				}
				continue
			}
			inserted[i] = true
		}
		return nil
	})
	return inserted, err
}

// move drains the inbox into the main database whenever the batcher wrote
// to it, at least every movePoll, and once more on close.
func (ib *inbox) move() {
	defer ib.wg.Done()
	ticker := time.NewTicker(movePoll)
	defer ticker.Stop()
	failing := false
	for {
		select {
		case <-ib.wake:
		case <-ticker.C:
		case <-ib.quit:
			<-ib.batched
			ib.err = ib.moveAll(context.Background())
			return
		}
		// Deliveries stay in the inbox until moved, and the next wake-up or
		// tick tries again: log when moving starts failing, not every try.
		err := ib.moveAll(context.Background())
		if err != nil && !failing {
			ib.log.Error("store: moving deliveries from the inbox failed; retrying", "err", err)
		}
		failing = err != nil
	}
}

// moveAll moves batches until the inbox is empty.
func (ib *inbox) moveAll(ctx context.Context) error {
	for {
		n, err := ib.moveBatch(ctx)
		if err != nil || n < maxMoveBatch {
			return err
		}
	}
}

// moveBatch records the oldest deliveries of the inbox in the main database,
// with their jobs, then deletes them from the inbox; it reports how many it
// moved. Recording skips a delivery recorded before, so a move repeated after
// a crash between the two steps enqueues nothing twice.
func (ib *inbox) moveBatch(ctx context.Context) (int, error) {
	const q = `SELECT id, event, action, installation_id, payload, received_at FROM inbox ORDER BY seq LIMIT $1`
	rows, err := ib.db.QueryContext(ctx, q, maxMoveBatch)
	if err != nil {
		return 0, fmt.Errorf("store: read inbox: %w", err)
	}
	var ds []Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			rows.Close()
			return 0, fmt.Errorf("store: read inbox: %w", err)
		}
		ds = append(ds, d)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return 0, fmt.Errorf("store: read inbox: %w", err)
	}
	if len(ds) == 0 {
		return 0, nil
	}
	if err := ib.s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := ib.s.recordDeliveries(ctx, tx, ds)
		return err
	}); err != nil {
		return 0, fmt.Errorf("store: move %d deliveries from the inbox: %w", len(ds), err)
	}
	ids := make([]any, len(ds))
	marks := make([]string, len(ds))
	for i, d := range ds {
		ids[i] = d.ID
		marks[i] = fmt.Sprintf("$%d", i+1)
	}
	del := `DELETE FROM inbox WHERE id IN (` + strings.Join(marks, ", ") + `)`
	if _, err := ib.db.ExecContext(ctx, del, ids...); err != nil {
		return 0, fmt.Errorf("store: delete moved deliveries from the inbox: %w", err)
	}
	return len(ds), nil
}

// waiting counts deliveries acknowledged but not yet moved.
func (ib *inbox) waiting(ctx context.Context) (int64, error) {
	var n int64
	if err := ib.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM inbox`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count inbox: %w", err)
	}
	return n, nil
}

// close answers pending callers with errClosed, lets a batch being written
// finish and answer its callers, moves what the inbox holds into the main
// database, and closes the inbox's connections. It is safe to call twice.
func (ib *inbox) close() error {
	ib.once.Do(func() {
		close(ib.quit)
		ib.wg.Wait()
		if ib.err != nil {
			ib.err = fmt.Errorf("%w (they stay in the inbox and move on the next Open)", ib.err)
		}
		ib.err = errors.Join(ib.err, ib.db.Close(), ib.main.Close())
	})
	return ib.err
}
