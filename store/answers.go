package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// maxAnswer bounds one stored answer: a pull request's facts with 3,000
// files and long descriptions stay well under it; anything larger is not
// kept (the caller reads GitHub again next time).
const maxAnswer = 4 << 20

// Answer returns the value stored under key; found is false when none is.
func (s *Store) Answer(ctx context.Context, key string) (value []byte, found bool, err error) {
	const q = `SELECT value FROM simulate_answers WHERE key = $1`
	err = s.reads.QueryRowContext(ctx, q, key).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("store: read answer: %w", err)
	}
	return value, true, nil
}

// PutAnswer stores value under key at now, replacing what was there. A
// value over maxAnswer bytes is not stored (found stays false for it).
func (s *Store) PutAnswer(ctx context.Context, key string, value []byte, now time.Time) error {
	if len(value) > maxAnswer {
		return nil
	}
	const q = `INSERT INTO simulate_answers (key, value, written_at) VALUES ($1, $2, $3)
ON CONFLICT (key) DO UPDATE SET value = excluded.value, written_at = excluded.written_at`
	if _, err := s.DB.ExecContext(ctx, q, key, value, micros(now)); err != nil {
		return fmt.Errorf("store: put answer: %w", err)
	}
	return nil
}

// PruneAnswers deletes the answers written before cutoff and returns how
// many it deleted.
func (s *Store) PruneAnswers(ctx context.Context, cutoff time.Time) (int64, error) {
	const q = `DELETE FROM simulate_answers WHERE written_at < $1`
	res, err := s.DB.ExecContext(ctx, q, micros(cutoff))
	if err != nil {
		return 0, fmt.Errorf("store: prune answers: %w", err)
	}
	return res.RowsAffected()
}
