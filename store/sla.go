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
	err := s.DB.QueryRowContext(ctx, q, repoID, number).Scan(
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

// CountWaitingSLA counts pull requests whose SLA clock runs.
func (s *Store) CountWaitingSLA(ctx context.Context) (int64, error) {
	var n int64
	if err := s.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM sla_clocks WHERE waiting`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count waiting sla: %w", err)
	}
	return n, nil
}
