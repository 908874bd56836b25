package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
)

// PR names one pull request of one repository.
type PR struct {
	RepoID int64
	Number int
}

// RequestEvaluation records that an event asks for the pull request to be
// evaluated and makes sure a job will evaluate it. The job carries the
// request's version: when it runs, an evaluation that started after the
// request already covers it (see StartEvaluation), so a burst of events
// costs one or two evaluations, not one each.
//
// A request with no opts (evaluate as soon as possible) while an earlier
// such job of the pull request waits and has not started enqueues nothing:
// that job, when it starts, covers every request made until then
// (StartEvaluation), so this one costs one transaction instead of a job
// inserted, fetched and run to find itself covered. Issue 18 measured
// inserting those jobs as a quarter of a pull_request delivery's cost.
// Waiting is read from River's own row, so a job that ended in any way
// without starting (discarded, cancelled, deleted) leaves no request
// behind. A request with opts (a later time) always enqueues its own job.
func (w Writes) RequestEvaluation(ctx context.Context, pr PR, job func(version int64) river.JobArgs, opts *river.InsertOpts) error {
	err := w.inTx(ctx, func(t Writes) error {
		if err := t.sync(ctx); err != nil {
			return err
		}
		tx := t.tx
		v, queued, err := countRequest(ctx, tx, pr)
		if err != nil {
			return err
		}
		if opts == nil && queued != 0 {
			if waiting, err := jobWaits(ctx, tx, queued); err != nil || waiting {
				return err
			}
		}
		id, err := t.s.enqueueTx(ctx, tx, job(v), opts)
		if err != nil || opts != nil {
			return err
		}
		return markQueued(ctx, tx, pr, id)
	})
	if err != nil {
		return fmt.Errorf("store: request evaluation of %d#%d: %w", pr.RepoID, pr.Number, err)
	}
	return nil
}

// countRequest counts one more request of the pull request's evaluation in
// tx and returns its version and the job that waits to cover it, if any
// (0: none). The row stays locked until tx ends, so a job starting
// meanwhile sees the request (PostgreSQL) or runs after it (SQLite).
func countRequest(ctx context.Context, tx *sql.Tx, pr PR) (version, queued int64, err error) {
	const q = `INSERT INTO pr_evaluations (repo_id, number, requested) VALUES ($1, $2, 1)
ON CONFLICT (repo_id, number) DO UPDATE SET requested = pr_evaluations.requested + 1
RETURNING requested, queued_job`
	err = tx.QueryRowContext(ctx, q, pr.RepoID, pr.Number).Scan(&version, &queued)
	return version, queued, err
}

// markQueued records job as the one later requests of pr's evaluation
// count on.
func markQueued(ctx context.Context, tx *sql.Tx, pr PR, job int64) error {
	const q = `UPDATE pr_evaluations SET queued_job = $3 WHERE repo_id = $1 AND number = $2`
	_, err := tx.ExecContext(ctx, q, pr.RepoID, pr.Number, job)
	return err
}

// jobWaits reports whether River's job id waits to run: not running,
// finished, cancelled, discarded or deleted. A running one does not count,
// though it may not have taken the lease yet: its process may have died
// with it, and River rescues it only after workers.rescue_after, while a
// job of this request's own runs at once (the two then coalesce).
func jobWaits(ctx context.Context, tx *sql.Tx, id int64) (bool, error) {
	const q = `SELECT EXISTS (SELECT 1 FROM river_job WHERE id = $1
AND state IN ('available', 'pending', 'retryable', 'scheduled'))`
	var waits bool
	err := tx.QueryRowContext(ctx, q, id).Scan(&waits)
	return waits, err
}

// Start is what StartEvaluation decided.
type Start int

const (
	// Run: the caller holds the pull request's lease and evaluates.
	Run Start = iota
	// Covered: an evaluation that started after the request finished, or
	// holds the lease now; nothing is left to do.
	Covered
	// Busy: another evaluation holds the lease and started before the
	// request; try again after it.
	Busy
)

