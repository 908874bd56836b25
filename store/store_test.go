package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
)

func TestOpenRejectsBadURLs(t *testing.T) {
	t.Parallel()
	for _, url := range []string{
		"sqlite://:memory:",
		"sqlite://",
		"sqlite://x.db?mode=memory",
		"mysql://localhost/db",
		"/tmp/plain/path.db",
	} {
		if s, err := Open(context.Background(), url, Options{}); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded, want an error", url)
		}
	}
}

func TestRedactHidesPassword(t *testing.T) {
	t.Parallel()
	got := redact("postgres://app:s3cret@db:5432/x")
	if strings.Contains(got, "s3cret") || !strings.Contains(got, "app:xxxxx@db:5432/x") {
		t.Errorf("redact = %q", got)
	}
}

func TestOpenTwiceMigratesOnce(t *testing.T) {
	t.Parallel()
	forEachEmptyEngineURL(t, func(t *testing.T, url string) {
		ctx := context.Background()
		first := openStore(t, url, Options{})
		if _, err := first.EnqueueDelivery(ctx, Delivery{ID: "d1", Event: "ping"}); err != nil {
			t.Fatal(err)
		}
		first.Close()

		second := openStore(t, url, Options{})
		if err := second.Ping(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := second.Delivery(ctx, "d1"); err != nil {
			t.Errorf("data written before reopening: %v", err)
		}
		want, err := migrations(second.Dialect)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if err := second.DB.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != len(want) {
			t.Errorf("schema_migrations has %d rows, want %d", n, len(want))
		}
	})
}

func TestDialectMigrationsMatch(t *testing.T) {
	t.Parallel()
	sqlite, err := migrations(DialectSQLite)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := migrations(DialectPostgres)
	if err != nil {
		t.Fatal(err)
	}
	if len(sqlite) == 0 || len(sqlite) != len(pg) {
		t.Fatalf("sqlite has %d migrations, postgres %d", len(sqlite), len(pg))
	}
	for i := range sqlite {
		if sqlite[i].name != pg[i].name {
			t.Errorf("migration %d: sqlite %s, postgres %s", i, sqlite[i].name, pg[i].name)
		}
	}
}

func TestDeliveryRoundTripAndDedupe(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		at := time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC)
		d := Delivery{ID: "abc", Event: "pull_request", Action: "opened", InstallationID: 42,
			Payload: []byte(`{"number":7}`), ReceivedAt: at}

		ok, err := s.EnqueueDelivery(ctx, d)
		if err != nil || !ok {
			t.Fatalf("first EnqueueDelivery = %v, %v; want true", ok, err)
		}
		dup := d
		dup.Payload = []byte(`{"changed":true}`)
		ok, err = s.EnqueueDelivery(ctx, dup)
		if err != nil || ok {
			t.Fatalf("repeated EnqueueDelivery = %v, %v; want false", ok, err)
		}

		got, err := s.Delivery(ctx, "abc")
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != d.ID || got.Event != d.Event || got.Action != d.Action ||
			got.InstallationID != d.InstallationID || !bytes.Equal(got.Payload, d.Payload) || !got.ReceivedAt.Equal(at) {
			t.Errorf("Delivery = %+v, want %+v", got, d)
		}
		if depth, err := s.QueueDepth(ctx); err != nil || depth != 1 {
			t.Errorf("QueueDepth = %d, %v; want 1 job for the one new delivery", depth, err)
		}
		if _, err := s.Delivery(ctx, "missing"); !errors.Is(err, ErrNotFound) {
			t.Errorf("Delivery(missing) error = %v, want ErrNotFound", err)
		}
		if _, err := s.EnqueueDelivery(ctx, Delivery{Event: "ping"}); err == nil {
			t.Error("EnqueueDelivery without ID succeeded")
		}
	})
}

