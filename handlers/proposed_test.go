package handlers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/reviewpolicy/reviewpolicy/policy"
	"github.com/reviewpolicy/reviewpolicy/policy/check"
)

// manyRules is a policy at the parse caps: MaxRules rules of
// MaxPathsPerRule globs each, none matching "src/…" files.
func manyRules() []policy.Rule {
	rules := make([]policy.Rule, policy.MaxRules)
	for i := range rules {
		rules[i].Name = fmt.Sprint("r", i)
		for j := 0; j < policy.MaxPathsPerRule; j++ {
			rules[i].Paths = append(rules[i].Paths, fmt.Sprintf("nowhere%d/**", j))
		}
	}
	return rules
}

func files(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("src/pkg%d/file%d.go", i%50, i)
	}
	return out
}

// 200 rules × 50 globs against 2,000 files is 20 million matches when no
// rule matches: the audit spends its budget, then says it is too large,
// keeping what it found before.
func TestAuditStopsAtItsMatchBudget(t *testing.T) {
	t.Parallel()
	rules := manyRules()
	rules[0].Paths = []string{"src/**"} // matches the first file: costs one match
	b := &matchBudget{left: 300_000}
	got, err := findUnmatched(context.Background(), rules, files(2000), "", b)
	if err != nil {
		t.Fatal(err)
	}
	if b.left != 0 {
		t.Errorf("%d matches left; want the budget spent, not more and not less", b.left)
	}
	// 1 + 2 × 100,000 matches: rule 0 matched, rules 1 and 2 found unmatched,
	// rule 3 ran out.
	if len(got) != 3 || !strings.Contains(got[2].Msg, "too large to audit") || got[2].Blocking ||
		!strings.Contains(got[0].Msg, `rule "r1"`) {
		t.Fatalf("findings = %+v; want r1, r2, then a non-blocking \"too large to audit\"", got)
	}
}

// Within the budget, the audit still stops as soon as its context ends.
func TestAuditHonoursContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b := &matchBudget{left: maxAuditMatches}
	_, err := findUnmatched(ctx, manyRules(), files(400), "", b) // 4 million matches
	if err == nil {
		t.Fatal("a cancelled audit ran to the end")
	}
	if spent := maxAuditMatches - b.left; spent > ctxCheckEvery {
		t.Errorf("spent %d matches after the context ended; want at most %d", spent, ctxCheckEvery)
	}
}

func TestAuditFindsUnmatchedRulesWithBoundedMessages(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("n", 1000)
	rules := []policy.Rule{
		{Name: "docs", Paths: []string{"*.md"}},
		{Name: long, Paths: []string{"a/**", "b/**", "c/**", "d/" + long}},
	}
	text := "version: 1\nreviewers:\n  rules:\n    - name: docs\n    - name: " + long + "\n"
	got, err := findUnmatched(context.Background(), rules, []string{"README.md"}, text, &matchBudget{left: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Line != 5 || got[0].Column != 13 {
		t.Fatalf("findings = %+v; want the second rule at 5:13", got)
	}
	if msg := got[0].Msg; len(msg) > 400 || !strings.Contains(msg, "and 1 more") {
		t.Errorf("message is %d bytes: %.200q", len(msg), msg)
	}
}

func TestLocate(t *testing.T) {
	t.Parallel()
	text := "a\nbb x\n  x y\n"
	for _, tt := range []struct {
		needle    string
		line, col int
	}{{"x", 2, 4}, {"y", 3, 5}, {"a", 1, 1}, {"zz", 1, 1}, {"", 1, 1}} {
		if l, c := locate(text, tt.needle); l != tt.line || c != tt.col {
			t.Errorf("locate(%q) = %d:%d, want %d:%d", tt.needle, l, c, tt.line, tt.col)
		}
	}
}

// An audit that outlives its own deadline is reported, not failed; one
// whose job ends is stopped with the job's error.
func TestAuditWithinItsDeadline(t *testing.T) {
	t.Parallel()
	hang := func(ctx context.Context) ([]check.Finding, error) {
		<-ctx.Done() // an audit that only ends when told to
		return []check.Finding{{Line: 3, Msg: "found before the deadline"}}, ctx.Err()
	}
	got, err := auditWithin(context.Background(), time.Millisecond, hang)
	if err != nil {
		t.Fatalf("own deadline: err = %v, want findings", err)
	}
	if len(got) != 2 || got[0].Line != 3 || !strings.Contains(got[1].Msg, "too large to audit") || got[1].Blocking {
		t.Errorf("findings = %+v; want the earlier one and a non-blocking \"too large to audit\"", got)
	}
	job, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := auditWithin(job, time.Hour, hang); !errors.Is(err, context.Canceled) {
		t.Errorf("job cancelled: err = %v, want context.Canceled", err)
	}
}