// StartEvaluation takes the pull request's lease for owner until expires,
// unless the request of the given version is already covered. With Run,
// covering is the version the evaluation covers: every request made before
// the lease was taken. Owner is stable across retries of one job, so a retry
// retakes its own lease. jobID is River's ID of the caller's job: if it is
// the job later requests counted on (RequestEvaluation), its version is
// every request made so far, and it stops being counted on once it runs or
// finds them all covered.
func (s *Store) StartEvaluation(ctx context.Context, pr PR, version, jobID int64, owner string, now, expires time.Time) (Start, int64, error) {
	start, covering, _, err := s.StartEvaluationReading(ctx, pr, version, jobID, owner, now, expires, nil)
	return start, covering, err
}

// FirstReads names what EvaluationReads reads besides the pull request's
// own rows: the fact versions of Scopes and of every scope with Prefix.
type FirstReads struct {
	Scopes []string
	Prefix string
}

// StartEvaluationReading is StartEvaluation followed, when it takes the
// lease (Run) and reads is not nil, by the evaluation's first reads
// (EvaluationReads). On PostgreSQL the lease and the reads go in one round
// trip and one transaction, so the reads see the store as the lease found
// it, as they did one after the other, and commit without waiting for the
// WAL's flush (asyncwrites.go): docs/capacity.md, fourteenth session.
func (s *Store) StartEvaluationReading(ctx context.Context, pr PR, version, jobID int64, owner string, now, expires time.Time, reads *FirstReads) (Start, int64, EvaluationReads, error) {
	took, covering, first, err := s.takeEvaluation(ctx, pr, []any{pr.RepoID, pr.Number, owner, micros(expires), version, micros(now), jobID}, reads)
	if err != nil {
		return Busy, 0, EvaluationReads{}, fmt.Errorf("store: start evaluation of %d#%d: %w", pr.RepoID, pr.Number, err)
	}
	if took {
		return Run, covering, first, nil
	}
	start, err := s.coveredOrBusy(ctx, pr, version, jobID, now)
	if err != nil {
		return Busy, 0, EvaluationReads{}, fmt.Errorf("store: start evaluation of %d#%d: %w", pr.RepoID, pr.Number, err)
	}
	return start, 0, EvaluationReads{}, nil
}

// takeEvaluation takes the lease (args as takeLease's parameters) and, if
// it did and reads is not nil, reads what reads names. SQLite's writes go
// through the write group and its reads to its readers, one after the other.
func (s *Store) takeEvaluation(ctx context.Context, pr PR, args []any, reads *FirstReads) (took bool, covering int64, first EvaluationReads, err error) {
	if reads == nil || s.Dialect != DialectPostgres {
		err = s.asyncWrites.write(groupedWrite{ctx: ctx, query: takeLease, args: args, scan: []any{&covering}}).err
		if errors.Is(err, sql.ErrNoRows) {
			return false, 0, first, nil
		}
		if err == nil && reads != nil {
			first, err = s.EvaluationReads(ctx, pr, reads.Scopes, reads.Prefix)
		}
		return err == nil, covering, first, err
	}
	r, stmts, err := s.firstReadStmts(pr, *reads)
	if err != nil {
		return false, 0, first, err
	}
	take := readStmt{query: takeLease, args: args, row: func(scan func(...any) error) error {
		took = true
		return scan(&covering)
	}}
	if err := runPipeline(ctx, s.async, append([]readStmt{take}, stmts...)); err != nil {
		return false, 0, first, err
	}
	if !took {
		return false, 0, first, nil
	}
	return true, covering, r.done(), nil
}

// takeLease takes the lease on pull request ($1, $2) for owner $3 until $4
// unless version $5 is covered, at time $6, for job $7 (StartEvaluation).
const takeLease = `UPDATE pr_evaluations SET lease_owner = $3, lease_until = $4, covering = requested,
queued_job = CASE WHEN queued_job = $7 THEN 0 ELSE queued_job END
WHERE repo_id = $1 AND number = $2 AND (lease_until < $6 OR lease_owner = $3)
AND done < CASE WHEN queued_job = $7 AND queued_job <> 0 THEN requested ELSE $5 END
RETURNING covering`

