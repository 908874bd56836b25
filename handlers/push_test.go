package handlers

import (
	"strings"
	"testing"

	"github.com/reviewpolicy/reviewpolicy/githubapi"
)

func TestPushMayTouch(t *testing.T) {
	t.Parallel()
	one := func(files ...string) []pushCommit { return []pushCommit{{Modified: files}} }
	many := make([]pushCommit, pushCommitLimit)
	for i := range many {
		many[i] = pushCommit{Added: []string{"src/x.go"}}
	}
	bigCommit := make([]string, pushFileLimit)
	for i := range bigCommit {
		bigCommit[i] = "gen/file.go"
	}
	for _, tc := range []struct {
		name string
		ev   pushEvent
		want bool
	}{
		{"policy", pushEvent{Commits: one(".github/review-policy.yml")}, true},
		{"policy, other case", pushEvent{Commits: one(".GitHub/Review-Policy.yml")}, true},
		{"template in .github", pushEvent{Commits: one(".github/pull_request_template.md")}, true},
		{"template at the root", pushEvent{Commits: []pushCommit{{Added: []string{"pull_request_template.md"}}}}, true},
		{"template in docs, removed", pushEvent{Commits: []pushCommit{{Removed: []string{"docs/pull_request_template.md"}}}}, true},
		{"CODEOWNERS at the root", pushEvent{Commits: one("CODEOWNERS")}, true},
		{"CODEOWNERS in docs", pushEvent{Commits: one("docs/CODEOWNERS")}, true},
		{"CODEOWNERS in .github, second commit", pushEvent{Commits: []pushCommit{{Modified: []string{"a.go"}}, {Modified: []string{".github/CODEOWNERS"}}}}, true},
		{"other files", pushEvent{Commits: one("README.md", ".github/workflows/ci.yml", "src/CODEOWNERS")}, false},
		{"force push", pushEvent{Forced: true, Commits: one("README.md")}, true},
		{"no commits listed", pushEvent{}, true},
		{"commit list at GitHub's cap", pushEvent{Commits: many}, true},
		{"file list at GitHub's cap", pushEvent{Commits: one(bigCommit...)}, true},
	} {
		if got := tc.ev.mayTouch(branchInput); got != tc.want {
			t.Errorf("%s: mayTouch = %v, want %v", tc.name, got, tc.want)
		}
	}
	org := pushEvent{Commits: one("review-policy.yml")}
	if !org.mayTouch(orgDefault) || org.mayTouch(branchInput) {
		t.Error("review-policy.yml at the root is the organisation default, not a branch's policy")
	}
	if nested := (pushEvent{Commits: one("sub/review-policy.yml")}); nested.mayTouch(orgDefault) {
		t.Error("only the root review-policy.yml is the organisation default")
	}
	if !strings.EqualFold(githubapi.TemplatePaths[0], ".github/pull_request_template.md") {
		t.Fatal("templatePaths changed: review the cases above")
	}
}
