package handlers

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/reviewpolicy/reviewpolicy/policy/check"
	"github.com/reviewpolicy/reviewpolicy/store"
)

// TestCombineKeepsStructureAndLimit: pull requests sharing a head, one into
// a branch named to break out of its code span, each with a summary far over
// GitHub's limit that ends inside a code block. The combined summary fits,
// every cut block is closed, and the branch name stays in its code span.
func TestCombineKeepsStructureAndLimit(t *testing.T) {
	t.Parallel()
	long := "## Policy\n```\n" + strings.Repeat("error @acme/everyone\n", 10000) + "```\n"
	var vs []store.Verdict
	for i, base := range []string{"main", "x` <img src=x> @acme/everyone `y"} {
		rep, err := json.Marshal(verdict{Conclusion: check.Failure, Title: "t", Summary: long})
		if err != nil {
			t.Fatal(err)
		}
		vs = append(vs, store.Verdict{PR: store.PR{Number: i + 1}, BaseRef: base, Report: rep})
	}
	rep, err := combine(vs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Summary) > check.MaxSummary {
		t.Errorf("summary of %d bytes", len(rep.Summary))
	}
	for i, part := range strings.Split(rep.Summary, "\n## #") {
		if n := strings.Count(part, "```\n"); n%2 != 0 {
			t.Errorf("part %d has %d fence lines: a code block is left open", i, n)
		}
	}
	for _, want := range []string{"## #1 into `main`: failure", "## #2 into ``x` <img src=x> @acme/everyone `y``: failure", check.Truncated} {
		if !strings.Contains(rep.Summary, want) {
			t.Errorf("summary lacks %q", want)
		}
	}
}

// TestGroupReportBranchInert: a merge group's base branch named to break
// out of its code span stays inside it.
func TestGroupReportBranchInert(t *testing.T) {
	t.Parallel()
	g := mergeGroupArgs{HeadSHA: strings.Repeat("a", 40), BaseRef: "refs/heads/x`<img src=x>`@acme/everyone"}
	r := groupReport(g, nil)
	if !strings.Contains(r.Summary, " on ``x`<img src=x>`@acme/everyone``.\n") {
		t.Errorf("summary: %q", r.Summary)
	}
}
