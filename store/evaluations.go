package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
)

// PR names one pull request of one repository.
type PR struct {
	RepoID int64
	Number int
}

// RequestEvaluation records that an event asks for the pull request to be
// evaluated and enqueues a job for it. The job carries the request's
// version: when it runs, an evaluation that started after the request
// already covers it (see StartEvaluation), so a burst of events costs one or
// two evaluations, not one each.
func (s *Store) RequestEvaluation(ctx context.Context, pr PR, job func(version int64) river.JobArgs, opts *river.InsertOpts) error {
	const q = `INSERT INTO pr_evaluations (repo_id, number, requested) VALUES ($1, $2, 1)
ON CONFLICT (repo_id, number) DO UPDATE SET requested = pr_evaluations.requested + 1
RETURNING requested`
	var v int64
	if err := s.DB.QueryRowContext(ctx, q, pr.RepoID, pr.Number).Scan(&v); err != nil {
		return fmt.Errorf("store: request evaluation of %d#%d: %w", pr.RepoID, pr.Number, err)
	}
	return s.Enqueue(ctx, job(v), opts)
}

// Start is what StartEvaluation decided.
type Start int

const (
	// Run: the caller holds the pull request's lease and evaluates.
	Run Start = iota
	// Covered: an evaluation that started after the request finished, or
	// holds the lease now; nothing is left to do.
	Covered
	// Busy: another evaluation holds the lease and started before the
	// request; try again after it.
	Busy
)

// StartEvaluation takes the pull request's lease for owner until expires,
// unless the request of the given version is already covered. With Run,
// covering is the version the evaluation covers: every request made before
// the lease was taken. Owner is stable across retries of one job, so a retry
// retakes its own lease.
func (s *Store) StartEvaluation(ctx context.Context, pr PR, version int64, owner string, now, expires time.Time) (Start, int64, error) {
	const take = `UPDATE pr_evaluations SET lease_owner = $3, lease_until = $4, covering = requested
WHERE repo_id = $1 AND number = $2 AND done < $5 AND (lease_until < $6 OR lease_owner = $3)
RETURNING covering`
	var covering int64
	err := s.DB.QueryRowContext(ctx, take, pr.RepoID, pr.Number, owner, micros(expires), version, micros(now)).Scan(&covering)
	if err == nil {
		return Run, covering, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return Busy, 0, fmt.Errorf("store: start evaluation of %d#%d: %w", pr.RepoID, pr.Number, err)
	}
	const look = `SELECT done, covering, lease_until FROM pr_evaluations WHERE repo_id = $1 AND number = $2`
	var done, until int64
	err = s.DB.QueryRowContext(ctx, look, pr.RepoID, pr.Number).Scan(&done, &covering, &until)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Covered, 0, nil // pruned: the pull request closed long ago
	case err != nil:
		return Busy, 0, fmt.Errorf("store: start evaluation of %d#%d: %w", pr.RepoID, pr.Number, err)
	case done >= version, until >= micros(now) && covering >= version:
		return Covered, 0, nil
	}
	return Busy, 0, nil
}

// FinishEvaluation marks the versions up to covering done and frees the
// lease. ok is false when owner no longer held it (it expired and another
// evaluation took it): that one covers at least as much.
func (s *Store) FinishEvaluation(ctx context.Context, pr PR, owner string, covering int64) (ok bool, err error) {
	const q = `UPDATE pr_evaluations SET done = CASE WHEN done > $4 THEN done ELSE $4 END, lease_owner = '', lease_until = 0
WHERE repo_id = $1 AND number = $2 AND lease_owner = $3`
	res, err := s.DB.ExecContext(ctx, q, pr.RepoID, pr.Number, owner, covering)
	if err != nil {
		return false, fmt.Errorf("store: finish evaluation of %d#%d: %w", pr.RepoID, pr.Number, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// AbandonEvaluation frees the lease without marking anything done: the
// evaluation failed and its job will be retried.
func (s *Store) AbandonEvaluation(ctx context.Context, pr PR, owner string) error {
	const q = `UPDATE pr_evaluations SET lease_owner = '', lease_until = 0
WHERE repo_id = $1 AND number = $2 AND lease_owner = $3`
	if _, err := s.DB.ExecContext(ctx, q, pr.RepoID, pr.Number, owner); err != nil {
		return fmt.Errorf("store: abandon evaluation of %d#%d: %w", pr.RepoID, pr.Number, err)
	}
	return nil
}

// AcquireLease takes the named lease for owner until expires, if it is free,
// expired or already owner's.
func (s *Store) AcquireLease(ctx context.Context, name, owner string, now, expires time.Time) (bool, error) {
	const q = `INSERT INTO leases (name, owner, expires_at) VALUES ($1, $2, $3)
ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
WHERE leases.expires_at < $4 OR leases.owner = excluded.owner`
	res, err := s.DB.ExecContext(ctx, q, name, owner, micros(expires), micros(now))
	if err != nil {
		return false, fmt.Errorf("store: acquire lease %s: %w", name, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ReleaseLease frees the named lease if owner holds it.
func (s *Store) ReleaseLease(ctx context.Context, name, owner string) error {
	if _, err := s.DB.ExecContext(ctx, `DELETE FROM leases WHERE name = $1 AND owner = $2`, name, owner); err != nil {
		return fmt.Errorf("store: release lease %s: %w", name, err)
	}
	return nil
}

// PruneLeases deletes leases that expired before the given time.
func (s *Store) PruneLeases(ctx context.Context, before time.Time) error {
	if _, err := s.DB.ExecContext(ctx, `DELETE FROM leases WHERE expires_at < $1`, micros(before)); err != nil {
		return fmt.Errorf("store: prune leases: %w", err)
	}
	return nil
}
