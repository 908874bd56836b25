package handlers

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/reviewpolicy/reviewpolicy/store"
)

// observe records n acknowledgements, slow of them over the goal.
func observe(g *JobGate, n, slow int) {
	for i := range n {
		d := g.goal / 2
		if i < slow {
			d = g.goal + time.Microsecond
		}
		g.ObserveAck(d)
	}
}

func TestJobGateAdjusts(t *testing.T) {
	t.Parallel()
	g := NewJobGate(10, 2*time.Millisecond)
	if got := g.Limit(); got != 1 {
		t.Fatalf("a new gate lets %d jobs run, want 1 (slow start)", got)
	}
	steps := []struct {
		acks, slow int
		want       int
	}{
		{0, 0, 10},     // no webhooks: all workers at once
		{100, 2, 5},    // more than 1% slow: halve
		{50, 1, 2},     // 2% of 50
		{10, 10, 1},    // never below 1
		{10, 10, 1},    //
		{500, 0, 2},    // fast: one more per look
		{100, 1, 3},    // 1% slow is within the goal
		{200, 2, 4},    //
		{1, 0, 5},      //
		{1, 0, 6},      //
		{1, 0, 7},      //
		{1, 0, 8},      //
		{1, 0, 9},      //
		{1, 0, 10},     //
		{1, 0, 10},     // never above the worker count
		{1000, 11, 5},  // 1.1%
		{1000, 10, 6},  // 1.0%
		{3, 1, 3},      // one slow in a quiet spell counts
		{100000, 0, 4}, //
		{0, 0, 10},     // quiet again
	}
	for i, s := range steps {
		observe(g, s.acks, s.slow)
		g.adjust()
		if got := g.Limit(); got != s.want {
			t.Fatalf("step %d (%d acks, %d slow): limit %d, want %d", i, s.acks, s.slow, got, s.want)
		}
	}
}

// A look with no acknowledgement answered but one still in progress is not
// quiet: the bound climbs by one, not to the worker count.
func TestJobGateAckInProgressIsNotQuiet(t *testing.T) {
	t.Parallel()
	g := NewJobGate(10, 2*time.Millisecond)
	done := g.AckBegun()
	g.adjust()
	if got := g.Limit(); got != 2 {
		t.Fatalf("limit %d with an acknowledgement in progress, want 2", got)
	}
	done()
	g.adjust()
	if got := g.Limit(); got != 10 {
		t.Fatalf("limit %d once it was answered and none came, want 10", got)
	}
}

// openFully raises g's bound to its worker count, as quiet looks do.
func openFully(g *JobGate) {
	for g.Limit() < g.max {
		g.adjust()
	}
}

// enterLater enters g in a goroutine and sends the release once in.
func enterLater(t *testing.T, g *JobGate) <-chan func() {
	entered := make(chan func(), 1)
	go func() {
		release, err := g.Enter(context.Background())
		if err != nil {
			t.Error(err)
			release = func() {}
		}
		entered <- release
	}()
	return entered
}

func TestJobGateBoundsRunningJobs(t *testing.T) {
	t.Parallel()
	g := NewJobGate(3, time.Millisecond)
	openFully(g)
	ctx := context.Background()
	var releases []func()
	for range 3 {
		release, err := g.Enter(ctx)
		if err != nil {
			t.Fatal(err)
		}
		releases = append(releases, release)
	}
	// Full: a fourth job waits, here until its context ends.
	done, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := g.Enter(done); !errors.Is(err, context.Canceled) {
		t.Fatalf("Enter on a full gate = %v, want it to wait until cancelled", err)
	}
	// A job waiting when another ends gets its slot.
	entered := enterLater(t, g)
	releases[0]()
	releases[0] = <-entered

	// Slow acknowledgements lower the bound; running jobs finish, and no
	// new one starts until fewer than the bound run.
	observe(g, 10, 10)
	g.adjust()
	if got := g.Limit(); got != 1 {
		t.Fatalf("limit %d, want 1", got)
	}
	releases[0]()
	if _, err := g.Enter(done); !errors.Is(err, context.Canceled) {
		t.Fatalf("Enter with 2 running and a bound of 1 = %v, want it to wait", err)
	}
	// A waiting job starts once fewer than the bound run.
	entered = enterLater(t, g)
	releases[1]()
	releases[2]()
	(<-entered)()
}

