package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// CommandRow is one command line of a pull request comment.
type CommandRow struct {
	CommentID int64
	Line      int
	Kind      string
	Actor     string
	OK        bool
	Why       string        // a refusal's reason, for the reply
	For       time.Duration // snooze
	Reason    string
	HeadSHA   string // skip template: the head it was given for
	Target    string // reassign: the login named, "" none
	Withdraw  string // reassign: the app's request it takes back
	At        time.Time
}

// maxCommandRows bounds what one evaluation reads of a pull request's
// commands: the latest ones matter.
const maxCommandRows = 200

// AddCommands records a comment's commands, not yet done (ClaimCommands
// takes them up). A comment recorded before (a redelivery, or two
// deliveries at once) keeps its first rows: the command takes effect once.
// first is true for the one call that recorded them.
func (s *Store) AddCommands(ctx context.Context, repoID int64, number int, rows []CommandRow) (first bool, err error) {
	const q = `INSERT INTO pr_commands (repo_id, number, comment_id, line, kind, actor, ok, seconds, reason, head_sha, target, at,
state, withdraw, why)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'recorded', $13, $14) ON CONFLICT (repo_id, comment_id, line) DO NOTHING`
	// One transaction, rows in line order: a concurrent caller waits on the
	// first row until this one commits, then inserts nothing, so exactly
	// one caller is first.
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		for i, r := range rows {
			ok := 0
			if r.OK {
				ok = 1
			}
			res, err := tx.ExecContext(ctx, q, repoID, number, r.CommentID, r.Line, r.Kind, r.Actor, ok,
				int64(r.For/time.Second), r.Reason, r.HeadSHA, strings.ToLower(r.Target), micros(r.At),
				strings.ToLower(r.Withdraw), r.Why)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err == nil && n > 0 && i == 0 {
				first = true
			}
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("store: add commands %d#%d: %w", repoID, number, err)
	}
	return first, nil
}

// ClaimCommands takes up a comment's commands that are not done, when no
// one holds them or the holder's claim is older than lease (it crashed):
// true when the caller now holds them and must finish them.
func (s *Store) ClaimCommands(ctx context.Context, repoID, commentID int64, now time.Time, lease time.Duration) (bool, error) {
	const q = `UPDATE pr_commands SET claimed_at = $3 WHERE repo_id = $1 AND comment_id = $2 AND state = 'recorded'
AND claimed_at <= $4`
	res, err := s.DB.ExecContext(ctx, q, repoID, commentID, micros(now), micros(now.Add(-lease)))
	if err != nil {
		return false, fmt.Errorf("store: claim commands of comment %d: %w", commentID, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// ReleaseCommands gives up the claim on a comment's commands after a
// failure, so the next delivery or retry redoes them at once.
func (s *Store) ReleaseCommands(ctx context.Context, repoID, commentID int64) error {
	const q = `UPDATE pr_commands SET claimed_at = 0 WHERE repo_id = $1 AND comment_id = $2 AND state = 'recorded'`
	if _, err := s.DB.ExecContext(ctx, q, repoID, commentID); err != nil {
		return fmt.Errorf("store: release commands of comment %d: %w", commentID, err)
	}
	return nil
}

// FinishCommands marks a comment's commands done.
func (s *Store) FinishCommands(ctx context.Context, repoID, commentID int64) error {
	const q = `UPDATE pr_commands SET state = 'done' WHERE repo_id = $1 AND comment_id = $2`
	if _, err := s.DB.ExecContext(ctx, q, repoID, commentID); err != nil {
		return fmt.Errorf("store: finish commands of comment %d: %w", commentID, err)
	}
	return nil
}

// CommentCommands returns a comment's recorded commands in line order, and
// whether they are all done.
func (s *Store) CommentCommands(ctx context.Context, repoID, commentID int64) (rows []CommandRow, done bool, err error) {
	const q = `SELECT line, kind, actor, ok, why, target, withdraw, state FROM pr_commands
WHERE repo_id = $1 AND comment_id = $2 ORDER BY line`
	res, err := s.reads.QueryContext(ctx, q, repoID, commentID)
	if err != nil {
		return nil, false, fmt.Errorf("store: read comment %d: %w", commentID, err)
	}
	defer res.Close()
	done = true
	for res.Next() {
		r := CommandRow{CommentID: commentID}
		var ok int
		var state string
		if err := res.Scan(&r.Line, &r.Kind, &r.Actor, &ok, &r.Why, &r.Target, &r.Withdraw, &state); err != nil {
			return nil, false, fmt.Errorf("store: read comment %d: %w", commentID, err)
		}
		r.OK, done = ok == 1, done && state == "done"
		rows = append(rows, r)
	}
	if err := res.Err(); err != nil {
		return nil, false, fmt.Errorf("store: read comment %d: %w", commentID, err)
	}
	return rows, done, nil
}

// Commands returns the allowed commands of a pull request, oldest first,
// at most the latest maxCommandRows.
func (s *Store) Commands(ctx context.Context, repoID int64, number int) ([]CommandRow, error) {
	var out []CommandRow
	if err := s.runStmts(ctx, commandsRead(repoID, number, &out)); err != nil {
		return nil, fmt.Errorf("store: read commands %d#%d: %w", repoID, number, err)
	}
	reverse(out)
	return out, nil
}

// ClaimReply reports whether the caller is the one to reply to a comment:
// true once per comment, whoever asks first.
func (s *Store) ClaimReply(ctx context.Context, repoID, commentID int64) (bool, error) {
	const q = `INSERT INTO pr_command_replies (repo_id, comment_id) VALUES ($1, $2) ON CONFLICT (repo_id, comment_id) DO NOTHING`
	res, err := s.DB.ExecContext(ctx, q, repoID, commentID)
	if err != nil {
		return false, fmt.Errorf("store: claim reply to comment %d: %w", commentID, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ReleaseReply gives a claim back when the reply could not be written, so a
// retry writes it.
func (s *Store) ReleaseReply(ctx context.Context, repoID, commentID int64) error {
	const q = `DELETE FROM pr_command_replies WHERE repo_id = $1 AND comment_id = $2`
	if _, err := s.DB.ExecContext(ctx, q, repoID, commentID); err != nil {
		return fmt.Errorf("store: release reply to comment %d: %w", commentID, err)
	}
	return nil
}
