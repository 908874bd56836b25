package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ExpertiseRow is one person's review (Kind 1) or change (Kind 2) in one
// directory of a repository, from one pull request.
type ExpertiseRow struct {
	Number int
	Login  string // compared lower-cased
	Dir    string // "" for the repository's root
	Kind   int
	At     time.Time
}

// expertiseBatch rows go in one INSERT: few statements, well under both
// engines' limits on parameters.
const expertiseBatch = 100

// AddExpertise records rows of a repository. A row already recorded (the
// same pull request, person, directory and kind) is kept as it is, so
// redelivered events and repeated backfill pages change nothing.
func (s *Store) AddExpertise(ctx context.Context, repoID int64, rows []ExpertiseRow) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for start := 0; start < len(rows); start += expertiseBatch {
			batch := rows[start:min(start+expertiseBatch, len(rows))]
			var q strings.Builder
			q.WriteString(`INSERT INTO expertise_rows (repo_id, number, login, dir, kind, at) VALUES `)
			args := make([]any, 0, 6*len(batch))
			for i, r := range batch {
				if i > 0 {
					q.WriteString(", ")
				}
				n := len(args)
				q.WriteString("(")
				for j := 1; j <= 6; j++ {
					if j > 1 {
						q.WriteString(", ")
					}
					q.WriteString("$" + strconv.Itoa(n+j))
				}
				q.WriteString(")")
				args = append(args, repoID, r.Number, strings.ToLower(r.Login), r.Dir, r.Kind, micros(r.At))
			}
			q.WriteString(` ON CONFLICT (repo_id, number, login, dir, kind) DO NOTHING`)
			if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: add expertise of repository %d: %w", repoID, err)
	}
	return nil
}

// Expertise calls fn for each row of the repository since the given time,
// the newest first, at most limit rows: an evaluation's memory stays bounded
// however long the history.
func (s *Store) Expertise(ctx context.Context, repoID int64, since time.Time, limit int,
	fn func(login, dir string, kind int, at time.Time)) error {
	const q = `SELECT login, dir, kind, at FROM expertise_rows WHERE repo_id = $1 AND at >= $2 ORDER BY at DESC LIMIT $3`
	rows, err := s.reads.QueryContext(ctx, q, repoID, micros(since), limit)
	if err != nil {
		return fmt.Errorf("store: read expertise of repository %d: %w", repoID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var login, dir string
		var kind int
		var at int64
		if err := rows.Scan(&login, &dir, &kind, &at); err != nil {
			return fmt.Errorf("store: read expertise of repository %d: %w", repoID, err)
		}
		fn(login, dir, kind, fromMicros(at))
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: read expertise of repository %d: %w", repoID, err)
	}
	return nil
}

// Backfill is the progress of reading a repository's earlier pull requests.
type Backfill struct {
	NextPage  int // the next page of closed pull requests to read, from 1
	PullsSeen int // merged pull requests recorded so far
	Done      bool
}

// ExpertiseBackfill returns the repository's progress; found is false
// before the backfill started.
func (s *Store) ExpertiseBackfill(ctx context.Context, repoID int64) (b Backfill, found bool, err error) {
	const q = `SELECT next_page, pulls_seen, done_at FROM expertise_backfill WHERE repo_id = $1`
	var doneAt int64
	err = s.reads.QueryRowContext(ctx, q, repoID).Scan(&b.NextPage, &b.PullsSeen, &doneAt)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Backfill{NextPage: 1}, false, nil
	case err != nil:
		return b, false, fmt.Errorf("store: read expertise backfill of repository %d: %w", repoID, err)
	}
	b.Done = doneAt != 0
	return b, true, nil
}

// SetExpertiseBackfill records the repository's progress. Progress never
// goes back: a slower worker finishing an older page cannot undo a newer
// one, and a finished backfill stays finished.
func (s *Store) SetExpertiseBackfill(ctx context.Context, repoID int64, b Backfill, now time.Time) error {
	var doneAt int64
	if b.Done {
		doneAt = micros(now)
	}
	const q = `INSERT INTO expertise_backfill (repo_id, next_page, pulls_seen, done_at, updated_at) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (repo_id) DO UPDATE SET next_page = excluded.next_page, pulls_seen = excluded.pulls_seen,
    done_at = excluded.done_at, updated_at = excluded.updated_at
WHERE expertise_backfill.done_at = 0 AND excluded.next_page >= expertise_backfill.next_page`
	if _, err := s.DB.ExecContext(ctx, q, repoID, b.NextPage, b.PullsSeen, doneAt, micros(now)); err != nil {
		return fmt.Errorf("store: set expertise backfill of repository %d: %w", repoID, err)
	}
	return nil
}
