package store

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
)

// batchScene puts into s the rows the batch tests start and end: pull
// requests in every state a start can find, with the rows the first reads
// read.
func batchScene(t *testing.T, s *Store, at time.Time) {
	t.Helper()
	ctx := context.Background()
	for _, scope := range []string{"base:7:main", "base:7:main", "base:8:dev", "base:70:main", "org:acme", "org:beta"} {
		mustDo(t, s.BumpFactVersion(ctx, scope))
	}
	one := PR{RepoID: 7, Number: 1}
	mustDo(t, s.RecordSnapshot(ctx, one, Snapshot{Data: []byte(`{"n":1}`), UpdatedAt: at, Trusted: true, RecordedAt: at}))
	rows := []CommandRow{{CommentID: 10, Line: 1, Kind: "explain", Actor: "ann", OK: true, At: at},
		{CommentID: 11, Line: 1, Kind: "snooze", Actor: "ann", OK: true, For: time.Hour, At: at.Add(time.Minute)}}
	if _, err := s.AddCommands(ctx, 7, 1, rows); err != nil {
		t.Fatal(err)
	}
	mustDo(t, s.AddAppRequest(ctx, 7, 1, "bob", at))
	mustDo(t, s.AddAppRequest(ctx, 7, 1, "cy", at.Add(time.Second)))
	mustDo(t, s.PutVerdict(ctx, Verdict{PR: one, HeadSHA: "abc", BaseRef: "main", Report: []byte(`{"n":1}`), UpdatedAt: at}))
	mustDo(t, s.PutObject(ctx, ObjectKey{RepoID: 7, Number: 1, Kind: "comment"}, Object{ID: 41, Hash: "h1"}))
	if _, err := s.AddCommands(ctx, 8, 2, rows[:1]); err != nil {
		t.Fatal(err)
	}
	mustDo(t, s.AddAppRequest(ctx, 8, 2, "dee", at))

	mustRequest(t, s, one)
	two := PR{RepoID: 7, Number: 2}
	mustRequest(t, s, two)
	mustRequest(t, s, two)
	busy := PR{RepoID: 7, Number: 3}
	mustRequest(t, s, busy)
	if start, _, err := s.StartEvaluation(ctx, busy, 1, 0, "job:other", at, at.Add(time.Hour)); err != nil || start != Run {
		t.Fatalf("lease of #3 for another job: %v %v", start, err)
	}
	mustRequest(t, s, busy) // not covered by the other job's lease
	done := PR{RepoID: 7, Number: 4}
	mustRequest(t, s, done)
	if start, c, err := s.StartEvaluation(ctx, done, 1, 0, "job:before", at, at.Add(time.Hour)); err != nil || start != Run {
		t.Fatalf("lease of #4: %v %v", start, err)
	} else if ok, err := s.FinishEvaluation(ctx, done, "job:before", c); !ok || err != nil {
		t.Fatalf("end of #4: %v %v", ok, err)
	}
	mustRequest(t, s, PR{RepoID: 8, Number: 2}) // its queued job counts on later requests
	mustRequest(t, s, PR{RepoID: 8, Number: 2})
}

// batchStarts are the starts of the batch tests, the job of 8#2 being the
// one its requests count on.
func batchStarts(t *testing.T, s *Store) []EvaluationStart {
	acme := FirstReads{Scopes: []string{"org:acme", "teams:acme"}, Prefix: "base:7:"}
	beta := FirstReads{Scopes: []string{"org:beta"}, Prefix: "base:8:"}
	return []EvaluationStart{
		{PR: PR{RepoID: 7, Number: 1}, Version: 1, JobID: 101, Owner: "job:101", Reads: acme},
		{PR: PR{RepoID: 7, Number: 2}, Version: 1, JobID: 102, Owner: "job:102", Reads: acme},
		{PR: PR{RepoID: 7, Number: 3}, Version: 2, JobID: 103, Owner: "job:103", Reads: acme},
		{PR: PR{RepoID: 7, Number: 4}, Version: 1, JobID: 104, Owner: "job:104", Reads: acme},
		{PR: PR{RepoID: 8, Number: 1}, Version: 1, JobID: 105, Owner: "job:105", Reads: beta}, // no row: pruned
		{PR: PR{RepoID: 8, Number: 2}, Version: 1, JobID: queuedJob(t, s, PR{RepoID: 8, Number: 2}), Owner: "job:106", Reads: beta},
		{PR: PR{RepoID: 7, Number: 1}, Version: 1, JobID: 107, Owner: "job:107", Reads: acme}, // twice
	}
}

