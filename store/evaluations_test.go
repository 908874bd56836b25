package store

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
)

type evalArgs struct {
	Number  int   `json:"number"`
	Version int64 `json:"version"`
}

func (evalArgs) Kind() string { return "test_evaluate" }

func TestEvaluationsCoalesceAndHaveOneWriter(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		pr := PR{RepoID: 7, Number: 3}
		var versions []int64
		for range 3 {
			if err := s.RequestEvaluation(ctx, pr, func(v int64) river.JobArgs {
				versions = append(versions, v)
				return evalArgs{Number: 3, Version: v}
			}, nil); err != nil {
				t.Fatal(err)
			}
		}
		// The first job waits, so the later requests count on it.
		if want := []int64{1}; !slices.Equal(versions, want) {
			t.Fatalf("jobs made for versions %v, want %v", versions, want)
		}
		now := time.Unix(1000, 0)
		later := now.Add(time.Minute)
		start, covering, err := s.StartEvaluation(ctx, pr, 1, 0, "job:1", now, later)
		if err != nil || start != Run || covering != 3 {
			t.Fatalf("first job: %v covering %d (%v), want Run covering 3", start, covering, err)
		}
		// The other jobs' events came before the lease was taken: covered.
		for _, v := range []int64{2, 3} {
			if got, _, _ := s.StartEvaluation(ctx, pr, v, 0, "job:2", now, later); got != Covered {
				t.Errorf("version %d while the lease covers 3: %v, want Covered", v, got)
			}
		}
		// An event after the start waits for the running evaluation.
		mustRequest(t, s, pr)
		if got, _, _ := s.StartEvaluation(ctx, pr, 4, 0, "job:4", now, later); got != Busy {
			t.Errorf("version 4 while the lease covers 3: %v, want Busy", got)
		}
		// A retry of the lease holder retakes its own lease.
		if got, c, _ := s.StartEvaluation(ctx, pr, 1, 0, "job:1", now, later); got != Run || c != 4 {
			t.Errorf("the holder's retry: %v covering %d, want Run covering 4", got, c)
		}
		if ok, err := s.FinishEvaluation(ctx, pr, "job:1", 4); !ok || err != nil {
			t.Fatalf("finish: %v %v", ok, err)
		}
		for v := int64(1); v <= 4; v++ {
			if got, _, _ := s.StartEvaluation(ctx, pr, v, 0, "job:9", now, later); got != Covered {
				t.Errorf("version %d after done = 4: %v, want Covered", v, got)
			}
		}
		// An expired lease (its process died) is taken over.
		mustRequest(t, s, pr)
		if got, _, _ := s.StartEvaluation(ctx, pr, 5, 0, "job:5", now, later); got != Run {
			t.Fatalf("version 5: %v, want Run", got)
		}
		mustRequest(t, s, pr)
		if got, _, _ := s.StartEvaluation(ctx, pr, 6, 0, "job:6", later.Add(time.Second), later.Add(time.Hour)); got != Run {
			t.Errorf("after the lease expired: %v, want Run", got)
		}
		if ok, _ := s.FinishEvaluation(ctx, pr, "job:5", 5); ok {
			t.Error("the expired holder finished over its successor")
		}
	})
}

