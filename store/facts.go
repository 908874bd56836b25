package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// FactVersion is scope's version (0 until an event bumped it); see
// migration 0011 for the scopes.
func (s *Store) FactVersion(ctx context.Context, scope string) (int64, error) {
	var v int64
	err := s.reads.QueryRowContext(ctx, `SELECT version FROM fact_versions WHERE scope = $1`, scope).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("store: fact version %s: %w", scope, err)
	}
	return v, nil
}

// BumpFactVersion says that what scope covers may have changed on GitHub.
func (s *Store) BumpFactVersion(ctx context.Context, scope string) error {
	const q = `INSERT INTO fact_versions (scope, version) VALUES ($1, 1)
ON CONFLICT (scope) DO UPDATE SET version = fact_versions.version + 1`
	if _, err := s.DB.ExecContext(ctx, q, scope); err != nil {
		return fmt.Errorf("store: bump fact version %s: %w", scope, err)
	}
	return nil
}

// Reviews is what the store knows of a pull request's reviews.
type Reviews struct {
	// Data is the reviews as last read (JSON, the caller's format); Current
	// says no review event came since, so they may be used as they are.
	Data    []byte
	Current bool
	ReadAt  time.Time
	// Events is the count of review events so far: pass it to PutReviews
	// with what is read now.
	Events int64
}

// ReviewsOf returns what the store knows of pr's reviews.
func (s *Store) ReviewsOf(ctx context.Context, pr PR) (Reviews, error) {
	const q = `SELECT review_events, reviews, reviews_for, read_at FROM pr_reviews WHERE repo_id = $1 AND number = $2`
	var r Reviews
	var readFor, readAt int64
	err := s.reads.QueryRowContext(ctx, q, pr.RepoID, pr.Number).Scan(&r.Events, &r.Data, &readFor, &readAt)
	if errors.Is(err, sql.ErrNoRows) {
		return Reviews{}, nil
	}
	if err != nil {
		return Reviews{}, fmt.Errorf("store: reviews of %+v: %w", pr, err)
	}
	r.Current = readFor == r.Events && r.Data != nil
	r.ReadAt = fromMicros(readAt)
	return r, nil
}

// PutReviews records pr's reviews as read when the review event count was
// events (Reviews.Events, taken before reading): should an event have come
// meanwhile, they are recorded but not current. It commits asynchronously
// (asyncwrites.go): lost, the next evaluation reads the reviews again.
func (s *Store) PutReviews(ctx context.Context, pr PR, events int64, data []byte, at time.Time) error {
	const q = `INSERT INTO pr_reviews (repo_id, number, reviews, reviews_for, read_at) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (repo_id, number) DO UPDATE SET reviews = excluded.reviews, reviews_for = excluded.reviews_for,
read_at = excluded.read_at WHERE pr_reviews.reviews_for <= excluded.reviews_for`
	if _, err := s.writeExecAsync(ctx, q, pr.RepoID, pr.Number, data, events, micros(at)); err != nil {
		return fmt.Errorf("store: put reviews of %+v: %w", pr, err)
	}
	return nil
}

// NoReviewsYet records that a pull request just opened has no review,
// unless anything is recorded already (a review event or an evaluation
// came first, and what it recorded stays).
func (w Writes) NoReviewsYet(ctx context.Context, pr PR, empty []byte, at time.Time) error {
	const q = `INSERT INTO pr_reviews (repo_id, number, reviews, reviews_for, read_at) VALUES ($1, $2, $3, 0, $4)
ON CONFLICT (repo_id, number) DO NOTHING`
	if _, err := w.db.ExecContext(ctx, q, pr.RepoID, pr.Number, empty, micros(at)); err != nil {
		return fmt.Errorf("store: no reviews yet on %+v: %w", pr, err)
	}
	return nil
}

