package store

import (
	"context"
	"errors"
	"maps"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"
)

// newTestInbox opens a second inbox on a fresh SQLite store's files, whose
// batches go through write, and closes it when the test ends.
func newTestInbox(t *testing.T, write func(ib *inbox, reqs []*inboxRequest) ([]bool, error)) (*Store, *inbox) {
	t.Helper()
	url := newSQLiteURL(t)
	s := openStore(t, url, Options{})
	ib, err := newInbox(context.Background(), s, sqlitePath(url), testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	ib.writeBatch = func(reqs []*inboxRequest) ([]bool, error) { return write(ib, reqs) }
	ib.start()
	t.Cleanup(func() {
		if err := ib.close(); err != nil {
			t.Errorf("inbox close: %v", err)
		}
	})
	return s, ib
}

// quietInbox replaces s's inbox with one on the same file whose batcher and
// mover never run, so a test writes and moves explicitly.
func quietInbox(t *testing.T, s *Store, url string) *inbox {
	t.Helper()
	mustDo(t, s.inbox.close())
	ib, err := newInbox(context.Background(), s, sqlitePath(url), testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	close(ib.batched) // no batcher: moves delete what they moved themselves
	s.inbox = ib
	return ib
}

type enqueueResult struct {
	id       string
	inserted bool
	err      error
}

// enqueueAll calls ib.enqueue once per id, concurrently, and delivers each
// result on the returned channel.
func enqueueAll(ib *inbox, ids ...string) <-chan enqueueResult {
	out := make(chan enqueueResult, len(ids))
	for _, id := range ids {
		go func() {
			ok, err := ib.enqueue(context.Background(), Delivery{ID: id, Event: "push", Payload: []byte(`{}`)})
			out <- enqueueResult{id, ok, err}
		}()
	}
	return out
}

func request(id string) *inboxRequest {
	return &inboxRequest{ctx: context.Background(), d: Delivery{ID: id, Event: "push", Payload: []byte(`{"id":"` + id + `"}`)}}
}

// One batch holding duplicates of each other, of a delivery waiting in the
// inbox and of one already moved to the main database: exactly the first of
// each new ID is inserted, and each moves with exactly one job.
func TestInboxBatchDeduplicates(t *testing.T) {
	t.Parallel()
	url := newSQLiteURL(t)
	s := openStore(t, url, Options{})
	ib := quietInbox(t, s, url)
	ctx := context.Background()
	for _, id := range []string{"moved", "waiting"} {
		if inserted, err := ib.write([]*inboxRequest{request(id)}); err != nil || !inserted[0] {
			t.Fatalf("write(%s) = %v, %v", id, inserted, err)
		}
		if id == "moved" {
			mustDo(t, ib.moveAll(ctx))
		}
	}

	ids := []string{"a", "b", "a", "moved", "c", "waiting", "b", "a"}
	reqs := make([]*inboxRequest, len(ids))
	for i, id := range ids {
		reqs[i] = request(id)
	}
	inserted, err := ib.write(reqs)
	if err != nil {
		t.Fatal(err)
	}
	want := []bool{true, true, false, false, true, false, false, false}
	if !slices.Equal(inserted, want) {
		t.Errorf("inserted = %v, want %v for %v", inserted, want, ids)
	}

	if err := s.inbox.moveAll(ctx); err != nil {
		t.Fatal(err)
	}
	rows, err := s.DB.Query(`SELECT args FROM river_job WHERE kind = 'delivery' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var jobs []string
	for rows.Next() {
		var args string
		if err := rows.Scan(&args); err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, args)
	}
	if len(jobs) != 5 {
		t.Errorf("delivery jobs = %v, want one each for moved, waiting, a, b, c", jobs)
	}
	if ids, err := s.inbox.ids(ctx); err != nil || len(ids) != 0 {
		t.Errorf("inbox holds %v, %v after moving; want nothing", ids, err)
	}
	d, err := s.Delivery(ctx, "c")
	if err != nil || string(d.Payload) != `{"id":"c"}` {
		t.Errorf("Delivery(c) = %+v, %v", d, err)
	}
}

// Acknowledged deliveries are readable and counted before they move.
func TestInboxReadableBeforeMoving(t *testing.T) {
	t.Parallel()
	url := newSQLiteURL(t)
	s := openStore(t, url, Options{})
	ib := quietInbox(t, s, url)
	ctx := context.Background()
	if _, err := ib.write([]*inboxRequest{request("early")}); err != nil {
		t.Fatal(err)
	}
	d, err := s.Delivery(ctx, "early")
	if err != nil || d.ID != "early" {
		t.Fatalf("Delivery(early) = %+v, %v", d, err)
	}
	if depth, err := s.QueueDepth(ctx); err != nil || depth != 1 {
		t.Errorf("QueueDepth = %d, %v; want 1 for the delivery in the inbox", depth, err)
	}
}

// Close answers callers waiting behind a batch with errClosed, lets the
// batch finish and moves it, and refuses calls after it.
func TestInboxCloseWhileCallersWait(t *testing.T) {
	t.Parallel()
	entered := make(chan []string, 1)
	release := make(chan struct{})
	s, ib := newTestInbox(t, func(ib *inbox, reqs []*inboxRequest) ([]bool, error) {
		var ids []string
		for _, r := range reqs {
			ids = append(ids, r.d.ID)
		}
		entered <- ids
		<-release
		return ib.write(reqs)
	})

	inFlight := enqueueAll(ib, "in-flight")
	if ids := receive(t, entered, "the first batch"); !slices.Equal(ids, []string{"in-flight"}) {
		t.Fatalf("first batch = %v", ids)
	}
	waiting := enqueueAll(ib, "w1", "w2", "w3")
	closed := make(chan error, 1)
	go func() { closed <- ib.close() }()
	for range 3 {
		if r := receive(t, waiting, "a waiting caller"); !errors.Is(r.err, errClosed) {
			t.Errorf("waiting caller %s = %v, %v; want errClosed", r.id, r.inserted, r.err)
		}
	}
	close(release)
	if r := receive(t, inFlight, "the in-flight caller"); r.err != nil || !r.inserted {
		t.Errorf("in-flight caller = %+v; want its delivery written", r)
	}
	if err := receive(t, closed, "close"); err != nil {
		t.Errorf("close: %v", err)
	}
	if err := ib.close(); err != nil {
		t.Errorf("second close: %v", err)
	}
	if _, err := ib.enqueue(context.Background(), Delivery{ID: "late"}); !errors.Is(err, errClosed) {
		t.Errorf("enqueue after close = %v; want errClosed", err)
	}
	// close moved the written delivery into the main database.
	var n int
	if err := s.DB.QueryRow(`SELECT COUNT(*) FROM deliveries WHERE id = 'in-flight'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("in-flight delivery in the main database: %d, %v; want 1", n, err)
	}
}

// Every caller of a failed batch gets its error; none is recorded.
func TestInboxFailedBatchFailsEveryCaller(t *testing.T) {
	t.Parallel()
	diskFull := errors.New("disk full")
	entered := make(chan struct{})
	release := make(chan struct{})
	first := true
	s, ib := newTestInbox(t, func(ib *inbox, reqs []*inboxRequest) ([]bool, error) {
		if first { // hold the first batch so the others queue into one
			first = false
			close(entered)
			<-release
		}
		return nil, diskFull
	})
	results := enqueueAll(ib, "x")
	<-entered
	ids := []string{"a", "b", "c", "d"}
	more := enqueueAll(ib, ids...)
	close(release)
	got := map[string]error{}
	for range 1 + len(ids) {
		var r enqueueResult
		select {
		case r = <-results:
		case r = <-more:
		case <-time.After(jobDeadline):
			t.Fatal("timed out waiting for callers")
		}
		got[r.id] = r.err
	}
	for _, id := range slices.Sorted(maps.Keys(got)) {
		if !errors.Is(got[id], diskFull) {
			t.Errorf("caller %s got %v, want the batch's error", id, got[id])
		}
	}
	if ids, err := s.inbox.ids(context.Background()); err != nil || len(ids) != 0 {
		t.Errorf("inbox holds %v, %v; want nothing recorded", ids, err)
	}
}

// A caller whose context ended is not written, and others in its batch are.
func TestInboxSkipsCancelledCaller(t *testing.T) {
	t.Parallel()
	s := openStore(t, newSQLiteURL(t), Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.EnqueueDelivery(ctx, Delivery{ID: "gone", Event: "push"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("EnqueueDelivery with a cancelled context = %v", err)
	}
	if _, err := s.Delivery(context.Background(), "gone"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Delivery(gone) = %v; want ErrNotFound", err)
	}
}

// Deliveries left in the inbox by a process that stopped before moving them
// are moved, with their jobs, when the store opens again.
func TestInboxMovedOnOpen(t *testing.T) {
	t.Parallel()
	url := newSQLiteURL(t)
	s, err := Open(context.Background(), url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ib := quietInbox(t, s, url)
	if _, err := ib.write([]*inboxRequest{request("left-1"), request("left-2")}); err != nil {
		t.Fatal(err)
	}
	mustDo(t, s.Close()) // the quiet inbox moves nothing on close

	s = openStore(t, url, Options{})
	deadline := time.Now().Add(jobDeadline)
	for {
		var jobs int
		if err := s.DB.QueryRow(`SELECT COUNT(*) FROM river_job WHERE kind = 'delivery'`).Scan(&jobs); err != nil {
			t.Fatal(err)
		}
		if jobs == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d delivery jobs after reopening, want 2", jobs)
		}
		time.Sleep(10 * time.Millisecond) // polling for the mover, not timing
	}
}

// The inbox's WAL must not grow with what passes through it. Checkpoints
// run beside the writer (see newInbox), and only a complete one lets the
// WAL start over: with the writer's own checkpoints turned off, this WAL
// grew to 48 MB here.
func TestInboxWALStaysSmall(t *testing.T) {
	t.Parallel()
	url := newSQLiteURL(t)
	s := openStore(t, url, Options{})
	ctx := context.Background()
	payload := incompressiblePayload(28 << 10) // a pull_request's size, and as large stored
	const n = 2400                             // 68 MB in all, four times the writer's checkpoint size
	for i := range n {
		if _, err := s.EnqueueDelivery(ctx, Delivery{ID: strconv.Itoa(i), Event: "push", Payload: payload}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		ids, err := s.inbox.ids(ctx)
		mustDo(t, err)
		left := len(ids)
		if left == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d deliveries still in the inbox", left)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// One more round of the mover, so its checkpoint follows the last move.
	time.Sleep(3 * moveEvery)
	fi, err := os.Stat(sqlitePath(url) + ".inbox-wal")
	if err != nil {
		t.Fatal(err)
	}
	if limit := int64(writerCheckpointPages) * 4096 * 3 / 2; fi.Size() > limit {
		t.Errorf("inbox WAL is %d MB after %d MB of deliveries; the mover's checkpoints are not keeping it small", fi.Size()>>20, n*len(payload)>>20)
	}
}
