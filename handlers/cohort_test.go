package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/reviewpolicy/reviewpolicy/internal/githubfake"
	"github.com/reviewpolicy/reviewpolicy/internal/pgtest"
	"github.com/reviewpolicy/reviewpolicy/store"
)

func evaluationRow(id int64, number int) *rivertype.JobRow {
	args, _ := json.Marshal(evaluateArgs{Installation: 1, RepoID: 3, Owner: "o", Repo: "r", Number: number, Version: 1})
	return &rivertype.JobRow{ID: id, Kind: (evaluateArgs{}).Kind(), Priority: 1, ScheduledAt: time.Unix(1000, 0), EncodedArgs: args}
}

// TestGateTakesWaitingEvaluationsAlong: an evaluation let in while the
// gate is wide open takes along the evaluations waiting behind it, in the
// gate's order, up to cohortMax in all, none of its own pull request's and
// no other kind of job; each taken job's middleware returns the outcome the
// leader gives it without running the job or taking a place, and one the
// leader forgot gets errLeftBehind. While webhooks arrive, no cohort.
func TestGateTakesWaitingEvaluationsAlong(t *testing.T) {
	t.Parallel()
	g := NewJobGate(1, time.Second)
	g.adjust() // a look with no webhook: quiet
	m := &gateMiddleware{g: g}
	ctx := context.Background()
	hold, err := g.Enter(ctx)
	if err != nil {
		t.Fatal(err)
	}
	jobs := []*rivertype.JobRow{evaluationRow(1, 1), evaluationRow(2, 2), evaluationRow(3, 1), evaluationRow(4, 4),
		{ID: 5, Kind: "delivery", Priority: 1, ScheduledAt: time.Unix(1000, 0)}}
	for id := int64(6); id <= 12; id++ {
		jobs = append(jobs, evaluationRow(id, int(id)))
	}
	ran := make(chan int64, len(jobs))
	led := make(chan []int64, len(jobs))
	outcomes := make(map[int64]error)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i, job := range jobs {
		wg.Go(func() {
			err := m.Work(ctx, job, func(ctx context.Context) error {
				ran <- job.ID
				c := cohortOf(ctx)
				var ids []int64
				if c != nil {
					for k, r := range c.riders {
						ids = append(ids, r.job.ID)
						if k > 0 { // the first is forgotten
							r.done(fmt.Errorf("outcome of %d", r.job.ID))
						}
					}
				}
				led <- ids
				return nil
			})
			mu.Lock()
			outcomes[job.ID] = err
			mu.Unlock()
		})
		waitUntilWaiting(t, g, i+1)
	}
	hold()
	wg.Wait()
	close(ran)
	close(led)
	var order []int64
	for id := range ran {
		order = append(order, id)
	}
	if want := []int64{1, 3, 5}; !slices.Equal(order, want) {
		t.Errorf("jobs that ran %v, want %v: 1 leading 2, 4 and 6-10, then 3 (1's pull request) leading 11 and 12, then 5 (a delivery)", order, want)
	}
	var cohorts [][]int64
	for ids := range led {
		cohorts = append(cohorts, ids)
	}
	if fmt.Sprint(cohorts) != "[[2 4 6 7 8 9 10] [11 12] []]" {
		t.Errorf("cohorts %v, want 1's of 2, 4, 6-10 and 3's of 11 and 12", cohorts)
	}
	for id, err := range outcomes {
		switch id {
		case 2, 11:
			if !errors.Is(err, errLeftBehind) {
				t.Errorf("job %d, forgotten by its leader: %v, want errLeftBehind", id, err)
			}
		case 1, 3, 5:
			if err != nil {
				t.Errorf("job %d: %v", id, err)
			}
		default:
			if err == nil || err.Error() != fmt.Sprint("outcome of ", id) {
				t.Errorf("job %d: %v, want its leader's outcome", id, err)
			}
		}
	}
	if n := g.runningNow(); n != 0 {
		t.Errorf("%d places held after every job ended", n)
	}

	// While webhooks arrive, even fast ones at the worker count, none is
	// taken along; after a look that saw none, one is.
	busy := NewJobGate(4, time.Second)
	busy.mu.Lock()
	busy.running = busy.max // every place held: 31 keeps waiting
	busy.waiting.Push(evaluationRow(31, 31))
	busy.mu.Unlock()
	if c := busy.cohortFor(evaluationRow(30, 30)); c != nil || busy.waiting.Len() != 1 {
		t.Errorf("at the start: cohort %+v, %d waiting; want none taken along", c, busy.waiting.Len())
	}
	for range 4 {
		busy.ObserveAck(time.Millisecond)
		busy.adjust()
	}
	if c := busy.cohortFor(evaluationRow(30, 30)); busy.Limit() != busy.max || c != nil || busy.waiting.Len() != 1 {
		t.Errorf("fast webhooks, bound %d: cohort %+v, %d waiting; want none taken along", busy.Limit(), c, busy.waiting.Len())
	}
	done := busy.AckBegun()
	busy.adjust() // a webhook in progress: not quiet
	if c := busy.cohortFor(evaluationRow(30, 30)); c != nil {
		t.Errorf("a webhook in progress: cohort %+v, want none", c)
	}
	done()
	busy.adjust()
	if c := busy.cohortFor(evaluationRow(30, 30)); c == nil || len(c.riders) != 1 || busy.waiting.Len() != 0 {
		t.Errorf("quiet: cohort %+v, %d waiting; want 31 taken along", c, busy.waiting.Len())
	}
}