func TestEnqueueDeliveryConcurrentDedupe(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		var wins atomic.Int32
		var wg sync.WaitGroup
		errs := make(chan error, 20)
		for range 20 {
			wg.Go(func() {
				ok, err := s.EnqueueDelivery(ctx, Delivery{ID: "same", Event: "push", Payload: []byte("{}")})
				if err != nil {
					errs <- err
				}
				if ok {
					wins.Add(1)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if wins.Load() != 1 {
			t.Errorf("%d goroutines inserted the delivery, want 1", wins.Load())
		}
		if depth, err := s.QueueDepth(ctx); err != nil || depth != 1 {
			t.Errorf("QueueDepth = %d, %v; want exactly 1 job", depth, err)
		}
	})
}

func TestPruneDeliveries(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := range 3 {
			d := Delivery{ID: fmt.Sprint("d", i), Event: "push", ReceivedAt: base.Add(time.Duration(i) * time.Hour)}
			if _, err := s.EnqueueDelivery(ctx, d); err != nil {
				t.Fatal(err)
			}
		}
		n, err := s.PruneDeliveries(ctx, base.Add(90*time.Minute))
		if err != nil || n != 2 {
			t.Fatalf("PruneDeliveries = %d, %v; want 2", n, err)
		}
		if _, err := s.Delivery(ctx, "d1"); !errors.Is(err, ErrNotFound) {
			t.Errorf("d1 survived pruning: %v", err)
		}
		if _, err := s.Delivery(ctx, "d2"); err != nil {
			t.Errorf("d2 was pruned: %v", err)
		}
		// A pruned ID is new again.
		if ok, err := s.EnqueueDelivery(ctx, Delivery{ID: "d0", Event: "push"}); err != nil || !ok {
			t.Errorf("EnqueueDelivery after prune = %v, %v; want true", ok, err)
		}
	})
}

type testArgs struct {
	N int `json:"n"`
}

func (testArgs) Kind() string { return "store_test" }

func TestEnqueueAndQueueDepth(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		if depth, err := s.QueueDepth(ctx); err != nil || depth != 0 {
			t.Fatalf("empty QueueDepth = %d, %v", depth, err)
		}
		if err := s.Enqueue(ctx, testArgs{N: 1}, nil); err != nil {
			t.Fatal(err)
		}
		if err := s.Enqueue(ctx, testArgs{N: 2}, &river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if depth, err := s.QueueDepth(ctx); err != nil || depth != 2 {
			t.Errorf("QueueDepth = %d, %v; want 2 (available + scheduled)", depth, err)
		}
		var state string
		if err := s.DB.QueryRow(`SELECT state FROM river_job WHERE kind = 'store_test' ORDER BY id DESC LIMIT 1`).Scan(&state); err != nil {
			t.Fatal(err)
		}
		if state != "scheduled" {
			t.Errorf("future job state = %q, want scheduled", state)
		}
	})
}

func TestObjectsUpsert(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		k := ObjectKey{RepoID: 10, Number: 3, Kind: "check_run:deadbeef"}
		if _, ok, err := s.GetObject(ctx, k); err != nil || ok {
			t.Fatalf("GetObject before put: ok=%v err=%v", ok, err)
		}
		mustDo(t, s.PutObject(ctx, k, Object{ID: 111, Hash: "a"}))
		mustDo(t, s.PutObject(ctx, k, Object{ID: 222, Hash: "b"}))
		mustDo(t, s.PutObject(ctx, ObjectKey{RepoID: 10, Number: 3, Kind: "comment"}, Object{ID: 333}))
		if o, ok, err := s.GetObject(ctx, k); err != nil || !ok || o != (Object{ID: 222, Hash: "b"}) {
			t.Errorf("GetObject = %+v, %v, %v; want 222 with hash b", o, ok, err)
		}
		if o, ok, err := s.GetObject(ctx, ObjectKey{RepoID: 10, Number: 3, Kind: "comment"}); err != nil || !ok || o.ID != 333 {
			t.Errorf("GetObject(comment) = %+v, %v, %v; want 333", o, ok, err)
		}
	})
}

func TestLoads(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		t1 := time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)
		t2 := t1.Add(time.Hour)
		mustDo(t, s.AddReviewRequest(ctx, 1, 100, 1, "Alice", t1))
		mustDo(t, s.AddReviewRequest(ctx, 1, 100, 1, "alice", t1)) // redelivered: no double count
		mustDo(t, s.AddReviewRequest(ctx, 1, 200, 5, "ALICE", t2))
		mustDo(t, s.AddReviewRequest(ctx, 1, 100, 1, "bob", t1))
		mustDo(t, s.AddReviewRequest(ctx, 2, 300, 1, "bob", t2))   // other installation
		mustDo(t, s.AddReviewRequest(ctx, 1, 100, 2, "alice", t1)) // older time must not win

		loads, err := s.Loads(ctx, 1, []string{"alice", "Bob", "carol"})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]Load{
			"alice": {Open: 3, LastRequested: t2},
			"bob":   {Open: 1, LastRequested: t1},
			"carol": {},
		}
		assertLoads(t, loads, want)

		mustDo(t, s.RemoveReviewRequest(ctx, 1, 200, 5, "Alice"))
		mustDo(t, s.ClearReviewRequests(ctx, 1, 100, 1))
		loads, err = s.Loads(ctx, 1, []string{"ALICE", "bob"})
		if err != nil {
			t.Fatal(err)
		}
		assertLoads(t, loads, map[string]Load{
			"alice": {Open: 1, LastRequested: t2}, // #2 still open; LastRequested survives
			"bob":   {Open: 0, LastRequested: t1},
		})

		if loads, err := s.Loads(ctx, 1, nil); err != nil || len(loads) != 0 {
			t.Errorf("Loads(no logins) = %v, %v", loads, err)
		}
	})
}

