package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/reviewpolicy/reviewpolicy/policy/decide"
	"github.com/reviewpolicy/reviewpolicy/store"
)

// evaluateArgs asks for one evaluation of a pull request's current state.
// Version is the pull request's request count when the job was made: jobs
// that an evaluation started later already covers end at once (see
// docs/concurrency.md).
type evaluateArgs struct {
	Installation int64  `json:"installation"`
	RepoID       int64  `json:"repo_id"`
	Owner        string `json:"owner"`
	Repo         string `json:"repo"`
	Number       int    `json:"number"`
	Version      int64  `json:"version"`
}

func (evaluateArgs) Kind() string { return "evaluate" }

// InstallationID places the job in the store's fair queue.
func (a evaluateArgs) InstallationID() int64 { return a.Installation }

// evaluation names the pull request an event concerns. The payload's copy
// of the pull request reaches the evaluation only through the store's
// snapshot (snapshot.go), which keeps the newest and trusts it only when
// it is recent and unambiguous.
type evaluation struct {
	ref repoRef
}

// evaluate asks for the pull request to be evaluated. Every event ends here;
// the evaluation itself runs in an evaluate job, one at a time per pull
// request, and a burst of events shares one evaluation.
func (a *App) evaluate(ctx context.Context, ev evaluation, _ *slog.Logger) error {
	if ev.ref.Installation == 0 {
		return errNoClient
	}
	return a.requestEvaluation(ctx, ev.ref)
}

func (a *App) requestEvaluation(ctx context.Context, r repoRef) error {
	return a.requestEvaluationIn(ctx, a.Store.Writes, r)
}

// requestEvaluationIn asks for r's evaluation with w's writes.
func (a *App) requestEvaluationIn(ctx context.Context, w store.Writes, r repoRef) error {
	return w.RequestEvaluation(ctx, store.PR{RepoID: r.RepoID, Number: r.Number}, evaluationJob(r), nil)
}

// evaluationJob gives the job that evaluates r for a request's version.
func evaluationJob(r repoRef) func(version int64) river.JobArgs {
	return func(v int64) river.JobArgs {
		return evaluateArgs{Installation: r.Installation, RepoID: r.RepoID, Owner: r.Owner, Repo: r.Repo, Number: r.Number, Version: v}
	}
}

// leaseWait is how long a job waits for another evaluation of the same pull
// request to finish before it looks again.
const leaseWait = 500 * time.Millisecond

type evaluateWorker struct {
	river.WorkerDefaults[evaluateArgs]
	app *App
}

// Work evaluates the job's pull request and, if the job leads a cohort
// (cohort.go), those of the jobs it took along, giving each its outcome.
func (w *evaluateWorker) Work(ctx context.Context, job *river.Job[evaluateArgs]) error {
	members := []evalMember{{job: job.JobRow, args: job.Args}}
	c := cohortOf(ctx)
	if c != nil {
		for _, r := range c.riders {
			members = append(members, evalMember{job: r.job, args: r.args})
		}
	}
	w.app.Metrics.Cohorts.Observe(float64(len(members)))
	errs := w.app.evaluateJobs(ctx, members)
	if c != nil {
		for i, r := range c.riders {
			r.done(errs[i+1])
		}
	}
	return errs[0]
}

// evalMember is one evaluation job of those evaluated together.
type evalMember struct {
	job  *rivertype.JobRow
	args evaluateArgs
}

func (m evalMember) ref() repoRef {
	t := m.args
	return repoRef{Installation: t.Installation, RepoID: t.RepoID, Owner: t.Owner, Repo: t.Repo, Number: t.Number}
}

func (m evalMember) pr() store.PR { return store.PR{RepoID: m.args.RepoID, Number: m.args.Number} }

// owner is the lease's owner: stable across retries of one job, so a retry
// retakes its own lease.
func (m evalMember) owner() string { return fmt.Sprint("job:", m.job.ID) }