// runningNow is how many places are held.
func (g *JobGate) runningNow() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.running
}

const cohortPolicy = `version: 1
template:
  sections:
    - {heading: Summary, min_words: 5}
reviewers:
  rules:
    - {name: any, paths: ["**"], reviewers: [bob, carol, dave], count: 1}
`

// cohortHarness is an App with pull requests 1 to n and their jobs.
type cohortHarness struct {
	app  *App
	fake *githubfake.Fake
	n    int
}

func newCohortHarness(t *testing.T, n int) *cohortHarness {
	return newCohortHarnessOn(t, n, "sqlite://"+filepath.Join(t.TempDir(), "store.db"), 0)
}

// newCohortHarnessOn is newCohortHarness on the store at url, with pull
// request shares (if not 0) on the head of the one before it.
func newCohortHarnessOn(t *testing.T, n int, url string, shares int) *cohortHarness {
	h := &cohortHarness{fake: githubfake.New(t), n: n}
	h.fake.AddRepo(slaOwner, slaRepo, slaRepoID, "main")
	h.fake.AddInstallation(slaInst, slaOwner)
	h.fake.SetFile(slaOwner, slaRepo, "main", ".github/review-policy.yml", cohortPolicy)
	for i := 1; i <= n; i++ {
		head := i
		if i == shares {
			head = i - 1
		}
		h.fake.AddPullRequest(slaOwner, slaRepo, githubfake.PullRequest{Number: i, Title: "Change " + strconv.Itoa(i), Body: "Too short.",
			HeadRef: "b" + strconv.Itoa(i), HeadSHA: fmt.Sprintf("%040d", head), BaseRef: "main", Author: "alice", Files: []string{"a.go"}, State: "open"})
	}
	h.app = newTestAppOn(t, h.fake, time.Now, url)
	return h
}

func (h *cohortHarness) ref(n int) repoRef {
	return repoRef{Installation: slaInst, RepoID: slaRepoID, Owner: slaOwner, Repo: slaRepo, Number: n}
}

