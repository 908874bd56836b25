package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Outbox message states.
const (
	OutboxPending = "pending"
	OutboxSent    = "sent"
	OutboxFailed  = "failed"  // refused in a way no retry cures (unknown channel, bad ID)
	OutboxDropped = "dropped" // its pull request closed or was reviewed before it went out
)

// OutboxMessage is one notification in the outbox (package notify builds
// and sends them). Key is its idempotency key: enqueueing a message whose
// key exists already does nothing, so redeliveries, retries and replicas
// enqueue each message once.
type OutboxMessage struct {
	ID             int64
	Key            string
	InstallationID int64
	RepoID         int64
	Owner, Repo    string
	Number         int
	Kind           string // the event: review_requested, reminder, breach, reviewed, digest
	Person         string // the login a direct message is for; "" for channel posts
	Dest           string // where it goes, e.g. "slack:U0123ABCD", "slack:C0123", "teams:leads"
	Payload        []byte // the message, as package notify encodes it
	State          string
	DueAt          time.Time // not sent before (quiet hours, backoff, rate limits)
	Attempts       int       // times a sender leased it
	SentChannel    string    // where it landed (Slack: the channel ID a DM opened)
	SentTS         string    // its ID there (Slack: ts), for edits
	LastError      string
	CreatedAt      time.Time
	SentAt         time.Time
	// PostStartedAt is when a sender began posting it without recording
	// the outcome (zero: no post is in doubt): a sender that died after
	// Slack accepted the post leaves it set (MarkOutboxPosting).
	PostStartedAt time.Time
}

const outboxCols = `id, key, installation_id, repo_id, owner_login, repo, number, kind, person, dest, payload, ` +
	`state, due_at, attempts, sent_channel, sent_ts, last_error, created_at, sent_at, post_started_at`

