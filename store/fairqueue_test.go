package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
)

// fairArgs is a job of one installation, like the handlers' evaluation jobs.
type fairArgs struct {
	Inst int64 `json:"inst"`
	N    int   `json:"n"`
}

func (fairArgs) Kind() string            { return "fair_test" }
func (a fairArgs) InstallationID() int64 { return a.Inst }

type fairWorker struct {
	river.WorkerDefaults[fairArgs]
	fn func(ctx context.Context, job *river.Job[fairArgs]) error
}

func (w *fairWorker) Work(ctx context.Context, job *river.Job[fairArgs]) error { return w.fn(ctx, job) }

// started is a job as a worker saw it begin.
type started struct {
	name     string // "A17": installation A's 17th job
	priority int
	at       time.Time
	created  time.Time
}

// recorder collects the jobs workers start, in the order they start.
type recorder struct {
	mu    sync.Mutex
	order []started
	want  int
	done  chan struct{}
	delay time.Duration // how long each job "works"
}

func newRecorder(want int, delay time.Duration) *recorder {
	return &recorder{want: want, done: make(chan struct{}), delay: delay}
}

func (r *recorder) start(name string, priority int, created time.Time) {
	r.mu.Lock()
	r.order = append(r.order, started{name: name, priority: priority, at: time.Now(), created: created})
	if len(r.order) == r.want {
		close(r.done)
	}
	r.mu.Unlock()
	time.Sleep(r.delay)
}

// workers returns River workers that record both the delivery jobs and the
// fairArgs jobs. A delivery's ID is its name.
func (r *recorder) workers() *river.Workers {
	w := river.NewWorkers()
	river.AddWorker(w, &deliveryWorker{fn: func(ctx context.Context, job *river.Job[DeliveryArgs]) error {
		r.start(job.Args.DeliveryID, job.Priority, job.CreatedAt)
		return nil
	}})
	river.AddWorker(w, &fairWorker{fn: func(ctx context.Context, job *river.Job[fairArgs]) error {
		r.start(fmt.Sprintf("%c%d", 'A'+rune(job.Args.Inst-1), job.Args.N), job.Priority, job.CreatedAt)
		return nil
	}})
	return w
}

func (r *recorder) wait(t *testing.T) []started {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(2 * jobDeadline):
		r.mu.Lock()
		defer r.mu.Unlock()
		t.Fatalf("only %d of %d jobs ran", len(r.order), r.want)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.order)
}

// enqueueAs enqueues installation inst's n-th job, either as a webhook
// delivery or as a job through Store.Enqueue.
type enqueueAs func(ctx context.Context, s *Store, inst int64, n int) error

var enqueueModes = map[string]enqueueAs{
	"deliveries": func(ctx context.Context, s *Store, inst int64, n int) error {
		id := fmt.Sprintf("%c%d", 'A'+rune(inst-1), n)
		_, err := s.EnqueueDelivery(ctx, Delivery{ID: id, Event: "pull_request", InstallationID: inst})
		return err
	},
	"jobs": func(ctx context.Context, s *Store, inst int64, n int) error {
		return s.Enqueue(ctx, fairArgs{Inst: inst, N: n}, nil)
	},
}

// burst is the size of installation A's burst in the fairness tests.
const burst = 300

// TestFairQueueOrder queues installation A's burst, then B's single job,
// and works them one at a time, River fetching one at a time too (the
// order among jobs fetched together is slots_test.go's): B runs fifth,
// right after A's first four, and A's jobs run in the order they came.
func TestFairQueueOrder(t *testing.T) {
	t.Parallel()
	for mode, enqueue := range enqueueModes {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			forEachEngineURL(t, func(t *testing.T, url string) {
				ctx := context.Background()
				rec := newRecorder(burst+1, 0)
				s := openStore(t, url, Options{Workers: rec.workers(), MaxWorkers: 1, fetchAhead: 1, Logger: testLogger(t)})
				for n := 1; n <= burst; n++ {
					mustDo(t, enqueue(ctx, s, 1, n))
				}
				mustDo(t, enqueue(ctx, s, 2, 1))
				mustDo(t, moveIntake(ctx, s)) // every job in River before it starts
				mustDo(t, s.Start(ctx))
				got := rec.wait(t)

				want := []string{"A1", "A2", "A3", "A4", "B1"}
				for n := 5; n <= burst; n++ {
					want = append(want, fmt.Sprintf("A%d", n))
				}
				names := make([]string, len(got))
				for i, j := range got {
					names[i] = j.name
				}
				if !slices.Equal(names, want) {
					t.Errorf("jobs ran in order\n%v\nwant\n%v", names, want)
				}
				checkPriorities(t, got)
			})
		})
	}
}

