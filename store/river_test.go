package store

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// jobDeadline bounds every wait for a job; it is a failure limit, not timing.
const jobDeadline = 30 * time.Second

// crashChildEnv names the database a child test process works a job in until
// it is killed; see TestJobRescuedAfterCrash.
const crashChildEnv = "STORE_TEST_CRASH_CHILD_URL"

func TestMain(m *testing.M) {
	if url := os.Getenv(crashChildEnv); url != "" {
		os.Exit(runCrashChild(url))
	}
	os.Exit(m.Run())
}

// deliveryWorker runs fn for each DeliveryArgs job.
type deliveryWorker struct {
	river.WorkerDefaults[DeliveryArgs]
	fn func(ctx context.Context, job *river.Job[DeliveryArgs]) error
}

func (w *deliveryWorker) Work(ctx context.Context, job *river.Job[DeliveryArgs]) error {
	return w.fn(ctx, job)
}

func deliveryWorkers(fn func(ctx context.Context, job *river.Job[DeliveryArgs]) error) *river.Workers {
	workers := river.NewWorkers()
	river.AddWorker(workers, &deliveryWorker{fn: fn})
	return workers
}

// retryNow schedules every retry immediately so tests need not wait out
// River's backoff.
type retryNow struct{}

func (retryNow) NextRetry(*rivertype.JobRow) time.Time { return time.Now().Add(time.Millisecond) }

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// receive waits for a value from ch, failing the test after jobDeadline.
func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(jobDeadline):
		t.Fatalf("timed out after %v waiting for %s", jobDeadline, what)
		panic("unreachable")
	}
}

func TestDeliveryJobIsWorked(t *testing.T) {
	t.Parallel()
	forEachEngineURL(t, func(t *testing.T, url string) {
		ctx := context.Background()
		var s *Store
		payloads := make(chan string, 1)
		workers := deliveryWorkers(func(ctx context.Context, job *river.Job[DeliveryArgs]) error {
			// A worker reads the delivery through the store; on SQLite this
			// also proves the single connection is free while jobs run.
			d, err := s.Delivery(ctx, job.Args.DeliveryID)
			if err != nil {
				return err
			}
			payloads <- job.Args.Event + " " + string(d.Payload)
			return nil
		})
		s = openStore(t, url, Options{Workers: workers, Logger: testLogger(t)})
		mustDo(t, s.Start(ctx))

		if _, err := s.EnqueueDelivery(ctx, Delivery{ID: "job-1", Event: "pull_request", Payload: []byte(`{"n":1}`)}); err != nil {
			t.Fatal(err)
		}
		if got := receive(t, payloads, "the delivery job"); got != `pull_request {"n":1}` {
			t.Errorf("worker saw %q", got)
		}
		mustDo(t, s.Stop(ctx))
		mustDo(t, s.Stop(ctx)) // twice is fine
		if depth, err := s.QueueDepth(ctx); err != nil || depth != 0 {
			t.Errorf("QueueDepth after the job ran = %d, %v; want 0", depth, err)
		}
	})
}

func TestFailedJobIsRetried(t *testing.T) {
	t.Parallel()
	forEachEngineURL(t, func(t *testing.T, url string) {
		ctx := context.Background()
		succeeded := make(chan *river.Job[DeliveryArgs], 1)
		workers := deliveryWorkers(func(ctx context.Context, job *river.Job[DeliveryArgs]) error {
			if job.Attempt == 1 {
				return errors.New("github is down")
			}
			succeeded <- job
			return nil
		})
		s := openStore(t, url, Options{Workers: workers, RetryPolicy: retryNow{}, Logger: testLogger(t)})
		mustDo(t, s.Start(ctx))
		if _, err := s.EnqueueDelivery(ctx, Delivery{ID: "flaky", Event: "push"}); err != nil {
			t.Fatal(err)
		}

		job := receive(t, succeeded, "the retried job")
		if job.Attempt != 2 {
			t.Errorf("job succeeded on attempt %d, want 2", job.Attempt)
		}
		if len(job.Errors) != 1 || job.Errors[0].Error != "github is down" {
			t.Errorf("job errors = %+v, want the first attempt's error", job.Errors)
		}
	})
}