func assertLoads(t *testing.T, got, want map[string]Load) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("Loads returned %d logins (%v), want %d", len(got), got, len(want))
	}
	for login, w := range want {
		g, ok := got[login]
		if !ok || g.Open != w.Open || !g.LastRequested.Equal(w.LastRequested) {
			t.Errorf("Loads[%q] = %+v (present %v), want %+v", login, g, ok, w)
		}
	}
}

func TestRemovedAndDoneRules(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		mustDo(t, s.MarkRemoved(ctx, 7, 1, "Zed"))
		mustDo(t, s.MarkRemoved(ctx, 7, 1, "amy"))
		mustDo(t, s.MarkRemoved(ctx, 7, 1, "zed"))
		mustDo(t, s.MarkRemoved(ctx, 7, 2, "other"))
		if got, err := s.Removed(ctx, 7, 1); err != nil || !slices.Equal(got, []string{"amy", "zed"}) {
			t.Errorf("Removed = %v, %v; want [amy zed]", got, err)
		}

		if got, err := s.DoneRules(ctx, 7, 1); err != nil || len(got) != 0 {
			t.Errorf("DoneRules before adding = %v, %v", got, err)
		}
		mustDo(t, s.AddDoneRules(ctx, 7, 1, []string{"security", "backend"}))
		mustDo(t, s.AddDoneRules(ctx, 7, 1, []string{"backend", "docs"}))
		mustDo(t, s.AddDoneRules(ctx, 7, 1, nil))
		if got, err := s.DoneRules(ctx, 7, 1); err != nil || !slices.Equal(got, []string{"backend", "docs", "security"}) {
			t.Errorf("DoneRules = %v, %v; want [backend docs security]", got, err)
		}
		if got, err := s.DoneRules(ctx, 7, 2); err != nil || len(got) != 0 {
			t.Errorf("DoneRules of another PR = %v, %v", got, err)
		}
	})
}

func TestRotationCAS(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		if pos, err := s.Rotation(ctx, 1, 2, "backend"); err != nil || pos != 0 {
			t.Fatalf("Rotation before set = %d, %v", pos, err)
		}
		if ok, err := s.SetRotations(ctx, 1, 2, []Move{{Rule: "backend", From: 3, To: 4}}); err != nil || ok {
			t.Errorf("SetRotation from a wrong value on a missing row = %v, %v; want false", ok, err)
		}
		if ok, err := s.SetRotations(ctx, 1, 2, []Move{{Rule: "backend", From: 0, To: 1}}); err != nil || !ok {
			t.Fatalf("SetRotation 0→1 = %v, %v", ok, err)
		}
		if ok, err := s.SetRotations(ctx, 1, 2, []Move{{Rule: "backend", From: 0, To: 5}}); err != nil || ok {
			t.Errorf("stale SetRotation 0→5 = %v, %v; want false", ok, err)
		}
		if pos, err := s.Rotation(ctx, 1, 2, "backend"); err != nil || pos != 1 {
			t.Errorf("Rotation = %d, %v; want 1", pos, err)
		}

		// Replicas that read the same position race to advance it: exactly one
		// wins, whether the row exists ("backend" at 1) or not ("fresh" at 0).
		for rule, from := range map[string]int{"backend": 1, "fresh": 0} {
			var wins atomic.Int32
			var wg sync.WaitGroup
			for i := range 10 {
				wg.Go(func() {
					ok, err := s.SetRotations(ctx, 1, 2, []Move{{Rule: rule, From: from, To: 100 + i}})
					if err != nil {
						t.Error(err)
					}
					if ok {
						wins.Add(1)
					}
				})
			}
			wg.Wait()
			if wins.Load() != 1 {
				t.Errorf("rule %s: %d concurrent SetRotation calls from %d won, want 1", rule, wins.Load(), from)
			}
			if pos, err := s.Rotation(ctx, 1, 2, rule); err != nil || pos < 100 {
				t.Errorf("rule %s: Rotation after race = %d, %v; want the winner's value", rule, pos, err)
			}
		}
		if pos, err := s.Rotation(ctx, 1, 3, "backend"); err != nil || pos != 0 {
			t.Errorf("Rotation of another repo = %d, %v; want 0", pos, err)
		}
	})
}

