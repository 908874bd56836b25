package githubapi

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/reviewpolicy/reviewpolicy/policy/check"
)

// TestUnchangedWritesRecordNothing: writing a check run or the sticky
// comment as it already is costs no request and no write to the store,
// and CheckRunShows says so without writing: an evaluation of a pull
// request that did not change then writes nothing (issue 18).
func TestUnchangedWritesRecordNothing(t *testing.T) {
	t.Parallel()
	s := newSetup(t, nil)
	addPull(s)
	ctx := context.Background()
	rep := check.Report{Conclusion: check.Success, Title: "ok", Summary: "all good"}
	const details = "https://reviewpolicy.example/acme/app/pull/1"
	if shows, err := s.repo.CheckRunShows(ctx, headSHA, rep, details); err != nil || shows {
		t.Fatalf("before any write: CheckRunShows = %v, %v; want false", shows, err)
	}
	if err := s.repo.UpsertCheckRunWithDetails(ctx, headSHA, rep, details); err != nil {
		t.Fatal(err)
	}
	if err := s.repo.UpsertComment(ctx, 1, sticky("fill in the template", true)); err != nil {
		t.Fatal(err)
	}
	var puts atomic.Int32
	s.objects.onPut = func(ObjectKey, Object) { puts.Add(1) }
	calls := len(s.fake.Calls())
	for range 3 {
		if shows, err := s.repo.CheckRunShows(ctx, headSHA, rep, details); err != nil || !shows {
			t.Fatalf("CheckRunShows after the write = %v, %v; want true", shows, err)
		}
		if err := s.repo.UpsertCheckRunWithDetails(ctx, headSHA, rep, details); err != nil {
			t.Fatal(err)
		}
		if err := s.repo.UpsertComment(ctx, 1, sticky("fill in the template", true)); err != nil {
			t.Fatal(err)
		}
	}
	if n := puts.Load(); n != 0 {
		t.Errorf("%d store writes for unchanged writes, want 0", n)
	}
	if n := len(s.fake.Calls()) - calls; n != 0 {
		t.Errorf("%d GitHub requests for unchanged writes, want 0", n)
	}
	for _, c := range []struct {
		name    string
		rep     check.Report
		details string
	}{
		{"another summary", check.Report{Conclusion: check.Success, Title: "ok", Summary: "all better"}, details},
		{"another conclusion", check.Report{Conclusion: check.Failure, Title: "ok", Summary: "all good"}, details},
		{"another page", rep, details + "0"},
		{"no page", rep, ""},
	} {
		if shows, err := s.repo.CheckRunShows(ctx, headSHA, c.rep, c.details); err != nil || shows {
			t.Errorf("%s: CheckRunShows = %v, %v; want false", c.name, shows, err)
		}
	}
	if err := s.repo.UpsertComment(ctx, 1, sticky("done", false)); err != nil {
		t.Fatal(err)
	}
	if n := puts.Load(); n != 1 {
		t.Errorf("%d store writes after a changed comment, want 1", n)
	}
}
