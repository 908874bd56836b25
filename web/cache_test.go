package web

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/reviewpolicy/reviewpolicy/store"
)

// After writes, the lists merged incrementally equal those a full read of
// the store sorts from scratch: the same rows, in the same order.
func TestCacheMergeEqualsFullRead(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "c.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	put := func(repoID int64, repo string, n int, title string, at time.Time) {
		t.Helper()
		if err := st.PutPRSummary(ctx, store.PRSummary{InstallationID: 1, RepoID: repoID, Owner: "o", Repo: repo, Number: n,
			Title: title, Author: "a", State: "open", UpdatedAt: at}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.AddPREvent(ctx, store.PREvent{RepoID: repoID, Owner: "o", Repo: repo, Number: n,
			Key: "requested:" + title, Kind: store.EventRequested, Actor: "b", At: at}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 40 {
		put(int64(i%3+1), fmt.Sprintf("r%d", i%3), i, "first", testNow.Add(-time.Duration(i)*time.Hour))
	}
	c := newHistoryCache(st)
	if _, _, _, err := c.history(ctx, "o", testNow); err != nil {
		t.Fatal(err)
	}
	// Four changed rows of 80: merged, not sorted whole (update). A changed one, a new one in the middle of the order, an event older than the rest.
	put(2, "r1", 4, "second", testNow.Add(-100*time.Hour))
	put(1, "r0", 1000, "new", testNow.Add(-30*time.Minute))
	prs, evs, _, err := c.history(ctx, "o", testNow)
	if err != nil {
		t.Fatal(err)
	}
	full := newHistoryCache(st)
	wantPRs, wantEvs, _, err := full.history(ctx, "o", testNow)
	if err != nil {
		t.Fatal(err)
	}
	if len(prs) != 41 || !reflect.DeepEqual(prs, wantPRs) {
		t.Errorf("merged summaries (%d) differ from a full read's (%d)", len(prs), len(wantPRs))
	}
	if len(evs) != 42 || !reflect.DeepEqual(evs, wantEvs) {
		t.Errorf("merged events (%d) differ from a full read's (%d)", len(evs), len(wantEvs))
	}

	// Newer events than any kept are appended in place: the lists held
	// from before do not change, and the new ones equal a full read.
	heldPRs, heldEvs := slices.Clone(prs), slices.Clone(evs)
	// Two rows of 41 (under an eighth): merged, not rebuilt.
	for i := range 2 {
		put(3, "r2", 2000+i, "later", testNow.Add(time.Duration(i+1)*time.Minute))
	}
	prs2, evs2, _, err := c.history(ctx, "o", testNow)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(prs, heldPRs) || !reflect.DeepEqual(evs, heldEvs) {
		t.Error("a later write changed the lists a reader already held")
	}
	wantPRs, wantEvs, _, err = newHistoryCache(st).history(ctx, "o", testNow)
	if err != nil {
		t.Fatal(err)
	}
	if len(prs2) != 43 || !reflect.DeepEqual(prs2, wantPRs) || len(evs2) != 44 || !reflect.DeepEqual(evs2, wantEvs) {
		t.Errorf("after appending: %d summaries and %d events, a full read %d and %d, or they differ",
			len(prs2), len(evs2), len(wantPRs), len(wantEvs))
	}
}