// TestRequestsCountOnTheWaitingJob: requests made while a job waits enqueue
// none; that job covers all of them when it starts, and a request after it
// started, or after it ended without starting, gets a job of its own. A
// request for a later time always does.
func TestRequestsCountOnTheWaitingJob(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		pr := PR{RepoID: 9, Number: 2}
		now := time.Unix(1000, 0)
		later := now.Add(time.Minute)
		var made []int64
		request := func(opts *river.InsertOpts) {
			t.Helper()
			if err := s.RequestEvaluation(ctx, pr, func(v int64) river.JobArgs {
				made = append(made, v)
				return evalArgs{Number: pr.Number, Version: v}
			}, opts); err != nil {
				t.Fatal(err)
			}
		}
		for range 3 {
			request(nil)
		}
		request(&river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)})
		if want := []int64{1, 4}; !slices.Equal(made, want) {
			t.Fatalf("jobs made for versions %v, want %v", made, want)
		}
		first := queuedJob(t, s, pr)
		// Another job (say the scheduled one) starting first covers what it
		// saw; the waiting job must still cover what came after.
		if got, c, _ := s.StartEvaluation(ctx, pr, 4, 0, "job:other", now, later); got != Run || c != 4 {
			t.Fatalf("the scheduled job: %v covering %d, want Run covering 4", got, c)
		}
		request(nil) // version 5: the waiting job covers it, no job made
		if len(made) != 2 {
			t.Fatalf("a request while a job waits made one: %v", made)
		}
		if got, _, _ := s.StartEvaluation(ctx, pr, 1, first, "job:first", now, later); got != Busy {
			t.Errorf("the waiting job while version 5 is not covered: %v, want Busy", got)
		}
		mustDo(t, errOf(s.FinishEvaluation(ctx, pr, "job:other", 4)))
		if got, c, _ := s.StartEvaluation(ctx, pr, 1, first, "job:first", now, later); got != Run || c != 5 {
			t.Fatalf("the waiting job: %v covering %d, want Run covering 5", got, c)
		}
		request(nil) // after it started: a job of its own
		if want := []int64{1, 4, 6}; !slices.Equal(made, want) {
			t.Fatalf("jobs made for versions %v, want %v", made, want)
		}
		mustDo(t, errOf(s.FinishEvaluation(ctx, pr, "job:first", 5)))
		// The waiting job ends without starting (cancelled): the next
		// request does not count on it.
		if _, err := s.River.JobCancel(ctx, queuedJob(t, s, pr)); err != nil {
			t.Fatal(err)
		}
		request(nil)
		if want := []int64{1, 4, 6, 7}; !slices.Equal(made, want) {
			t.Fatalf("jobs made for versions %v, want %v", made, want)
		}
		// Running, it may not have taken the lease, but its process may have
		// died: the next request does not count on it either.
		const run = `UPDATE river_job SET state = 'running', attempted_at = $2 WHERE id = $1`
		if _, err := s.DB.ExecContext(ctx, run, queuedJob(t, s, pr), time.Now()); err != nil {
			t.Fatal(err)
		}
		request(nil)
		if want := []int64{1, 4, 6, 7, 8}; !slices.Equal(made, want) {
			t.Fatalf("jobs made for versions %v, want %v", made, want)
		}
	})
}

// TestWaitingJobEndsOnlyWhenNothingCameSince: the job requests counted on
// finds them covered by a running evaluation and ends, unless a request
// came after that evaluation started.
func TestWaitingJobEndsOnlyWhenNothingCameSince(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		pr, now, later := PR{RepoID: 9, Number: 3}, time.Unix(1000, 0), time.Unix(1060, 0)
		mustRequest(t, s, pr)
		waiting := queuedJob(t, s, pr)
		if got, _, _ := s.StartEvaluation(ctx, pr, 1, 0, "job:other", now, later); got != Run {
			t.Fatalf("other: %v, want Run", got)
		}
		if got, _, _ := s.StartEvaluation(ctx, pr, 1, waiting, "job:w", now, later); got != Covered {
			t.Fatalf("the waiting job while the running evaluation covers all: %v, want Covered", got)
		}
		mustRequest(t, s, pr) // the waiting job ended: a new one is made
		again := queuedJob(t, s, pr)
		if again == waiting || again == 0 {
			t.Fatalf("queued job %d after %d ended, want a new one", again, waiting)
		}
		if got, _, _ := s.StartEvaluation(ctx, pr, 2, again, "job:a", now, later); got != Busy {
			t.Errorf("a job with a request after the running evaluation started: %v, want Busy", got)
		}
		if queuedJob(t, s, pr) != again {
			t.Error("a busy waiting job stopped being counted on")
		}
	})
}

func queuedJob(t *testing.T, s *Store, pr PR) int64 {
	t.Helper()
	var id int64
	const q = `SELECT queued_job FROM pr_evaluations WHERE repo_id = $1 AND number = $2`
	mustDo(t, s.DB.QueryRowContext(context.Background(), q, pr.RepoID, pr.Number).Scan(&id))
	return id
}

func errOf(_ bool, err error) error { return err }

