package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// AppRequest is a review request the app made.
type AppRequest struct {
	Login       string
	RequestedAt time.Time
	Open        bool   // not withdrawn
	Note        string // why it was withdrawn
}

// AddAppRequest records that the app asked login to review. The first time
// is kept: a retried evaluation does not restart the wait.
func (s *Store) AddAppRequest(ctx context.Context, repoID int64, number int, login string, at time.Time) error {
	const q = `INSERT INTO app_requests (repo_id, number, login, requested_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (repo_id, number, login) DO NOTHING`
	if _, err := s.DB.ExecContext(ctx, q, repoID, number, strings.ToLower(login), micros(at)); err != nil {
		return fmt.Errorf("store: add app request %d#%d %s: %w", repoID, number, login, err)
	}
	return nil
}

// AppRequests lists the app's requests on a pull request, oldest first.
func (s *Store) AppRequests(ctx context.Context, repoID int64, number int) ([]AppRequest, error) {
	var out []AppRequest
	if err := s.runStmts(ctx, appRequestsRead(repoID, number, &out)); err != nil {
		return nil, fmt.Errorf("store: app requests %d#%d: %w", repoID, number, err)
	}
	return out, nil
}

// AppRequestOf returns the app's request of login; found is false when the
// app never asked them.
func (s *Store) AppRequestOf(ctx context.Context, repoID int64, number int, login string) (r AppRequest, found bool, err error) {
	const q = `SELECT login, requested_at, state, note FROM app_requests WHERE repo_id = $1 AND number = $2 AND login = $3`
	var at int64
	var state string
	err = s.reads.QueryRowContext(ctx, q, repoID, number, strings.ToLower(login)).Scan(&r.Login, &at, &state, &r.Note)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return r, false, nil
	case err != nil:
		return r, false, fmt.Errorf("store: app request %d#%d %s: %w", repoID, number, login, err)
	}
	r.RequestedAt, r.Open = fromMicros(at), state == "open"
	return r, true, nil
}

// WithdrawAppRequest marks the app's request of login withdrawn, with why.
// The first note is kept.
func (s *Store) WithdrawAppRequest(ctx context.Context, repoID int64, number int, login, note string) error {
	const q = `UPDATE app_requests SET state = 'withdrawn', note = $4 WHERE repo_id = $1 AND number = $2 AND login = $3 AND state = 'open'`
	if _, err := s.DB.ExecContext(ctx, q, repoID, number, strings.ToLower(login), note); err != nil {
		return fmt.Errorf("store: withdraw app request %d#%d %s: %w", repoID, number, login, err)
	}
	return nil
}

// UntimedAppRequests lists the app's open requests on a pull request whose
// reassign timer was never scheduled (made before reassign_after was set).
func (s *Store) UntimedAppRequests(ctx context.Context, repoID int64, number int) ([]AppRequest, error) {
	const q = `SELECT login, requested_at FROM app_requests WHERE repo_id = $1 AND number = $2 AND state = 'open'
AND timer = 0 ORDER BY requested_at, login`
	rows, err := s.reads.QueryContext(ctx, q, repoID, number)
	if err != nil {
		return nil, fmt.Errorf("store: untimed app requests %d#%d: %w", repoID, number, err)
	}
	defer rows.Close()
	var out []AppRequest
	for rows.Next() {
		r := AppRequest{Open: true}
		var at int64
		if err := rows.Scan(&r.Login, &at); err != nil {
			return nil, fmt.Errorf("store: untimed app requests %d#%d: %w", repoID, number, err)
		}
		r.RequestedAt = fromMicros(at)
		out = append(out, r)
	}
	return out, rows.Err()
}

// MarkTimed records that the reassign timer of the app's request of login
// is scheduled.
func (s *Store) MarkTimed(ctx context.Context, repoID int64, number int, login string) error {
	const q = `UPDATE app_requests SET timer = 1 WHERE repo_id = $1 AND number = $2 AND login = $3`
	if _, err := s.DB.ExecContext(ctx, q, repoID, number, strings.ToLower(login)); err != nil {
		return fmt.Errorf("store: mark timed %d#%d %s: %w", repoID, number, login, err)
	}
	return nil
}

// RemoveDoneRules forgets that rules got their reviewers, so the next
// evaluation asks again for them (after a reviewer was withdrawn).
func (s *Store) RemoveDoneRules(ctx context.Context, repoID int64, number int, rules []string) error {
	if len(rules) == 0 {
		return nil
	}
	const q = `DELETE FROM done_rules WHERE repo_id = $1 AND number = $2 AND rule = $3`
	if err := s.eachRule(ctx, q, repoID, number, rules); err != nil {
		return fmt.Errorf("store: remove done rules %d#%d: %w", repoID, number, err)
	}
	return nil
}
