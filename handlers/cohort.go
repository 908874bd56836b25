package handlers

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/riverqueue/river/rivertype"

	"github.com/reviewpolicy/reviewpolicy/store"
)

// A cohort is evaluation jobs that run together in one place of the job
// gate: when an evaluation is let in while no webhook arrives (after a
// burst, while the backlog drains), it takes along up to cohortMax-1 evaluations
// waiting behind it, in the gate's order. Their leases, first reads,
// summaries and ends are then one statement per kind of row for all of them
// (store.StartEvaluations, store.FinishEvaluations), and they gather,
// decide and act side by side. Why: on PostgreSQL an evaluation's statements
// cost more per statement than per row, and after a burst the evaluations
// left were what the capacity waited for (docs/batch-evaluation.md).
//
// Each job taken along stays a River job of its own: it waits in the
// gate's middleware for its own evaluation's outcome and returns it, so
// River completes, retries or snoozes it as it would have alone.
type cohort struct {
	riders []rider
}

// rider is a job a cohort took along, with its outcome once known.
type rider struct {
	job    *rivertype.JobRow
	args   evaluateArgs
	result chan error // buffered: the leader never waits for a reader
}

// cohortMax is how many evaluations a cohort holds at most. The store's
// statements shared by four cost PostgreSQL about 40% of four alone, by
// ten about a fifth (cmd/loadgen/batchcost.sh); more would hold more
// evaluations' GitHub calls at once in one place of the gate, and sixteen
// measured no better than eight (docs/capacity.md, nineteenth session).
const cohortMax = 8

type cohortKey struct{}

func withCohort(ctx context.Context, c *cohort) context.Context {
	return context.WithValue(ctx, cohortKey{}, c)
}

func cohortOf(ctx context.Context) *cohort {
	c, _ := ctx.Value(cohortKey{}).(*cohort)
	return c
}

// done gives the rider its outcome.
func (r rider) done(err error) { r.result <- err }

// wait is a rider's side: its outcome, or its own context's end.
func (r rider) wait(ctx context.Context) error {
	select {
	case err := <-r.result:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// errLeftBehind is a rider's outcome when the evaluation that took it along
// ended without giving one (it panicked): River tries the job again.
var errLeftBehind = errors.New("the evaluation that took this job along ended without evaluating it")

// leave gives every rider still without an outcome errLeftBehind.
func (c *cohort) leave() {
	for _, r := range c.riders {
		select {
		case r.result <- errLeftBehind:
		default: // it has its outcome
		}
	}
}

// takeAlong takes, from waiting, up to cohortMax-1 evaluations of other
// pull requests than lead's, in the queue's order. The gate's lock is held.
func takeAlong(waiting *store.JobQueue, lead evaluateArgs) (*cohort, []*store.JobWaiter) {
	seen := map[store.PR]bool{{RepoID: lead.RepoID, Number: lead.Number}: true}
	c := &cohort{}
	took := waiting.Take(cohortMax-1, func(w *store.JobWaiter) bool {
		if w.Job == nil || w.Job.Kind != (evaluateArgs{}).Kind() {
			return false
		}
		var a evaluateArgs
		if err := json.Unmarshal(w.Job.EncodedArgs, &a); err != nil {
			return false // its own job reports the error
		}
		pr := store.PR{RepoID: a.RepoID, Number: a.Number}
		if seen[pr] {
			return false
		}
		seen[pr] = true
		c.riders = append(c.riders, rider{job: w.Job, args: a, result: make(chan error, 1)})
		return true
	})
	return c, took
}

// cohortFor is the cohort job leads, or nil: it takes others along only
// while no webhook arrives (the gate's last look saw none), so that an
// evaluation stays one job's worth of CPU beside the acknowledgements.
// Taken along at the worker count while webhooks came at 500 a second,
// cohorts raised PostgreSQL's acknowledgement p99 by a quarter
// (BENCHMARKS.md, nineteenth session).
func (g *JobGate) cohortFor(job *rivertype.JobRow) *cohort {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.quiet || g.limit < g.max || g.waiting.Len() == 0 {
		return nil // while webhooks arrive, nothing more than this check
	}
	var lead evaluateArgs
	if json.Unmarshal(job.EncodedArgs, &lead) != nil {
		return nil
	}
	c, took := takeAlong(&g.waiting, lead)
	if len(took) == 0 {
		return nil
	}
	if g.taken == nil {
		g.taken = map[*store.JobWaiter]rider{}
	}
	for i, w := range took {
		g.taken[w] = c.riders[i]
	}
	return c
}

// takenAlong is the rider w became, if a cohort took it along; it forgets
// w. The gate's lock is held.
func (g *JobGate) takenAlong(w *store.JobWaiter) (rider, bool) {
	r, ok := g.taken[w]
	delete(g.taken, w)
	return r, ok
}