func TestOneOfConcurrentStartsRuns(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		pr := PR{RepoID: 8, Number: 1}
		mustRequest(t, s, pr)
		now := time.Unix(1000, 0)
		var mu sync.Mutex
		runs := 0
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got, _, err := s.StartEvaluation(ctx, pr, 1, 0, "job:"+string(rune('a'+i)), now, now.Add(time.Minute))
				if err != nil {
					t.Error(err)
				}
				if got == Run {
					mu.Lock()
					runs++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if runs != 1 {
			t.Errorf("%d of 8 concurrent starts ran, want 1", runs)
		}
	})
}

func TestRotationsMoveAllOrNone(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		ok, err := s.SetRotations(ctx, 1, 2, []Move{{Rule: "a", From: 0, To: 1}, {Rule: "b", From: 0, To: 1}})
		if !ok || err != nil {
			t.Fatalf("first moves: %v %v", ok, err)
		}
		// b moved on meanwhile: a must not move either.
		ok, err = s.SetRotations(ctx, 1, 2, []Move{{Rule: "a", From: 1, To: 2}, {Rule: "b", From: 0, To: 1}})
		if ok || err != nil {
			t.Fatalf("moves from a stale read: %v %v, want false", ok, err)
		}
		for rule, want := range map[string]int{"a": 1, "b": 1} {
			if got, _ := s.Rotation(ctx, 1, 2, rule); got != want {
				t.Errorf("rotation %s = %d, want %d", rule, got, want)
			}
		}
		// Undo gives the positions back.
		if ok, _ := s.SetRotations(ctx, 1, 2, []Move{{Rule: "a", From: 1, To: 0}, {Rule: "b", From: 1, To: 0}}); !ok {
			t.Error("undo failed")
		}
		if got, _ := s.Rotation(ctx, 1, 2, "a"); got != 0 {
			t.Errorf("after undo a = %d, want 0", got)
		}
	})
}

func TestVerdictsByHeadAndLeases(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		at := time.Unix(2000, 0).UTC()
		for _, v := range []Verdict{
			{PR: PR{RepoID: 1, Number: 1}, HeadSHA: "aaa", BaseRef: "main", Report: []byte(`{"conclusion":"failure"}`), UpdatedAt: at},
			{PR: PR{RepoID: 1, Number: 2}, HeadSHA: "aaa", BaseRef: "dev", Report: []byte(`{"conclusion":"success"}`), UpdatedAt: at},
			{PR: PR{RepoID: 1, Number: 3}, HeadSHA: "bbb", BaseRef: "main", Report: []byte(`{}`), UpdatedAt: at},
		} {
			if err := s.PutVerdict(ctx, v); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.VerdictsOn(ctx, 1, "aaa")
		if err != nil || len(got) != 2 || got[0].Number != 1 || got[1].BaseRef != "dev" {
			t.Fatalf("verdicts on aaa: %+v %v", got, err)
		}
		if sha, _ := s.DeleteVerdict(ctx, PR{RepoID: 1, Number: 1}); sha != "aaa" {
			t.Errorf("deleted verdict was on %q, want aaa", sha)
		}
		if got, _ := s.VerdictsOn(ctx, 1, "aaa"); len(got) != 1 {
			t.Errorf("%d verdicts on aaa after closing #1, want 1", len(got))
		}
	})
}

func mustRequest(t *testing.T, s *Store, pr PR) {
	t.Helper()
	if err := s.RequestEvaluation(context.Background(), pr, func(v int64) river.JobArgs {
		return evalArgs{Number: pr.Number, Version: v}
	}, nil); err != nil {
		t.Fatal(err)
	}
}

func TestCommitObjectsArePrunedOnceNoOpenPullRequestIsOnThem(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		key := func(sha string) ObjectKey { return ObjectKey{RepoID: 1, Kind: "check_run:" + sha} }
		for _, sha := range []string{"old", "open", "fresh"} {
			if err := s.PutObject(ctx, key(sha), Object{ID: 5}); err != nil {
				t.Fatal(err)
			}
		}
		mustDo(t, s.PutVerdict(ctx, Verdict{PR: PR{RepoID: 1, Number: 4}, HeadSHA: "open", BaseRef: "main", Report: []byte(`{}`)}))
		// "fresh" is written after the cut-off.
		cut := time.Now()
		time.Sleep(2 * time.Millisecond)
		if err := s.PutObject(ctx, key("fresh"), Object{ID: 6}); err != nil {
			t.Fatal(err)
		}
		n, err := s.PruneCommitObjects(ctx, cut)
		if err != nil || n != 1 {
			t.Fatalf("pruned %d (%v), want 1", n, err)
		}
		for sha, want := range map[string]bool{"old": false, "open": true, "fresh": true} {
			if _, ok, _ := s.GetObject(ctx, key(sha)); ok != want {
				t.Errorf("check run of %s kept = %v, want %v", sha, ok, want)
			}
		}
	})
}

