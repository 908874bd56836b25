package store

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
)

// keepFor stands in for retention.closed_pull_requests.
const keepFor = 30 * 24 * time.Hour

// seedPullRequest writes a row for one pull request in every table of
// perPullRequestTables, through the store's own methods, and checks that
// each table has one: a table added to the list without a line here fails.
func seedPullRequest(t *testing.T, s *Store, repoID int64, number int) {
	t.Helper()
	ctx := context.Background()
	for _, sha := range []string{"aaa", "bbb"} {
		mustDo(t, s.PutObject(ctx, ObjectKey{RepoID: repoID, Number: number, Kind: "check_run:" + sha}, Object{ID: 7}))
	}
	mustDo(t, s.PutSLA(ctx, SLARecord{InstallationID: 1, RepoID: repoID, Number: number, Owner: "o", Repo: "r",
		State: []byte(`{}`), Generation: 1, Waiting: true}))
	if _, err := s.ClaimSLAEvent(ctx, repoID, number, 1, "remind"); err != nil {
		t.Fatal(err)
	}
	mustDo(t, s.AddDoneRules(ctx, repoID, number, []string{"backend"}))
	mustDo(t, s.MarkRemoved(ctx, repoID, number, "alice"))
	mustDo(t, s.AddReviewRequest(ctx, 1, repoID, number, "bob", time.Now()))
	mustDo(t, s.RequestEvaluation(ctx, PR{RepoID: repoID, Number: number}, func(v int64) river.JobArgs {
		return evalArgs{Number: number, Version: v}
	}, nil))
	mustDo(t, s.PutVerdict(ctx, Verdict{PR: PR{RepoID: repoID, Number: number}, HeadSHA: "aaa", BaseRef: "main", Report: []byte(`{}`)}))
	if _, err := s.AcquireSLAEffect(ctx, SLAEffectKey{RepoID: repoID, Number: number, Generation: 1, Event: "breach"}, "job:1", time.Now(), time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := s.EnqueueOutbox(ctx, []OutboxMessage{{Key: fmt.Sprintf("%d#%d/breach", repoID, number), InstallationID: 1,
		RepoID: repoID, Number: number, Kind: "breach", Dest: "slack:C1"}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	mustDo(t, s.PutNotifyPR(ctx, NotifyPR{InstallationID: 1, RepoID: repoID, Number: number, Snapshot: []byte(`{}`), Open: true}))
	mustDo(t, s.ReviewEvent(ctx, PR{RepoID: repoID, Number: number}))
	mustDo(t, s.RecordSnapshot(ctx, PR{RepoID: repoID, Number: number}, Snapshot{Data: []byte(`{}`), UpdatedAt: time.Now(), RecordedAt: time.Now()}))
	for table, n := range rowsOf(t, s, repoID, number) {
		if n == 0 {
			t.Fatalf("seedPullRequest writes no row in %s: add one", table)
		}
	}
}

// rowsOf counts a pull request's rows in each table of perPullRequestTables.
func rowsOf(t *testing.T, s *Store, repoID int64, number int) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range perPullRequestTables {
		var n int
		q := `SELECT COUNT(*) FROM ` + table + ` WHERE repo_id = $1 AND number = $2`
		if err := s.DB.QueryRow(q, repoID, number).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[table] = n
	}
	return out
}

func total(rows map[string]int) (n int) {
	for _, v := range rows {
		n += v
	}
	return n
}

// TestPruneClosed prunes what the store keeps for pull requests closed
// longer than the retention, in several batches, and keeps the rest: open,
// recently closed, and reopened pull requests.
func TestPruneClosed(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		now := time.Now()
		long, recent := now.Add(-keepFor-time.Hour), now.Add(-time.Hour)

		const old = 2*pruneBatch + 7 // pull requests closed long ago: three batches
		for n := 1; n <= old; n++ {
			seedPullRequest(t, s, 1, n)
			mustDo(t, s.MarkClosed(ctx, 1, n, long))
		}
		const open, recentlyClosed, reopened, otherRepo = 1001, 1002, 1003, 1
		seedPullRequest(t, s, 1, open)
		seedPullRequest(t, s, 1, recentlyClosed)
		mustDo(t, s.MarkClosed(ctx, 1, recentlyClosed, recent))
		seedPullRequest(t, s, 1, reopened)
		mustDo(t, s.MarkClosed(ctx, 1, reopened, long))
		mustDo(t, s.MarkOpen(ctx, 1, reopened, long.Add(time.Minute)))
		seedPullRequest(t, s, 2, otherRepo) // same number as a pruned one, another repository

		// Two replicas' daily jobs at once.
		var wg sync.WaitGroup
		counts := make([]int64, 2)
		for i := range counts {
			wg.Go(func() {
				var err error
				counts[i], err = s.PruneClosed(ctx, now.Add(-keepFor))
				if err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if counts[0]+counts[1] != old {
			t.Errorf("PruneClosed reported %d + %d pull requests, want %d in all", counts[0], counts[1], old)
		}
		for n := 1; n <= old; n++ {
			if rows := rowsOf(t, s, 1, n); total(rows) != 0 {
				t.Fatalf("pull request #%d, closed long ago, keeps %v", n, rows)
			}
			if _, closed, err := s.ClosedAt(ctx, 1, n); err != nil || closed {
				t.Fatalf("pull request #%d: its closing is still recorded (%v)", n, err)
			}
		}
		for _, pr := range []struct {
			repo   int64
			number int
			what   string
		}{{1, open, "open"}, {1, recentlyClosed, "recently closed"}, {1, reopened, "reopened"}, {2, otherRepo, "other repository's"}} {
			for table, n := range rowsOf(t, s, pr.repo, pr.number) {
				if n == 0 {
					t.Errorf("the %s pull request lost its rows in %s", pr.what, table)
				}
			}
		}
		if n, err := s.PruneClosed(ctx, now.Add(-keepFor)); err != nil || n != 0 {
			t.Errorf("second PruneClosed = %d, %v; want 0", n, err)
		}
	})
}

// TestMarkClosedOutOfOrder delivers a pull request's closed and reopened
// events shuffled, repeated and concurrently: the latest event decides, and
// on a tie (one-second timestamps) the pull request counts as open.
func TestMarkClosedOutOfOrder(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		type event struct {
			number int
			closed bool
			at     time.Time
		}
		var events []event
		// #1: closed, reopened, closed: closed at t0+2s.
		// #2: closed, reopened: open. #3: closed and reopened in the same second: open.
		for range 3 {
			events = append(events,
				event{1, true, t0}, event{1, false, t0.Add(time.Second)}, event{1, true, t0.Add(2 * time.Second)},
				event{2, true, t0}, event{2, false, t0.Add(time.Second)},
				event{3, true, t0}, event{3, false, t0})
		}
		rand.Shuffle(len(events), func(i, j int) { events[i], events[j] = events[j], events[i] })
		var wg sync.WaitGroup
		for _, e := range events {
			wg.Go(func() {
				mark := s.MarkOpen
				if e.closed {
					mark = s.MarkClosed
				}
				if err := mark(ctx, 9, e.number, e.at); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		for number, want := range map[int]string{1: "closed at " + t0.Add(2*time.Second).String(), 2: "open", 3: "open"} {
			at, closed, err := s.ClosedAt(ctx, 9, number)
			got := "open"
			if closed {
				got = "closed at " + at.String()
			}
			if err != nil || got != want {
				t.Errorf("#%d is %s (%v), want %s", number, got, err, want)
			}
		}
	})
}

// TestPruneClosedLeavesReopenedMeanwhile reopens pull requests while they
// are being pruned: each one ends either pruned with its record, or kept
// whole and open. None is left half-pruned and closed.
func TestPruneClosedLeavesReopenedMeanwhile(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		long := time.Now().Add(-keepFor - time.Hour)
		const prs = 50
		for n := 1; n <= prs; n++ {
			seedPullRequest(t, s, 3, n)
			mustDo(t, s.MarkClosed(ctx, 3, n, long))
		}
		whole := total(rowsOf(t, s, 3, 1))
		var wg sync.WaitGroup
		wg.Go(func() {
			if _, err := s.PruneClosed(ctx, time.Now().Add(-keepFor)); err != nil {
				t.Error(err)
			}
		})
		for n := 1; n <= prs; n += 2 {
			wg.Go(func() {
				if err := s.MarkOpen(ctx, 3, n, long.Add(time.Minute)); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		for n := 1; n <= prs; n++ {
			_, closed, err := s.ClosedAt(ctx, 3, n)
			if err != nil {
				t.Fatal(err)
			}
			rows := rowsOf(t, s, 3, n)
			if closed {
				t.Errorf("#%d is still recorded closed after the prune (rows %v)", n, rows)
			}
			if pruned := total(rows) == 0; !pruned && n%2 == 0 {
				t.Errorf("#%d, never reopened, keeps %v", n, rows)
			}
			if total(rows) != 0 && total(rows) != whole {
				t.Errorf("#%d is half pruned: %v", n, rows)
			}
		}
	})
}

// TestSeenOpen clears a closing recorded before an event that shows the
// pull request open (its reopened delivery was lost), and nothing else.
func TestSeenOpen(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		mustDo(t, s.MarkClosed(ctx, 5, 1, t0))
		mustDo(t, s.MarkClosed(ctx, 5, 2, t0))
		var wg sync.WaitGroup
		for range 3 { // repeated and concurrent
			wg.Go(func() { mustDo(t, s.SeenOpen(ctx, 5, 1, t0.Add(time.Hour))) })  // after the closing: open
			wg.Go(func() { mustDo(t, s.SeenOpen(ctx, 5, 2, t0.Add(-time.Hour))) }) // a late event from before it
			wg.Go(func() { mustDo(t, s.SeenOpen(ctx, 5, 3, t0)) })                 // never closed
		}
		wg.Wait()
		for number, want := range map[int]bool{1: false, 2: true, 3: false} {
			if _, closed, err := s.ClosedAt(ctx, 5, number); err != nil || closed != want {
				t.Errorf("#%d closed = %v (%v), want %v", number, closed, err, want)
			}
		}
		// A closing older than the event that showed it open stays undone.
		mustDo(t, s.MarkClosed(ctx, 5, 1, t0.Add(time.Minute)))
		if _, closed, _ := s.ClosedAt(ctx, 5, 1); closed {
			t.Error("a late closed delivery undid a later event that showed the pull request open")
		}
		var rows int
		if err := s.DB.QueryRow(`SELECT COUNT(*) FROM pull_requests_closed WHERE repo_id = 5 AND number = 3`).Scan(&rows); err != nil || rows != 0 {
			t.Errorf("SeenOpen on a pull request never closed added %d rows (%v)", rows, err)
		}
	})
}

// TestPruneClosedSkipsRecordsHeldElsewhere: on PostgreSQL the prune does
// not wait for a closed pull request's record that another transaction
// holds (a move of deliveries, which locks records in its own order: a
// claim that waited deadlocked with it). It prunes the others and keeps
// that one for a later run. PostgreSQL only: on SQLite, with one writer, no
// transaction holds a record while the prune runs.
func TestPruneClosedSkipsRecordsHeldElsewhere(t *testing.T) {
	t.Parallel()
	s := openStore(t, newPostgresURL(t), Options{})
	ctx := context.Background()
	seedClosedLongAgo(t, s, 4, 3)
	tx, err := s.DB.BeginTx(ctx, nil)
	mustDo(t, err)
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `UPDATE pull_requests_closed SET changed_at = changed_at WHERE repo_id = 4 AND number = 2`); err != nil {
		t.Fatal(err)
	}
	checkPruneLeavesHeld(t, s, tx, 4, 2, 2)
}

// checkPruneLeavesHeld prunes while tx holds something of pull request
// repoID#number: the others (the number given) are pruned without waiting
// for tx, that one is kept whole, and once tx ends the next run prunes it.
func checkPruneLeavesHeld(t *testing.T, s *Store, tx *sql.Tx, repoID int64, number, others int) {
	t.Helper()
	ctx := context.Background()
	wait, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if n, err := s.PruneClosed(wait, time.Now().Add(-keepFor)); err != nil || n != int64(others) {
		t.Fatalf("pruned %d, %v; want the %d pull requests nobody held, at once", n, err, others)
	}
	mustDo(t, tx.Rollback())
	if _, closed, _ := s.ClosedAt(ctx, repoID, number); !closed || total(rowsOf(t, s, repoID, number)) == 0 {
		t.Errorf("the held pull request was pruned, or in part: closed %v, rows %v", closed, rowsOf(t, s, repoID, number))
	}
	if n, err := s.PruneClosed(ctx, time.Now().Add(-keepFor)); err != nil || n != 1 {
		t.Errorf("the next run pruned %d, %v; want the one held before", n, err)
	}
	if rows := total(rowsOf(t, s, repoID, number)); rows != 0 {
		t.Errorf("%d rows left of the pull request pruned", rows)
	}
}

// seedClosedLongAgo seeds pull requests 1 to count of repoID, closed
// longer ago than keepFor, and returns when they closed.
func seedClosedLongAgo(t *testing.T, s *Store, repoID int64, count int) time.Time {
	t.Helper()
	long := time.Now().Add(-keepFor - time.Hour)
	for n := 1; n <= count; n++ {
		seedPullRequest(t, s, repoID, n)
		mustDo(t, s.MarkClosed(context.Background(), repoID, n, long))
	}
	return long
}

// holdSnapshot opens a transaction that holds pull request repoID#number's
// snapshot row, as a move of deliveries does once it has recorded one of
// its payloads, and returns it with its backend's process ID.
func holdSnapshot(t *testing.T, s *Store, repoID int64, number int) (*sql.Tx, int) {
	t.Helper()
	ctx := context.Background()
	tx, err := s.DB.BeginTx(ctx, nil)
	mustDo(t, err)
	t.Cleanup(func() { _ = tx.Rollback() })
	var pid int
	mustDo(t, tx.QueryRowContext(ctx, `SELECT pg_backend_pid()`).Scan(&pid))
	res, err := tx.ExecContext(ctx, `UPDATE pr_snapshots SET recorded_at = recorded_at WHERE repo_id = $1 AND number = $2`, repoID, number)
	mustDo(t, err)
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("held %d snapshot rows, want 1", n)
	}
	return tx, pid
}

// TestPruneClosedSkipsPullRequestsBusyElsewhere: on PostgreSQL the prune
// does not wait for the rows of a pull request that a move of deliveries
// holds (it locks them in its own order, and a prune that waited held up
// the move or deadlocked with it). It prunes the other pull requests and
// leaves that one for a later run. PostgreSQL only, as the test above.
func TestPruneClosedSkipsPullRequestsBusyElsewhere(t *testing.T) {
	t.Parallel()
	s := openStore(t, newPostgresURL(t), Options{})
	seedClosedLongAgo(t, s, 6, 5)
	tx, _ := holdSnapshot(t, s, 6, 3)
	checkPruneLeavesHeld(t, s, tx, 6, 3, 4)
}

// TestPruneClosedGivesWayToAMove is the deadlock seen in capacity runs: a
// move holds a closed pull request's snapshot, the prune claims its record
// and waits for the snapshot, and the move then records the closing again,
// which waits for the prune. PostgreSQL broke the cycle after its
// deadlock_timeout (a second) by failing one of them, the move's whole
// batch or the prune job. The prune now gives way: the move's writes and
// commit succeed, so does the prune, and the next run prunes the pull
// request.
func TestPruneClosedGivesWayToAMove(t *testing.T) {
	t.Parallel()
	s := openStore(t, newPostgresURL(t), Options{})
	ctx := context.Background()
	long := seedClosedLongAgo(t, s, 7, 1)
	move, pid := holdSnapshot(t, s, 7, 1)

	wait, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	pruned := make(chan error, 1)
	go func() {
		_, err := s.PruneClosed(wait, time.Now().Add(-keepFor))
		pruned <- err
	}()
	// Until the prune waits for the move (it may also have given way
	// already, before this sees it).
	var done bool
	var pruneErr error
	for blocked := 0; blocked == 0 && !done; {
		select {
		case pruneErr = <-pruned:
			done = true
		case <-time.After(5 * time.Millisecond):
			mustDo(t, s.DB.QueryRowContext(wait, `SELECT COUNT(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))`, pid).Scan(&blocked))
		}
	}
	if err := (Writes{db: move, tx: move, s: s}).MarkClosed(wait, 7, 1, long.Add(time.Second)); err != nil {
		t.Fatalf("the move's write failed: %v", err)
	}
	if err := move.Commit(); err != nil {
		t.Fatalf("the move's commit failed: %v", err)
	}
	if !done {
		pruneErr = <-pruned
	}
	if pruneErr != nil {
		t.Fatalf("the prune failed: %v", pruneErr)
	}
	if n, err := s.PruneClosed(ctx, time.Now().Add(-keepFor)); err != nil || n != 1 {
		t.Errorf("the next run pruned %d, %v; want the pull request the move held", n, err)
	}
}