// checkPriorities checks the levels of fairqueue.go: A's 1st-4th jobs at
// priority 1, 5th-32nd at 2, 33rd-256th at 3, the rest at 4; B's at 1.
func checkPriorities(t *testing.T, jobs []started) {
	t.Helper()
	for _, j := range jobs {
		var inst rune
		var n int
		if _, err := fmt.Sscanf(j.name, "%c%d", &inst, &n); err != nil {
			t.Fatalf("job name %q: %v", j.name, err)
		}
		want := 1
		switch {
		case inst == 'B' || n <= 4:
		case n <= 32:
			want = 2
		case n <= 256:
			want = 3
		default:
			want = 4
		}
		if j.priority != want {
			t.Errorf("job %s has priority %d, want %d", j.name, j.priority, want)
		}
	}
}

// fairWorkers is the concurrency of TestFairQueueBurstWhileWorking.
const fairWorkers = 4

// fairBound is the most jobs that may start between B's job entering the
// queue and B's job starting, per process: A's jobs still waiting at
// priority 1 (at most 4), jobs that start before River fetches B's (fewer
// than the fetchAhead × MaxWorkers it holds), and those given a slot as
// they arrived (fewer than MaxWorkers). See docs/queue.md.
const fairBound = 4 + (fetchAhead+1)*fairWorkers

// TestFairQueueBurstWhileWorking sends installation A's burst, concurrently
// and (deliveries) twice each as GitHub does, to a store already working,
// then B's single job: B's job
// starts within fairBound jobs of entering the queue, while most of A's
// burst still waits. First in, first out, B would wait for all of them.
func TestFairQueueBurstWhileWorking(t *testing.T) {
	t.Parallel()
	for mode, enqueue := range enqueueModes {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			forEachEngineURL(t, func(t *testing.T, url string) {
				ctx := context.Background()
				// 100 ms a job keeps most of the burst waiting even when sending it is
				// slow (a loaded machine; on SQLite River's fetches of many jobs at
				// once share the one connection with the sends), so the test
				// measures a burst.
				rec := newRecorder(burst+1, 100*time.Millisecond)
				s := openStore(t, url, Options{Workers: rec.workers(), MaxWorkers: fairWorkers, Logger: testLogger(t)})
				mustDo(t, s.Start(ctx))
				// GitHub redelivers: each delivery of the burst comes twice.
				copies := 1
				if mode == "deliveries" {
					copies = 2
				}
				sendConcurrently(t, copies*burst, 8, func(i int) error { return enqueue(ctx, s, 1, (i-1)%burst+1) })
				mustDo(t, enqueue(ctx, s, 2, 1))
				got := rec.wait(t)
				var jobs int
				mustDo(t, s.DB.QueryRow(`SELECT COUNT(*) FROM river_job WHERE kind IN ('delivery', 'fair_test')`).Scan(&jobs))
				if jobs != burst+1 {
					t.Errorf("%d jobs queued, want %d: one per delivery", jobs, burst+1)
				}

				b := slices.IndexFunc(got, func(j started) bool { return j.name == "B1" })
				// Jobs that started after B's job was created (its row's
				// created_at, a millisecond clock on SQLite), before it started.
				queued := got[b].created.Add(-time.Millisecond)
				ahead := 0
				for _, j := range got[:b] {
					if j.at.After(queued) {
						ahead++
					}
				}
				if ahead > fairBound {
					t.Errorf("%d jobs started between B's job entering the queue and starting; want at most %d", ahead, fairBound)
				}
				t.Logf("%d jobs started between B's entering the queue and starting; %d of A's after", ahead, len(got)-1-b)
				if left := len(got) - 1 - b; left < burst/3 {
					t.Errorf("only %d of A's jobs were still waiting when B's started; the test no longer measures a burst", left)
				}
			})
		})
	}
}

// sendConcurrently calls send(1..n) from `parallel` goroutines.
func sendConcurrently(t *testing.T, n, parallel int, send func(n int) error) {
	t.Helper()
	next := make(chan int)
	errs := make(chan error, parallel)
	for range parallel {
		go func() {
			var err error
			for i := range next {
				if err == nil {
					err = send(i)
				}
			}
			errs <- err
		}()
	}
	for i := 1; i <= n; i++ {
		next <- i
	}
	close(next)
	for range parallel {
		mustDo(t, <-errs)
	}
}

