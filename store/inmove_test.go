package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
)

// moveHandler handles deliveries of event "handled" in the move and
// declines every other; Apply fails for event "failing".
type moveHandler struct {
	mu       sync.Mutex
	done     map[string]int // handlings committed, by delivery ID
	prepared map[string]int
	payloads map[string]string
}

func newMoveHandler() *moveHandler {
	return &moveHandler{done: map[string]int{}, prepared: map[string]int{}, payloads: map[string]string{}}
}

func (h *moveHandler) Parallel() int { return 2 }

func (h *moveHandler) Takes(event string) bool { return event == "handled" || event == "failing" }

func (h *moveHandler) Prepare(d Delivery) Handling {
	h.mu.Lock()
	h.payloads[d.ID] = string(d.Payload)
	h.prepared[d.ID]++
	h.mu.Unlock()
	return &moveHandling{h: h, d: d}
}

func (h *moveHandler) doneCount(id string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.done[id]
}

type moveHandling struct {
	h *moveHandler
	d Delivery
}

var errHandling = errors.New("this delivery's handling fails")

// Apply records the delivery as an object, so a commit shows in the store.
func (m *moveHandling) Apply(ctx context.Context, w Writes) error {
	if m.d.Event == "failing" {
		return errHandling
	}
	return w.PutObjectIfNone(ctx, ObjectKey{RepoID: 1, Kind: "applied:" + m.d.ID}, Object{ID: 1})
}

func (m *moveHandling) Evaluates() (PR, bool) { return PR{}, false }

func (m *moveHandling) EvaluationJob(int64) river.JobArgs { return nil } // Evaluates says none

func (m *moveHandling) Done() {
	m.h.mu.Lock()
	m.h.done[m.d.ID]++
	m.h.mu.Unlock()
}

// jobRuns counts delivery jobs run, by delivery ID.
type jobRuns struct {
	mu   sync.Mutex
	runs map[string]int
}

func (r *jobRuns) count(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.runs[id]
}

// openHandlingStore opens a store at url whose workers run delivery jobs
// into runs and whose moves use h, and starts it.
func openHandlingStore(t *testing.T, url string, h DeliveryHandler, runs *jobRuns) *Store {
	t.Helper()
	workers := river.NewWorkers()
	river.AddWorker(workers, &deliveryWorker{fn: func(ctx context.Context, job *river.Job[DeliveryArgs]) error {
		runs.mu.Lock()
		runs.runs[job.Args.DeliveryID]++
		runs.mu.Unlock()
		return nil
	}})
	s := openStore(t, url, Options{Workers: workers, Deliveries: h})
	mustDo(t, s.Start(context.Background()))
	return s
}

// appliedObjects lists the objects Apply wrote, by delivery ID.
func appliedObjects(t *testing.T, s *Store) map[string]int {
	t.Helper()
	rows, err := s.DB.QueryContext(context.Background(), `SELECT kind FROM github_objects WHERE kind LIKE 'applied:%'`)
	mustDo(t, err)
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var kind string
		mustDo(t, rows.Scan(&kind))
		out[strings.TrimPrefix(kind, "applied:")]++
	}
	mustDo(t, rows.Err())
	return out
}

// TestDeliveriesHandledInTheMove: 60 deliveries, each sent twice at once
// from 8 goroutines as GitHub's redeliveries arrive, half of them of an
// event the handler handles (on PostgreSQL to two processes, whose
// enqueuers both move). Each handled delivery is applied and reported done
// exactly once and has no job, with its payload as sent; each other one
// has exactly one job, which runs once.
func TestDeliveriesHandledInTheMove(t *testing.T) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			url := e.newURL(t)
			h := newMoveHandler()
			runs := &jobRuns{runs: map[string]int{}}
			stores := []*Store{openHandlingStore(t, url, h, runs)}
			if e.name == DialectPostgres {
				stores = append(stores, openHandlingStore(t, url, h, runs))
			}
			ctx := context.Background()
			var wg sync.WaitGroup
			sem := make(chan struct{}, 8)
			for i := range 120 {
				id := fmt.Sprint("d", i/2)
				event := "handled"
				if (i/2)%2 == 1 {
					event = "ignored"
				}
				s := stores[i%len(stores)]
				sem <- struct{}{}
				wg.Go(func() {
					defer func() { <-sem }()
					_, err := s.EnqueueDelivery(ctx, Delivery{ID: id, Event: event, InstallationID: int64(i % 3),
						Payload: []byte(`{"id":"` + id + `"}`)})
					if err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			settled := func() bool {
				for i := range 60 {
					id := fmt.Sprint("d", i)
					if h.doneCount(id)+runs.count(id) == 0 {
						return false
					}
				}
				return true
			}
			waitUntil(t, 20*time.Second, settled)
			time.Sleep(200 * time.Millisecond) // time for a second handling or run to show
			jobs, applied := deliveryJobs(t, stores[0]), appliedObjects(t, stores[0])
			for i := range 60 {
				id := fmt.Sprint("d", i)
				want := [4]int{1, 1, 0, 0} // done, applied, jobs, runs
				if i%2 == 1 {
					want = [4]int{0, 0, 1, 1}
				}
				got := [4]int{h.doneCount(id), applied[id], jobs[id], runs.count(id)}
				if got != want {
					t.Errorf("%s: done %d, applied %d, jobs %d, runs %d; want %v", id, got[0], got[1], got[2], got[3], want)
				}
				if want[0] == 1 && h.payloads[id] != `{"id":"`+id+`"}` {
					t.Errorf("%s: prepared with payload %q", id, h.payloads[id])
				}
			}
		})
	}
}