func scanOutbox(rows *sql.Rows) ([]OutboxMessage, error) {
	defer rows.Close()
	var out []OutboxMessage
	for rows.Next() {
		var m OutboxMessage
		var due, created, sent, posting int64
		if err := rows.Scan(&m.ID, &m.Key, &m.InstallationID, &m.RepoID, &m.Owner, &m.Repo, &m.Number, &m.Kind,
			&m.Person, &m.Dest, &m.Payload, &m.State, &due, &m.Attempts, &m.SentChannel, &m.SentTS, &m.LastError,
			&created, &sent, &posting); err != nil {
			return nil, err
		}
		m.DueAt, m.CreatedAt = fromMicros(due), fromMicros(created)
		if sent != 0 {
			m.SentAt = fromMicros(sent)
		}
		if posting != 0 {
			m.PostStartedAt = fromMicros(posting)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// EnqueueOutbox adds the messages whose keys are new, all in one
// transaction, and reports how many were added. now stamps CreatedAt; a
// zero DueAt means now; a State other than pending (failed: a message that
// could not be made, recorded so it is reported once) is kept.
func (s *Store) EnqueueOutbox(ctx context.Context, msgs []OutboxMessage, now time.Time) (added int, err error) {
	const q = `INSERT INTO notify_outbox (key, installation_id, repo_id, owner_login, repo, number, kind, person, dest,
    payload, state, due_at, created_at, last_error)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
ON CONFLICT (key) DO NOTHING`
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		for _, m := range msgs {
			due := m.DueAt
			if due.IsZero() {
				due = now
			}
			if m.Payload == nil {
				m.Payload = []byte{}
			}
			state := m.State
			if state == "" {
				state = OutboxPending
			}
			res, err := tx.ExecContext(ctx, q, m.Key, m.InstallationID, m.RepoID, m.Owner, m.Repo, m.Number, m.Kind,
				m.Person, m.Dest, m.Payload, state, micros(due), micros(now), clipError(m.LastError))
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			added += int(n)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: enqueue outbox: %w", err)
	}
	return added, nil
}

// ClaimOutbox leases up to limit pending messages that are due and not
// leased by a live sender, oldest first, to owner until now+lease. A
// message whose lease ran out (its sender died mid-send) is claimed again.
// On PostgreSQL, replicas claiming at once skip each other's rows.
func (s *Store) ClaimOutbox(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]OutboxMessage, error) {
	// The outer WHERE repeats the inner one: under PostgreSQL's READ
	// COMMITTED a row another replica claimed meanwhile is re-checked.
	q := `UPDATE notify_outbox SET lease_owner = $1, lease_until = $2, attempts = attempts + 1
WHERE id IN (SELECT id FROM notify_outbox WHERE state = 'pending' AND due_at <= $3 AND lease_until < $3
             ORDER BY due_at, id LIMIT $4)
  AND state = 'pending' AND due_at <= $3 AND lease_until < $3
RETURNING ` + outboxCols
	if s.Dialect == DialectPostgres {
		// A materialized CTE picks the rows once: PostgreSQL may run an
		// IN (... LIMIT) subquery again per row and claim more than limit.
		q = `WITH picked AS MATERIALIZED (
    SELECT id FROM notify_outbox WHERE state = 'pending' AND due_at <= $3 AND lease_until < $3
    ORDER BY due_at, id LIMIT $4 FOR UPDATE SKIP LOCKED)
UPDATE notify_outbox o SET lease_owner = $1, lease_until = $2, attempts = o.attempts + 1
FROM picked WHERE o.id = picked.id AND o.state = 'pending' AND o.lease_until < $3
RETURNING o.` + strings.ReplaceAll(outboxCols, ", ", ", o.")
	}
	rows, err := s.DB.QueryContext(ctx, q, owner, micros(now.Add(lease)), micros(now), limit)
	if err != nil {
		return nil, fmt.Errorf("store: claim outbox: %w", err)
	}
	out, err := scanOutbox(rows)
	if err != nil {
		return nil, fmt.Errorf("store: claim outbox: %w", err)
	}
	return out, nil
}

// settle ends owner's lease on message id with an update; it reports false
// when owner no longer holds it (the lease expired and another sender took
// it, or the message was dropped).
func (s *Store) settle(ctx context.Context, what string, id int64, owner, set string, args ...any) (bool, error) {
	q := `UPDATE notify_outbox SET ` + set + `, lease_owner = '', lease_until = 0
WHERE id = $1 AND lease_owner = $2 AND state = 'pending'`
	return s.updateOne(ctx, fmt.Sprintf("outbox %s %d", what, id), q, append([]any{id, owner}, args...)...)
}

// updateOne runs an update of one row and reports whether it changed it.
func (s *Store) updateOne(ctx context.Context, what, q string, args ...any) (bool, error) {
	res, err := s.DB.ExecContext(ctx, q, args...)
	if err != nil {
		return false, fmt.Errorf("store: %s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: %s: %w", what, err)
	}
	return n == 1, nil
}

// MarkOutboxSent records that owner sent message id, and where it landed.
func (s *Store) MarkOutboxSent(ctx context.Context, id int64, owner, channel, ts string, now time.Time) (bool, error) {
	return s.settle(ctx, "sent", id, owner, `state = $3, sent_channel = $4, sent_ts = $5, sent_at = $6, last_error = ''`,
		OutboxSent, channel, ts, micros(now))
}

// RetryOutbox gives message id back to the queue, due again at at.
func (s *Store) RetryOutbox(ctx context.Context, id int64, owner string, at time.Time, why string) (bool, error) {
	return s.settle(ctx, "retry", id, owner, `due_at = $3, last_error = $4`, micros(at), clipError(why))
}

// RetryOutboxUnsent is RetryOutbox for an attempt known not to have
// posted the message (refused with a 429, or paced before posting), when
// no earlier post is in doubt either: it clears PostStartedAt, so the next
// attempt need not look the message up first.
func (s *Store) RetryOutboxUnsent(ctx context.Context, id int64, owner string, at time.Time, why string) (bool, error) {
	return s.settle(ctx, "retry", id, owner, `due_at = $3, last_error = $4, post_started_at = 0`, micros(at), clipError(why))
}

// MarkOutboxPosting records, before a post, that owner is posting message
// id from now on. It is kept until the outcome is recorded, so if owner
// dies after the destination accepted the post, the next sender knows to
// look for it there first. The earliest start is kept: that is where a
// look-up must begin. It reports false when owner no longer holds the
// message.
func (s *Store) MarkOutboxPosting(ctx context.Context, id int64, owner string, now time.Time) (bool, error) {
	const q = `UPDATE notify_outbox SET post_started_at = CASE WHEN post_started_at = 0 THEN $3 ELSE post_started_at END
WHERE id = $1 AND lease_owner = $2 AND state = 'pending'`
	return s.updateOne(ctx, fmt.Sprintf("outbox posting %d", id), q, id, owner, micros(now))
}

// FailOutbox ends message id as failed: the destination refused it in a
// way no retry cures. The reason is kept for the check run.
func (s *Store) FailOutbox(ctx context.Context, id int64, owner, why string) (bool, error) {
	return s.settle(ctx, "fail", id, owner, `state = $3, last_error = $4`, OutboxFailed, clipError(why))
}

func clipError(s string) string {
	if len(s) > 500 {
		s = s[:500]
	}
	return strings.ToValidUTF8(s, "")
}

// DeferOutboxDest makes every pending message to dest wait until at least
// until: the destination said to slow down (Slack's 429 Retry-After), and
// every replica must hear it.
func (s *Store) DeferOutboxDest(ctx context.Context, dest string, until time.Time) error {
	const q = `UPDATE notify_outbox SET due_at = $2 WHERE dest = $1 AND state = 'pending' AND due_at < $2`
	if _, err := s.DB.ExecContext(ctx, q, dest, micros(until)); err != nil {
		return fmt.Errorf("store: defer outbox %s: %w", dest, err)
	}
	return nil
}

// DropOutbox drops a pull request's pending messages of the given kinds
// (all kinds when none are given) that no sender holds at now: they would
// arrive late (the pull request closed, or was reviewed). A message being
// sent finishes; the caller sees it as sent afterwards.
func (s *Store) DropOutbox(ctx context.Context, repoID int64, number int, now time.Time, kinds ...string) (int, error) {
	q := `UPDATE notify_outbox SET state = 'dropped'
WHERE repo_id = $1 AND number = $2 AND state = 'pending' AND lease_until < $3`
	args := []any{repoID, number, micros(now)}
	if len(kinds) > 0 {
		var ph []string
		for _, k := range kinds {
			args = append(args, k)
			ph = append(ph, fmt.Sprintf("$%d", len(args)))
		}
		q += ` AND kind IN (` + strings.Join(ph, ", ") + `)`
	}
	res, err := s.DB.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, fmt.Errorf("store: drop outbox %d#%d: %w", repoID, number, err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// OutboxOf lists a pull request's messages in the order they were made.
func (s *Store) OutboxOf(ctx context.Context, repoID int64, number int) ([]OutboxMessage, error) {
	rows, err := s.reads.QueryContext(ctx, `SELECT `+outboxCols+` FROM notify_outbox
WHERE repo_id = $1 AND number = $2 ORDER BY id`, repoID, number)
	if err != nil {
		return nil, fmt.Errorf("store: outbox of %d#%d: %w", repoID, number, err)
	}
	out, err := scanOutbox(rows)
	if err != nil {
		return nil, fmt.Errorf("store: outbox of %d#%d: %w", repoID, number, err)
	}
	return out, nil
}

// OutboxInFlight reports whether a sender holds one of the pull request's
// messages other than except at now.
func (s *Store) OutboxInFlight(ctx context.Context, repoID int64, number int, except int64, now time.Time) (bool, error) {
	var n int64
	const q = `SELECT COUNT(*) FROM notify_outbox
WHERE repo_id = $1 AND number = $2 AND state = 'pending' AND lease_until >= $3 AND id <> $4`
	if err := s.reads.QueryRowContext(ctx, q, repoID, number, micros(now), except).Scan(&n); err != nil {
		return false, fmt.Errorf("store: outbox in flight %d#%d: %w", repoID, number, err)
	}
	return n > 0, nil
}

// OutboxDepth counts pending messages that are due at now, and how long
// the oldest of them has been due.
func (s *Store) OutboxDepth(ctx context.Context, now time.Time) (n int64, oldest time.Duration, err error) {
	var minDue sql.NullInt64
	const q = `SELECT COUNT(*), MIN(due_at) FROM notify_outbox WHERE state = 'pending' AND due_at <= $1`
	if err := s.reads.QueryRowContext(ctx, q, micros(now)).Scan(&n, &minDue); err != nil {
		return 0, 0, fmt.Errorf("store: outbox depth: %w", err)
	}
	if minDue.Valid {
		oldest = now.Sub(fromMicros(minDue.Int64))
	}
	return n, oldest, nil
}
