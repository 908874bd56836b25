package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// SLARecord is a pull request's SLA clock. State is an opaque JSON blob owned
// by policy/sla; Generation changes when the clock restarts, so events of an
// earlier clock are not confused with the current one's.
type SLARecord struct {
	InstallationID, RepoID int64
	Owner, Repo            string
	Number                 int
	State                  []byte
	Generation             int
	Waiting                bool // the clock runs: the PR waits for a review
	UpdatedAt              time.Time
}

// SLA returns the clock of a pull request; ok is false if it has none.
func (s *Store) SLA(ctx context.Context, repoID int64, number int) (SLARecord, bool, error) {
	const q = `SELECT installation_id, repo_id, owner, repo, number, state, generation, waiting, updated_at
FROM sla_clocks WHERE repo_id = $1 AND number = $2`
	var r SLARecord
	var updated int64
	err := s.reads.QueryRowContext(ctx, q, repoID, number).Scan(
		&r.InstallationID, &r.RepoID, &r.Owner, &r.Repo, &r.Number, &r.State, &r.Generation, &r.Waiting, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return SLARecord{}, false, nil
	}
	if err != nil {
		return SLARecord{}, false, fmt.Errorf("store: sla %d#%d: %w", repoID, number, err)
	}
	r.UpdatedAt = fromMicros(updated)
	return r, true, nil
}

// PutSLA creates or replaces the clock of r's pull request. A zero UpdatedAt
// means now.
func (s *Store) PutSLA(ctx context.Context, r SLARecord) error {
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = time.Now()
	}
	if r.State == nil {
		r.State = []byte{} // the column is NOT NULL
	}
	const q = `INSERT INTO sla_clocks (installation_id, repo_id, owner, repo, number, state, generation, waiting, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (repo_id, number) DO UPDATE SET
    installation_id = excluded.installation_id,
    owner = excluded.owner,
    repo = excluded.repo,
    state = excluded.state,
    generation = excluded.generation,
    waiting = excluded.waiting,
    updated_at = excluded.updated_at`
	_, err := s.DB.ExecContext(ctx, q, r.InstallationID, r.RepoID, r.Owner, r.Repo, r.Number,
		r.State, r.Generation, r.Waiting, micros(r.UpdatedAt))
	if err != nil {
		return fmt.Errorf("store: put sla %d#%d: %w", r.RepoID, r.Number, err)
	}
	return nil
}

// ClaimSLAEvent reports true to the first caller, in any replica, for an
// event of one clock generation, and false to every later caller: the
// winner sends the reminder or breach notice, so it goes out once.
func (s *Store) ClaimSLAEvent(ctx context.Context, repoID int64, number, generation int, event string) (bool, error) {
	const q = `INSERT INTO sla_events (repo_id, number, generation, event) VALUES ($1, $2, $3, $4)
ON CONFLICT (repo_id, number, generation, event) DO NOTHING`
	res, err := s.DB.ExecContext(ctx, q, repoID, number, generation, event)
	if err != nil {
		return false, fmt.Errorf("store: claim sla event %d#%d %s: %w", repoID, number, event, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: claim sla event %d#%d %s: %w", repoID, number, event, err)
	}
	return n == 1, nil
}

// SLAEffectKey names the effects of one event of one clock generation.
type SLAEffectKey struct {
	RepoID     int64
	Number     int
	Generation int
	Event      string
}

// SLAEffect is the outcome of AcquireSLAEffect.
type SLAEffect int

// AcquireSLAEffect outcomes.
const (
	EffectAcquired SLAEffect = iota // the caller holds the lease: do the work, then FinishSLAEffect
	EffectDone                      // someone finished it: nothing to do
	EffectBusy                      // another owner holds an unexpired lease
)

// AcquireSLAEffect leases the effects of k to owner until now+ttl. It
// succeeds when nobody had them, when owner itself held them (a retry of
// the same job), or when another owner's lease has expired (its process
// died). Effects marked done are never leased again. The lease is a guard
// against two jobs working at once, not a promise that the work happens
// once: the holder checks what exists before acting, so a lease that
// expires under a slow holder costs at worst a repeated idempotent request.
func (s *Store) AcquireSLAEffect(ctx context.Context, k SLAEffectKey, owner string, now time.Time, ttl time.Duration) (SLAEffect, error) {
	const q = `INSERT INTO sla_effects (repo_id, number, generation, event, owner, lease_until, done)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (repo_id, number, generation, event) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until
WHERE NOT sla_effects.done AND (sla_effects.owner = excluded.owner OR sla_effects.lease_until < $8)
RETURNING owner`
	var got string
	err := s.DB.QueryRowContext(ctx, q, k.RepoID, k.Number, k.Generation, k.Event, owner,
		micros(now.Add(ttl)), false, micros(now)).Scan(&got)
	if err == nil {
		return EffectAcquired, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("store: acquire sla effect %+v: %w", k, err)
	}
	var done bool
	const check = `SELECT done FROM sla_effects WHERE repo_id = $1 AND number = $2 AND generation = $3 AND event = $4`
	if err := s.reads.QueryRowContext(ctx, check, k.RepoID, k.Number, k.Generation, k.Event).Scan(&done); err != nil {
		return 0, fmt.Errorf("store: acquire sla effect %+v: %w", k, err)
	}
	if done {
		return EffectDone, nil
	}
	return EffectBusy, nil
}

// FinishSLAEffect marks the effects of k done; call it once they exist.
// It reports false when they were already marked done (by a job that took
// over an expired lease); they are done either way.
func (s *Store) FinishSLAEffect(ctx context.Context, k SLAEffectKey, owner string) (bool, error) {
	const q = `UPDATE sla_effects SET done = $5, owner = $6
WHERE repo_id = $1 AND number = $2 AND generation = $3 AND event = $4 AND NOT done`
	return s.updateOne(ctx, fmt.Sprintf("finish sla effect %+v", k), q, k.RepoID, k.Number, k.Generation, k.Event, true, owner)
}

// ReleaseSLAEffect gives up owner's lease on k without marking it done, so
// another job may take it at once (the work failed and will be retried).
func (s *Store) ReleaseSLAEffect(ctx context.Context, k SLAEffectKey, owner string) error {
	const q = `UPDATE sla_effects SET lease_until = 0
WHERE repo_id = $1 AND number = $2 AND generation = $3 AND event = $4 AND owner = $5 AND NOT done`
	if _, err := s.DB.ExecContext(ctx, q, k.RepoID, k.Number, k.Generation, k.Event, owner); err != nil {
		return fmt.Errorf("store: release sla effect %+v: %w", k, err)
	}
	return nil
}

// CountWaitingSLA counts pull requests whose SLA clock runs.
func (s *Store) CountWaitingSLA(ctx context.Context) (int64, error) {
	var n int64
	if err := s.reads.QueryRowContext(ctx, `SELECT COUNT(*) FROM sla_clocks WHERE waiting`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count waiting sla: %w", err)
	}
	return n, nil
}

// HasSLAEffects reports whether any job took a lease on an effect of the
// pull request whose event starts with prefix, finished or not: the
// effect may exist.
func (s *Store) HasSLAEffects(ctx context.Context, repoID int64, number int, prefix string) (bool, error) {
	var n int64
	const q = `SELECT COUNT(*) FROM sla_effects WHERE repo_id = $1 AND number = $2 AND event LIKE $3`
	if err := s.reads.QueryRowContext(ctx, q, repoID, number, prefix+"%").Scan(&n); err != nil {
		return false, fmt.Errorf("store: sla effects of %d#%d: %w", repoID, number, err)
	}
	return n > 0, nil
}
