package handlers

import (
	"context"
	"testing"

	"github.com/reviewpolicy/reviewpolicy/githubapi"
	"github.com/reviewpolicy/reviewpolicy/store"
)

// TestHasCheckRunFromTheFirstReads: when the first reads read the record of
// the evaluated head's check run (with the snapshot of that head), the
// evaluation goes by them and does not read the store again; for another
// head, or a snapshot of no known head, it reads the store. The store here
// says the head has a run, so an answer of false shows the first reads were
// used.
func TestHasCheckRunFromTheFirstReads(t *testing.T) {
	t.Parallel()
	s := newRepoSetup(t, nil)
	ctx := context.Background()
	const head = "0123456789abcdef0123456789abcdef01234567"
	if err := s.app.Store.PutObject(ctx, store.ObjectKey(githubapi.CheckRunKey(s.ref.RepoID, head)), store.Object{ID: 9}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		first store.EvaluationReads
		want  bool
	}{
		{"the snapshot's head, no run read", snapshotOfHead(head, nil), false},
		{"the snapshot's head, a claim without an ID", snapshotOfHead(head, &store.Object{Hash: githubapi.Claimed}), false},
		{"the snapshot's head, a run", snapshotOfHead(head, &store.Object{ID: 3}), true},
		{"another head's snapshot: the store", snapshotOfHead("fedcba", nil), true},
		{"a snapshot of no known head: the store", snapshotOfHead("", nil), true},
		{"no snapshot: the store", store.EvaluationReads{}, true},
	} {
		g := &gathered{headSHA: head, first: c.first}
		if got, err := hasCheckRun(ctx, s.gh, g); err != nil || got != c.want {
			t.Errorf("%s: hasCheckRun = %v, %v; want %v", c.name, got, err, c.want)
		}
	}
}

// snapshotOfHead is first reads that found a snapshot of head and, if run
// is not nil, the record of its check run.
func snapshotOfHead(head string, run *store.Object) store.EvaluationReads {
	r := store.EvaluationReads{Snapshot: store.Snapshot{HeadSHA: head}, SnapshotFound: true}
	if run != nil {
		r.CheckRun, r.CheckRunFound = *run, true
	}
	return r
}