func TestObjectLeaseClaimsRecordsAndFrees(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		k := ObjectKey{RepoID: 1, Kind: "check_run:aaa"}
		now := time.Unix(3000, 0)
		lease := func(owner string, at time.Time) (Object, bool) {
			t.Helper()
			o, held, err := s.LeaseObject(ctx, k, Object{Hash: "claimed:" + owner}, owner, at, at.Add(time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			return o, held
		}
		if o, held := lease("a", now); !held || o != (Object{Hash: "claimed:a"}) {
			t.Fatalf("a free lease on no record: %+v, %v; want a's claim, held", o, held)
		}
		if got, ok, _ := s.GetObject(ctx, k); !ok || got.Hash != "claimed:a" {
			t.Errorf("the claim was not recorded: %+v, %v", got, ok)
		}
		if _, held := lease("b", now.Add(30*time.Second)); held {
			t.Error("a held lease was taken by another owner")
		}
		if o, held := lease("a", now.Add(30*time.Second)); !held || o.Hash != "claimed:a" {
			t.Errorf("its owner could not retake a lease: %+v, %v", o, held)
		}
		mustDo(t, s.ReleaseObject(ctx, k, "b", &Object{ID: 9, Hash: "b's"}))
		if got, _, _ := s.GetObject(ctx, k); got.ID != 0 {
			t.Errorf("a release by a non-owner recorded %+v", got)
		}
		mustDo(t, s.ReleaseObject(ctx, k, "a", &Object{ID: 7, Hash: "written"}))
		if o, held := lease("b", now.Add(40*time.Second)); !held || o != (Object{ID: 7, Hash: "written"}) {
			t.Fatalf("after a's release: %+v, %v; want its record, held", o, held)
		}
		// b dies holding it: the lease expires, and its record stays.
		if o, held := lease("c", now.Add(3*time.Minute)); !held || o.ID != 7 {
			t.Errorf("an expired lease was not taken over: %+v, %v", o, held)
		}
		mustDo(t, s.ReleaseObject(ctx, k, "c", nil))
		if got, _, _ := s.GetObject(ctx, k); got != (Object{ID: 7, Hash: "written"}) {
			t.Errorf("a release without a record changed it: %+v", got)
		}
	})
}

func TestPruneKeepsACommitObjectWhoseLeaseIsHeld(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		k := ObjectKey{RepoID: 1, Kind: "check_run:busy"}
		now := time.Now()
		if _, held, err := s.LeaseObject(ctx, k, Object{Hash: "claimed"}, "job:1", now.Add(-time.Hour), now.Add(time.Hour)); !held || err != nil {
			t.Fatalf("lease: %v, %v", held, err)
		}
		if n, err := s.PruneCommitObjects(ctx, now); err != nil || n != 0 {
			t.Fatalf("pruned %d (%v), want 0: its writer holds it", n, err)
		}
		mustDo(t, s.ReleaseObject(ctx, k, "job:1", nil))
		if n, err := s.PruneCommitObjects(ctx, now); err != nil || n != 1 {
			t.Errorf("pruned %d (%v) once released, want 1", n, err)
		}
	})
}