// TestJobRescuedAfterCrash kills a process while its worker runs a job, then
// checks that a new process runs the job again. The crashed job stays
// "running" in the database until the leader's rescuer gives up on it.
func TestJobRescuedAfterCrash(t *testing.T) {
	t.Parallel()
	forEachEngineURL(t, func(t *testing.T, url string) {
		ctx := context.Background()
		crashChild(t, url)

		s := openStore(t, url, Options{})
		var state string
		if err := s.DB.QueryRow(`SELECT state FROM river_job WHERE kind = 'delivery'`).Scan(&state); err != nil {
			t.Fatal(err)
		}
		if state != "running" {
			t.Fatalf("after the crash the job is %q, want running", state)
		}
		// The dead process was River's leader, and only a leader rescues
		// jobs. Its lease would expire on its own in about 15 s; expire it now.
		if _, err := s.DB.Exec(`DELETE FROM river_leader`); err != nil {
			t.Fatal(err)
		}
		s.Close()

		rescued := make(chan *river.Job[DeliveryArgs], 1)
		workers := deliveryWorkers(func(ctx context.Context, job *river.Job[DeliveryArgs]) error {
			rescued <- job
			return nil
		})
		s = openStore(t, url, Options{
			Workers:     workers,
			RetryPolicy: retryNow{},
			Logger:      testLogger(t),
			// Any job running longer than this is stuck. Short because the
			// crashed attempt started moments ago; JobTimeout may not exceed it.
			RescueStuckJobsAfter: time.Millisecond,
			JobTimeout:           time.Millisecond,
		})
		mustDo(t, s.Start(ctx))

		job := receive(t, rescued, "the rescued job")
		if job.Args.DeliveryID != "crash" || job.Attempt != 2 {
			t.Errorf("rescued job = %+v attempt %d, want delivery crash on attempt 2", job.Args, job.Attempt)
		}
		if len(job.Errors) != 1 || !strings.Contains(job.Errors[0].Error, "Stuck job rescued") {
			t.Errorf("rescued job errors = %+v, want the rescuer's note", job.Errors)
		}
	})
}

// crashChild runs this test binary as a child process that enqueues a
// delivery, starts working it, and is killed while the worker runs.
func crashChild(t *testing.T, url string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+url)
	cmd.Stderr = t.Output()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	working := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if sc.Text() == "working" {
				working <- nil
				return
			}
		}
		working <- fmt.Errorf("child exited before working the job (scan error: %v)", sc.Err())
	}()
	if err := receive(t, working, "the child to work its job"); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait() // "signal: killed", as intended
}

// runCrashChild is the child side of crashChild. It never returns normally:
// its worker blocks until the parent kills the process.
func runCrashChild(url string) int {
	ctx := context.Background()
	workers := deliveryWorkers(func(ctx context.Context, job *river.Job[DeliveryArgs]) error {
		fmt.Println("working")
		select {} // "crash" mid-job: the parent kills us here
	})
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s, err := Open(ctx, url, Options{Workers: workers, MaxWorkers: 2, Logger: logger})
	if err == nil {
		err = s.Start(ctx)
	}
	if err == nil {
		_, err = s.EnqueueDelivery(ctx, Delivery{ID: "crash", Event: "push"})
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "crash child:", err)
		return 1
	}
	select {}
}

// River's GIN indexes on args and metadata (PostgreSQL, migration 0022) and
// its index on kind (both engines, 0023) are dropped, its other indexes and
// the fair queue's stay, and the reindexer is not told to look for the
// dropped ones.
func TestRiverJobWithoutUnreadIndexes(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		q := `SELECT indexname FROM pg_indexes WHERE tablename = 'river_job' AND schemaname = current_schema()`
		if s.Dialect != DialectPostgres {
			q = `SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'river_job'`
		}
		rows, err := s.DB.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		have := map[string]bool{}
		for rows.Next() {
			var n string
			mustDo(t, rows.Scan(&n))
			have[n] = true
		}
		mustDo(t, rows.Err())
		for _, n := range droppedRiverIndexes {
			if have[n] {
				t.Errorf("index %s still exists", n)
			}
		}
		for _, n := range []string{"river_job_prioritized_fetching_index", "river_job_state_and_finalized_at_index", "river_job_unique_idx", "river_job_installation_waiting"} {
			if !have[n] {
				t.Errorf("index %s is missing; have %v", n, have)
			}
		}
		re := reindexed()
		for _, n := range droppedRiverIndexes {
			if slices.Contains(re, n) {
				t.Errorf("the reindexer still rebuilds %s", n)
			}
		}
		if len(re) != len(river.ReindexerIndexNamesDefault())-len(droppedRiverIndexes) {
			t.Errorf("reindexed %v: want River's default less the %d dropped", re, len(droppedRiverIndexes))
		}
	})
}