// TestPruneMovesAlongsideTheMover: a prune moves the inbox first, while
// the mover moves it too; each batch is moved by one of them, so no
// delivery is prepared and recorded twice.
func TestPruneMovesAlongsideTheMover(t *testing.T) {
	t.Parallel()
	h := newMoveHandler()
	runs := &jobRuns{runs: map[string]int{}}
	s := openHandlingStore(t, newSQLiteURL(t), h, runs)
	ctx := context.Background()
	stop := make(chan struct{})
	var pruners sync.WaitGroup
	for range 2 {
		pruners.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := s.PruneDeliveries(ctx, time.Unix(0, 0)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range 300 {
		id := fmt.Sprint("p", i)
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if _, err := s.EnqueueDelivery(ctx, Delivery{ID: id, Event: "handled", InstallationID: 1, Payload: []byte(`{}`)}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	waitUntil(t, 20*time.Second, func() bool {
		for i := range 300 {
			if h.doneCount(fmt.Sprint("p", i)) == 0 {
				return false
			}
		}
		return true
	})
	close(stop)
	pruners.Wait()
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := range 300 {
		id := fmt.Sprint("p", i)
		if h.prepared[id] != 1 || h.done[id] != 1 {
			t.Errorf("%s: prepared %d times, handled %d, want once each", id, h.prepared[id], h.done[id])
		}
	}
}

// TestDeliveryHandlingFailsIntoJobs: a handling that fails rolls back its
// batch's move, which is made again with a job for every delivery: nothing
// is lost and nothing is applied twice.
func TestDeliveryHandlingFailsIntoJobs(t *testing.T) {
	forEachEngineURL(t, func(t *testing.T, url string) {
		testDeliveryHandlingFailsIntoJobs(t, url)
	})
}

func testDeliveryHandlingFailsIntoJobs(t *testing.T, url string) {
	h := newMoveHandler()
	runs := &jobRuns{runs: map[string]int{}}
	s := openHandlingStore(t, url, h, runs)
	ctx := context.Background()
	events := []string{"handled", "failing", "handled", "ignored", "failing", "handled"}
	for i, event := range events {
		_, err := s.EnqueueDelivery(ctx, Delivery{ID: fmt.Sprint("f", i), Event: event, Payload: []byte(`{}`)})
		mustDo(t, err)
	}
	waitUntil(t, 20*time.Second, func() bool {
		for i := range events {
			if id := fmt.Sprint("f", i); h.doneCount(id)+runs.count(id) == 0 {
				return false
			}
		}
		return true
	})
	time.Sleep(200 * time.Millisecond)
	applied := appliedObjects(t, s)
	for i, event := range events {
		id := fmt.Sprint("f", i)
		done, runs := h.doneCount(id), runs.count(id)
		switch {
		case done+runs != 1:
			t.Errorf("%s (%s): handled %d times and run %d times, want once in all", id, event, done, runs)
		case event != "handled" && runs != 1:
			t.Errorf("%s (%s) was not given its job", id, event)
		case applied[id] != done:
			t.Errorf("%s: applied %d times in the store, reported done %d", id, applied[id], done)
		}
	}
}

// TestDeliveriesNotHandledBeforeStart: a store whose workers have not
// started gives every delivery its job, as an insert-only store does.
func TestDeliveriesNotHandledBeforeStart(t *testing.T) {
	t.Parallel()
	h := newMoveHandler()
	workers := river.NewWorkers()
	river.AddWorker(workers, &deliveryWorker{fn: func(context.Context, *river.Job[DeliveryArgs]) error { return nil }})
	s := openStore(t, newSQLiteURL(t), Options{Workers: workers, Deliveries: h})
	ctx := context.Background()
	_, err := s.EnqueueDelivery(ctx, Delivery{ID: "early", Event: "handled", Payload: []byte(`{}`)})
	mustDo(t, err)
	mustDo(t, moveIntake(ctx, s))
	if jobs := deliveryJobs(t, s); jobs["early"] != 1 || h.doneCount("early") != 0 {
		t.Errorf("before Start: %d jobs, handled %d times; want a job and no handling", jobs["early"], h.doneCount("early"))
	}
}

func waitUntil(t *testing.T, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// askHandling asks for pr's evaluation.
type askHandling struct {
	pr PR
	ok bool
}

func (a askHandling) Apply(context.Context, Writes) error { return nil }
func (a askHandling) Evaluates() (PR, bool)               { return a.pr, a.ok }
func (a askHandling) Done()                               {}
func (a askHandling) EvaluationJob(v int64) river.JobArgs {
	return evalArgs{Number: a.pr.Number, Version: v}
}

// TestMoveAsksEachPullRequestOnce: deliveries of one pull request in one
// move ask for its evaluation once, in the order of their first delivery.
func TestMoveAsksEachPullRequestOnce(t *testing.T) {
	var hs []Handling
	for _, n := range []int{1, 2, 1, 3, 2, 0} {
		hs = append(hs, askHandling{pr: PR{RepoID: 9, Number: n}, ok: n != 0})
	}
	var asked []PR
	for _, r := range evaluationRequests(hs) {
		asked = append(asked, r.PR)
		if a := r.Job(5).(evalArgs); a.Number != r.PR.Number || a.Version != 5 {
			t.Errorf("%v: the job %+v is another pull request's", r.PR, a)
		}
	}
	want := []PR{{9, 1}, {9, 2}, {9, 3}}
	if fmt.Sprint(asked) != fmt.Sprint(want) {
		t.Errorf("asked %v, want %v", asked, want)
	}
}
