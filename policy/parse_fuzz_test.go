package policy

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reviewpolicy/reviewpolicy/policy/pathglob"
)

// FuzzParse: go test -fuzz=FuzzParse ./policy
func FuzzParse(f *testing.F) {
	for _, dir := range []string{"valid", "invalid", "invalid-semantic"} {
		paths, _ := filepath.Glob(filepath.Join("testdata", dir, "*.yml"))
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Add([]byte("version: 1\nsla: &a {escalate_to: [*a]}\n"))
	f.Add([]byte("version: 1\nreviewers: {<<: {count: 2}}\n"))
	f.Add([]byte("version: 1\nsla: {escalate_to: [&x \"a\\n`b\", *x, *x]}\n"))
	f.Add([]byte("version: 1\nreviewers: {rules: [{name: r, reviewers: [a], paths: ['{a,{b,c}}/{d,e}']}]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("f.yml", data)
		if (p == nil) == (err == nil) {
			t.Fatalf("Parse returned policy %v and error %v; want exactly one", p, err)
		}
		if err != nil {
			var list ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("error %v (%T) is not a non-empty ErrorList", err, err)
			}
			checkErrorsBounded(t, list)
			return
		}
		checkWithinCaps(t, p)
		if p.Version != Version {
			t.Fatalf("accepted version %d", p.Version)
		}
		if got := Describe(p, p); len(got) != 0 {
			t.Fatalf("Describe(p, p) = %q", got)
		}
		if p.Template != nil && p.Template.Ticket != nil && p.Template.Ticket.Regexp == nil {
			t.Fatal("ticket without compiled pattern")
		}
		if p.SLA != nil && p.SLA.WorkingHours != nil && p.SLA.WorkingHours.End <= p.SLA.WorkingHours.Start {
			t.Fatal("accepted an empty working window")
		}
	})
}

// checkErrorsBounded: sorted by position (but for the closing count of
// the rest), each error one bounded line, the list and its text bounded.
func checkErrorsBounded(t *testing.T, list ErrorList) {
	t.Helper()
	if len(list) > maxErrors+1 {
		t.Fatalf("%d errors, want at most %d", len(list), maxErrors+1)
	}
	for i, e := range list {
		if e.Line < 0 || e.Column < 0 || e.Msg == "" {
			t.Fatalf("bad error %#v", e)
		}
		if len(e.Msg) > maxMsgLen+len("… (truncated)") || strings.ContainsAny(e.Msg, "\n\r`") {
			t.Fatalf("error message is %d bytes or not one inert line: %q", len(e.Msg), e.Msg)
		}
		last := i == len(list)-1 && e.Line == 0 && strings.HasPrefix(e.Msg, "and ")
		if i > 0 && !last && (e.Line < list[i-1].Line || e.Line == list[i-1].Line && e.Column < list[i-1].Column) {
			t.Fatalf("errors not sorted:\n%v", list)
		}
	}
	if n := len(list.Error()); n > maxErrorBytes+64 {
		t.Fatalf("ErrorList.Error is %d bytes", n)
	}
}

// checkWithinCaps: an accepted policy respects the budgets evaluation
// relies on.
func checkWithinCaps(t *testing.T, p *Policy) {
	t.Helper()
	var globs [][]string
	if p.Reviewers != nil {
		if len(p.Reviewers.Rules) > MaxRules {
			t.Fatalf("accepted %d rules", len(p.Reviewers.Rules))
		}
		for _, r := range p.Reviewers.Rules {
			globs = append(globs, r.Paths)
		}
	}
	if p.Template != nil {
		for _, s := range p.Template.Sections {
			if s.When != nil {
				globs = append(globs, s.When.Paths)
			}
		}
	}
	work := 0
	for _, g := range globs {
		if len(g) > MaxPathsPerRule {
			t.Fatalf("accepted %d paths in one list", len(g))
		}
		for _, pat := range g {
			g, err := pathglob.Compile(pat, pathglob.Policy)
			if err != nil {
				t.Fatalf("accepted an invalid glob %q: %v", pat, err)
			}
			work += g.Alternatives()
		}
	}
	if work > MaxGlobWork {
		t.Fatalf("accepted globs expanding to %d patterns", work)
	}
}

func BenchmarkParse(b *testing.B) {
	data, err := os.ReadFile("testdata/valid/full.yml")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("full.yml", data); err != nil {
			b.Fatal(err)
		}
	}
}