// TestRequestsInABatchCoalesceAsOnes: RequestEvaluations (set-based) makes
// the jobs one RequestEvaluation at a time would: one per pull request with
// none waiting, each counted on by later requests.
func TestRequestsInABatchCoalesceAsOnes(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		made := map[int][]int64{}
		ask := func(numbers ...int) {
			t.Helper()
			var reqs []EvaluationRequest
			for _, n := range numbers {
				reqs = append(reqs, EvaluationRequest{PR: PR{RepoID: 4, Number: n}, Job: func(v int64) river.JobArgs {
					made[n] = append(made[n], v)
					return evalArgs{Number: n, Version: v}
				}})
			}
			mustDo(t, s.Batch(ctx, func(w Writes) error { return w.RequestEvaluations(ctx, reqs) }))
		}
		ask(3, 1, 2)
		ask(1, 2, 4)
		want := map[int][]int64{1: {1}, 2: {1}, 3: {1}, 4: {1}}
		if fmt.Sprint(made) != fmt.Sprint(want) {
			t.Fatalf("jobs made for versions %v, want %v", made, want)
		}
		pr1 := PR{RepoID: 4, Number: 1}
		now := time.Unix(1000, 0)
		job := queuedJob(t, s, pr1)
		if got, covering, err := s.StartEvaluation(ctx, pr1, 1, job, "job:1", now, now.Add(time.Minute)); err != nil || got != Run || covering != 2 {
			t.Fatalf("#1's job: %v covering %d (%v), want Run covering both requests", got, covering, err)
		}
		if _, err := s.DB.ExecContext(ctx, `UPDATE river_job SET state = 'running' WHERE id = $1`, job); err != nil {
			t.Fatal(err)
		}
		ask(1, 2) // #1's job runs: a job of its own; #2's still waits
		want[1] = []int64{1, 3}
		if fmt.Sprint(made) != fmt.Sprint(want) {
			t.Errorf("after #1's job started: jobs made for versions %v, want %v", made, want)
		}
		if again := queuedJob(t, s, pr1); again == job || again == 0 {
			t.Errorf("#1 counts on job %d (the running one was %d)", again, job)
		}
	})
}

// TestObjectLeaseOneHolderAtOnce: writers that take a record's lease at
// the same moment, as the evaluations of pull requests sharing a new head
// do, get it one at a time, and only the first one's claim is recorded.
func TestObjectLeaseOneHolderAtOnce(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		k := ObjectKey{RepoID: 1, Kind: "check_run:shared"}
		now := time.Now()
		const writers = 8
		held := make(chan string, writers)
		var wg sync.WaitGroup
		for i := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				owner := fmt.Sprint("job:", i)
				_, ok, err := s.LeaseObject(ctx, k, Object{Hash: "claimed:" + owner}, owner, now, now.Add(time.Minute))
				if err != nil {
					t.Error(err)
				}
				if ok {
					held <- owner
				}
			}()
		}
		wg.Wait()
		close(held)
		var holders []string
		for h := range held {
			holders = append(holders, h)
		}
		if len(holders) != 1 {
			t.Fatalf("holders %v, want one", holders)
		}
		if got, _, _ := s.GetObject(ctx, k); got.Hash != "claimed:"+holders[0] {
			t.Errorf("record %+v, want %s's claim", got, holders[0])
		}
	})
}

// TestFinishEvaluationWritesTheSummaryWithTheEnd: the summary is written
// and the lease freed and its versions done, as PutPRSummary and
// FinishEvaluation one after the other; a holder that lost its lease
// frees nothing and hears so.
func TestFinishEvaluationWritesTheSummaryWithTheEnd(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		pr := PR{RepoID: 7, Number: 5}
		now := time.Unix(1000, 0)
		mustRequest(t, s, pr)
		if got, c, err := s.StartEvaluation(ctx, pr, 1, 0, "job:1", now, now.Add(time.Minute)); err != nil || got != Run || c != 1 {
			t.Fatalf("start: %v %d %v", got, c, err)
		}
		sum := PRSummary{InstallationID: 1, RepoID: 7, Owner: "acme", Repo: "web", Number: 5, Title: "t", State: "open",
			Conclusion: "failure", UpdatedAt: now}
		if ok, err := s.FinishEvaluationWith(ctx, pr, "job:2", 1, &sum); err != nil || ok {
			t.Errorf("finish by job:2, which holds no lease: %v %v, want false", ok, err)
		}
		sum.Conclusion = "success"
		if ok, err := s.FinishEvaluationWith(ctx, pr, "job:1", 1, &sum); err != nil || !ok {
			t.Fatalf("finish by job:1: %v %v, want true", ok, err)
		}
		got, found, err := s.PRSummaryOf(ctx, "acme", "web", 5)
		if err != nil || !found || got.Conclusion != "success" {
			t.Errorf("summary after the end: %+v %v %v, want success", got, found, err)
		}
		if start, _, _ := s.StartEvaluation(ctx, pr, 1, 0, "job:3", now, now.Add(time.Minute)); start != Covered {
			t.Errorf("version 1 after the end: %v, want Covered", start)
		}
	})
}
