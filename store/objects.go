package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// ObjectKey names a GitHub object the app wrote for a pull request.
type ObjectKey struct {
	RepoID int64
	Number int
	Kind   string // e.g. "check_run:<head sha>", "comment"
}

// LookupObject returns the GitHub ID remembered for k; ok is false if none.
func (s *Store) LookupObject(ctx context.Context, k ObjectKey) (id int64, ok bool, err error) {
	const q = `SELECT object_id FROM github_objects WHERE repo_id = $1 AND number = $2 AND kind = $3`
	err = s.DB.QueryRowContext(ctx, q, k.RepoID, k.Number, k.Kind).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("store: lookup object %+v: %w", k, err)
	}
	return id, true, nil
}

// RememberObject records (or replaces) the GitHub ID for k.
func (s *Store) RememberObject(ctx context.Context, k ObjectKey, id int64) error {
	const q = `INSERT INTO github_objects (repo_id, number, kind, object_id) VALUES ($1, $2, $3, $4)
ON CONFLICT (repo_id, number, kind) DO UPDATE SET object_id = excluded.object_id`
	if _, err := s.DB.ExecContext(ctx, q, k.RepoID, k.Number, k.Kind, id); err != nil {
		return fmt.Errorf("store: remember object %+v: %w", k, err)
	}
	return nil
}