// ReviewEvent says pr's reviews may have changed: what was read before is
// no longer current.
func (w Writes) ReviewEvent(ctx context.Context, pr PR) error {
	const q = `INSERT INTO pr_reviews (repo_id, number, review_events) VALUES ($1, $2, 1)
ON CONFLICT (repo_id, number) DO UPDATE SET review_events = pr_reviews.review_events + 1`
	if _, err := w.db.ExecContext(ctx, q, pr.RepoID, pr.Number); err != nil {
		return fmt.Errorf("store: review event on %+v: %w", pr, err)
	}
	return nil
}

// Snapshot is a pull request as the newest payload or read showed it.
type Snapshot struct {
	Data       []byte // the caller's JSON
	UpdatedAt  time.Time
	Trusted    bool
	RecordedAt time.Time
}

// RecordSnapshot keeps s (Data, UpdatedAt, Trusted, RecordedAt) for pr
// unless a newer one is kept: a newer one replaces it; one as new with
// other content leaves it distrusted; an older one changes nothing unless
// it is itself distrusted (a delivery too old to trust says something
// happened that the kept one may not show: GitHub is read).
func (w Writes) RecordSnapshot(ctx context.Context, pr PR, snap Snapshot) error {
	if _, err := w.db.ExecContext(ctx, recordSnapshot, snapshotArgs(pr, snap)...); err != nil {
		return fmt.Errorf("store: record snapshot of %+v: %w", pr, err)
	}
	return nil
}

// RecordReadSnapshot is RecordSnapshot for a snapshot an evaluation read
// from GitHub, committed on its own and asynchronously (asyncwrites.go):
// lost, the next evaluation reads the pull request again.
func (s *Store) RecordReadSnapshot(ctx context.Context, pr PR, snap Snapshot) error {
	if _, err := s.writeExecAsync(ctx, recordSnapshot, snapshotArgs(pr, snap)...); err != nil {
		return fmt.Errorf("store: record snapshot of %+v: %w", pr, err)
	}
	return nil
}

func snapshotArgs(pr PR, snap Snapshot) []any {
	trusted := 0
	if snap.Trusted {
		trusted = 1
	}
	return []any{pr.RepoID, pr.Number, snap.Data, micros(snap.UpdatedAt), trusted, micros(snap.RecordedAt)}
}

const recordSnapshot = `INSERT INTO pr_snapshots (repo_id, number, pr, updated_at, trusted, recorded_at) VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (repo_id, number) DO UPDATE SET
trusted = CASE WHEN excluded.updated_at > pr_snapshots.updated_at THEN excluded.trusted
  WHEN excluded.trusted = 0 THEN 0
  WHEN excluded.updated_at = pr_snapshots.updated_at AND excluded.pr <> pr_snapshots.pr THEN 0
  ELSE pr_snapshots.trusted END,
pr = CASE WHEN excluded.updated_at > pr_snapshots.updated_at THEN excluded.pr ELSE pr_snapshots.pr END,
recorded_at = CASE WHEN excluded.updated_at > pr_snapshots.updated_at THEN excluded.recorded_at ELSE pr_snapshots.recorded_at END,
updated_at = CASE WHEN excluded.updated_at > pr_snapshots.updated_at THEN excluded.updated_at ELSE pr_snapshots.updated_at END`

// DistrustSnapshot makes the next evaluation of pr read GitHub.
func (s *Store) DistrustSnapshot(ctx context.Context, pr PR) error {
	const q = `UPDATE pr_snapshots SET trusted = 0 WHERE repo_id = $1 AND number = $2`
	if _, err := s.DB.ExecContext(ctx, q, pr.RepoID, pr.Number); err != nil {
		return fmt.Errorf("store: distrust snapshot of %+v: %w", pr, err)
	}
	return nil
}

// SnapshotOf returns pr's snapshot; found is false when there is none.
func (s *Store) SnapshotOf(ctx context.Context, pr PR) (snap Snapshot, found bool, err error) {
	if err := s.runStmts(ctx, snapshotRead(pr, &snap, &found)); err != nil {
		return Snapshot{}, false, fmt.Errorf("store: snapshot of %+v: %w", pr, err)
	}
	return snap, found, nil
}
