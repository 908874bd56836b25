package store

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"
)

// TestEvaluationReadsAsTheSingleReads: read together, an evaluation's first
// reads give what each single read gives (its verdict as the head's list
// has it), and the versions of the scopes
// asked for and of the prefix's, known at 0 when never bumped; other
// scopes are not known. Another pull request's rows stay out.
func TestEvaluationReadsAsTheSingleReads(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		at := time.Date(2025, 3, 5, 12, 0, 0, 0, time.UTC)
		pr := PR{RepoID: 7, Number: 2}
		for _, scope := range []string{"base:7:main", "base:7:main", "base:7:dev", "base:7:über", "base:70:main", "base:7", "base:7;", "org:acme", "teams:other"} {
			mustDo(t, s.BumpFactVersion(ctx, scope))
		}
		mustDo(t, s.RecordSnapshot(ctx, pr, Snapshot{Data: []byte(`{"n":2}`), UpdatedAt: at, Trusted: true, RecordedAt: at}))
		for n, who := range map[int]string{2: "ann", 3: "bob"} {
			rows := []CommandRow{{CommentID: int64(10 * n), Line: 1, Kind: "explain", Actor: who, OK: true, At: at},
				{CommentID: int64(10*n + 1), Line: 1, Kind: "snooze", Actor: who, OK: true, For: time.Hour, At: at.Add(time.Minute)}}
			if _, err := s.AddCommands(ctx, 7, n, rows); err != nil {
				t.Fatal(err)
			}
			mustDo(t, s.AddAppRequest(ctx, 7, n, who, at))
		}
		for n := 2; n <= 3; n++ {
			mustDo(t, s.PutVerdict(ctx, Verdict{PR: PR{RepoID: 7, Number: n}, HeadSHA: "abc", BaseRef: "main",
				Report: []byte(fmt.Sprintf(`{"n":%d}`, n)), UpdatedAt: at}))
		}
		mustDo(t, s.PutObject(ctx, ObjectKey{RepoID: 7, Number: 2, Kind: "comment"}, Object{ID: 41, Hash: "h2"}))
		mustDo(t, s.PutObject(ctx, ObjectKey{RepoID: 7, Number: 3, Kind: "comment"}, Object{ID: 42, Hash: "h3"}))
		mustDo(t, s.AddAppRequest(ctx, 7, 2, "cy", at.Add(time.Second)))
		mustDo(t, s.WithdrawAppRequest(ctx, 7, 2, "cy", "reassigned"))

		got, err := s.EvaluationReads(ctx, pr, []string{"org:acme", "teams:acme"}, "base:7:")
		if err != nil {
			t.Fatal(err)
		}
		snap, found, _ := s.SnapshotOf(ctx, pr)
		cmds, _ := s.Commands(ctx, 7, 2)
		reqs, _ := s.AppRequests(ctx, 7, 2)
		if !got.SnapshotFound || !found || !reflect.DeepEqual(got.Snapshot, snap) {
			t.Errorf("snapshot %+v (%v), alone %+v (%v)", got.Snapshot, got.SnapshotFound, snap, found)
		}
		if len(cmds) != 2 || cmds[0].Kind != "explain" || !reflect.DeepEqual(got.Commands, cmds) {
			t.Errorf("commands %+v, alone %+v", got.Commands, cmds)
		}
		if vs, _ := s.VerdictsOn(ctx, 7, "abc"); len(vs) != 2 || !got.VerdictFound || !reflect.DeepEqual(got.Verdict, vs[0]) {
			t.Errorf("verdict %+v (%v), on the head %+v", got.Verdict, got.VerdictFound, vs)
		}
		if !got.CommentFound || got.Comment != (Object{ID: 41, Hash: "h2"}) {
			t.Errorf("comment's record %+v (%v), want #2's", got.Comment, got.CommentFound)
		}
		if len(reqs) != 2 || !reflect.DeepEqual(got.AppRequests, reqs) {
			t.Errorf("app requests %+v, alone %+v", got.AppRequests, reqs)
		}
		for scope, want := range map[string]int64{"base:7:main": 2, "base:7:dev": 1, "base:7:über": 1, "base:7:release": 0, "org:acme": 1, "teams:acme": 0} {
			if v, known := got.Version(scope); !known || v != want {
				t.Errorf("version of %s: %d (known %v), want %d", scope, v, known, want)
			}
		}
		for _, scope := range []string{"base:70:main", "base:7", "base:7;", "teams:other", "org:other"} {
			if _, known := got.Version(scope); known {
				t.Errorf("version of %s known, which was not asked for", scope)
			}
			if _, read := got.Versions[scope]; read {
				t.Errorf("version of %s read, outside the range asked for", scope)
			}
		}

		none, err := s.EvaluationReads(ctx, PR{RepoID: 7, Number: 9}, nil, "")
		if err != nil || none.SnapshotFound || none.VerdictFound || none.CommentFound || len(none.Commands)+len(none.AppRequests)+len(none.Versions) != 0 {
			t.Errorf("a pull request with nothing: %+v, %v", none, err)
		}
	})
}