// TestFairQueueKeepsOrderAsBurstDrains lets installation A's burst drain to
// three jobs, still at priority 3, then queues A's next job: it has few jobs
// ahead of it, but still runs after them, not ahead at priority 1.
func TestFairQueueKeepsOrderAsBurstDrains(t *testing.T) {
	t.Parallel()
	for mode, enqueue := range enqueueModes {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			forEachEngineURL(t, func(t *testing.T, url string) {
				ctx := context.Background()
				rec := newRecorder(4, 0)
				s := openStore(t, url, Options{Workers: rec.workers(), MaxWorkers: 1, fetchAhead: 1, Logger: testLogger(t)})
				moved := func() { mustDo(t, moveIntake(ctx, s)) }
				for n := 1; n <= 40; n++ {
					mustDo(t, enqueue(ctx, s, 1, n))
				}
				moved()
				// As if the first 37 had run: delete them.
				const drain = `DELETE FROM river_job WHERE id NOT IN (SELECT id FROM river_job ORDER BY id DESC LIMIT 3)`
				if _, err := s.DB.ExecContext(ctx, drain); err != nil {
					t.Fatal(err)
				}
				mustDo(t, enqueue(ctx, s, 1, 41))
				moved()
				mustDo(t, s.Start(ctx))
				got := rec.wait(t)
				var names []string
				for _, j := range got {
					names = append(names, fmt.Sprintf("%s/p%d", j.name, j.priority))
				}
				if want := []string{"A38/p3", "A39/p3", "A40/p3", "A41/p3"}; !slices.Equal(names, want) {
					t.Errorf("jobs ran as %v, want %v", names, want)
				}
			})
		})
	}
}

func TestBacklogNext(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		b    backlog
		want int
	}{
		{backlog{}, 1},
		{backlog{waiting: 3, maxPriority: 1}, 1},
		{backlog{waiting: 4, maxPriority: 1}, 2},
		{backlog{waiting: 31, maxPriority: 2}, 2},
		{backlog{waiting: 32, maxPriority: 2}, 3},
		{backlog{waiting: 255, maxPriority: 3}, 3},
		{backlog{waiting: 256, maxPriority: 3}, 4},
		{backlog{waiting: 100000, maxPriority: 4}, 4},
		{backlog{waiting: 1, maxPriority: 4}, 4}, // never ahead of its own
	} {
		b := tc.b
		if got := b.next(); got != tc.want || b.waiting != tc.b.waiting+1 || b.maxPriority != tc.want {
			t.Errorf("%+v.next() = %d, leaving %+v; want %d", tc.b, got, b, tc.want)
		}
	}
}

// TestWaitingCountUsesIndex checks that counting an installation's waiting
// jobs reads river_job_installation_waiting, not the whole queue.
func TestWaitingCountUsesIndex(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		var plan []string
		q := `EXPLAIN QUERY PLAN ` + s.backlogQuery()
		wantLine := "river_job_installation_waiting (<expr>=?)"
		if s.Dialect == DialectPostgres {
			q = `EXPLAIN ` + s.backlogQuery()
			wantLine = "Index Cond: ((metadata ->> 'installation'::text) = j.value)"
			// Enough jobs, of many installations, for the planner to care.
			const fill = `INSERT INTO river_job (args, kind, max_attempts, metadata, priority, state, finalized_at)
SELECT '{}', 'fill', 1, jsonb_build_object('installation', (i % 500)::text), 1,
    CASE WHEN i % 10 = 0 THEN 'available' ELSE 'completed' END::river_job_state,
    CASE WHEN i % 10 = 0 THEN NULL ELSE now() END
FROM generate_series(1, 20000) i`
			if _, err := s.DB.Exec(fill); err != nil {
				t.Fatal(err)
			}
			if _, err := s.DB.Exec(`ANALYZE river_job`); err != nil {
				t.Fatal(err)
			}
		}
		rows, err := s.DB.Query(q, `["1", "2"]`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			mustDo(t, rows.Scan(ptrs...))
			plan = append(plan, fmt.Sprint(vals...))
		}
		if !slices.ContainsFunc(plan, func(l string) bool { return strings.Contains(l, wantLine) }) {
			t.Errorf("the waiting count does not use its index; plan:\n%s", strings.Join(plan, "\n"))
		}
	})
}
