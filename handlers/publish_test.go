package handlers

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/reviewpolicy/reviewpolicy/githubapi"
	"github.com/reviewpolicy/reviewpolicy/internal/githubfake"
	"github.com/reviewpolicy/reviewpolicy/store"
)

// TestUnchangedEvaluationWritesNoVerdictAndTakesNoLease: evaluating a pull
// request again when nothing changed rewrites neither its verdict nor the
// check run, and does not wait for the commit's publication lease, here
// held by another process: it has nothing to publish (issue 18).
func TestUnchangedEvaluationWritesNoVerdictAndTakesNoLease(t *testing.T) {
	t.Parallel()
	h := newReassignHarness(t)
	h.evaluate(t)
	h.evaluate(t) // the first said whom it asked; this one, "already requested"
	// After working hours, so that the SLA's working time left stays put.
	h.set(time.Date(2025, 3, 7, 17, 30, 0, 0, time.UTC))
	h.evaluate(t)
	ctx := context.Background()
	const sha = "0123456789abcdef0123456789abcdef01234567"
	first := verdictOf(t, h.app.Store, sha)
	h.set(h.clock().Add(time.Minute))
	lease := store.ObjectKey(githubapi.CheckRunKey(slaRepoID, sha))
	if _, ok, err := h.app.Store.LeaseObject(ctx, lease, store.Object{Hash: githubapi.Claimed}, "another process", h.clock(), h.clock().Add(time.Hour)); err != nil || !ok {
		t.Fatalf("taking the lease: %v, %v", ok, err)
	}
	h.fake.ResetCalls()
	wait, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := h.app.requestEvaluation(wait, h.ref); err != nil {
		t.Fatal(err)
	}
	if err := runEvaluations(wait, h.app); err != nil {
		t.Fatalf("an unchanged evaluation waited for the publication lease: %v", err)
	}
	again := verdictOf(t, h.app.Store, sha)
	if !bytes.Equal(again.Report, first.Report) {
		t.Fatalf("the verdict changed, so this test shows nothing:\n%s\n%s", first.Report, again.Report)
	}
	if !again.UpdatedAt.Equal(first.UpdatedAt) {
		t.Errorf("the unchanged verdict was written again (at %s, first at %s)", again.UpdatedAt, first.UpdatedAt)
	}
	if n := h.fake.CountCalls(http.MethodPatch, "/repos/"+slaOwner+"/"+slaRepo+"/check-runs/"); n != 0 {
		t.Errorf("%d check run updates, want 0", n)
	}

	// A changed verdict still waits for the lease, and is published once
	// the other process lets it go.
	h.fake.EditPullRequest(slaOwner, slaRepo, slaNumber, func(pr *githubfake.PullRequest) { pr.Draft = true })
	if err := h.app.requestEvaluation(ctx, h.ref); err != nil {
		t.Fatal(err)
	}
	short, cancelShort := context.WithTimeout(ctx, time.Second)
	defer cancelShort()
	if err := runEvaluations(short, h.app); err == nil {
		t.Fatal("a changed verdict was published while another process held the lease")
	}
	mustRelease(t, h.app.Store, lease, "another process")
	h.evaluate(t)
	if v := verdictOf(t, h.app.Store, sha); bytes.Equal(v.Report, first.Report) {
		t.Errorf("the changed verdict was not recorded: %s", v.Report)
	}
	if n := h.fake.CountCalls(http.MethodPatch, "/repos/"+slaOwner+"/"+slaRepo+"/check-runs/"); n != 1 {
		t.Errorf("%d check run updates after the change, want 1", n)
	}
}

func verdictOf(t *testing.T, st *store.Store, sha string) store.Verdict {
	t.Helper()
	vs, err := st.VerdictsOn(context.Background(), slaRepoID, sha)
	if err != nil || len(vs) != 1 {
		t.Fatalf("verdicts on %s: %+v, %v", sha, vs, err)
	}
	return vs[0]
}

func mustRelease(t *testing.T, st *store.Store, lease store.ObjectKey, owner string) {
	t.Helper()
	if err := st.ReleaseObject(context.Background(), lease, owner, nil); err != nil {
		t.Fatal(err)
	}
}
