package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestVerdictsOnUsesHeadIndex: a head's verdicts are found through
// verdicts_head_idx, not by reading every verdict of the repository, which
// SQLite chose (it keeps no statistics) while the index lacked the order.
func TestVerdictsOnUsesHeadIndex(t *testing.T) {
	t.Parallel()
	s := openStore(t, newSQLiteURL(t), Options{})
	ctx := context.Background()
	for n := 1; n <= 50; n++ {
		v := Verdict{PR: PR{RepoID: 1, Number: n}, HeadSHA: fmt.Sprintf("sha%d", n%5), BaseRef: "main", Report: []byte(`{}`), UpdatedAt: time.Now()}
		mustDo(t, s.PutVerdict(ctx, v))
	}
	rows, err := s.DB.Query(`EXPLAIN QUERY PLAN `+verdictsOnQuery, 1, "sha1")
	mustDo(t, err)
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		mustDo(t, rows.Scan(&id, &parent, &unused, &detail))
		plan = append(plan, detail)
	}
	mustDo(t, rows.Err())
	got := strings.Join(plan, "\n")
	if !strings.Contains(got, "verdicts_head_idx (repo_id=? AND head_sha=?)") || strings.Contains(got, "TEMP B-TREE") {
		t.Errorf("VerdictsOn does not read its index in order; plan:\n%s", got)
	}
	vs, err := s.VerdictsOn(ctx, 1, "sha1")
	mustDo(t, err)
	if len(vs) != 10 || vs[0].Number != 1 || vs[9].Number != 46 {
		t.Errorf("VerdictsOn(sha1) = %d verdicts from #%d; want 10 from #1 to #46", len(vs), vs[0].Number)
	}
}

// TestLeaseVerdictsWritesLeasesAndReads: the verdict is stored whether the
// lease was free or not; the verdicts come only with a held lease and
// include the one just written; the lease's record is the claim when there
// was none, and what was recorded otherwise.
func TestLeaseVerdictsWritesLeasesAndReads(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		now := time.Date(2025, 3, 5, 12, 0, 0, 0, time.UTC)
		later := now.Add(time.Minute)
		k := ObjectKey{RepoID: 7, Kind: "check_run:abc"}
		v1 := Verdict{PR: PR{RepoID: 7, Number: 1}, HeadSHA: "abc", BaseRef: "main", Report: []byte(`{"n":1}`), UpdatedAt: now}
		v2 := Verdict{PR: PR{RepoID: 7, Number: 2}, HeadSHA: "abc", BaseRef: "dev", Report: []byte(`{"n":2}`), UpdatedAt: now}

		o, held, vs, err := s.LeaseVerdicts(ctx, &v1, k, Object{Hash: "claim:1"}, "job:1", now, later, 7, "abc")
		if err != nil || !held || o != (Object{Hash: "claim:1"}) || len(vs) != 1 || !vs[0].Same(v1) {
			t.Fatalf("free lease: %+v held %v, verdicts %+v (%v); want the claim, held, v1", o, held, vs, err)
		}
		o, held, vs, err = s.LeaseVerdicts(ctx, &v2, k, Object{Hash: "claim:2"}, "job:2", now, later, 7, "abc")
		if err != nil || held || vs != nil || o != (Object{}) {
			t.Fatalf("held by job:1: %+v held %v, verdicts %+v (%v); want nothing", o, held, vs, err)
		}
		if all, _ := s.VerdictsOn(ctx, 7, "abc"); len(all) != 2 || !all[1].Same(v2) {
			t.Errorf("verdicts on abc after job:2's attempt: %+v, want v1 and v2", all)
		}
		mustDo(t, s.ReleaseObject(ctx, k, "job:1", &Object{ID: 99, Hash: "h"}))
		o, held, vs, err = s.LeaseVerdicts(ctx, nil, k, Object{Hash: "claim:3"}, "job:2", now, later, 7, "abc")
		if err != nil || !held || o != (Object{ID: 99, Hash: "h"}) || len(vs) != 2 {
			t.Errorf("after the release: %+v held %v, %d verdicts (%v); want the record, held, 2", o, held, len(vs), err)
		}
	})
}
