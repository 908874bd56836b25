package store

import (
	"context"
	"fmt"
	"time"
)

// NotifyPR is what the digests know of one pull request (notify_prs).
type NotifyPR struct {
	InstallationID, RepoID int64
	Number                 int
	Snapshot               []byte // package notify's Snapshot, JSON
	Open                   bool
	ReviewedAt             time.Time // zero: not reviewed
	ReviewedAfter          time.Duration
	UpdatedAt              time.Time
}

// PutNotifyPR creates or replaces a pull request's snapshot. A reviewed
// time, once set, is kept when a later write has none.
func (s *Store) PutNotifyPR(ctx context.Context, p NotifyPR) error {
	var reviewedAt int64
	if !p.ReviewedAt.IsZero() {
		reviewedAt = micros(p.ReviewedAt)
	}
	const q = `INSERT INTO notify_prs (repo_id, number, installation_id, snapshot, open, reviewed_at, reviewed_after, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (repo_id, number) DO UPDATE SET installation_id = excluded.installation_id, snapshot = excluded.snapshot,
    open = excluded.open, updated_at = excluded.updated_at,
    reviewed_at = CASE WHEN excluded.reviewed_at <> 0 THEN excluded.reviewed_at ELSE notify_prs.reviewed_at END,
    reviewed_after = CASE WHEN excluded.reviewed_at <> 0 THEN excluded.reviewed_after ELSE notify_prs.reviewed_after END`
	if _, err := s.DB.ExecContext(ctx, q, p.RepoID, p.Number, p.InstallationID, p.Snapshot, p.Open, reviewedAt,
		int64(p.ReviewedAfter/time.Microsecond), micros(p.UpdatedAt)); err != nil {
		return fmt.Errorf("store: put notify pr %d#%d: %w", p.RepoID, p.Number, err)
	}
	return nil
}

// CloseNotifyPR marks a pull request closed: digests no longer list it.
func (s *Store) CloseNotifyPR(ctx context.Context, repoID int64, number int) error {
	if _, err := s.DB.ExecContext(ctx, `UPDATE notify_prs SET open = $3 WHERE repo_id = $1 AND number = $2`,
		repoID, number, false); err != nil {
		return fmt.Errorf("store: close notify pr %d#%d: %w", repoID, number, err)
	}
	return nil
}

// DigestPRs lists the open pull requests, and those reviewed since since
// (for the week's time to first review), by repository and number.
func (s *Store) DigestPRs(ctx context.Context, since time.Time) ([]NotifyPR, error) {
	rows, err := s.reads.QueryContext(ctx, `SELECT installation_id, repo_id, number, snapshot, open, reviewed_at, reviewed_after, updated_at
FROM notify_prs WHERE open = $1 OR reviewed_at >= $2 ORDER BY repo_id, number`, true, micros(since))
	if err != nil {
		return nil, fmt.Errorf("store: digest pull requests: %w", err)
	}
	defer rows.Close()
	var out []NotifyPR
	for rows.Next() {
		var p NotifyPR
		var reviewedAt, after, updated int64
		if err := rows.Scan(&p.InstallationID, &p.RepoID, &p.Number, &p.Snapshot, &p.Open, &reviewedAt, &after, &updated); err != nil {
			return nil, fmt.Errorf("store: digest pull requests: %w", err)
		}
		if reviewedAt != 0 {
			p.ReviewedAt = fromMicros(reviewedAt)
		}
		p.ReviewedAfter, p.UpdatedAt = time.Duration(after)*time.Microsecond, fromMicros(updated)
		out = append(out, p)
	}
	return out, rows.Err()
}
