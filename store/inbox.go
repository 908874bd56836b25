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
	"sync/atomic"
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

// moveEvery spaces the mover's runs so deliveries collect between them. A
// move's cost is mostly fixed (a transaction on the main file and River's
// insert, whose SQL SQLite parses anew every time): moving after every
// acknowledged batch meant ~250 moves a second at 500 deliveries/s, CPU the
// webhooks then waited behind. At most 25 ms more before a job can start.
const moveEvery = 25 * time.Millisecond

// checkpointEvery is how often the inbox's WAL is checkpointed while
// deliveries arrive: at 500 a second, about 700 KB of compressed payloads
// each time, well below the 1000 pages at which the writer would checkpoint
// inside a commit. Not more often: each checkpoint fsyncs twice, and once it
// has copied everything the writer's next commit starts the WAL over, with
// an fsync of its header the acknowledgements wait for. Every 10 ms, that
// was 58 such waits in 5 s at 500 deliveries/s (execution trace), besides
// loading the disk's journal for everyone else.
const checkpointEvery = 250 * time.Millisecond

// writerCheckpointPages is the WAL size, in pages, at which the inbox's
// writer checkpoints inside a commit. SQLite's default, 1000, made the
// writer checkpoint 13 times in 5 s at 500 deliveries/s (execution trace),
// each time with an fsync the acknowledgements waited for (2.7 ms on
// average, up to 10 ms): the background checkpoints copy nearly everything
// but cannot finish while the writer goes on, so the WAL reached 1000
// pages every 0.4 s. At 4000 the writer checkpoints every second or two,
// and none were seen in a 5-s trace; the WAL file may reach ~16 MB.
const writerCheckpointPages = 4000

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
	db   *sql.DB // the inbox file: the one connection that writes
	bg   *sql.DB // the inbox file: two connections that only read and checkpoint
	main *sql.DB // a read-only connection to the main file, for the acknowledgement alone
	s    *Store  // the main database and River client the mover writes to
	log  *slog.Logger

	// writeBatch is write; tests replace it before start.
	writeBatch func([]*inboxRequest) ([]bool, error)

	reqs chan *inboxRequest // unbuffered, so no request is left behind in it on close
	// moved carries the mover's deletions to the batcher, the one goroutine
	// that writes to the inbox while it runs: a mover holding the one write
	// connection for its DELETE, then losing the CPU, held up webhooks.
	moved chan movedBatch
	wake  chan struct{} // buffered 1: deliveries are waiting to move
	quit  chan struct{}
	// batched is closed when the batcher has returned, after answering the
	// batch it was writing, so the mover's last move includes that batch.
	batched chan struct{}
	wg      sync.WaitGroup
	// moving is held through each batch's move: the mover and a prune's
	// moveAll would otherwise read the same oldest batch, and the second
	// decode it and insert every delivery again, only to skip them all.
	moving sync.Mutex
	dirty  atomic.Bool // written since the last checkpoint
	once   sync.Once
	err    error // from the mover's last attempt on close
}

type inboxRequest struct {
	ctx context.Context
	d   Delivery
	res chan inboxResult // buffered 1, so the batcher never blocks on it
}