func TestSLA(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		if _, ok, err := s.SLA(ctx, 5, 9); err != nil || ok {
			t.Fatalf("SLA before put: ok=%v err=%v", ok, err)
		}
		at := time.Date(2024, 2, 3, 4, 5, 6, 0, time.UTC)
		r := SLARecord{InstallationID: 1, RepoID: 5, Owner: "acme", Repo: "api", Number: 9,
			State: []byte(`{"due":"x"}`), Generation: 1, Waiting: true, UpdatedAt: at}
		mustDo(t, s.PutSLA(ctx, r))
		mustDo(t, s.PutSLA(ctx, SLARecord{InstallationID: 1, RepoID: 5, Number: 10, Waiting: true}))
		mustDo(t, s.PutSLA(ctx, SLARecord{InstallationID: 1, RepoID: 6, Number: 1, Waiting: false}))
		if n, err := s.CountWaitingSLA(ctx); err != nil || n != 2 {
			t.Errorf("CountWaitingSLA = %d, %v; want 2", n, err)
		}

		got, ok, err := s.SLA(ctx, 5, 9)
		if err != nil || !ok {
			t.Fatalf("SLA = ok %v, %v", ok, err)
		}
		if got.InstallationID != 1 || got.RepoID != 5 || got.Owner != "acme" || got.Repo != "api" || got.Number != 9 ||
			string(got.State) != `{"due":"x"}` || got.Generation != 1 || !got.Waiting || !got.UpdatedAt.Equal(at) {
			t.Errorf("SLA = %+v, want %+v", got, r)
		}

		r.Generation, r.Waiting, r.State = 2, false, []byte(`{}`)
		mustDo(t, s.PutSLA(ctx, r))
		got, _, err = s.SLA(ctx, 5, 9)
		if err != nil || got.Generation != 2 || got.Waiting || string(got.State) != `{}` {
			t.Errorf("SLA after update = %+v, %v", got, err)
		}
		if n, err := s.CountWaitingSLA(ctx); err != nil || n != 1 {
			t.Errorf("CountWaitingSLA after update = %d, %v; want 1", n, err)
		}
	})
}

func TestClaimSLAEventOnce(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		var wins atomic.Int32
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				ok, err := s.ClaimSLAEvent(ctx, 5, 9, 1, "breach")
				if err != nil {
					t.Error(err)
				}
				if ok {
					wins.Add(1)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Errorf("%d concurrent claims won, want 1", wins.Load())
		}
		// Another event, or the same event of a new clock generation, is new.
		for _, c := range []struct {
			gen   int
			event string
		}{{1, "reminder"}, {2, "breach"}} {
			if ok, err := s.ClaimSLAEvent(ctx, 5, 9, c.gen, c.event); err != nil || !ok {
				t.Errorf("ClaimSLAEvent(gen %d, %s) = %v, %v; want true", c.gen, c.event, ok, err)
			}
		}
	})
}