// TestStartEvaluationReadsWithTheLease: the lease taken, the first reads
// come with it and are what EvaluationReads reads; a start that is Busy
// or Covered takes no lease and returns no reads.
func TestStartEvaluationReadsWithTheLease(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		at := time.Date(2025, 3, 5, 12, 0, 0, 0, time.UTC)
		pr := PR{RepoID: 7, Number: 4}
		mustDo(t, s.BumpFactVersion(ctx, "base:7:main"))
		mustDo(t, s.RecordSnapshot(ctx, pr, Snapshot{Data: []byte(`{"n":4}`), UpdatedAt: at, Trusted: true, RecordedAt: at}))
		mustDo(t, s.AddAppRequest(ctx, 7, 4, "ann", at))
		mustRequest(t, s, pr)
		reads := &FirstReads{Scopes: []string{"org:acme"}, Prefix: "base:7:"}
		later := at.Add(time.Minute)

		start, covering, got, err := s.StartEvaluationReading(ctx, pr, 1, 0, "job:1", at, later, reads)
		if err != nil || start != Run || covering != 1 {
			t.Fatalf("start: %v covering %d (%v), want Run covering 1", start, covering, err)
		}
		want, err := s.EvaluationReads(ctx, pr, reads.Scopes, reads.Prefix)
		if err != nil {
			t.Fatal(err)
		}
		if !got.SnapshotFound || len(got.AppRequests) != 1 || !reflect.DeepEqual(got, want) {
			t.Errorf("read with the lease %+v, alone %+v", got, want)
		}
		if v, known := got.Version("base:7:main"); !known || v != 1 {
			t.Errorf("version of base:7:main: %d (known %v), want 1", v, known)
		}

		mustRequest(t, s, pr)
		start, _, got, err = s.StartEvaluationReading(ctx, pr, 2, 0, "job:2", at, later, reads)
		if err != nil || start != Busy || got.SnapshotFound || got.Versions != nil {
			t.Errorf("while job:1 holds the lease: %v, reads %+v (%v), want Busy and none", start, got, err)
		}
		if ok, err := s.FinishEvaluation(ctx, pr, "job:1", 2); !ok || err != nil {
			t.Fatalf("finish: %v %v", ok, err)
		}
		start, _, got, err = s.StartEvaluationReading(ctx, pr, 2, 0, "job:2", at, later, reads)
		if err != nil || start != Covered || got.SnapshotFound {
			t.Errorf("after version 2 was covered: %v, reads %+v (%v), want Covered and none", start, got, err)
		}
		// The lease was not taken by the covered start: job:3 takes it.
		mustRequest(t, s, pr)
		if start, _, _, err := s.StartEvaluationReading(ctx, pr, 3, 0, "job:3", at, later, nil); err != nil || start != Run {
			t.Errorf("version 3: %v (%v), want Run", start, err)
		}
	})
}