// movedBatch asks the batcher to delete deliveries the mover has moved.
type movedBatch struct {
	ids  []string
	done chan error // buffered 1
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
    received_at     INTEGER NOT NULL,
    body_hash       BLOB UNIQUE -- Delivery.BodyHash; NULL when none
) STRICT`

// inboxBodyHash adds body_hash to an inbox created before it existed. SQLite
// cannot add a UNIQUE column, hence the index.
const inboxBodyHash = `ALTER TABLE inbox ADD COLUMN body_hash BLOB;
CREATE UNIQUE INDEX inbox_body_hash_idx ON inbox (body_hash)`

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
	// SQLite checkpoints (copies the WAL into the file, with an fsync)
	// inside whichever commit takes the WAL past 1000 pages; under load,
	// every second or so an acknowledgement waited 15-40 ms for that. So a
	// background goroutine also checkpoints, on a connection of its own,
	// every checkpointEvery while deliveries arrive: a checkpoint beside
	// the writer does not hold it up, and the writer's own checkpoint then
	// finds nearly every page copied already. The writer's checkpoint stays:
	// only it can complete while writes go on, and a complete one is what
	// lets the WAL start over instead of growing. The mover reads on those
	// background connections too, so the writer never waits for its reads.
	db, err := openSQLite(ctx, path+".inbox")
	if err != nil {
		return nil, err
	}
	if err := createInbox(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	if _, err := db.ExecContext(ctx, fmt.Sprintf("PRAGMA wal_autocheckpoint = %d", writerCheckpointPages)); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: configure inbox: %w", err)
	}
	bg, err := openSQLite(ctx, path+".inbox")
	if err != nil {
		db.Close()
		return nil, err
	}
	// openSQLite's one connection also set the idle pool to one: the
	// checkpointer's and the mover's connection must both stay open, or
	// one of them is closed and reopened, schema and all, at each use.
	bg.SetMaxOpenConns(2)
	bg.SetMaxIdleConns(2)
	// The acknowledgement's own reader of the main file, not one of the
	// store's read pool: the jobs' reads must not make a webhook wait.
	main, err := openSQLiteReads(ctx, path, 1)
	if err != nil {
		db.Close()
		bg.Close()
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	ib := &inbox{db: db, bg: bg, main: main, s: s, log: log,
		reqs: make(chan *inboxRequest), moved: make(chan movedBatch), wake: make(chan struct{}, 1),
		quit: make(chan struct{}), batched: make(chan struct{})}
	ib.writeBatch = ib.write
	ib.wake <- struct{}{}
	return ib, nil
}

// createInbox creates the inbox table, or adds what an older one lacks.
func createInbox(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, inboxSchema); err != nil {
		return fmt.Errorf("store: create inbox: %w", err)
	}
	var has bool
	const q = `SELECT EXISTS (SELECT 1 FROM pragma_table_info('inbox') WHERE name = 'body_hash')`
	if err := db.QueryRowContext(ctx, q).Scan(&has); err != nil {
		return fmt.Errorf("store: read inbox schema: %w", err)
	}
	if !has {
		if _, err := db.ExecContext(ctx, inboxBodyHash); err != nil {
			return fmt.Errorf("store: add body_hash to the inbox: %w", err)
		}
	}
	return nil
}

func (ib *inbox) start() {
	ib.wg.Add(4)
	go ib.batch()
	go ib.move()
	go ib.checkpoints()
	go ib.trimPageCaches() // pagecache.go
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
		case m := <-ib.moved:
			m.done <- ib.deleteMoved(m.ids)
			continue
		case <-ib.quit:
			return
		}
		reqs = takeWaiting(ib.reqs, reqs, maxAckBatch)
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
			ib.dirty.Store(true)
			select {
			case ib.wake <- struct{}{}:
			default: // the mover has been told already
			}
		}
	}
}

// write records reqs' deliveries in the inbox in one transaction and reports
// which were new. A delivery is a duplicate if its ID or its body hash is in
// the inbox, including earlier in this batch, or in the main database. The
// order makes this exact: the mover commits a delivery to the main database
// before it deletes it from the inbox, so one that is no longer in the inbox
// when the insert runs is already visible to the read of the main database
// after it. Both look-ups are by unique index, in the statements the hot
// path ran already.
func (ib *inbox) write(reqs []*inboxRequest) ([]bool, error) {
	// Not a caller's context: a batch serves several callers.
	ctx := context.Background()
	// No conflict target: a conflict on the ID or on the body hash skips.
	const insert = `INSERT INTO inbox (id, event, action, installation_id, payload, received_at, body_hash)
VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`
	const undo = `DELETE FROM inbox WHERE id = $1`
	const recorded = `SELECT EXISTS (SELECT 1 FROM deliveries WHERE id = $1)
    OR EXISTS (SELECT 1 FROM deliveries WHERE body_hash = $2)`
	inserted := make([]bool, len(reqs))
	err := inTx(ctx, ib.db, func(tx *sql.Tx) error {
		for i, r := range reqs {
			d := r.d
			hash := nullBytes(d.BodyHash)
			res, err := tx.ExecContext(ctx, insert, d.ID, d.Event, d.Action, d.InstallationID, d.Payload, micros(d.ReceivedAt), hash)
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
			if err := ib.main.QueryRowContext(ctx, recorded, d.ID, hash).Scan(&seen); err != nil {
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
	bg := context.Background()
	ib.err = moveLoop(ib.wake, ib.quit, func() error { return ib.moveAll(bg) }, func() error {
		<-ib.batched
		return ib.moveAll(bg)
	}, ib.log, "store: moving deliveries from the inbox failed; retrying")
}

// moveLoop calls move after each wake, at least every movePoll and at most
// every moveEvery, until quit closes, then last, whose error it returns.
// A failed move is retried at the next wake or tick, so only the start of
// a run of failures is logged, as failMsg.
func moveLoop(wake, quit <-chan struct{}, move, last func() error, log *slog.Logger, failMsg string) error {
	ticker := time.NewTicker(movePoll)
	defer ticker.Stop()
	pause := time.NewTimer(moveEvery)
	defer pause.Stop()
	failing := false
	for {
		select {
		case <-wake:
		case <-ticker.C:
		case <-quit:
			return last()
		}
		err := move()
		if err != nil && !failing {
			log.Error(failMsg, "err", err)
		}
		failing = err != nil
		pause.Reset(moveEvery)
		select {
		case <-pause.C:
		case <-quit: // the loop's top makes the last move
		}
	}
}

// checkpoints copies what the inbox's WAL holds into its file, without
// waiting for the writer, every checkpointEvery while there are writes, so
// the writer's own checkpoints stay short; see newInbox. A failure only
// leaves that work to the writer, so it is logged once, not returned.
func (ib *inbox) checkpoints() {
	defer ib.wg.Done()
	ticker := time.NewTicker(checkpointEvery)
	defer ticker.Stop()
	failing := false
	for {
		select {
		case <-ticker.C:
		case <-ib.quit:
			return
		}
		if !ib.dirty.Swap(false) {
			continue
		}
		_, err := ib.bg.ExecContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`)
		if err != nil && !failing {
			ib.log.Warn("store: checkpointing the inbox failed; its writes will checkpoint", "err", err)
		}
		failing = err != nil
	}
}

