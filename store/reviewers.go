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

// Load is a reviewer's current load across an installation.
type Load struct {
	Open          int       // review requests not yet answered or removed
	LastRequested time.Time // zero if never requested; kept after requests end
}

// AddReviewRequest records that login was asked to review a pull request at
// the given time. Repeating it (a redelivered event) changes nothing, and an
// older time never replaces a newer LastRequested.
func (w Writes) AddReviewRequest(ctx context.Context, installationID, repoID int64, number int, login string, at time.Time) error {
	login = strings.ToLower(login)
	const insertRequest = `INSERT INTO review_requests (installation_id, repo_id, number, login, requested_at)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (installation_id, repo_id, number, login) DO NOTHING`
	const touchActivity = `INSERT INTO reviewer_activity (installation_id, login, last_requested) VALUES ($1, $2, $3)
ON CONFLICT (installation_id, login) DO UPDATE SET last_requested = excluded.last_requested
WHERE excluded.last_requested > reviewer_activity.last_requested`
	err := w.inTx(ctx, func(tx Writes) error {
		if _, err := tx.db.ExecContext(ctx, insertRequest, installationID, repoID, number, login, micros(at)); err != nil {
			return err
		}
		_, err := tx.db.ExecContext(ctx, touchActivity, installationID, login, micros(at))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: add review request %d#%d %s: %w", repoID, number, login, err)
	}
	return nil
}

// RemoveReviewRequest ends one review request (review submitted or request
// removed). LastRequested is kept.
func (w Writes) RemoveReviewRequest(ctx context.Context, installationID, repoID int64, number int, login string) error {
	const q = `DELETE FROM review_requests WHERE installation_id = $1 AND repo_id = $2 AND number = $3 AND login = $4`
	if _, err := w.db.ExecContext(ctx, q, installationID, repoID, number, strings.ToLower(login)); err != nil {
		return fmt.Errorf("store: remove review request %d#%d %s: %w", repoID, number, login, err)
	}
	return nil
}

// ClearReviewRequests ends every review request of a pull request (closed).
func (w Writes) ClearReviewRequests(ctx context.Context, installationID, repoID int64, number int) error {
	const q = `DELETE FROM review_requests WHERE installation_id = $1 AND repo_id = $2 AND number = $3`
	if _, err := w.db.ExecContext(ctx, q, installationID, repoID, number); err != nil {
		return fmt.Errorf("store: clear review requests %d#%d: %w", repoID, number, err)
	}
	return nil
}

// Loads returns the load of each login in the installation, keyed by the
// lower-cased login. Every requested login is present; one never requested
// has a zero Load.
func (s *Store) Loads(ctx context.Context, installationID int64, logins []string) (map[string]Load, error) {
	loads := make(map[string]Load, len(logins))
	args := []any{installationID}
	var in strings.Builder
	for _, l := range logins {
		l = strings.ToLower(l)
		if _, dup := loads[l]; dup {
			continue
		}
		loads[l] = Load{}
		if len(args) > 1 {
			in.WriteString(", ")
		}
		args = append(args, l)
		in.WriteString("$" + strconv.Itoa(len(args)))
	}
	if len(args) == 1 {
		return loads, nil
	}

	// Every request also writes reviewer_activity, so its rows cover every
	// login with open requests.
	q := `SELECT a.login, a.last_requested,
    (SELECT COUNT(*) FROM review_requests r WHERE r.installation_id = a.installation_id AND r.login = a.login)
FROM reviewer_activity a
WHERE a.installation_id = $1 AND a.login IN (` + in.String() + `)`
	rows, err := s.reads.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: loads: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var login string
		var last int64
		var open int
		if err := rows.Scan(&login, &last, &open); err != nil {
			return nil, fmt.Errorf("store: loads: %w", err)
		}
		loads[login] = Load{Open: open, LastRequested: fromMicros(last)}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: loads: %w", err)
	}
	return loads, nil
}

// MarkRemoved records that a human removed login's review request, so the
// app does not request them again on that pull request. A person's removal
// wins over the app's withdrawal of the same reviewer.
func (w Writes) MarkRemoved(ctx context.Context, repoID int64, number int, login string) error {
	const q = `INSERT INTO removed_reviewers (repo_id, number, login, why) VALUES ($1, $2, $3, '')
ON CONFLICT (repo_id, number, login) DO UPDATE SET why = ''`
	if _, err := w.db.ExecContext(ctx, q, repoID, number, strings.ToLower(login)); err != nil {
		return fmt.Errorf("store: mark removed %d#%d %s: %w", repoID, number, login, err)
	}
	return nil
}

// MarkWithdrawn records that the app withdrew its own request of login,
// and why ("withdrawn after 8h without a response"): the app does not
// request them again there, and says why not. The first record is kept.
func (s *Store) MarkWithdrawn(ctx context.Context, repoID int64, number int, login, why string) error {
	const q = `INSERT INTO removed_reviewers (repo_id, number, login, why) VALUES ($1, $2, $3, $4)
ON CONFLICT (repo_id, number, login) DO NOTHING`
	if _, err := s.DB.ExecContext(ctx, q, repoID, number, strings.ToLower(login), why); err != nil {
		return fmt.Errorf("store: mark withdrawn %d#%d %s: %w", repoID, number, login, err)
	}
	return nil
}