// coveredOrBusy is StartEvaluation's answer when it could not take the
// lease. The job later requests counted on ends only if no request came
// since it looked: otherwise it looks again later.
func (s *Store) coveredOrBusy(ctx context.Context, pr PR, version, jobID int64, now time.Time) (Start, error) {
	const look = `SELECT done, covering, lease_until, requested, queued_job FROM pr_evaluations WHERE repo_id = $1 AND number = $2`
	var done, covering, until, requested, queued int64
	err := s.reads.QueryRowContext(ctx, look, pr.RepoID, pr.Number).Scan(&done, &covering, &until, &requested, &queued)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Covered, nil // pruned: the pull request closed long ago
	case err != nil:
		return Busy, err
	}
	counted := jobID != 0 && queued == jobID
	if counted {
		version = requested
	}
	if done < version && (until < micros(now) || covering < version) {
		return Busy, nil
	}
	if !counted {
		return Covered, nil
	}
	const release = `UPDATE pr_evaluations SET queued_job = 0 WHERE repo_id = $1 AND number = $2 AND queued_job = $3 AND requested = $4`
	res, err := s.DB.ExecContext(ctx, release, pr.RepoID, pr.Number, jobID, requested)
	if err != nil {
		return Busy, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return Busy, err // a request came since: it counts on this job
	}
	return Covered, nil
}

// FinishEvaluation marks the versions up to covering done and frees the
// lease. ok is false when owner no longer held it (it expired and another
// evaluation took it): that one covers at least as much.
func (s *Store) FinishEvaluation(ctx context.Context, pr PR, owner string, covering int64) (ok bool, err error) {
	return s.FinishEvaluationWith(ctx, pr, owner, covering, nil)
}

// FinishEvaluationWith is FinishEvaluation that also writes the pull
// request's page summary (PutPRSummary) when sum is not nil: on PostgreSQL
// in the same round trip and transaction, the last two writes of an
// evaluation that were one each (docs/capacity.md, fourteenth session).
func (s *Store) FinishEvaluationWith(ctx context.Context, pr PR, owner string, covering int64, sum *PRSummary) (ok bool, err error) {
	args := []any{pr.RepoID, pr.Number, owner, covering}
	if sum != nil && s.Dialect == DialectPostgres {
		ok, err = s.finishWithSummary(ctx, args, *sum)
	} else {
		if sum != nil {
			if err := s.PutPRSummary(ctx, *sum); err != nil {
				return false, err
			}
		}
		var n int64
		n, err = s.writeExecAsync(ctx, finishEvaluation, args...)
		ok = n == 1
	}
	if err != nil {
		return false, fmt.Errorf("store: finish evaluation of %d#%d: %w", pr.RepoID, pr.Number, err)
	}
	return ok, nil
}

// finishWithSummary writes sum and the end (args as finishEvaluation's) in
// one pipeline, committed asynchronously like each alone (asyncwrites.go).
func (s *Store) finishWithSummary(ctx context.Context, args []any, sum PRSummary) (ok bool, err error) {
	end := readStmt{query: finishEvaluation + " RETURNING 1", args: args, row: func(scan func(...any) error) error {
		ok = true
		var one int
		return scan(&one)
	}}
	summary := readStmt{query: putSummaryQuery, args: summaryArgs(sum), row: noRows}
	err = runPipeline(ctx, s.async, []readStmt{summary, end})
	return ok, err
}

const finishEvaluation = `UPDATE pr_evaluations SET done = CASE WHEN done > $4 THEN done ELSE $4 END, lease_owner = '', lease_until = 0
WHERE repo_id = $1 AND number = $2 AND lease_owner = $3`

// AbandonEvaluation frees the lease without marking anything done: the
// evaluation failed and its job will be retried.
func (s *Store) AbandonEvaluation(ctx context.Context, pr PR, owner string) error {
	const q = `UPDATE pr_evaluations SET lease_owner = '', lease_until = 0
WHERE repo_id = $1 AND number = $2 AND lease_owner = $3`
	if _, err := s.DB.ExecContext(ctx, q, pr.RepoID, pr.Number, owner); err != nil {
		return fmt.Errorf("store: abandon evaluation of %d#%d: %w", pr.RepoID, pr.Number, err)
	}
	return nil
}
