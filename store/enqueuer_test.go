package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestEnqueuerGivesEachDeliveryOneJob: two processes on one PostgreSQL
// database acknowledge 120 deliveries at once, every ID twice (GitHub's
// redeliveries, one to each), while both enqueuers move: each delivery is
// recorded once and has exactly one job, and nothing is left unqueued.
func TestEnqueuerGivesEachDeliveryOneJob(t *testing.T) {
	t.Parallel()
	url := newPostgresURL(t)
	a, b := openStore(t, url, Options{}), openStore(t, url, Options{})
	ctx := context.Background()
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := map[string]int{}
	for i := range 120 {
		s := a
		if i%2 == 1 {
			s = b
		}
		id := fmt.Sprint("d", i/2)
		wg.Go(func() {
			ok, err := s.EnqueueDelivery(ctx, Delivery{ID: id, Event: "push", InstallationID: int64(i % 3), Payload: []byte(`{}`)})
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if ok {
				wins[id]++
			}
		})
	}
	wg.Wait()
	mustDo(t, moveIntake(ctx, a))
	mustDo(t, moveIntake(ctx, b))
	if len(wins) != 60 {
		t.Errorf("%d deliveries recorded, want 60", len(wins))
	}
	jobs := deliveryJobs(t, a)
	for i := range 60 {
		id := fmt.Sprint("d", i)
		if wins[id] != 1 || jobs[id] != 1 {
			t.Errorf("%s: recorded %d times, %d jobs; want 1 and 1", id, wins[id], jobs[id])
		}
	}
	if n := unqueued(t, a); n != 0 {
		t.Errorf("%d deliveries left without a job", n)
	}
}

// TestEnqueuerMovesWhatADeadProcessLeft: a process acknowledged deliveries
// and died before enqueuing their jobs (here: recorded as the
// acknowledgement does, with no enqueuer told). A process started later
// enqueues them by itself, once each, and QueueDepth counts them all along.
func TestEnqueuerMovesWhatADeadProcessLeft(t *testing.T) {
	t.Parallel()
	url := newPostgresURL(t)
	ctx := context.Background()
	first := openStore(t, url, Options{})
	mustDo(t, first.enqueuer.close()) // dead: nothing moves its rows
	ds := []Delivery{{ID: "x1", Event: "push", InstallationID: 7}, {ID: "x2", Event: "ping"}}
	for i := range ds {
		ds[i].Payload = encodePayload([]byte(`{}`))
		ds[i].ReceivedAt = time.Now()
	}
	if got, err := recordUnqueued(ctx, first.intake, ds); err != nil || !got[0] || !got[1] {
		t.Fatalf("recordUnqueued = %v, %v", got, err)
	}
	if depth, err := first.QueueDepth(ctx); err != nil || depth != 2 {
		t.Errorf("QueueDepth before the move = %d, %v; want 2", depth, err)
	}

	second := openStore(t, url, Options{})
	deadline := time.Now().Add(10 * time.Second) // movePoll is 1 s
	for unqueued(t, second) > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	jobs := deliveryJobs(t, second)
	if jobs["x1"] != 1 || jobs["x2"] != 1 || len(jobs) != 2 {
		t.Errorf("jobs by delivery = %v, want one for each of x1 and x2", jobs)
	}
	if depth, err := second.QueueDepth(ctx); err != nil || depth != 2 {
		t.Errorf("QueueDepth after the move = %d, %v; want 2", depth, err)
	}
}

// TestIntakeCommitsAsynchronously: the intake's connections start with
// synchronous_commit off, so its one statement needs no SET LOCAL round
// trip; the jobs' pool keeps PostgreSQL's default.
func TestIntakeCommitsAsynchronously(t *testing.T) {
	t.Parallel()
	s := openStore(t, newPostgresURL(t), Options{})
	ctx := context.Background()
	var intake, jobs string
	mustDo(t, s.intake.QueryRowContext(ctx, `SHOW synchronous_commit`).Scan(&intake))
	mustDo(t, s.DB.QueryRowContext(ctx, `SHOW synchronous_commit`).Scan(&jobs))
	if intake != "off" || jobs != "on" {
		t.Errorf("synchronous_commit: intake %q, jobs %q; want off and on", intake, jobs)
	}
}

// deliveryJobs counts the delivery jobs in River by delivery ID.
func deliveryJobs(t *testing.T, s *Store) map[string]int {
	t.Helper()
	rows, err := s.DB.QueryContext(context.Background(),
		`SELECT args->>'delivery_id', COUNT(*) FROM river_job WHERE kind = 'delivery' GROUP BY 1`)
	mustDo(t, err)
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		mustDo(t, rows.Scan(&id, &n))
		out[id] = n
	}
	mustDo(t, rows.Err())
	return out
}

func unqueued(t *testing.T, s *Store) int {
	t.Helper()
	var n int
	mustDo(t, s.DB.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM deliveries_unqueued`).Scan(&n))
	return n
}
