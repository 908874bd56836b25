package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/riverqueue/river"
)

// Delivery is one webhook delivery as GitHub sent it.
type Delivery struct {
	ID             string // X-GitHub-Delivery
	Event          string // X-GitHub-Event
	Action         string
	InstallationID int64
	Payload        []byte
	ReceivedAt     time.Time // zero means now
	// BodyHash identifies the body: while a delivery is kept, another with
	// the same BodyHash and a new ID is a duplicate too (a replay). Empty:
	// no such check.
	BodyHash []byte
}

// DeliveryArgs is the job that processes a stored delivery; the worker loads
// the payload with Store.Delivery so job rows stay small.
type DeliveryArgs struct {
	DeliveryID string `json:"delivery_id"`
	Event      string `json:"event"`
}

// Kind implements river.JobArgs.
func (DeliveryArgs) Kind() string { return "delivery" }

// EnqueueDelivery records d and enqueues its DeliveryArgs job, so that a
// delivery is processed exactly when it was recorded. It reports false,
// recording and enqueuing nothing, if a delivery with this ID, or with this
// BodyHash, is recorded already.
//
// On PostgreSQL both happen in one transaction, shared with the deliveries
// of concurrent calls (group commit, groupcommit.go). On SQLite the delivery is
// recorded in the inbox, a file of its own, together with the deliveries of
// concurrent calls, and moved into the main database with its job moments
// later (inbox.go); either way it returns once the delivery is durable.
// It keeps nothing of d.Payload, only a compressed copy, so the caller may
// reuse the buffer once it returns.
func (s *Store) EnqueueDelivery(ctx context.Context, d Delivery) (inserted bool, err error) {
	if d.ID == "" {
		return false, errors.New("store: enqueue delivery: empty delivery ID")
	}
	if d.ReceivedAt.IsZero() {
		d.ReceivedAt = time.Now()
	}
	// Compressed here, in the caller's goroutine, so that the inbox's one
	// writer only writes.
	d.Payload = s.encodePayload(d.Payload) // never nil: the column is NOT NULL
	switch {
	case s.inbox != nil:
		inserted, err = s.inbox.enqueue(ctx, d)
	case s.group != nil:
		inserted, err = s.group.enqueue(ctx, d)
	default:
		err = s.inTx(ctx, func(tx *sql.Tx) error {
			ins, _, err := s.recordDeliveries(ctx, tx, []Delivery{d}, nil)
			inserted = err == nil && ins[0]
			return err
		})
	}
	if err != nil {
		return false, fmt.Errorf("store: enqueue delivery %s: %w", d.ID, err)
	}
	return inserted, nil
}

// recordDeliveries inserts ds in tx, skipping IDs and body hashes recorded
// before (earlier in ds too), applies the handling of each new one or
// enqueues its job (hs may be nil: jobs for all), and reports which were
// new and the handlings applied.
func (s *Store) recordDeliveries(ctx context.Context, tx *sql.Tx, ds []Delivery, hs []Handling) (inserted []bool, applied []Handling, err error) {
	inserted, err = s.insertDeliveries(ctx, tx, ds)
	if err != nil {
		return nil, nil, err
	}
	applied, err = s.applyOrEnqueue(ctx, Writes{db: tx, tx: tx, s: s}, ds, inserted, hs)
	return inserted, applied, err
}

// insertDeliveryJobs queues a delivery job for each of ds.
func (s *Store) insertDeliveryJobs(ctx context.Context, tx *sql.Tx, ds []Delivery) error {
	if len(ds) == 0 {
		return nil
	}
	jobs := make([]river.InsertManyParams, len(ds))
	insts := make([]int64, len(ds))
	for i, d := range ds {
		jobs[i] = river.InsertManyParams{Args: DeliveryArgs{DeliveryID: d.ID, Event: d.Event}}
		insts[i] = d.InstallationID
	}
	if err := s.insertFair(ctx, tx, jobs, insts); err != nil {
		return fmt.Errorf("delivery jobs: %w", err)
	}
	return nil
}

