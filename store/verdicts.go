package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Verdict is one open pull request's latest result on its head commit.
// Report is opaque here: the handlers' JSON of what the check run shows.
type Verdict struct {
	PR
	HeadSHA   string
	BaseRef   string
	Report    []byte
	UpdatedAt time.Time
}

// Same reports whether o is v but for when it was recorded: a verdict
// that need not be written again.
func (v Verdict) Same(o Verdict) bool {
	return v.PR == o.PR && v.HeadSHA == o.HeadSHA && v.BaseRef == o.BaseRef && bytes.Equal(v.Report, o.Report)
}

// PutVerdict records a pull request's verdict, replacing its previous one
// (an earlier head's included).
func (s *Store) PutVerdict(ctx context.Context, v Verdict) error {
	const q = `INSERT INTO verdicts (repo_id, number, head_sha, base_ref, report, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (repo_id, number) DO UPDATE SET head_sha = excluded.head_sha, base_ref = excluded.base_ref,
report = excluded.report, updated_at = excluded.updated_at`
	if _, err := s.writeExec(ctx, q, v.RepoID, v.Number, v.HeadSHA, v.BaseRef, v.Report, micros(v.UpdatedAt)); err != nil {
		return fmt.Errorf("store: put verdict %d#%d: %w", v.RepoID, v.Number, err)
	}
	return nil
}

// DeleteVerdict forgets a pull request's verdict (it closed), returning the
// head it was on ("" if none).
func (s *Store) DeleteVerdict(ctx context.Context, pr PR) (string, error) {
	const q = `DELETE FROM verdicts WHERE repo_id = $1 AND number = $2 RETURNING head_sha`
	var sha string
	err := s.DB.QueryRowContext(ctx, q, pr.RepoID, pr.Number).Scan(&sha)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: delete verdict %d#%d: %w", pr.RepoID, pr.Number, err)
	}
	return sha, nil
}

const verdictsOnQuery = `SELECT repo_id, number, head_sha, base_ref, report, updated_at FROM verdicts
WHERE repo_id = $1 AND head_sha = $2 ORDER BY number`

// VerdictsOn lists the verdicts of the pull requests whose head is sha, by
// number.
func (s *Store) VerdictsOn(ctx context.Context, repoID int64, sha string) ([]Verdict, error) {
	rows, err := s.reads.QueryContext(ctx, verdictsOnQuery, repoID, sha)
	if err != nil {
		return nil, fmt.Errorf("store: verdicts on %s: %w", sha, err)
	}
	defer rows.Close()
	var out []Verdict
	for rows.Next() {
		var v Verdict
		var at int64
		if err := rows.Scan(&v.RepoID, &v.Number, &v.HeadSHA, &v.BaseRef, &v.Report, &at); err != nil {
			return nil, fmt.Errorf("store: verdicts on %s: %w", sha, err)
		}
		v.UpdatedAt = fromMicros(at)
		out = append(out, v)
	}
	return out, rows.Err()
}