// warnings records what a store logs at Warn and above.
type warnings struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (w *warnings) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *warnings) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// TestBatchedStartsAndEndsAsSingles: a batch of starts, then of ends, gives
// every pull request what StartEvaluationReading and FinishEvaluationWith
// give it one after the other in another store with the same rows (the
// lease, its version, the first reads with each start's own fact
// versions, the end's answer, the summaries and the rows left), and on
// PostgreSQL it does so as one batch, not by falling back to the singles.
func TestBatchedStartsAndEndsAsSingles(t *testing.T) {
	t.Parallel()
	forEachEngineURL(t, func(t *testing.T, url string) {
		ctx := context.Background()
		at := time.Date(2025, 3, 5, 12, 0, 0, 0, time.UTC)
		later := at.Add(time.Minute)
		var logged warnings
		batched := openStore(t, url, Options{Logger: slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelWarn}))})
		batchScene(t, batched, at)
		single := openStore(t, sameEngineURL(t, url), Options{})
		batchScene(t, single, at)

		starts := batchStarts(t, batched)
		got := batched.StartEvaluations(ctx, starts, at, later)
		want := make([]Started, len(starts))
		for i, st := range batchStarts(t, single) {
			reads := st.Reads
			w := &want[i]
			w.Start, w.Covering, w.First, w.Err = single.StartEvaluationReading(ctx, st.PR, st.Version, st.JobID, st.Owner, at, later, &reads)
		}
		kinds := []Start{Run, Run, Busy, Covered, Covered, Run, Covered}
		for i := range starts {
			g, w := got[i], want[i]
			if g.Err != nil || g.Start != kinds[i] || g.Start != w.Start || g.Covering != w.Covering || !reflect.DeepEqual(g.First, w.First) {
				t.Errorf("start %d (%+v): %v covering %d reads %+v (%v);\none by one %v covering %d reads %+v (%v); want %v",
					i, starts[i].PR, g.Start, g.Covering, g.First, g.Err, w.Start, w.Covering, w.First, w.Err, kinds[i])
			}
		}
		if first := got[0].First; len(first.Commands) != 2 || first.Commands[0].Kind != "explain" || len(first.AppRequests) != 2 || !first.CommentFound {
			t.Errorf("7#1's first reads %+v, want its two commands oldest first, two requests and the comment", first)
		}
		if v, known := got[5].First.Version("base:8:dev"); !known || v != 1 {
			t.Errorf("8#2's version of base:8:dev %d (known %v), want 1", v, known)
		}
		if _, known := got[5].First.Version("base:7:main"); known {
			t.Errorf("8#2 knows base:7:main, which 7#1 asked for")
		}
		if got[1].Covering != 2 || got[5].Covering != 2 {
			t.Errorf("coverings %d and %d, want every request made (2)", got[1].Covering, got[5].Covering)
		}

		sum := func(n int, conclusion string) *PRSummary {
			return &PRSummary{InstallationID: 1, RepoID: 7, Owner: "acme", Repo: "web", Number: n, Title: "t", State: "open",
				Conclusion: conclusion, Requested: []string{"Bob"}, Snapshot: []byte(`{}`), UpdatedAt: at}
		}
		ends := []EvaluationEnd{
			{PR: PR{RepoID: 7, Number: 1}, Owner: "job:101", Covering: 1, Summary: sum(1, "success")},
			{PR: PR{RepoID: 7, Number: 2}, Owner: "job:102", Covering: 2, Summary: sum(2, "failure")},
			{PR: PR{RepoID: 7, Number: 3}, Owner: "job:103", Covering: 1, Summary: sum(3, "neutral")}, // held by another
			{PR: PR{RepoID: 8, Number: 2}, Owner: "job:106", Covering: 2},
			{PR: PR{RepoID: 7, Number: 1}, Owner: "job:107", Covering: 1}, // twice
		}
		ended := batched.FinishEvaluations(ctx, ends)
		oks := []bool{true, true, false, true, false}
		for i, e := range ends {
			ok, err := single.FinishEvaluationWith(ctx, e.PR, e.Owner, e.Covering, e.Summary)
			if g := ended[i]; g.Err != nil || err != nil || g.OK != ok || g.OK != oks[i] {
				t.Errorf("end %d (%+v): %v (%v); one by one %v (%v); want %v", i, e.PR, g.OK, g.Err, ok, err, oks[i])
			}
		}
		if a, b := evaluationRows(t, batched), evaluationRows(t, single); a != b || !strings.Contains(a, "7#2 requested 2 done 2 lease ''") {
			t.Errorf("rows after the batches:\n%s\none by one:\n%s", a, b)
		}
		for n, want := range map[int]string{1: "success", 2: "failure"} {
			if s, found, err := batched.PRSummaryOf(ctx, "acme", "web", n); err != nil || !found || s.Conclusion != want || s.Requested[0] != "bob" {
				t.Errorf("summary of #%d %+v (%v %v), want %s", n, s, found, err, want)
			}
		}
		// As FinishEvaluationWith, the summary is written whoever holds the
		// lease: the page shows what the last evaluation found.
		if s, found, err := batched.PRSummaryOf(ctx, "acme", "web", 3); err != nil || !found || s.Conclusion != "neutral" {
			t.Errorf("#3's summary %+v (%v %v), want neutral as one by one", s, found, err)
		}
		if w := logged.String(); w != "" {
			t.Errorf("the store fell back or warned: %s", w)
		}
	})
}

// sameEngineURL is a fresh database of url's engine.
func sameEngineURL(t *testing.T, url string) string {
	for _, e := range engines {
		if strings.HasPrefix(url, "sqlite") == (e.name == DialectSQLite) {
			return e.newURL(t)
		}
	}
	t.Fatalf("no engine for %s", url)
	return ""
}