// evaluateJobs starts the members' evaluations together, runs those whose
// lease it took side by side, and ends those that succeeded together. It
// returns each member's outcome for River: nil once evaluated or covered,
// a snooze while another evaluation holds the lease, or the error.
func (a *App) evaluateJobs(ctx context.Context, members []evalMember) []error {
	now := a.Now()
	starts := make([]store.EvaluationStart, len(members))
	for i, m := range members {
		starts[i] = store.EvaluationStart{PR: m.pr(), Version: m.args.Version, JobID: m.job.ID, Owner: m.owner(), Reads: firstReads(m.ref())}
	}
	started := a.Store.StartEvaluations(ctx, starts, now, now.Add(a.leaseTTL()))
	errs := make([]error, len(members))
	summaries := make([]*store.PRSummary, len(members))
	var wg sync.WaitGroup
	for i, m := range members {
		switch st := started[i]; {
		case st.Err != nil:
			errs[i] = st.Err
		case st.Start == store.Busy:
			errs[i] = river.JobSnooze(leaseWait)
		case st.Start == store.Run:
			wg.Go(func() { summaries[i], errs[i] = a.evaluateJob(ctx, m, st.First) })
		}
	}
	wg.Wait()
	var ends []store.EvaluationEnd
	var ended []int
	for i, m := range members {
		if started[i].Err == nil && started[i].Start == store.Run && errs[i] == nil {
			ends = append(ends, store.EvaluationEnd{PR: m.pr(), Owner: m.owner(), Covering: started[i].Covering, Summary: summaries[i]})
			ended = append(ended, i)
		}
	}
	for j, f := range a.Store.FinishEvaluations(ctx, ends) {
		errs[ended[j]] = f.Err
	}
	return errs
}

// evaluateJob is one member's evaluation, its lease taken: on failure it
// gives the lease back for the job's retry.
func (a *App) evaluateJob(ctx context.Context, m evalMember, first store.EvaluationReads) (_ *store.PRSummary, err error) {
	begun := time.Now()
	defer func() { a.Metrics.observeJob("evaluate", begun, err) }()
	r := m.ref()
	log := a.Logger.With("pr", r.String(), "job", m.job.ID, "attempt", m.job.Attempt)
	ctx = withJob(withInstallation(ctx, r.Installation), m.job)
	summary, err := safely(func() (*store.PRSummary, error) { return a.evaluatePR(ctx, r, first, log) })
	if err != nil {
		log.Warn("evaluation failed", "err", err)
		return nil, errors.Join(retryable(err, a.Now()), a.Store.AbandonEvaluation(context.WithoutCancel(ctx), m.pr(), m.owner()))
	}
	return summary, nil
}

// safely is f's result, or its panic as an error. Why: a cohort's
// evaluations run on goroutines of their own, where River's recovery of a
// job's panic does not reach, and one pull request's panic must fail its
// own job (which gives its lease back), not the process.
func safely[T any](f func() (T, error)) (t T, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
		}
	}()
	return f()
}

// leaseTTL outlasts a job's timeout, so a lease expires only when the
// process that held it died.
func (a *App) leaseTTL() time.Duration {
	if a.LeaseTTL > 0 {
		return a.LeaseTTL
	}
	return 5 * time.Minute
}

// evaluatePR gathers the facts, starting from the store's first reads,
// decides, and acts. Reviewer choices may need facts that only the first
// decision shows are needed (who is busy, who has access), and another
// pull request may move a shared rotation meanwhile: then it gathers those
// and decides again. It returns the page summary the evaluation's end
// writes (nil: none).
func (a *App) evaluatePR(ctx context.Context, r repoRef, first store.EvaluationReads, log *slog.Logger) (*store.PRSummary, error) {
	gh, err := a.repo(r)
	if err != nil {
		return nil, err
	}
	g, err := a.gatherFrom(ctx, gh, r, first)
	if err != nil {
		return nil, err
	}
	if err := a.learn(ctx, gh, r, g); err != nil {
		return nil, err
	}
	if g.facts.Closed {
		return nil, a.actClosed(ctx, gh, r, g, decide.Decide(g.facts, a.Now())) // its page keeps its summary
	}
	var more gatheredMore
	for try := 0; try < 8; try++ {
		now := a.Now()
		d, err := decide.DecideContext(ctx, g.facts, now)
		if err != nil {
			return nil, err
		}
		again, err := a.gatherMore(ctx, gh, g, &d, &more)
		if err != nil {
			return nil, err
		}
		if again {
			continue
		}
		moved, err := a.reserveRotations(ctx, r, g, d)
		if err != nil {
			return nil, err
		}
		if !moved {
			if err := a.readRotations(ctx, r, g); err != nil {
				return nil, err
			}
			continue
		}
		if err := a.act(ctx, gh, r, g, d, now, log); err != nil {
			return nil, errors.Join(err, a.undoRotations(context.WithoutCancel(ctx), r, g, d))
		}
		log.Info("evaluated", "sha", g.headSHA, "conclusion", d.Report.Conclusion)
		return g.summary, a.requestWhatIf(ctx, r, g) // the check is out: its what-if follows
	}
	return nil, fmt.Errorf("evaluating %s: other pull requests kept moving the same rotations; retrying", r)
}
