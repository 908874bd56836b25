package githubapi

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reviewpolicy/reviewpolicy/policy/check"
)

const headSHA = "0123456789abcdef0123456789abcdef01234567"

func failing(title string) check.Report {
	return check.Report{Conclusion: check.Failure, Title: title, Summary: "the template is incomplete",
		Annotations: []check.Annotation{{Path: "README.md", StartLine: 1, EndLine: 1, Message: "fill it in"}}}
}

// TestUpsertCheckRunCreatesOnceThenUpdates: repeated writes of one report
// cost one creation and nothing more (the stored hash), a new report one
// update of the same run, and several writers at once still leave one run:
// the commit's lease makes them take turns.
func TestUpsertCheckRunCreatesOnceThenUpdates(t *testing.T) {
	t.Parallel()
	s := newSetup(t, nil)
	ctx := context.Background()
	for range 3 {
		if err := s.repo.UpsertCheckRun(ctx, headSHA, failing("Template incomplete")); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.fake.CountCalls(http.MethodPost, "/repos/acme/app/check-runs"); n != 1 {
		t.Errorf("%d creations for one report, want 1", n)
	}
	if n := s.fake.CountCalls(http.MethodPatch, "/repos/acme/app/check-runs/"); n != 0 {
		t.Errorf("%d updates of an unchanged report, want 0", n)
	}

	var wg sync.WaitGroup
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep := check.Report{Conclusion: check.Success, Title: "All good", Summary: "ok"}
			if i%2 == 1 {
				rep = failing("Still incomplete")
			}
			if err := s.newRepo(t).UpsertCheckRun(ctx, headSHA, rep); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	runs := s.fake.CheckRuns("acme", "app")
	if len(runs) != 1 || runs[0].HeadSHA != headSHA || runs[0].Status != "completed" {
		t.Fatalf("check runs: %+v", runs)
	}
	if n := s.fake.CountCalls(http.MethodPost, "/repos/acme/app/check-runs"); n != 1 {
		t.Errorf("%d creations in all, want 1", n)
	}
	if n := s.fake.CountCalls(http.MethodPatch, "/repos/acme/app/check-runs/"); n < 1 || n > 6 {
		t.Errorf("%d updates for 6 writes of 2 alternating reports", n)
	}
}

// TestUpsertCheckRunClaimsBeforeCreating: a commit the store does not know
// gets its check run without a look-up on GitHub, because the claim is in
// the store before the create; HasCheckRun does not count a bare claim.
func TestUpsertCheckRunClaimsBeforeCreating(t *testing.T) {
	t.Parallel()
	s := newSetup(t, nil)
	ctx := context.Background()
	claims := 0
	s.objects.onPut = func(k ObjectKey, o Object) {
		if k == CheckRunKey(s.repo.ID, headSHA) && strings.HasPrefix(o.Hash, Claimed) && o.ID == 0 {
			claims++
			if n := s.fake.CountCalls(http.MethodPost, "/repos/acme/app/check-runs"); n != 0 {
				t.Errorf("claimed after %d creations", n)
			}
		}
	}
	if err := s.repo.UpsertCheckRun(ctx, headSHA, failing("Template incomplete")); err != nil {
		t.Fatal(err)
	}
	if claims != 1 {
		t.Errorf("%d claims before the create, want 1", claims)
	}
	if n := s.fake.CountCalls(http.MethodGet, "/repos/acme/app/commits/"+headSHA+"/check-runs"); n != 0 {
		t.Errorf("%d look-ups for a commit the store did not know, want 0", n)
	}
}

// TestUpsertCheckRunAfterCrashFindsTheRun: a claim left without an ID (the
// process died between the create and its record, or a pull request was
// reopened on a commit whose record was pruned) makes the
// next write ask GitHub, and the app's run is updated, not doubled; an
// unchanged report is still rewritten once, as nothing says what it shows.
func TestUpsertCheckRunAfterCrashFindsTheRun(t *testing.T) {
	t.Parallel()
	s := newSetup(t, nil)
	ctx := context.Background()
	rep := failing("Template incomplete")
	if err := s.repo.UpsertCheckRun(ctx, headSHA, rep); err != nil {
		t.Fatal(err)
	}
	s.objects.m = nil // lost, as after a prune
	if known, _ := s.repo.HasCheckRun(ctx, headSHA); known {
		t.Fatal("HasCheckRun without a record")
	}
	if err := s.objects.PutObject(ctx, CheckRunKey(s.repo.ID, headSHA), Object{Hash: Claimed}); err != nil {
		t.Fatal(err)
	}
	if known, _ := s.repo.HasCheckRun(ctx, headSHA); known {
		t.Error("HasCheckRun counts a bare claim")
	}
	s.fake.ResetCalls()
	if err := s.repo.UpsertCheckRun(ctx, headSHA, rep); err != nil {
		t.Fatal(err)
	}
	if n := s.fake.CountCalls(http.MethodGet, "/repos/acme/app/commits/"+headSHA+"/check-runs"); n != 1 {
		t.Errorf("%d look-ups, want 1", n)
	}
	if post, patch := s.fake.CountCalls(http.MethodPost, "/repos/acme/app/check-runs"),
		s.fake.CountCalls(http.MethodPatch, "/repos/acme/app/check-runs/"); post != 0 || patch != 1 {
		t.Errorf("%d creations and %d updates, want 0 and 1", post, patch)
	}
	if runs := s.fake.CheckRuns("acme", "app"); len(runs) != 1 {
		t.Errorf("%d check runs, want 1", len(runs))
	}
	if known, err := s.repo.HasCheckRun(ctx, headSHA); err != nil || !known {
		t.Errorf("HasCheckRun = %v, %v after a write", known, err)
	}
	if known, _ := s.repo.HasCheckRun(ctx, strings.Repeat("f", 40)); known {
		t.Error("HasCheckRun is true for a commit never written")
	}
}

// TestUpsertCheckRunInProgress: a report without a conclusion (a pull
// request still being evaluated) is shown in progress, then completed.
func TestUpsertCheckRunInProgress(t *testing.T) {
	t.Parallel()
	s := newSetup(t, nil)
	ctx := context.Background()
	if err := s.repo.UpsertCheckRun(ctx, headSHA, check.Report{Title: "2 pull requests share this commit: in progress", Summary: "…"}); err != nil {
		t.Fatal(err)
	}
	if runs := s.fake.CheckRuns("acme", "app"); len(runs) != 1 || runs[0].Status != "in_progress" || runs[0].Conclusion != "" {
		t.Fatalf("in progress: %+v", runs)
	}
	if err := s.repo.UpsertCheckRun(ctx, headSHA, failing("Template incomplete")); err != nil {
		t.Fatal(err)
	}
	runs := s.fake.CheckRuns("acme", "app")
	if len(runs) != 1 || runs[0].Status != "completed" || runs[0].Conclusion != check.Failure || runs[0].Annotations != 1 {
		t.Errorf("completed: %+v", runs)
	}
}

// TestLatestCheckRun reads the app's own run on a commit, nil before one.
func TestLatestCheckRun(t *testing.T) {
	t.Parallel()
	s := newSetup(t, nil)
	ctx := context.Background()
	if run, err := s.repo.LatestCheckRun(ctx, headSHA); err != nil || run != nil {
		t.Fatalf("before any: %v, %v", run, err)
	}
	if err := s.repo.UpsertCheckRun(ctx, headSHA, check.Report{Conclusion: check.Success, Title: "ok", Summary: "ok"}); err != nil {
		t.Fatal(err)
	}
	run, err := s.repo.LatestCheckRun(ctx, headSHA)
	if err != nil || run.GetConclusion() != check.Success || run.GetName() != check.Name {
		t.Errorf("after a write: %v, %v", run, err)
	}
}

// TestFirstWritersOfACommitCreateOneRun: writers that meet on a commit
// nobody wrote yet, as the evaluations of two pull requests sharing a new
// head do, create one run between them: the first takes the lease and
// claims the record, the others wait for it and then update that run.
func TestFirstWritersOfACommitCreateOneRun(t *testing.T) {
	t.Parallel()
	s := newSetup(t, nil)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep := check.Report{Conclusion: check.Success, Title: fmt.Sprint("writer ", i), Summary: "ok"}
			if err := s.newRepo(t).UpsertCheckRun(ctx, headSHA, rep); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := s.fake.CountCalls(http.MethodPost, "/repos/acme/app/check-runs"); n != 1 {
		t.Errorf("%d creations, want 1", n)
	}
	if n := s.fake.CountCalls(http.MethodGet, "/repos/acme/app/commits/"+headSHA+"/check-runs"); n != 0 {
		t.Errorf("%d look-ups on GitHub, want 0: the claim was the first writer's own", n)
	}
	if runs := s.fake.CheckRuns("acme", "app"); len(runs) != 1 {
		t.Errorf("%d check runs, want 1", len(runs))
	}
}

// TestCheckRunLeaseHeldByAnotherWaits: a writer does not write while
// another owner holds the commit's lease, retakes its own at once (a
// retried job), and writes once the other gives it back.
func TestCheckRunLeaseHeldByAnotherWaits(t *testing.T) {
	t.Parallel()
	s := newSetup(t, nil)
	ctx := context.Background()
	held, err := s.repo.LeaseCheckRun(ctx, headSHA, "job:1")
	if err != nil {
		t.Fatal(err)
	}
	if again, err := s.repo.LeaseCheckRun(ctx, headSHA, "job:1"); err != nil || again.Known() {
		t.Fatalf("retaking one's own lease: %v, %v", again, err)
	}
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if _, err := s.newRepo(t).LeaseCheckRun(short, headSHA, "job:2"); err == nil {
		t.Fatal("another owner took a held lease")
	}
	done := make(chan error, 1)
	go func() { done <- s.newRepo(t).UpsertCheckRun(ctx, headSHA, failing("Template incomplete")) }()
	time.Sleep(100 * time.Millisecond)
	if n := s.fake.CountCalls(http.MethodPost, "/repos/acme/app/check-runs"); n != 0 {
		t.Fatalf("%d creations while the lease was held", n)
	}
	if err := held.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := s.fake.CountCalls(http.MethodPost, "/repos/acme/app/check-runs"); n != 1 {
		t.Errorf("%d creations after the release, want 1", n)
	}
	if n := s.fake.CountCalls(http.MethodGet, "/repos/acme/app/commits/"+headSHA+"/check-runs"); n != 1 {
		t.Errorf("%d look-ups on GitHub, want 1: the claim left unwritten was job:1's", n)
	}
}