// request asks for every pull request's evaluation and returns the
// evaluate jobs waiting, by pull request.
func (h *cohortHarness) request(t *testing.T) map[int]*river.Job[evaluateArgs] {
	t.Helper()
	ctx := context.Background()
	for i := 1; i <= h.n; i++ {
		if err := h.app.requestEvaluation(ctx, h.ref(i)); err != nil {
			t.Fatal(err)
		}
	}
	q := `SELECT id, json(args) FROM river_job WHERE kind = 'evaluate' AND state = 'available'`
	if h.app.Store.Dialect == store.DialectPostgres {
		q = `SELECT id, args::text FROM river_job WHERE kind = 'evaluate' AND state = 'available'`
	}
	rows, err := h.app.Store.DB.QueryContext(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	jobs := map[int]*river.Job[evaluateArgs]{}
	for rows.Next() {
		var id int64
		var raw []byte
		if err := rows.Scan(&id, &raw); err != nil {
			t.Fatal(err)
		}
		var a evaluateArgs
		if err := json.Unmarshal(raw, &a); err != nil {
			t.Fatal(err)
		}
		jobs[a.Number] = &river.Job[evaluateArgs]{JobRow: &rivertype.JobRow{ID: id, Attempt: 1, Kind: a.Kind(), EncodedArgs: raw}, Args: a}
	}
	if _, err := h.app.Store.DB.ExecContext(ctx, `UPDATE river_job SET state = 'running' WHERE kind = 'evaluate' AND state = 'available'`); err != nil {
		t.Fatal(err)
	}
	return jobs
}

// lead runs lead's job with the others taken along and returns every
// outcome by pull request.
func (h *cohortHarness) lead(ctx context.Context, jobs map[int]*river.Job[evaluateArgs], lead int, others ...int) map[int]error {
	c := &cohort{}
	for _, n := range others {
		c.riders = append(c.riders, rider{job: jobs[n].JobRow, args: jobs[n].Args, result: make(chan error, 1)})
	}
	out := map[int]error{lead: (&evaluateWorker{app: h.app}).Work(withCohort(ctx, c), jobs[lead])}
	for i, n := range others {
		out[n] = c.riders[i].wait(ctx)
	}
	return out
}

// TestCohortEvaluatesEachJobAsAlone: a cohort's leader evaluates every job
// it took along as each would have been alone: one check run on each head
// and one sticky comment per pull request, a reviewer asked once, each
// pull request's requests done; a job whose pull request another
// evaluation holds snoozes. Two cohorts over the same pull requests at
// once, run twice, keep those invariants.
func TestCohortEvaluatesEachJobAsAlone(t *testing.T) {
	t.Parallel()
	h := newCohortHarness(t, 5)
	ctx := context.Background()
	st := h.app.Store
	jobs := h.request(t)
	held := store.PR{RepoID: slaRepoID, Number: 5}
	// Another evaluation holds #5's lease and has not started on its request.
	const hold = `UPDATE pr_evaluations SET lease_owner = 'elsewhere', lease_until = $1 WHERE repo_id = $2 AND number = 5`
	if _, err := st.DB.ExecContext(ctx, hold, time.Now().Add(time.Hour).UnixMicro(), slaRepoID); err != nil {
		t.Fatal(err)
	}
	out := h.lead(ctx, jobs, 1, 2, 3, 4, 5)
	for n, err := range out {
		if n == 5 {
			if !isSnooze(err) {
				t.Errorf("#5, held elsewhere: %v, want a snooze", err)
			}
		} else if err != nil {
			t.Errorf("#%d: %v", n, err)
		}
	}
	h.checkOneOfEach(t, 4, true)
	if ok, err := st.FinishEvaluation(ctx, held, "elsewhere", 0); !ok || err != nil {
		t.Fatalf("giving #5's lease back: %v %v", ok, err)
	}

	bodies := []string{"## Summary\nThis change makes five things faster.", "Too short again."}
	for round, body := range bodies {
		before := map[int]string{}
		for i := 1; i <= h.n; i++ {
			h.fake.EditPullRequest(slaOwner, slaRepo, i, func(pr *githubfake.PullRequest) { pr.Body = body })
			if runs := h.runsOn(i); len(runs) == 1 {
				before[i] = runs[0].Summary
			}
		}
		jobs := h.request(t)
		twin := map[int]*river.Job[evaluateArgs]{}
		for n, j := range jobs { // another job of each, as a redelivery's
			row := *j.JobRow
			row.ID += 100000
			twin[n] = &river.Job[evaluateArgs]{JobRow: &row, Args: j.Args}
		}
		var a, b map[int]error
		var wg sync.WaitGroup
		wg.Go(func() { a = h.lead(ctx, jobs, 1, 2, 3, 4, 5) })
		wg.Go(func() { b = h.lead(ctx, twin, 4, 5, 1, 2, 3) })
		wg.Wait()
		for n := 1; n <= h.n; n++ {
			if errs := []error{a[n], b[n]}; (errs[0] != nil && !isSnooze(errs[0])) || (errs[1] != nil && !isSnooze(errs[1])) {
				t.Errorf("round %d #%d: %v", round, n, errs)
			}
			if isSnooze(a[n]) && isSnooze(b[n]) { // both found the other holding it: River runs one later
				if err := (&evaluateWorker{app: h.app}).Work(ctx, jobs[n]); err != nil {
					t.Errorf("round %d #%d again: %v", round, n, err)
				}
			}
		}
		h.checkOneOfEach(t, h.n, round == 1) // #5 has had no comment to make while its body passed
		for n := 1; n <= h.n; n++ {
			if runs := h.runsOn(n); len(runs) != 1 || runs[0].Summary == before[n] {
				t.Errorf("round %d #%d: check runs %+v, want one showing the new body", round, n, runs)
			}
		}
	}
}

// checkOneOfEach asserts, for pull requests 1 to n: one check run on the
// head, at most one sticky comment (with comments, one), one reviewer
// asked, its requests done.
func (h *cohortHarness) checkOneOfEach(t *testing.T, n int, comments bool) {
	t.Helper()
	for i := 1; i <= n; i++ {
		if runs := h.runsOn(i); len(runs) != 1 {
			t.Errorf("#%d: %d check runs on its head, want 1", i, len(runs))
		}
		if cs := h.fake.Comments(slaOwner, slaRepo, i); len(cs) > 1 || (comments && len(cs) != 1) {
			t.Errorf("#%d: %d sticky comments, want one", i, len(cs))
		}
		if users, _ := h.fake.RequestedReviewers(slaOwner, slaRepo, i); len(users) != 1 {
			t.Errorf("#%d: requested %v, want one reviewer", i, users)
		}
		var requested, done int64
		const q = `SELECT requested, done FROM pr_evaluations WHERE repo_id = $1 AND number = $2`
		if err := h.app.Store.DB.QueryRow(q, slaRepoID, i).Scan(&requested, &done); err != nil || done != requested {
			t.Errorf("#%d: requested %d, done %d (%v)", i, requested, done, err)
		}
	}
}

// runsOn lists the check runs on the pull request's head.
func (h *cohortHarness) runsOn(n int) []githubfake.CheckRun {
	var runs []githubfake.CheckRun
	for _, r := range h.fake.CheckRuns(slaOwner, slaRepo) {
		if r.HeadSHA == fmt.Sprintf("%040d", n) {
			runs = append(runs, r)
		}
	}
	return runs
}

// TestSafelyTurnsAPanicIntoTheError: a cohort member's panic becomes its
// own error, with the stack, and a result passes through.
func TestSafelyTurnsAPanicIntoTheError(t *testing.T) {
	t.Parallel()
	if n, err := safely(func() (int, error) { return 7, nil }); n != 7 || err != nil {
		t.Errorf("no panic: %d %v", n, err)
	}
	_, err := safely(func() (int, error) { panic("the evaluation broke") })
	if err == nil || !strings.Contains(err.Error(), "panic: the evaluation broke") || !strings.Contains(err.Error(), "cohort_test.go") {
		t.Errorf("a panic gave %v, want it and its stack as the error", err)
	}
}

// TestCohortOnPostgres: on PostgreSQL, where a cohort's starts and ends are
// one statement per kind of row, a cohort of six keeps the invariants: one
// check run per head (two of the pull requests sharing one), one sticky
// comment each, one reviewer asked, the requests done; a second cohort of
// the same jobs finds them covered and calls GitHub for nothing.
func TestCohortOnPostgres(t *testing.T) {
	t.Parallel()
	h := newCohortHarnessOn(t, 6, pgtest.URL(t), 6)
	ctx := context.Background()
	jobs := h.request(t)
	for n, err := range h.lead(ctx, jobs, 1, 2, 3, 4, 5, 6) {
		if err != nil {
			t.Errorf("#%d: %v", n, err)
		}
	}
	h.checkOneOfEach(t, 4, true)
	// #5 and #6 share a head: the first check run on it asks for the
	// evaluation of every pull request GitHub lists there, so one of them
	// may have a request left, for a job of its own.
	if runs := h.runsOn(5); len(runs) != 1 {
		t.Errorf("%d check runs on the head #5 and #6 share, want 1", len(runs))
	}
	for _, n := range []int{5, 6} {
		if cs := h.fake.Comments(slaOwner, slaRepo, n); len(cs) != 1 {
			t.Errorf("#%d: %d sticky comments, want 1", n, len(cs))
		}
	}
	h.fake.ResetCalls()
	for n, err := range h.lead(ctx, jobs, 2, 1, 3, 4, 5, 6) {
		if err != nil {
			t.Errorf("again, #%d: %v", n, err)
		}
	}
	if calls := h.fake.Calls(); len(calls) != 0 {
		t.Errorf("the covered cohort called GitHub: %v", calls)
	}
}
