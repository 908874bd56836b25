package handlers

import (
	"fmt"
	"strings"
	"testing"

	"github.com/reviewpolicy/reviewpolicy/policy/check"
)

func TestGroupReport(t *testing.T) {
	t.Parallel()
	g := mergeGroupArgs{HeadSHA: strings.Repeat("a", 40), BaseRef: "refs/heads/main"}
	pass := func(n int) groupMember { return groupMember{Number: n, HeadSHA: strings.Repeat("b", 40), Passed: true} }
	fail := func(n int, why string) groupMember {
		return groupMember{Number: n, HeadSHA: strings.Repeat("c", 40), Why: why}
	}

	if r := groupReport(g, []groupMember{pass(1), pass(2)}); r.Conclusion != check.Success || !strings.Contains(r.Summary, "#2 passed") {
		t.Errorf("all passed: %s %q\n%s", r.Conclusion, r.Title, r.Summary)
	}
	r := groupReport(g, []groupMember{pass(1), fail(2, "did not pass: failure"), fail(3, "is still being checked")})
	if r.Conclusion != check.Failure || r.Title != "Merge group: #2, #3 did not pass the review policy" ||
		!strings.Contains(r.Summary, "#3 is still being checked") || !strings.Contains(r.Summary, "`main`") {
		t.Errorf("two failed: %s %q\n%s", r.Conclusion, r.Title, r.Summary)
	}
	if r := groupReport(g, nil); r.Conclusion != check.Failure {
		t.Errorf("an empty group must not pass: %s", r.Conclusion)
	}
	var lots []groupMember
	for n := range maxGroupPRs + 3 {
		lots = append(lots, pass(n+1))
	}
	r = groupReport(g, lots)
	if r.Conclusion != check.Failure || !strings.Contains(r.Summary, "3 more pull requests") {
		t.Errorf("over the cap: %s %q", r.Conclusion, r.Title)
	}
	lots = nil
	for n := range 7 {
		lots = append(lots, fail(n+1, "did not pass: failure"))
	}
	if r := groupReport(g, lots); r.Title != fmt.Sprintf("Merge group: %d pull requests did not pass the review policy", 7) {
		t.Errorf("many failed: title %q", r.Title)
	}
}

func TestQueueBranchNamesItsPullRequest(t *testing.T) {
	t.Parallel()
	for ref, want := range map[string]string{
		"refs/heads/gh-readonly-queue/main/pr-104-929f8209d40f77f4abc622a499c93a83babdbe64":       "104",
		"refs/heads/gh-readonly-queue/release/v2/pr-7-929f8209d40f77f4abc622a499c93a83babdbe64":   "7",
		"refs/heads/gh-readonly-queue/main/pr-104-929f8209d40f77f4abc622a499c93a83babdbe64/extra": "",
		"refs/heads/feature/pr-12": "",
	} {
		got := ""
		if m := queueRefRE.FindStringSubmatch(ref); m != nil {
			got = m[1]
		}
		if got != want {
			t.Errorf("%s: pull request %q, want %q", ref, got, want)
		}
	}
}