// Removed lists the lower-cased logins a person removed from a pull
// request, sorted.
func (s *Store) Removed(ctx context.Context, repoID int64, number int) ([]string, error) {
	const q = `SELECT login FROM removed_reviewers WHERE repo_id = $1 AND number = $2 AND why = '' ORDER BY login`
	out, err := s.strings(ctx, q, repoID, number)
	if err != nil {
		return nil, fmt.Errorf("store: removed %d#%d: %w", repoID, number, err)
	}
	return out, nil
}

// Withdrawn maps the lower-cased logins whose request the app withdrew on
// a pull request to why.
func (s *Store) Withdrawn(ctx context.Context, repoID int64, number int) (map[string]string, error) {
	const q = `SELECT login, why FROM removed_reviewers WHERE repo_id = $1 AND number = $2 AND why <> ''`
	rows, err := s.reads.QueryContext(ctx, q, repoID, number)
	if err != nil {
		return nil, fmt.Errorf("store: withdrawn %d#%d: %w", repoID, number, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var login, why string
		if err := rows.Scan(&login, &why); err != nil {
			return nil, fmt.Errorf("store: withdrawn %d#%d: %w", repoID, number, err)
		}
		out[login] = why
	}
	return out, rows.Err()
}

// DoneRules lists the reviewer rules already applied to a pull request, sorted.
func (s *Store) DoneRules(ctx context.Context, repoID int64, number int) ([]string, error) {
	const q = `SELECT rule FROM done_rules WHERE repo_id = $1 AND number = $2 ORDER BY rule`
	out, err := s.strings(ctx, q, repoID, number)
	if err != nil {
		return nil, fmt.Errorf("store: done rules %d#%d: %w", repoID, number, err)
	}
	return out, nil
}

// AddDoneRules marks rules as applied to a pull request; repeats are ignored.
func (s *Store) AddDoneRules(ctx context.Context, repoID int64, number int, rules []string) error {
	if len(rules) == 0 {
		return nil
	}
	const q = `INSERT INTO done_rules (repo_id, number, rule) VALUES ($1, $2, $3)
ON CONFLICT (repo_id, number, rule) DO NOTHING`
	if err := s.eachRule(ctx, q, repoID, number, rules); err != nil {
		return fmt.Errorf("store: add done rules %d#%d: %w", repoID, number, err)
	}
	return nil
}

// eachRule runs q for every rule of a pull request in one transaction.
func (s *Store) eachRule(ctx context.Context, q string, repoID int64, number int, rules []string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for _, r := range rules {
			if _, err := tx.ExecContext(ctx, q, repoID, number, r); err != nil {
				return err
			}
		}
		return nil
	})
}

// Rotation returns the round-robin position of a rule, 0 if never set.
func (s *Store) Rotation(ctx context.Context, installationID, repoID int64, rule string) (int, error) {
	const q = `SELECT position FROM rotations WHERE installation_id = $1 AND repo_id = $2 AND rule = $3`
	var pos int
	err := s.reads.QueryRowContext(ctx, q, installationID, repoID, rule).Scan(&pos)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("store: rotation %d %q: %w", repoID, rule, err)
	}
	return pos, nil
}

// Move is one round-robin rule's position change, from what was read to the
// next position.
type Move struct {
	Rule     string
	From, To int
}

// SetRotations applies every move, or none: all compare-and-swaps succeed in
// one transaction or it rolls back and ok is false. Undo, with the moves
// reversed, gives the positions back after a failed request.
func (s *Store) SetRotations(ctx context.Context, installationID, repoID int64, moves []Move) (ok bool, err error) {
	errLost := errors.New("lost")
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		for _, m := range moves {
			won, err := setRotation(ctx, tx, installationID, repoID, m)
			if err != nil {
				return err
			}
			if !won {
				return errLost
			}
		}
		return nil
	})
	if errors.Is(err, errLost) {
		return false, nil
	}
	return err == nil, err
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func setRotation(ctx context.Context, db execer, installationID, repoID int64, m Move) (bool, error) {
	// A missing row means position 0, so only from == 0 may create it. On
	// PostgreSQL both statements re-check the WHERE clause against the row
	// a concurrent winner committed; SQLite runs writers one at a time.
	const fromZero = `INSERT INTO rotations (installation_id, repo_id, rule, position) VALUES ($1, $2, $3, $4)
ON CONFLICT (installation_id, repo_id, rule) DO UPDATE SET position = excluded.position
WHERE rotations.position = 0`
	const fromOld = `UPDATE rotations SET position = $4
WHERE installation_id = $1 AND repo_id = $2 AND rule = $3 AND position = $5`
	var res sql.Result
	var err error
	if m.From == 0 {
		res, err = db.ExecContext(ctx, fromZero, installationID, repoID, m.Rule, m.To)
	} else {
		res, err = db.ExecContext(ctx, fromOld, installationID, repoID, m.Rule, m.To, m.From)
	}
	if err != nil {
		return false, fmt.Errorf("store: set rotation %d %q: %w", repoID, m.Rule, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: set rotation %d %q: %w", repoID, m.Rule, err)
	}
	return n == 1, nil
}

// strings runs a query returning one text column.
func (s *Store) strings(ctx context.Context, q string, args ...any) ([]string, error) {
	rows, err := s.reads.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
