package policy

import (
	"strings"
	"testing"
)

func TestComparisonParseAndHold(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in       string
		n        int
		want     bool
		parseErr string
	}{
		{">500", 501, true, ""},
		{">500", 500, false, ""},
		{">= 20", 20, true, ""},
		{"<10", 10, false, ""},
		{"<10", 9, true, ""},
		{" <=3 ", 3, true, ""},
		{"=5", 0, false, "start it with"},
		{">", 0, false, "followed by a whole number"},
		{">-1", 0, false, "followed by a whole number"},
		{">1e3", 0, false, "followed by a whole number"},
		{"500", 0, false, "start it with"},
	}
	for _, tt := range tests {
		c, err := parseComparison(tt.in)
		if tt.parseErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.parseErr) {
				t.Errorf("parseComparison(%q) error %v, want %q", tt.in, err, tt.parseErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("parseComparison(%q): %v", tt.in, err)
		}
		if got := c.Holds(tt.n); got != tt.want {
			t.Errorf("%q.Holds(%d) = %v, want %v", tt.in, tt.n, got, tt.want)
		}
	}
}

func TestConditionUnmet(t *testing.T) {
	t.Parallel()
	big := &Comparison{Op: ">", N: 500}
	pr := PullRequest{Author: "Dave", Files: []string{"svc/api/x.go"}, Labels: []string{"DB"},
		LinesChanged: 600, FilesChanged: 3, AuthorTeams: []string{"@acme/interns"}}
	tests := []struct {
		name string
		c    *Condition
		pr   PullRequest
		want string // "" holds; otherwise a part of the reason
	}{
		{"nil holds", nil, pr, ""},
		{"lines over", &Condition{LinesChanged: big}, pr, ""},
		{"lines under", &Condition{LinesChanged: big}, PullRequest{LinesChanged: 120}, "lines_changed >500 (120 lines changed)"},
		{"files", &Condition{FilesChanged: &Comparison{Op: ">=", N: 4}}, pr, "files_changed >=4 (3 files changed)"},
		{"labels fold case", &Condition{Labels: []string{"db"}}, pr, ""},
		{"author by login", &Condition{Authors: []string{"@dave"}}, pr, ""},
		{"author by team", &Condition{Authors: []string{"@ACME/interns"}}, pr, ""},
		{"author not listed", &Condition{Authors: []string{"erin"}}, pr, "Dave is not one of them"},
		{"first time", &Condition{AuthorFirstTime: true}, PullRequest{Author: "new", FirstTime: true}, ""},
		{"not first time", &Condition{AuthorFirstTime: true}, pr, "authors first_time"},
		{"all must hold", &Condition{LinesChanged: big, Paths: []string{"docs/**"}}, pr, "paths docs/**"},
	}
	for _, tt := range tests {
		got := tt.c.Unmet(tt.pr)
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("%s: Unmet = %q, want %q", tt.name, got, tt.want)
		}
		if tt.c.Holds(tt.pr) != (got == "") {
			t.Errorf("%s: Holds disagrees with Unmet", tt.name)
		}
	}
}

func TestTeamsInConditions(t *testing.T) {
	t.Parallel()
	p, err := Parse("t.yml", []byte(`version: 1
template:
  sections: [{heading: A, when: {authors: ["@Acme/Interns", dave]}}]
reviewers:
  rules: [{name: r, paths: ["**"], reviewers: [x], when: {authors: ["@acme/interns", "@acme/new"]}}]
`))
	if err != nil {
		t.Fatal(err)
	}
	got := TeamsInConditions(p)
	if strings.Join(got, ",") != "@acme/interns,@acme/new" {
		t.Errorf("TeamsInConditions = %v", got)
	}
}
