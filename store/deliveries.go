package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
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
}

// DeliveryArgs is the job that processes a stored delivery; the worker loads
// the payload with Store.Delivery so job rows stay small.
type DeliveryArgs struct {
	DeliveryID string `json:"delivery_id"`
	Event      string `json:"event"`
}

// Kind implements river.JobArgs.
func (DeliveryArgs) Kind() string { return "delivery" }

// EnqueueDelivery records d and enqueues its DeliveryArgs job in one
// transaction, so a delivery is processed exactly when it was recorded. It
// reports false, enqueuing nothing, if GitHub delivered this ID before.
func (s *Store) EnqueueDelivery(ctx context.Context, d Delivery) (inserted bool, err error) {
	if d.ID == "" {
		return false, errors.New("store: enqueue delivery: empty delivery ID")
	}
	if d.ReceivedAt.IsZero() {
		d.ReceivedAt = time.Now()
	}
	if d.Payload == nil {
		d.Payload = []byte{} // the column is NOT NULL
	}
	const q = `INSERT INTO deliveries (id, event, action, installation_id, payload, received_at)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (id) DO NOTHING`
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, q, d.ID, d.Event, d.Action, d.InstallationID, d.Payload, micros(d.ReceivedAt))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			return nil // seen before
		}
		inserted = true
		_, err = s.River.InsertTx(ctx, tx, DeliveryArgs{DeliveryID: d.ID, Event: d.Event}, nil)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store: enqueue delivery %s: %w", d.ID, err)
	}
	return inserted, nil
}

// Delivery returns the stored delivery, or ErrNotFound.
func (s *Store) Delivery(ctx context.Context, id string) (Delivery, error) {
	const q = `SELECT id, event, action, installation_id, payload, received_at FROM deliveries WHERE id = $1`
	var d Delivery
	var received int64
	err := s.DB.QueryRowContext(ctx, q, id).Scan(&d.ID, &d.Event, &d.Action, &d.InstallationID, &d.Payload, &received)
	if errors.Is(err, sql.ErrNoRows) {
		return Delivery{}, ErrNotFound
	}
	if err != nil {
		return Delivery{}, fmt.Errorf("store: delivery %s: %w", id, err)
	}
	d.ReceivedAt = fromMicros(received)
	return d, nil
}

// PruneDeliveries deletes deliveries received before the given time and
// reports how many. A delivery pruned is no longer deduplicated, so keep them
// longer than GitHub redelivers (it offers redelivery for a few days).
func (s *Store) PruneDeliveries(ctx context.Context, before time.Time) (int64, error) {
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

// Enqueue inserts any job (SLA timers, reconciliation) outside a transaction.
func (s *Store) Enqueue(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error {
	if _, err := s.River.Insert(ctx, args, opts); err != nil {
		return fmt.Errorf("store: enqueue %s: %w", args.Kind(), err)
	}
	return nil
}

// QueueDepth counts jobs waiting to run: available, scheduled and retryable.
func (s *Store) QueueDepth(ctx context.Context) (int64, error) {
	const q = `SELECT COUNT(*) FROM river_job WHERE state IN ('available', 'scheduled', 'retryable')`
	var n int64
	if err := s.DB.QueryRowContext(ctx, q).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: queue depth: %w", err)
	}
	return n, nil
}
