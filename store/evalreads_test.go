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
		if err != nil || none.SnapshotFound || none.VerdictFound || len(none.Commands)+len(none.AppRequests)+len(none.Versions) != 0 {
			t.Errorf("a pull request with nothing: %+v, %v", none, err)
		}
	})
}