// insertDeliveries inserts ds, skipping IDs and body hashes recorded before
// (earlier in ds too), and reports which were new. A statement per
// delivery: SQLite's inbox mover, its one caller in a server, is in
// process and has no round trips to save; PostgreSQL's acknowledgement
// uses recordUnqueued.
func (s *Store) insertDeliveries(ctx context.Context, tx *sql.Tx, ds []Delivery) ([]bool, error) {
	// No conflict target: a conflict on the ID or on the body hash skips.
	const q = `INSERT INTO deliveries (id, event, action, installation_id, payload, received_at, body_hash)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT DO NOTHING`
	inserted := make([]bool, len(ds))
	for i, d := range ds {
		res, err := tx.ExecContext(ctx, q, d.ID, d.Event, d.Action, d.InstallationID, d.Payload, micros(d.ReceivedAt),
			nullBytes(d.BodyHash))
		if err != nil {
			return nil, fmt.Errorf("insert delivery %s: %w", d.ID, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return nil, fmt.Errorf("insert delivery %s: %w", d.ID, err)
		}
		inserted[i] = n == 1 // 0: seen before
	}
	return inserted, nil
}

// recordUnqueued inserts ds as insertDeliveries does and records each new
// one in deliveries_unqueued, for the enqueuer (enqueuer.go), in one
// statement on db: the PostgreSQL acknowledgement's one round trip. Rows
// are inserted in order, so of two with one ID (or body hash) the first
// wins; the rows returned say which, by ID and body hash.
func recordUnqueued(ctx context.Context, db *sql.DB, ds []Delivery) ([]bool, error) {
	values, args := deliveryRows(ds)
	q := `WITH d AS (
    INSERT INTO deliveries ` + values + ` ON CONFLICT DO NOTHING
    RETURNING id, event, installation_id, body_hash
), u AS (
    INSERT INTO deliveries_unqueued (id, event, installation_id) SELECT id, event, installation_id FROM d
)
SELECT id, body_hash FROM d`
	return queryInserted(ctx, db, q, args, ds)
}

// deliveryRows is the column list and VALUES of an insert of ds into
// deliveries, with its arguments.
func deliveryRows(ds []Delivery) (string, []any) {
	var q strings.Builder
	q.WriteString(`(id, event, action, installation_id, payload, received_at, body_hash) VALUES `)
	args := make([]any, 0, 7*len(ds))
	for i, d := range ds {
		if i > 0 {
			q.WriteString(", ")
		}
		n := len(args)
		fmt.Fprintf(&q, "($%d, $%d, $%d, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5, n+6, n+7)
		args = append(args, d.ID, d.Event, d.Action, d.InstallationID, d.Payload, micros(d.ReceivedAt), nullBytes(d.BodyHash))
	}
	return q.String(), args
}

// queryInserted runs q, an insert of ds returning the id and body_hash of
// each row inserted, and reports which of ds were.
func queryInserted(ctx context.Context, db *sql.DB, q string, args []any, ds []Delivery) ([]bool, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("insert %d deliveries: %w", len(ds), err)
	}
	type key struct{ id, hash string }
	won := map[key]bool{}
	for rows.Next() {
		var id string
		var hash []byte
		if err := rows.Scan(&id, &hash); err != nil {
			rows.Close()
			return nil, fmt.Errorf("insert %d deliveries: %w", len(ds), err)
		}
		won[key{id, string(hash)}] = true
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, fmt.Errorf("insert %d deliveries: %w", len(ds), err)
	}
	inserted := make([]bool, len(ds))
	for i, d := range ds {
		k := key{d.ID, string(d.BodyHash)}
		inserted[i] = won[k]
		delete(won, k) // a later copy of the same delivery is a duplicate
	}
	return inserted, nil
}

// nullBytes is b, or NULL when b is empty: an empty hash must not collide
// with another in a unique index.
func nullBytes(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// Delivery returns the stored delivery, or ErrNotFound.
func (s *Store) Delivery(ctx context.Context, id string) (Delivery, error) {
	const q = `SELECT id, event, action, installation_id, payload, received_at, body_hash FROM deliveries WHERE id = $1`
	d, err := scanDelivery(s.reads.QueryRowContext(ctx, q, id))
	if errors.Is(err, sql.ErrNoRows) && s.inbox != nil {
		// Acknowledged moments ago and not moved yet.
		const q = `SELECT id, event, action, installation_id, payload, received_at, body_hash FROM inbox WHERE id = $1`
		d, err = scanDelivery(s.inbox.db.QueryRowContext(ctx, q, id))
	}
	if err == nil {
		d.Payload, err = decodePayload(d.Payload)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return Delivery{}, ErrNotFound
	}
	if err != nil {
		return Delivery{}, fmt.Errorf("store: delivery %s: %w", id, err)
	}
	return d, nil
}

// scanDelivery reads a row of deliveries or inbox columns id, event, action,
// installation_id, payload, received_at, body_hash. The payload stays as stored
// (decodePayload), so the inbox moves it without decompressing.
func scanDelivery(row interface{ Scan(...any) error }) (Delivery, error) {
	var d Delivery
	var received int64
	if err := row.Scan(&d.ID, &d.Event, &d.Action, &d.InstallationID, &d.Payload, &received, &d.BodyHash); err != nil {
		return Delivery{}, err
	}
	d.ReceivedAt = fromMicros(received)
	if d.Payload == nil {
		d.Payload = []byte{} // SQLite returns an empty blob as nil
	}
	return d, nil
}

// PruneDeliveries deletes deliveries received before the given time and
// reports how many. A delivery pruned is no longer deduplicated, so keep them
// longer than GitHub redelivers (it offers redelivery for a few days).
func (s *Store) PruneDeliveries(ctx context.Context, before time.Time) (int64, error) {
	if s.inbox != nil {
		// Move the inbox first so its deliveries are pruned like the others.
		if err := s.inbox.moveAll(ctx); err != nil {
			return 0, fmt.Errorf("store: prune deliveries: %w", err)
		}
	}
	const q = `DELETE FROM deliveries WHERE received_at < $1`
	res, err := s.DB.ExecContext(ctx, q, micros(before))
	if err != nil {
		return 0, fmt.Errorf("store: prune deliveries: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: prune deliveries: %w", err)
	}
	return n, nil
}

// Enqueue inserts any job (SLA timers, reconciliation) outside a
// transaction. A job that implements InstallationJob takes its place in the
// fair queue: its priority follows how many jobs of its installation wait
// (fairqueue.go), unless opts sets one.
func (s *Store) Enqueue(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error {
	var err error
	if installationOf(args) == 0 {
		_, err = s.River.Insert(ctx, args, opts)
	} else {
		err = s.inTx(ctx, func(tx *sql.Tx) error {
			_, err := s.enqueueTx(ctx, tx, args, opts)
			return err
		})
	}
	if err != nil {
		return fmt.Errorf("store: enqueue %s: %w", args.Kind(), err)
	}
	return nil
}

// installationOf is the installation a job belongs to in the fair queue,
// or 0.
func installationOf(args river.JobArgs) int64 {
	if ij, ok := args.(InstallationJob); ok {
		return ij.InstallationID()
	}
	return 0
}

// enqueueTx inserts a job in tx as Enqueue does, and returns its ID.
func (s *Store) enqueueTx(ctx context.Context, tx *sql.Tx, args river.JobArgs, opts *river.InsertOpts) (int64, error) {
	inst := installationOf(args)
	if inst == 0 {
		res, err := s.River.InsertTx(ctx, tx, args, opts)
		if err != nil {
			return 0, err
		}
		return res.Job.ID, nil
	}
	res, err := s.insertFairIDs(ctx, tx, []river.InsertManyParams{{Args: args, InsertOpts: opts}}, []int64{inst})
	if err != nil {
		return 0, err
	}
	return res[0].Job.ID, nil
}

// QueueDepth counts jobs waiting to run: available, scheduled and
// retryable, those this process has fetched that wait for a worker (River
// marks them running; slots.go), and the deliveries whose jobs are about
// to be enqueued (in SQLite's inbox, or PostgreSQL's deliveries_unqueued).
func (s *Store) QueueDepth(ctx context.Context) (int64, error) {
	n, err := s.queuedInDB(ctx)
	return n + int64(s.slots.waitingJobs()), err
}

func (s *Store) queuedInDB(ctx context.Context) (int64, error) {
	const jobs = `SELECT COUNT(*) FROM river_job WHERE state IN ('available', 'scheduled', 'retryable')`
	if s.inbox == nil {
		// The enqueuer deletes a delivery's row in the transaction that
		// enqueues its job, so one snapshot counts each delivery once.
		q := jobs
		if s.enqueuer != nil {
			q = `SELECT (` + jobs + `) + (SELECT COUNT(*) FROM deliveries_unqueued)`
		}
		var n int64
		if err := s.reads.QueryRowContext(ctx, q).Scan(&n); err != nil {
			return 0, fmt.Errorf("store: queue depth: %w", err)
		}
		return n, nil
	}
	// A delivery the mover has recorded in the main file stays in the inbox
	// until the batcher deletes it, so it may be in both: count the inbox
	// first, then, in one statement (one snapshot of the main file), the
	// jobs less the inbox's deliveries already recorded. Whenever the mover
	// commits, each delivery is counted exactly once: in the inbox until it
	// is recorded, then as its job, or not at all if it was handled in the
	// move (inmove.go).
	ids, err := s.inbox.ids(ctx)
	if err != nil {
		return 0, err
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return 0, fmt.Errorf("store: queue depth: %w", err)
	}
	q := `SELECT (` + jobs + `) - (SELECT COUNT(*) FROM deliveries WHERE id IN (SELECT value FROM json_each($1)))`
	var n int64
	if err := s.reads.QueryRowContext(ctx, q, string(list)).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: queue depth: %w", err)
	}
	return n + int64(len(ids)), nil
}