func TestJobGateRaisingTheBoundWakesWaiters(t *testing.T) {
	t.Parallel()
	g := NewJobGate(2, time.Millisecond) // bound 1: the slow start
	ctx := context.Background()
	release, err := g.Enter(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	entered := make(chan error)
	go func() {
		r, err := g.Enter(ctx)
		if err == nil {
			defer r()
		}
		entered <- err
	}()
	g.adjust() // no slow acknowledgements: bound 2, with one job still running
	if err := <-entered; err != nil {
		t.Fatal(err)
	}
}

// Under concurrent use (run with -race) the bound is never exceeded.
func TestJobGateConcurrent(t *testing.T) {
	t.Parallel()
	const workers = 8
	g := NewJobGate(workers, time.Millisecond)
	var running, peak, overLimit atomic.Int64
	ctx := context.Background()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			observe(g, 10, i%3) // slow every third look, fast otherwise
			g.adjust()
		}
	})
	var jobs sync.WaitGroup
	for range 4 * workers {
		jobs.Go(func() {
			for range 200 {
				release, err := g.Enter(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				n := running.Add(1)
				if n > workers {
					overLimit.Add(1)
				}
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				running.Add(-1)
				release()
			}
		})
	}
	jobs.Wait()
	close(stop)
	wg.Wait()
	if overLimit.Load() != 0 || peak.Load() < 1 {
		t.Errorf("peak %d running, %d times over %d workers", peak.Load(), overLimit.Load(), workers)
	}
}

