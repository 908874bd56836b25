package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// perPullRequestTables lists every table whose rows belong to one pull
// request, named by its repo_id and number columns: PruneClosed deletes
// their rows some time after the pull request closed. A table added for a
// pull request's state belongs here, with an index starting with (repo_id,
// number) so the deletes stay cheap.
var perPullRequestTables = []string{
	"github_objects",
	"sla_clocks",
	"sla_events",
	"done_rules",
	"removed_reviewers",
	"review_requests",
	"pr_evaluations",
	"verdicts",
	"sla_effects",
	"notify_outbox",
	"notify_prs",
	"pr_reviews",
	"pr_snapshots",
}

// pruneBatch is how many closed pull requests one PruneClosed transaction
// deletes, so no transaction holds locks (SQLite: the one write lock) for
// long, whatever the backlog.
const pruneBatch = 100

// MarkClosed records that a pull request closed at the given time (the
// event's closed_at). It changes nothing if a later event was recorded
// already, so a late or repeated delivery cannot undo a reopening.
func (w Writes) MarkClosed(ctx context.Context, repoID int64, number int, at time.Time) error {
	// Strictly later: on a tie (GitHub's times have one-second resolution)
	// the pull request stays open, so nothing open is ever pruned.
	const q = `INSERT INTO pull_requests_closed (repo_id, number, closed_at, changed_at) VALUES ($1, $2, $3, $3)
ON CONFLICT (repo_id, number) DO UPDATE SET closed_at = excluded.closed_at, changed_at = excluded.changed_at
WHERE excluded.changed_at > pull_requests_closed.changed_at`
	if _, err := w.db.ExecContext(ctx, q, repoID, number, micros(at)); err != nil {
		return fmt.Errorf("store: mark %d#%d closed: %w", repoID, number, err)
	}
	return nil
}

// MarkOpen records that a pull request reopened at the given time, unless a
// later event was recorded already.
func (w Writes) MarkOpen(ctx context.Context, repoID int64, number int, at time.Time) error {
	const q = `INSERT INTO pull_requests_closed (repo_id, number, closed_at, changed_at) VALUES ($1, $2, NULL, $3)
ON CONFLICT (repo_id, number) DO UPDATE SET closed_at = NULL, changed_at = excluded.changed_at
WHERE excluded.changed_at >= pull_requests_closed.changed_at`
	if _, err := w.db.ExecContext(ctx, q, repoID, number, micros(at)); err != nil {
		return fmt.Errorf("store: mark %d#%d open: %w", repoID, number, err)
	}
	return nil
}

// SeenOpen records that an event showed a pull request open at the given
// time (its updated_at): a closing recorded before then is cleared, since
// the reopened event that should have cleared it was lost (GitHub does not
// redeliver on its own). Unlike MarkOpen it adds no row, so it is cheap
// enough for every event: one indexed UPDATE that usually matches nothing.
func (w Writes) SeenOpen(ctx context.Context, repoID int64, number int, at time.Time) error {
	const q = `UPDATE pull_requests_closed SET closed_at = NULL, changed_at = $3
WHERE repo_id = $1 AND number = $2 AND closed_at IS NOT NULL AND changed_at < $3`
	if _, err := w.db.ExecContext(ctx, q, repoID, number, micros(at)); err != nil {
		return fmt.Errorf("store: seen %d#%d open: %w", repoID, number, err)
	}
	return nil
}

// ClosedAt reports when a pull request closed; ok is false if it is not
// known to be closed.
func (s *Store) ClosedAt(ctx context.Context, repoID int64, number int) (at time.Time, ok bool, err error) {
	const q = `SELECT closed_at FROM pull_requests_closed WHERE repo_id = $1 AND number = $2`
	var us sql.NullInt64
	err = s.reads.QueryRowContext(ctx, q, repoID, number).Scan(&us)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !us.Valid) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("store: closed %d#%d: %w", repoID, number, err)
	}
	return fromMicros(us.Int64), true, nil
}

// PruneClosed deletes everything kept for pull requests closed before the
// given time (perPullRequestTables, and the record of their closing), in
// transactions of pruneBatch pull requests, and reports how many pull
// requests it pruned. A pull request that reopens meanwhile is kept.
func (s *Store) PruneClosed(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for {
		var n int
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			var err error
			n, err = pruneClosedBatch(ctx, tx, s.Dialect, micros(before))
			return err
		})
		if err != nil {
			return total, fmt.Errorf("store: prune closed pull requests: %w", err)
		}
		total += int64(n)
		if n < pruneBatch {
			return total, nil
		}
	}
}

// pruneClosedBatch deletes up to pruneBatch closed pull requests' records
// and then their rows. The records go first, rechecked against before, so
// that a reopening that commits meanwhile either waits for this transaction
// (PostgreSQL locks the deleted row) or is seen and spares the pull request.
//
// On PostgreSQL the claim skips records another transaction holds: a move
// of deliveries updates the records of the pull requests it sees open or
// closed in its own order, and a claim that waited for one while holding
// others deadlocked with it (a second lost each time; seen in capacity
// runs). What is skipped is pruned by a later run.
func pruneClosedBatch(ctx context.Context, tx *sql.Tx, dialect string, before int64) (int, error) {
	claim := `DELETE FROM pull_requests_closed WHERE closed_at < $1 AND (repo_id, number) IN (
    SELECT repo_id, number FROM pull_requests_closed WHERE closed_at < $1 ORDER BY closed_at LIMIT $2)
RETURNING repo_id, number`
	if dialect == DialectPostgres {
		claim = strings.Replace(claim, "LIMIT $2)", "LIMIT $2 FOR UPDATE SKIP LOCKED)", 1)
	}
	rows, err := tx.QueryContext(ctx, claim, before, pruneBatch)
	if err != nil {
		return 0, fmt.Errorf("claim: %w", err)
	}
	var args []any
	var marks []string
	for rows.Next() {
		var repoID int64
		var number int
		if err := rows.Scan(&repoID, &number); err != nil {
			rows.Close()
			return 0, fmt.Errorf("claim: %w", err)
		}
		args = append(args, repoID, number)
		// Typed, or PostgreSQL takes VALUES' parameters for text.
		marks = append(marks, fmt.Sprintf("(CAST($%d AS BIGINT), CAST($%d AS INTEGER))", len(args)-1, len(args)))
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return 0, fmt.Errorf("claim: %w", err)
	}
	if len(marks) == 0 {
		return 0, nil
	}
	keys := strings.Join(marks, ", ")
	for _, table := range perPullRequestTables {
		q := `DELETE FROM ` + table + ` WHERE (repo_id, number) IN (VALUES ` + keys + `)`
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return 0, fmt.Errorf("delete from %s: %w", table, err)
		}
	}
	return len(marks), nil
}
