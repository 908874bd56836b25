package store

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"testing"
	"time"
)

func createGrouped(t *testing.T, s *Store) {
	t.Helper()
	_, err := s.DB.ExecContext(context.Background(), `CREATE TABLE grouped (n INTEGER PRIMARY KEY)`)
	mustDo(t, err)
}

func groupedRows(t *testing.T, s *Store) string {
	t.Helper()
	var got sql.NullString
	mustDo(t, s.reads.QueryRowContext(context.Background(),
		`SELECT string_agg(CAST(n AS TEXT), ',' ORDER BY n) FROM grouped`).Scan(&got))
	return got.String
}

// One round of the group with a failing write in the middle: the others
// commit, the failing one's caller hears its own error, and a write that
// finds no row hears sql.ErrNoRows. The failure undoes the whole
// transaction (on PostgreSQL, the pipeline), and the group sends each write
// again on its own.
func TestWriteGroupFailsOnlyTheFailingWrite(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		createGrouped(t, s)
		insert := `INSERT INTO grouped (n) VALUES ($1)`
		var none int64
		batch := []groupedWrite{
			{ctx: ctx, query: insert, args: []any{1}},
			{ctx: ctx, query: insert, args: []any{2}},
			{ctx: ctx, query: insert, args: []any{2}}, // fails: 2 is there
			{ctx: ctx, query: insert, args: []any{4}},
			{ctx: ctx, query: `UPDATE grouped SET n = 5 WHERE n = 99 RETURNING n`, scan: []any{&none}},
		}
		for i := range batch {
			batch[i].done = make(chan groupedResult, 1)
		}
		s.writes.round(batch)
		for i, w := range batch {
			r := <-w.done
			switch {
			case i == 2 && (r.err == nil || errors.Is(r.err, sql.ErrNoRows)):
				t.Errorf("the duplicate insert: %v, want its error", r.err)
			case i == 4 && !errors.Is(r.err, sql.ErrNoRows):
				t.Errorf("the update of no row: %v, want sql.ErrNoRows", r.err)
			case i != 2 && i != 4 && (r.err != nil || r.affected != 1):
				t.Errorf("write %d: %d rows, %v", i, r.affected, r.err)
			}
		}
		if got := groupedRows(t, s); got != "1,2,4" {
			t.Errorf("rows %s, want every write's but the failed one's", got)
		}
	})
}