// maxHandleBatch bounds a move that handles its deliveries (inmove.go): it
// holds the main file's one writer throughout, and a batch of maxMoveBatch
// took long enough to make acknowledgements wait.
const maxHandleBatch = 250

// moveAll moves batches until the inbox is empty.
func (ib *inbox) moveAll(ctx context.Context) error {
	for {
		full, err := ib.moveBatch(ctx)
		if err != nil || !full {
			return err
		}
	}
}

// moveBatch records the oldest deliveries of the inbox in the main database,
// with their jobs or their handling (inmove.go), then deletes them from the
// inbox; it reports whether the batch was full. Recording skips a delivery
// recorded before, so a move repeated after a crash between the two steps
// enqueues nothing twice.
func (ib *inbox) moveBatch(ctx context.Context) (full bool, err error) {
	ib.moving.Lock()
	defer ib.moving.Unlock()
	limit := maxMoveBatch
	if ib.s.handling() {
		limit = maxHandleBatch
	}
	ds, err := ib.oldest(ctx, limit)
	if err != nil || len(ds) == 0 {
		return false, err
	}
	err = ib.s.moveWith(ib.s.handling(), func(handle bool) (applied []Handling, err error) {
		var hs []Handling
		if handle {
			// Before the transaction: the main file's one writer does not
			// wait for the decoding.
			hs = ib.s.prepare(ds)
		}
		err = ib.s.inTx(ctx, func(tx *sql.Tx) error {
			_, applied, err = ib.s.recordDeliveries(ctx, tx, ds, hs)
			return err
		})
		return applied, err
	})
	if err != nil {
		return false, fmt.Errorf("store: move %d deliveries from the inbox: %w", len(ds), err)
	}
	ids := make([]string, len(ds))
	for i, d := range ds {
		ids[i] = d.ID
	}
	// The batcher deletes them between two batches; once it has exited
	// (closing), nothing else writes and the mover deletes them itself.
	m := movedBatch{ids: ids, done: make(chan error, 1)}
	select {
	case ib.moved <- m:
		err = <-m.done
	case <-ib.batched:
		err = ib.deleteMoved(ids)
	}
	if err != nil {
		return false, err
	}
	return len(ds) == limit, nil
}

// oldest reads up to limit of the inbox's oldest deliveries.
func (ib *inbox) oldest(ctx context.Context, limit int) ([]Delivery, error) {
	const q = `SELECT id, event, action, installation_id, payload, received_at, body_hash FROM inbox ORDER BY seq LIMIT $1`
	rows, err := ib.bg.QueryContext(ctx, q, limit)
	if err != nil {
		return nil, fmt.Errorf("store: read inbox: %w", err)
	}
	var ds []Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: read inbox: %w", err)
		}
		ds = append(ds, d)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, fmt.Errorf("store: read inbox: %w", err)
	}
	return ds, nil
}

// deleteMoved deletes moved deliveries from the inbox.
func (ib *inbox) deleteMoved(ids []string) error {
	args := make([]any, len(ids))
	marks := make([]string, len(ids))
	for i, id := range ids {
		args[i] = id
		marks[i] = fmt.Sprintf("$%d", i+1)
	}
	del := `DELETE FROM inbox WHERE id IN (` + strings.Join(marks, ", ") + `)`
	if _, err := ib.db.ExecContext(context.Background(), del, args...); err != nil {
		return fmt.Errorf("store: delete moved deliveries from the inbox: %w", err)
	}
	return nil
}

// ids lists the IDs of the deliveries in the inbox, moved or not.
func (ib *inbox) ids(ctx context.Context) ([]string, error) {
	rows, err := ib.bg.QueryContext(ctx, `SELECT id FROM inbox`)
	if err != nil {
		return nil, fmt.Errorf("store: list inbox: %w", err)
	}
	ids := []string{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: list inbox: %w", err)
		}
		ids = append(ids, id)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, fmt.Errorf("store: list inbox: %w", err)
	}
	return ids, nil
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
		ib.err = errors.Join(ib.err, ib.db.Close(), ib.bg.Close(), ib.main.Close())
	})
	return ib.err
}
