package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
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
// deletes at most, so no transaction holds locks (SQLite: the one write lock) for
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
// transactions of up to pruneBatch pull requests, and reports how many pull
// requests it pruned. A pull request that reopens meanwhile is kept.
//
// On PostgreSQL the prune gives way to live work. A move of deliveries
// writes several rows of each pull request in its own order, and a prune
// that waited for one of them while holding others deadlocked with it:
// PostgreSQL broke the cycle after its deadlock_timeout, a second in which
// the move's other writes waited too, by failing either side, the prune job
// or the move's whole batch (seen in capacity runs, docs/capacity.md). So
// the prune waits at most pruneLockWait for a row; a batch that waited
// longer is rolled back and tried again at half its size, and a pull
// request still busy alone is left for a later run.
func (s *Store) PruneClosed(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	var busy []PR
	size := pruneBatch
	for {
		var claimed []PR
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			var err error
			claimed, err = pruneClosedBatch(ctx, tx, s.Dialect, micros(before), size, busy)
			return err
		})
		switch {
		case lockNotAvailable(err) && len(claimed) > 1:
			size = max(1, len(claimed)/2)
			continue
		case lockNotAvailable(err) && len(claimed) == 1:
			busy = append(busy, claimed[0])
			continue
		case err != nil:
			return total, fmt.Errorf("store: prune closed pull requests: %w", err)
		}
		total += int64(len(claimed))
		if len(claimed) < size {
			return total, nil
		}
		size = min(pruneBatch, 2*size)
	}
}

// pruneLockWait is how long a prune's statement waits for a row lock on
// PostgreSQL before it gives way (PruneClosed). A move holds its rows for
// tens of milliseconds.
const pruneLockWait = 50 * time.Millisecond

// lockNotAvailable reports whether err is PostgreSQL's lock_timeout.
func lockNotAvailable(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && pg.Code == "55P03"
}

// pruneClosedBatch deletes up to size closed pull requests' records, other
// than busy ones, and then their rows, and returns the pull requests
// claimed, also when a later statement fails. The records go first,
// rechecked against before, so that a reopening that commits meanwhile
// either waits for this transaction (PostgreSQL locks the deleted row) or
// is seen and spares the pull request.
//
// On PostgreSQL the claim skips records another transaction holds, and
// every statement waits at most pruneLockWait for a row (PruneClosed says
// why). On SQLite, with one writer, nothing else holds a row meanwhile.
func pruneClosedBatch(ctx context.Context, tx *sql.Tx, dialect string, before int64, size int, busy []PR) ([]PR, error) {
	if dialect == DialectPostgres {
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`SET LOCAL lock_timeout = %d`, pruneLockWait.Milliseconds())); err != nil {
			return nil, fmt.Errorf("lock timeout: %w", err)
		}
	}
	claim, args := closedClaim(dialect, before, size, busy)
	claimed, err := claimClosed(ctx, tx, claim, args)
	if err != nil || len(claimed) == 0 {
		return claimed, err
	}
	var keyArgs []any
	marks := make([]string, len(claimed))
	for i, pr := range claimed {
		keyArgs = append(keyArgs, pr.RepoID, pr.Number)
		// Typed, or PostgreSQL takes VALUES' parameters for text.
		marks[i] = fmt.Sprintf("(CAST($%d AS BIGINT), CAST($%d AS INTEGER))", 2*i+1, 2*i+2)
	}
	keys := strings.Join(marks, ", ")
	for _, table := range perPullRequestTables {
		q := `DELETE FROM ` + table + ` WHERE (repo_id, number) IN (VALUES ` + keys + `)`
		if _, err := tx.ExecContext(ctx, q, keyArgs...); err != nil {
			return claimed, fmt.Errorf("delete from %s: %w", table, err)
		}
	}
	return claimed, nil
}

// closedClaim is the statement that deletes up to size records of pull
// requests closed before the given time, the oldest first, and its
// arguments: on PostgreSQL, those of busy pull requests and those another
// transaction holds left out.
func closedClaim(dialect string, before int64, size int, busy []PR) (string, []any) {
	pick, lock, args := `SELECT repo_id, number FROM pull_requests_closed WHERE closed_at < $1`, "", []any{before, size}
	if dialect == DialectPostgres {
		lock = " FOR UPDATE SKIP LOCKED"
		if len(busy) > 0 {
			repos, numbers := make([]int64, len(busy)), make([]int64, len(busy))
			for i, pr := range busy {
				repos[i], numbers[i] = pr.RepoID, int64(pr.Number)
			}
			pick += ` AND (repo_id, number) NOT IN (SELECT * FROM unnest($3::bigint[], $4::integer[]))`
			args = append(args, repos, numbers)
		}
	}
	return `DELETE FROM pull_requests_closed WHERE closed_at < $1 AND (repo_id, number) IN (
    ` + pick + ` ORDER BY closed_at LIMIT $2` + lock + `)
RETURNING repo_id, number`, args
}

// claimClosed runs the claim and returns the pull requests it deleted the
// records of.
func claimClosed(ctx context.Context, tx *sql.Tx, claim string, args []any) ([]PR, error) {
	rows, err := tx.QueryContext(ctx, claim, args...)
	if err != nil {
		return nil, fmt.Errorf("claim: %w", err)
	}
	var claimed []PR
	for rows.Next() {
		var pr PR
		if err := rows.Scan(&pr.RepoID, &pr.Number); err != nil {
			rows.Close()
			return nil, fmt.Errorf("claim: %w", err)
		}
		claimed = append(claimed, pr)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, fmt.Errorf("claim: %w", err)
	}
	return claimed, nil
}