func TestJobGateNilIsOpen(t *testing.T) {
	t.Parallel()
	var g *JobGate
	g.ObserveAck(time.Second)
	release, err := g.Enter(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	release()
}

func TestWebhookTellsTheGate(t *testing.T) {
	t.Parallel()
	h := newTestWebhook(&fakeQueue{})
	h.Gate = NewJobGate(4, time.Hour)
	for i := range 3 {
		r := signedRequest("pull_request", "d"+string(rune('0'+i)), prPayloadN(i))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusAccepted {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/", strings.NewReader("{}")))
	if got := h.Gate.acks.Load(); got != 4 {
		t.Errorf("gate saw %d acknowledgements, want 4 (every answer counts)", got)
	}
	h.Gate.goal = 0 // every acknowledgement is now slow
	h.ServeHTTP(httptest.NewRecorder(), signedRequest("pull_request", "d9", prPayload))
	if got := h.Gate.slow.Load(); got != 1 {
		t.Errorf("gate saw %d slow acknowledgements, want 1", got)
	}
	// While a webhook is being read, the gate knows one is in progress.
	r := signedRequest("pull_request", "d10", prPayload)
	var during int64 = -1
	body := strings.NewReader(prPayload)
	r.Body = io.NopCloser(readFunc(func(p []byte) (int, error) {
		if during < 0 {
			during = h.Gate.inFlight.Load()
		}
		return body.Read(p)
	}))
	h.ServeHTTP(httptest.NewRecorder(), r)
	if after := h.Gate.inFlight.Load(); during != 1 || after != 0 {
		t.Errorf("acknowledgements in progress: %d while reading, %d after; want 1 and 0", during, after)
	}
}

type readFunc func(p []byte) (int, error)

func (f readFunc) Read(p []byte) (int, error) { return f(p) }

func TestJobGateRunReportsTheBound(t *testing.T) {
	t.Parallel()
	g := NewJobGate(4, time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	reports := make(chan int, 16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		g.Run(ctx, time.Millisecond, func(n int) { reports <- n })
	}()
	// The slow start, reported at once, then all workers: no webhooks.
	for _, want := range []int{1, 4} {
		if n := <-reports; n != want {
			t.Fatalf("report %d, want %d", n, want)
		}
	}
	// One slow acknowledgement, so that it halves the bound once, whichever
	// look sees it.
	observe(g, 1, 1)
	if n := <-reports; n != 2 {
		t.Fatalf("after slow acknowledgements the report is %d, want 2", n)
	}
	// Quiet again: the bound goes back, and the change is reported.
	if n := <-reports; n != 4 {
		t.Fatalf("next report %d, want 4", n)
	}
	cancel()
	<-done
	select {
	case n := <-reports:
		t.Errorf("reported %d after reaching the worker count; only changes are reported", n)
	default:
	}
}

// TestGateMiddlewareHoldsDeliveriesAndEvaluations: with the gate full (its
// one place, and evaluationFloor places in all), delivery and evaluation
// jobs wait (evaluations are asked for by the move, with no delivery job
// before them, and ran beside the acknowledgements: issue 18's ack p99 on
// PostgreSQL rose 4x); every other job runs. Below the floor an evaluation
// starts however low the bound, a delivery job does not.
func TestGateMiddlewareHoldsDeliveriesAndEvaluations(t *testing.T) {
	t.Parallel()
	g := NewJobGate(10, time.Millisecond) // bound 1
	m := g.Middleware().(*gateMiddleware)
	hold := make(chan struct{})
	defer close(hold)
	run := func(kind string) {
		t.Helper()
		started := make(chan struct{})
		go func() {
			_ = m.Work(context.Background(), &rivertype.JobRow{Kind: kind}, func(context.Context) error {
				close(started)
				<-hold
				return nil
			})
		}()
		select {
		case <-started:
		case <-time.After(5 * time.Second):
			t.Fatalf("%s did not start", kind)
		}
	}
	tryNow := func(kind string) (ran bool, err error) {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		err = m.Work(ctx, &rivertype.JobRow{Kind: kind}, func(context.Context) error { ran = true; return nil })
		return ran, err
	}
	delivery, evaluation := (store.DeliveryArgs{}).Kind(), (evaluateArgs{}).Kind()
	run(delivery) // the bound's one place
	if ran, err := tryNow(delivery); ran || err == nil {
		t.Errorf("a second delivery job with a bound of 1: ran %v (%v), want it held", ran, err)
	}
	for range evaluationFloor - 1 {
		run(evaluation) // below the floor: starts
	}
	for kind, held := range map[string]bool{delivery: true, evaluation: true, (slaTimerArgs{}).Kind(): false} {
		if ran, err := tryNow(kind); ran == held || (err != nil) != held {
			t.Errorf("%s with %d jobs running: ran %v (%v), want held %v", kind, evaluationFloor, ran, err, held)
		}
	}
}

// TestGateLetsJobsInInRiversOrder: jobs waiting at the gate start in
// River's order (priority, then time, then ID), not as they came: a job of
// another installation, ahead in the fair queue, does not wait behind the
// burst River handed the process before it.
func TestGateLetsJobsInInRiversOrder(t *testing.T) {
	t.Parallel()
	g := NewJobGate(4, time.Millisecond) // bound 1
	release, err := g.Enter(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	at := time.Unix(1000, 0)
	jobs := []*rivertype.JobRow{
		{ID: 1, Priority: 4, ScheduledAt: at},
		{ID: 2, Priority: 4, ScheduledAt: at},
		{ID: 9, Priority: 4, ScheduledAt: at.Add(-time.Second)},
		{ID: 7, Priority: 1, ScheduledAt: at.Add(time.Hour)},
	}
	order := make(chan int64, len(jobs))
	var wg sync.WaitGroup
	for i, job := range jobs {
		wg.Go(func() {
			release, _, err := g.enter(context.Background(), job)
			if err != nil {
				t.Error(err)
				return
			}
			order <- job.ID
			release()
		})
		waitUntilWaiting(t, g, i+1)
	}
	release()
	wg.Wait()
	close(order)
	var got []int64
	for id := range order {
		got = append(got, id)
	}
	if want := []int64{7, 9, 1, 2}; !slices.Equal(got, want) {
		t.Errorf("let in %v, want %v", got, want)
	}
}

func waitUntilWaiting(t *testing.T, g *JobGate, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		g.mu.Lock()
		waiting := g.waiting.Len()
		g.mu.Unlock()
		if waiting == n {
			return
		}
	}
	t.Fatalf("%d jobs never waited at the gate", n)
}
