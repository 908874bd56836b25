package store

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// EvaluationRequest is one pull request's evaluation asked for, with the
// job that evaluates it, given the request's version.
type EvaluationRequest struct {
	PR  PR
	Job func(version int64) river.JobArgs
}

// RequestEvaluations is RequestEvaluation for each of reqs (distinct pull
// requests), as soon as possible, with one look at the jobs they count on
// and one insert of the jobs they need (with one look at the fair queue's
// backlog) however many there are. On PostgreSQL counting the requests
// and marking the new jobs are one statement each too, four in all, where
// one at a time took four or five round trips each: a move that handles 250
// deliveries asks for up to 250 evaluations. On SQLite, with no round
// trips, River's insert of each job alone was still a twentieth of the
// server's CPU in a pull-request run (docs/capacity.md). The rows are
// locked in pull-request order, so moves of other processes wait for each
// other instead of deadlocking.
func (w Writes) RequestEvaluations(ctx context.Context, reqs []EvaluationRequest) error {
	if w.tx == nil {
		for _, r := range reqs {
			if err := w.RequestEvaluation(ctx, r.PR, r.Job, nil); err != nil {
				return err
			}
		}
		return nil
	}
	if len(reqs) == 0 {
		return nil
	}
	if err := w.sync(ctx); err != nil {
		return err
	}
	reqs = slices.Clone(reqs)
	slices.SortFunc(reqs, func(a, b EvaluationRequest) int {
		return cmp.Or(cmp.Compare(a.PR.RepoID, b.PR.RepoID), cmp.Compare(a.PR.Number, b.PR.Number))
	})
	if err := w.requestEvaluations(ctx, reqs); err != nil {
		return fmt.Errorf("store: request %d evaluations: %w", len(reqs), err)
	}
	return nil
}

func (w Writes) requestEvaluations(ctx context.Context, reqs []EvaluationRequest) error {
	counted, err := w.countRequests(ctx, reqs)
	if err != nil {
		return err
	}
	waiting, err := w.jobsWaiting(ctx, counted)
	if err != nil {
		return err
	}
	var jobs []river.InsertManyParams
	var insts []int64
	var asked []EvaluationRequest
	for _, r := range reqs {
		c := counted[r.PR]
		if waiting[c.queued] {
			continue // that job covers this request when it starts
		}
		args := r.Job(c.version)
		jobs = append(jobs, river.InsertManyParams{Args: args})
		insts = append(insts, installationOf(args))
		asked = append(asked, r)
	}
	if len(jobs) == 0 {
		return nil
	}
	res, err := w.s.insertFairIDs(ctx, w.tx, jobs, insts)
	if err != nil {
		return err
	}
	return w.markQueued(ctx, asked, res)
}

type counted struct{ version, queued int64 }

// countRequests is countRequest for each of reqs: in one statement on
// PostgreSQL, where each would be a round trip; on SQLite one prepared
// statement each, which cost less CPU than one statement reading a JSON
// list (measured, docs/capacity.md).
func (w Writes) countRequests(ctx context.Context, reqs []EvaluationRequest) (map[PR]counted, error) {
	out := make(map[PR]counted, len(reqs))
	if w.s.Dialect != DialectPostgres {
		for _, r := range reqs {
			var c counted
			var err error
			if c.version, c.queued, err = countRequest(ctx, w.tx, r.PR); err != nil {
				return nil, err
			}
			out[r.PR] = c
		}
		return out, nil
	}
	repos, numbers := make([]int64, len(reqs)), make([]int64, len(reqs))
	for i, r := range reqs {
		repos[i], numbers[i] = r.PR.RepoID, int64(r.PR.Number)
	}
	const q = `INSERT INTO pr_evaluations (repo_id, number, requested)
SELECT r, n, 1 FROM unnest($1::bigint[], $2::bigint[]) WITH ORDINALITY AS t(r, n, o) ORDER BY o
ON CONFLICT (repo_id, number) DO UPDATE SET requested = pr_evaluations.requested + 1
RETURNING repo_id, number, requested, queued_job`
	rows, err := w.tx.QueryContext(ctx, q, repos, numbers)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var pr PR
		var c counted
		if err := rows.Scan(&pr.RepoID, &pr.Number, &c.version, &c.queued); err != nil {
			rows.Close()
			return nil, err
		}
		out[pr] = c
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, err
	}
	if len(out) != len(reqs) {
		return nil, fmt.Errorf("%d pull requests counted of %d (one asked twice?)", len(out), len(reqs))
	}
	return out, nil
}

// jobsWaiting is jobWaits for every job the counted requests count on, in
// one statement: the IDs as an array on PostgreSQL, as a JSON array on
// SQLite.
func (w Writes) jobsWaiting(ctx context.Context, c map[PR]counted) (map[int64]bool, error) {
	var ids []int64
	for _, v := range c {
		if v.queued != 0 {
			ids = append(ids, v.queued)
		}
	}
	waiting := map[int64]bool{}
	if len(ids) == 0 {
		return waiting, nil
	}
	const states = `state IN ('available', 'pending', 'retryable', 'scheduled')`
	q, arg := `SELECT id FROM river_job WHERE id = ANY($1) AND `+states, any(ids)
	if w.s.Dialect != DialectPostgres {
		list, err := json.Marshal(ids)
		if err != nil {
			return nil, err
		}
		q, arg = `SELECT id FROM river_job WHERE id IN (SELECT value FROM json_each($1)) AND `+states, string(list)
	}
	rows, err := w.tx.QueryContext(ctx, q, arg)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		waiting[id] = true
	}
	return waiting, errors.Join(rows.Err(), rows.Close())
}

// markQueued records, for each of asked, the job inserted for it (res, in
// the same order) as the one later requests count on: in one statement on
// PostgreSQL, one prepared statement each on SQLite (as countRequests).
func (w Writes) markQueued(ctx context.Context, asked []EvaluationRequest, res []*rivertype.JobInsertResult) error {
	if w.s.Dialect != DialectPostgres {
		for i, r := range asked {
			if err := markQueued(ctx, w.tx, r.PR, res[i].Job.ID); err != nil {
				return err
			}
		}
		return nil
	}
	repos, numbers, ids := make([]int64, len(asked)), make([]int64, len(asked)), make([]int64, len(asked))
	for i, r := range asked {
		repos[i], numbers[i], ids[i] = r.PR.RepoID, int64(r.PR.Number), res[i].Job.ID
	}
	const q = `UPDATE pr_evaluations AS e SET queued_job = v.id
FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS v(r, n, id) WHERE e.repo_id = v.r AND e.number = v.n`
	_, err := w.tx.ExecContext(ctx, q, repos, numbers, ids)
	return err
}