// evaluationRows lists pr_evaluations' rows but the job IDs, which differ
// between stores.
func evaluationRows(t *testing.T, s *Store) string {
	t.Helper()
	rows, err := s.DB.QueryContext(context.Background(),
		`SELECT repo_id, number, requested, covering, done, lease_owner, lease_until FROM pr_evaluations ORDER BY repo_id, number`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var repo, number, requested, covering, done, until int64
		var owner string
		mustDo(t, rows.Scan(&repo, &number, &requested, &covering, &done, &owner, &until))
		fmt.Fprintf(&b, "%d#%d requested %d done %d lease '%s' until %d covering %d\n", repo, number, requested, done, owner, until, covering)
	}
	mustDo(t, rows.Err())
	return b.String()
}

// TestBatchedStartsWaitForAMoveAndDoNotDeadlock: a batch of starts and of
// ends whose rows a move's transaction holds (locked in key order, as a
// move's requests lock them) waits for the move's commit and then sees its
// requests; concurrent batches over the same pull requests in opposite
// orders all finish, each pull request's lease taken by one of them at a
// time.
func TestBatchedStartsWaitForAMoveAndDoNotDeadlock(t *testing.T) {
	t.Parallel()
	url := newPostgresURL(t)
	s := openStore(t, url, Options{MaxWorkers: 4})
	ctx := context.Background()
	at := time.Unix(1000, 0)
	var prs []PR
	for n := 1; n <= 6; n++ {
		prs = append(prs, PR{RepoID: 9, Number: n})
		mustRequest(t, s, prs[n-1])
	}
	var reqs []EvaluationRequest
	for _, pr := range prs[2:5] {
		reqs = append(reqs, EvaluationRequest{PR: pr, Job: func(v int64) river.JobArgs { return evalArgs{Number: pr.Number, Version: v} }})
	}
	moved, commit := make(chan struct{}), make(chan struct{})
	var moveErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		moveErr = s.Batch(ctx, func(w Writes) error {
			if err := w.RequestEvaluations(ctx, reqs); err != nil {
				return err
			}
			if err := w.sync(ctx); err != nil {
				return err
			}
			close(moved)
			<-commit
			return nil
		})
	})
	<-moved
	var starts []EvaluationStart
	for i, pr := range prs {
		starts = append(starts, EvaluationStart{PR: pr, Version: 1, Owner: fmt.Sprint("batch:", i)})
	}
	got := make(chan []Started)
	go func() { got <- s.StartEvaluations(ctx, starts, at, at.Add(time.Hour)) }()
	select {
	case r := <-got:
		t.Fatalf("the batch started before the move committed: %+v", r)
	case <-time.After(200 * time.Millisecond):
	}
	close(commit)
	wg.Wait()
	mustDo(t, moveErr)
	for i, r := range <-got {
		want := int64(1)
		if i >= 2 && i < 5 {
			want = 2 // the move's request counts
		}
		if r.Err != nil || r.Start != Run || r.Covering != want {
			t.Errorf("start of %+v: %v covering %d (%v), want Run covering %d", prs[i], r.Start, r.Covering, r.Err, want)
		}
	}

	// Batches in opposite orders, each taking and giving back every lease.
	var ends []EvaluationEnd
	for i, pr := range prs {
		ends = append(ends, EvaluationEnd{PR: pr, Owner: fmt.Sprint("batch:", i), Covering: 1})
	}
	for _, f := range s.FinishEvaluations(ctx, ends) {
		if f.Err != nil || !f.OK {
			t.Fatalf("end: %+v", f)
		}
	}
	var held sync.Map
	for round := range 4 {
		var batches sync.WaitGroup
		for b := range 4 {
			batches.Go(func() {
				order := append([]PR(nil), prs...)
				if b%2 == 1 {
					for i, j := 0, len(order)-1; i < j; i, j = i+1, j-1 {
						order[i], order[j] = order[j], order[i]
					}
				}
				var st []EvaluationStart
				for _, pr := range order {
					mustRequest(t, s, pr)
					st = append(st, EvaluationStart{PR: pr, Version: 1 << 20, Owner: fmt.Sprint("r", round, "b", b)})
				}
				var mine []EvaluationEnd
				for i, r := range s.StartEvaluations(ctx, st, at, at.Add(time.Hour)) {
					if r.Err != nil {
						t.Errorf("round %d batch %d: %v", round, b, r.Err)
					}
					if r.Start == Run {
						if other, dup := held.LoadOrStore(order[i], b); dup {
							t.Errorf("%+v leased by batches %v and %d at once", order[i], other, b)
						}
						mine = append(mine, EvaluationEnd{PR: order[i], Owner: st[i].Owner, Covering: r.Covering})
					}
				}
				for _, e := range mine {
					held.Delete(e.PR)
				}
				for _, f := range s.FinishEvaluations(ctx, mine) {
					if f.Err != nil || !f.OK {
						t.Errorf("round %d batch %d end: %+v", round, b, f)
					}
				}
			})
		}
		batches.Wait()
	}
}