func TestCloseTwice(t *testing.T) {
	t.Parallel()
	forEachEngineURL(t, func(t *testing.T, url string) {
		s, err := Open(context.Background(), url, Options{MaxWorkers: 2})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Stop(context.Background()); err != nil {
			t.Errorf("Stop of a never-started store: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("first Close: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
		if err := s.Ping(context.Background()); err == nil {
			t.Error("Ping after Close succeeded")
		}
	})
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Replicas starting together migrate one at a time (PostgreSQL only: SQLite
// serves one process).
func TestConcurrentOpenPostgres(t *testing.T) {
	t.Parallel()
	url := newPostgresURL(t)
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			s, err := Open(context.Background(), url, Options{MaxWorkers: 2})
			if err != nil {
				t.Errorf("concurrent Open: %v", err)
				return
			}
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
	wg.Wait()
}

// A burst that opens every pooled connection must not close them when it
// ends: a PostgreSQL connection is a forked backend, and closing the
// surplus after each burst to open it again took most of the machine's CPU
// under load.
func TestPostgresPoolKeepsItsConnections(t *testing.T) {
	t.Parallel()
	s := openStore(t, newPostgresURL(t), Options{MaxWorkers: 4})
	ctx := context.Background()
	// The budget for 4 workers is 14 connections besides the intake's; the
	// asynchronous commits' pool takes its share of it.
	n := 14 - asyncConns(4)
	// Opened before the first webhook, not by it (warmPool).
	if st := s.DB.Stats(); st.OpenConnections != n {
		t.Errorf("after Open the pool holds %d connections, want all %d", st.OpenConnections, n)
	}
	if s.Pools()["async"] != s.async {
		t.Error(`Pools() names no "async" pool: its statistics would not reach /metrics`)
	}
	if st := s.async.Stats(); st.OpenConnections != asyncConns(4) || st.MaxOpenConnections != asyncConns(4) {
		t.Errorf("after Open the asynchronous commits' pool holds %d of %d connections, want all %d",
			st.OpenConnections, st.MaxOpenConnections, asyncConns(4))
	}
	for range 3 {
		var held, done sync.WaitGroup
		held.Add(n)
		release := make(chan struct{})
		for range n {
			done.Go(func() {
				conn, err := s.DB.Conn(ctx)
				held.Done()
				if err != nil {
					t.Error(err)
					return
				}
				<-release
				conn.Close()
			})
		}
		held.Wait()
		close(release)
		done.Wait()
	}
	st := s.DB.Stats()
	if st.MaxOpenConnections != n || st.MaxIdleClosed != 0 || st.OpenConnections != n {
		t.Errorf("pool after three bursts of %d: max open %d, open %d, closed for want of idle slots %d; want %d, %d, 0",
			n, st.MaxOpenConnections, st.OpenConnections, st.MaxIdleClosed, n, n)
	}
}

// The database files hold webhook payloads: only their owner may read them,
// whatever the umask, and a file left readable by an older version is made
// private on Open.
func TestSQLiteFilesArePrivate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "store.db")
	if err := os.WriteFile(path+".inbox", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path+".inbox", 0o644); err != nil { // past the umask
		t.Fatal(err)
	}
	s := openStore(t, "sqlite://"+path, Options{})
	if _, err := s.EnqueueDelivery(context.Background(), Delivery{ID: "d1", Event: "ping", Payload: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, base := range []string{path, path + ".inbox"} {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			files = append(files, base+suffix)
		}
	}
	for _, f := range files {
		info, err := os.Stat(f)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
			continue
		}
		if mode := info.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s: mode %v, want -rw-------", filepath.Base(f), mode)
		}
	}
}

// TestInsertObjectKeepsWhatIsRecorded: a fact an event records (a new pull
// request has no comment) never replaces what a write recorded first.
func TestInsertObjectKeepsWhatIsRecorded(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		k := ObjectKey{RepoID: 10, Number: 4, Kind: "comment"}
		if ok, err := s.InsertObject(ctx, k, Object{}); err != nil || !ok {
			t.Fatalf("first insert: %v, %v", ok, err)
		}
		mustDo(t, s.PutObject(ctx, k, Object{ID: 5, Hash: "h"}))
		if ok, err := s.InsertObject(ctx, k, Object{}); err != nil || ok {
			t.Fatalf("second insert: %v, %v", ok, err)
		}
		if o, _, _ := s.GetObject(ctx, k); o != (Object{ID: 5, Hash: "h"}) {
			t.Errorf("after a later insert: %+v, want the write's record", o)
		}
	})
}

// TestPutObjectUnlessWritten: a reopened pull request's claim replaces no
// record or one without an ID ("none", or an earlier claim), never the ID
// of what the app wrote; delivered again and again at once, the same.
func TestPutObjectUnlessWritten(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		claim := Object{Hash: "claimed"}
		unknown := ObjectKey{RepoID: 11, Number: 0, Kind: "check_run:abc"}
		none := ObjectKey{RepoID: 11, Number: 4, Kind: "comment"}
		written := ObjectKey{RepoID: 11, Number: 5, Kind: "comment"}
		if _, err := s.InsertObject(ctx, none, Object{}); err != nil {
			t.Fatal(err)
		}
		mustDo(t, s.PutObject(ctx, written, Object{ID: 9, Hash: "h"}))
		var wg sync.WaitGroup
		for range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for _, k := range []ObjectKey{unknown, none, written} {
					if err := s.PutObjectUnlessWritten(ctx, k, claim); err != nil {
						t.Error(err)
					}
				}
			}()
		}
		wg.Wait()
		for k, want := range map[ObjectKey]Object{unknown: claim, none: claim, written: {ID: 9, Hash: "h"}} {
			if o, found, err := s.GetObject(ctx, k); err != nil || !found || o != want {
				t.Errorf("%+v: %+v (found %v, %v), want %+v", k, o, found, err, want)
			}
		}
	})
}
