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
