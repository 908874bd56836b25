package handlers

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/reviewpolicy/reviewpolicy/githubapi"
	"github.com/reviewpolicy/reviewpolicy/internal/githubfake"
	"github.com/reviewpolicy/reviewpolicy/store"
)

// prDelivery is the fixture's pull_request delivery with action set.
func prDelivery(t *testing.T, id, action string) store.Delivery {
	t.Helper()
	body, err := os.ReadFile("testdata/webhooks/pull_request/ready_for_review.with-installation.payload.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	m["action"] = action
	body, err = json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	_, inst, _ := readEnvelope(body)
	return store.Delivery{ID: id, Event: "pull_request", Action: action, InstallationID: inst, Payload: body}
}

// TestPrepareLeavesToJobsWhatNeedsThem: what cannot be decoded, has no
// installation, or is another event gets its job.
func TestPrepareLeavesToJobsWhatNeedsThem(t *testing.T) {
	app := newTestApp(t, githubfake.New(t), time.Now)
	noInstallation := prDelivery(t, "d3", "synchronize")
	noInstallation.InstallationID = 0
	for name, d := range map[string]store.Delivery{
		"undecodable":     {ID: "d2", Event: "pull_request", Action: "opened", InstallationID: 1, Payload: []byte(`{"pull_request": 7}`)},
		"no installation": noInstallation,
		"push":            {ID: "d4", Event: "push", InstallationID: 1, Payload: []byte(`{}`)},
		"review comment":  {ID: "d5", Event: "issue_comment", Action: "created", InstallationID: 1, Payload: []byte(`{}`)},
	} {
		if h := app.Prepare(d); h != nil {
			t.Errorf("%s: handled in the move, want a job", name)
		}
	}
}

// TestHandlingInTheMove: a synchronize is handled in the move: its
// Apply records the payload's pull request and asks for its evaluation in
// the move's transaction, and Done counts a delivery job that succeeded.
// An action that changes nothing is handled too, with no writes.
func TestHandlingInTheMove(t *testing.T) {
	app := newTestApp(t, githubfake.New(t), time.Now)
	ctx := context.Background()
	apply := func(h store.Handling) {
		t.Helper()
		err := app.Store.Batch(ctx, func(w store.Writes) error {
			if err := h.Apply(ctx, w); err != nil {
				return err
			}
			if pr, ok := h.Evaluates(); ok {
				return w.RequestEvaluations(ctx, []store.EvaluationRequest{{PR: pr, Job: h.EvaluationJob}})
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		h.Done()
	}
	evaluations := func() int {
		var n int
		if err := app.Store.DB.QueryRow(`SELECT count(*) FROM river_job WHERE kind = 'evaluate'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	ignored := app.Prepare(prDelivery(t, "i1", "assigned"))
	if ignored == nil {
		t.Fatal("an action that changes nothing was given a job")
	}
	apply(ignored)
	if n := evaluations(); n != 0 {
		t.Errorf("an ignored action asked for %d evaluations, want none", n)
	}

	d := prDelivery(t, "s1", "synchronize")
	h := app.Prepare(d)
	if h == nil {
		t.Fatal("synchronize was given a job, want it handled in the move")
	}
	apply(h)
	if n := evaluations(); n != 1 {
		t.Errorf("%d evaluations asked for, want 1", n)
	}
	var payload prEvent
	if err := json.Unmarshal(d.Payload, &payload); err != nil {
		t.Fatal(err)
	}
	ev := payload.event()
	key := store.PR{RepoID: ev.Repo.GetID(), Number: ev.GetNumber()}
	if _, found, err := app.Store.SnapshotOf(ctx, key); err != nil || !found {
		t.Errorf("the payload's pull request was not recorded: found %v, %v", found, err)
	}

	var out dto.Metric
	if err := app.Metrics.JobDuration.WithLabelValues("delivery:pull_request", "ok").(prometheus.Histogram).Write(&out); err != nil {
		t.Fatal(err)
	}
	if got := out.GetHistogram().GetSampleCount(); got != 2 {
		t.Errorf("%d pull_request deliveries counted as done, want 2", got)
	}
}

// TestReopenedInTheMove: a reopened pull request is handled in the move,
// and its next check run and comment writes look on GitHub first, unless
// the store knows what the app wrote: their records may have been pruned
// while it was closed.
func TestReopenedInTheMove(t *testing.T) {
	app := newTestApp(t, githubfake.New(t), time.Now)
	ctx := context.Background()
	d := prDelivery(t, "r1", "reopened")
	h := app.Prepare(d)
	if h == nil {
		t.Fatal("reopened was given a job, want it handled in the move")
	}
	var payload prEvent
	if err := json.Unmarshal(d.Payload, &payload); err != nil {
		t.Fatal(err)
	}
	ev := payload.event()
	repoID, sha := ev.Repo.GetID(), ev.GetPullRequest().GetHead().GetSHA()
	comment := store.ObjectKey(githubapi.CommentKey(repoID, ev.GetNumber()))
	if err := app.Store.PutObject(ctx, comment, store.Object{ID: 77, Hash: "written"}); err != nil {
		t.Fatal(err)
	}
	if err := app.Store.Batch(ctx, func(w store.Writes) error { return h.Apply(ctx, w) }); err != nil {
		t.Fatal(err)
	}
	run := store.ObjectKey(githubapi.CheckRunKey(repoID, sha))
	if o, _, err := app.Store.GetObject(ctx, run); err != nil || o != (store.Object{Hash: githubapi.Claimed}) {
		t.Errorf("the head's check run: %+v (%v), want a claim", o, err)
	}
	if o, _, err := app.Store.GetObject(ctx, comment); err != nil || o.ID != 77 {
		t.Errorf("the comment the app wrote: %+v (%v), want it kept", o, err)
	}
}

// A handling keeps nothing of its delivery's payload: the move decompresses
// the next payload into the same buffer before the handling is applied
// (store.DeliveryHandler). Scrambled after Prepare, the payload still
// leaves the pull request's snapshot as it said.
func TestHandlingKeepsNothingOfThePayload(t *testing.T) {
	app := newTestApp(t, githubfake.New(t), time.Now)
	ctx := context.Background()
	d := prDelivery(t, "k1", "synchronize")
	var payload prEvent
	if err := json.Unmarshal(d.Payload, &payload); err != nil {
		t.Fatal(err)
	}
	ev := payload.event()
	h := app.Prepare(d)
	if h == nil {
		t.Fatal("synchronize was given a job, want it handled in the move")
	}
	for i := range d.Payload {
		d.Payload[i] = ' '
	}
	if err := app.Store.Batch(ctx, func(w store.Writes) error { return h.Apply(ctx, w) }); err != nil {
		t.Fatal(err)
	}
	snap, found, err := app.Store.SnapshotOf(ctx, store.PR{RepoID: ev.Repo.GetID(), Number: ev.GetNumber()})
	if err != nil || !found {
		t.Fatalf("no snapshot recorded: found %v, %v", found, err)
	}
	var pr struct {
		Head struct{ SHA string } `json:"head"`
	}
	if err := json.Unmarshal(snap.Data, &pr); err != nil {
		t.Fatalf("snapshot %.80q: %v", snap.Data, err)
	}
	if want := ev.GetPullRequest().GetHead().GetSHA(); pr.Head.SHA != want {
		t.Errorf("snapshot's head %q, want %q", pr.Head.SHA, want)
	}
}