// A write is committed when its call returns: a read on another
// connection sees it at once, from many writers at the same time.
func TestWriteGroupCommitsBeforeAnswering(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		createGrouped(t, s)
		var wg sync.WaitGroup
		for i := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range 20 {
					n := i*100 + j
					if _, err := s.writeExec(ctx, `INSERT INTO grouped (n) VALUES ($1)`, n); err != nil {
						t.Error(err)
						return
					}
					var seen bool
					err := s.reads.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM grouped WHERE n = $1)`, n).Scan(&seen)
					if err != nil || !seen {
						t.Errorf("row %d not seen by a reader after its write returned (%v)", n, err)
						return
					}
				}
			}()
		}
		wg.Wait()
	})
}

// A write whose caller has given up is not run, and the group goes on
// with the others; once the store closes, writes fail instead of waiting.
func TestWriteGroupSkipsCancelledWritesAndCloses(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		createGrouped(t, s)
		insert := `INSERT INTO grouped (n) VALUES ($1)`
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := s.writeExec(cancelled, insert, 1); !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled write: %v, want context.Canceled", err)
		}
		_, err := s.writeExec(ctx, insert, 2)
		mustDo(t, err)
		if got := groupedRows(t, s); got != "2" {
			t.Errorf("rows %s, want only the write that was not cancelled", got)
		}
		s.writes.close()
		done := make(chan error, 1)
		go func() {
			_, err := s.writeExec(ctx, insert, 3)
			done <- err
		}()
		select {
		case err := <-done:
			if !errors.Is(err, errClosed) {
				t.Errorf("write after close: %v, want %v", err, errClosed)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a write after close still waits")
		}
	})
}

// TestAsyncWritesCommitWithoutWaitingForTheFlush: on PostgreSQL the async
// group's transactions and the pipelines that take an evaluation's lease
// with its first reads and write its end with the summary run with
// synchronous_commit off, and only they: the synchronous group and the
// pool every other write uses keep it on, on every connection.
func TestAsyncWritesCommitWithoutWaitingForTheFlush(t *testing.T) {
	t.Parallel()
	s := openStore(t, newPostgresURL(t), Options{})
	ctx := context.Background()
	const show = `SELECT current_setting('synchronous_commit')`
	setting := func(g *writeGroup) string {
		var v string
		if err := g.write(groupedWrite{ctx: ctx, query: show, scan: []any{&v}}).err; err != nil {
			t.Fatal(err)
		}
		return v
	}
	for range 3 {
		if got := setting(s.asyncWrites); got != "off" {
			t.Errorf("in the async group: synchronous_commit %s, want off", got)
		}
		if got := setting(s.writes); got != "on" {
			t.Errorf("in the synchronous group: synchronous_commit %s, want on", got)
		}
	}
	// Every connection of the main pool at once.
	conns := make([]*sql.Conn, 0, s.DB.Stats().MaxOpenConnections)
	for range cap(conns) {
		c, err := s.DB.Conn(ctx)
		mustDo(t, err)
		conns = append(conns, c)
		var v string
		mustDo(t, c.QueryRowContext(ctx, show).Scan(&v))
		if v != "on" {
			t.Errorf("a connection of the main pool: synchronous_commit %s, want on", v)
		}
	}
	for _, c := range conns {
		c.Close()
	}

	pr := PR{RepoID: 7, Number: 5}
	now := time.Now()
	mustRequest(t, s, pr)
	modes := noteCommitModes(t, s, "pr_evaluations", "pr_history")
	start, covering, _, err := s.StartEvaluationReading(ctx, pr, 1, 0, "job:1", now, now.Add(time.Minute), &FirstReads{})
	if err != nil || start != Run {
		t.Fatalf("start: %v %v", start, err)
	}
	sum := PRSummary{InstallationID: 1, RepoID: 7, Owner: "acme", Repo: "web", Number: 5, State: "open", UpdatedAt: now}
	if ok, err := s.FinishEvaluationWith(ctx, pr, "job:1", covering, &sum); err != nil || !ok {
		t.Fatalf("finish: %v %v", ok, err)
	}
	if got, want := modes(), "pr_evaluations off, pr_history off"; got != want {
		t.Errorf("an evaluation's start and end: %q, want %q", got, want)
	}
}

// TestCachesOfGitHubReadsCommitAsynchronously: an evaluation's record of
// what it read from GitHub (the pull request, its reviews) or of the
// comment it wrote commits without waiting for the WAL's flush, since
// losing it costs only a read; a delivery's snapshot, written in the move's
// transaction, and a claim do not change.
// A trigger notes the setting each write ran with.
func TestCachesOfGitHubReadsCommitAsynchronously(t *testing.T) {
	t.Parallel()
	s := openStore(t, newPostgresURL(t), Options{})
	ctx := context.Background()
	modes := noteCommitModes(t, s, "pr_reviews", "pr_snapshots", "github_objects")
	pr := PR{RepoID: 3, Number: 9}
	snap := Snapshot{Data: []byte(`{}`), UpdatedAt: time.Now(), RecordedAt: time.Now(), Trusted: true}
	mustDo(t, s.PutReviews(ctx, pr, 0, []byte(`[]`), time.Now()))
	mustDo(t, s.RecordReadSnapshot(ctx, pr, snap))
	key := ObjectKey{RepoID: pr.RepoID, Number: pr.Number, Kind: commentKind}
	mustDo(t, s.RecordObject(ctx, key, Object{ID: 5, Hash: "h"}))
	if got := modes(); got != "github_objects off, pr_reviews off, pr_snapshots off" {
		t.Errorf("an evaluation's records of GitHub's answers: %q, want all asynchronous", got)
	}
	mustDo(t, s.Batch(ctx, func(w Writes) error { return w.RecordSnapshot(ctx, pr, snap) }))
	mustDo(t, s.PutObject(ctx, key, Object{Hash: "claimed"}))
	if got := modes(); got != "github_objects on, pr_snapshots on" {
		t.Errorf("a delivery's snapshot and a claim: %q, want synchronous", got)
	}
}

// noteCommitModes makes every insert or update of the tables note the
// synchronous_commit it ran with, and returns what was noted since the last
// call: each table and setting once, sorted ("pr_history off, ...").
func noteCommitModes(t *testing.T, s *Store, tables ...string) func() string {
	t.Helper()
	ctx := context.Background()
	stmts := []string{
		`CREATE TABLE commit_modes (tbl TEXT, mode TEXT)`,
		`CREATE FUNCTION note_commit_mode() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO commit_modes VALUES (TG_TABLE_NAME, current_setting('synchronous_commit')); RETURN NEW; END $$`,
	}
	for _, tbl := range tables {
		stmts = append(stmts, `CREATE TRIGGER note BEFORE INSERT OR UPDATE ON `+tbl+` FOR EACH ROW EXECUTE FUNCTION note_commit_mode()`)
	}
	for _, q := range stmts {
		_, err := s.DB.ExecContext(ctx, q)
		mustDo(t, err)
	}
	return func() string {
		t.Helper()
		var got string
		const q = `SELECT COALESCE(string_agg(DISTINCT tbl || ' ' || mode, ', ' ORDER BY tbl || ' ' || mode), '') FROM commit_modes`
		mustDo(t, s.DB.QueryRowContext(ctx, q).Scan(&got))
		_, err := s.DB.ExecContext(ctx, `DELETE FROM commit_modes`)
		mustDo(t, err)
		return got
	}
}
