package decide

import (
	"fmt"
	"strings"
	"testing"

	"github.com/reviewpolicy/reviewpolicy/policy"
)

// BenchmarkDecideWorstAccepted is one evaluation of the costliest base
// policy the parse caps accept that we know of: policy.MaxRules rules whose
// globs add up to policy.MaxGlobWork, none with a literal prefix or suffix
// and none matching, against the 3,000 files GitHub lists at most. It
// measures what the caps allow one evaluation to cost; it is not a target.
func BenchmarkDecideWorstAccepted(b *testing.B) {
	f := worstAccepted(b)
	b.ReportAllocs()
	for b.Loop() {
		if d := Decide(f, now); d.Reviewers == nil || len(d.Reviewers.Request) != 0 {
			b.Fatalf("a rule matched: %+v", d.Reviewers)
		}
	}
}

// worstAccepted builds the facts of BenchmarkDecideWorstAccepted.
func worstAccepted(tb testing.TB) Facts {
	var src strings.Builder
	src.WriteString("version: 1\nreviewers:\n  rules:\n")
	perRule := policy.MaxGlobWork / policy.MaxRules
	for r := range policy.MaxRules {
		globs := make([]string, perRule)
		for g := range globs {
			globs[g] = fmt.Sprintf("\"**/*a*b*c*d*%d*/**\"", r*perRule+g)
		}
		fmt.Fprintf(&src, "    - {name: r%d, paths: [%s], reviewers: [u%d]}\n", r, strings.Join(globs, ", "), r)
	}
	p, err := policy.Parse("p.yml", []byte(src.String()))
	if err != nil {
		tb.Fatal(err)
	}
	files := make([]string, maxFiles)
	for i := range files {
		files[i] = fmt.Sprintf("services/svc%d/internal/a/b/c/d/pkg%d/very/deep/tree/of/dirs/file%d.go", i%50, i%7, i)
	}
	return Facts{Policy: p, Repo: "o/r", PR: policy.PullRequest{Number: 1, Author: "carol", Files: files}, Rotation: map[string]int{}}
}

// BenchmarkDecideLargeCodeowners: `codeowners: true` with a CODEOWNERS of
// 10,000 patterns that can match at any depth (so the directory trie cannot
// skip them) and match nothing, against 3,000 files. GitHub reads files up
// to 3 MiB, about 15 times this one; the cost grows with lines × files.
func BenchmarkDecideLargeCodeowners(b *testing.B) {
	p, err := policy.Parse("p.yml", []byte("version: 1\nreviewers: {codeowners: true}\n"))
	if err != nil {
		b.Fatal(err)
	}
	var co strings.Builder
	for i := range 10000 {
		fmt.Fprintf(&co, "*a*b*c*d*%d* @u%d\n", i, i)
	}
	files := make([]string, maxFiles)
	for i := range files {
		files[i] = fmt.Sprintf("services/svc%d/internal/x/pkg%d/file%d.go", i%50, i%7, i)
	}
	f := Facts{Policy: p, Repo: "o/r", CodeOwners: co.String(), Rotation: map[string]int{},
		PR: policy.PullRequest{Number: 1, Author: "carol", Files: files}}
	b.ReportAllocs()
	for b.Loop() {
		if d := Decide(f, now); d.Reviewers == nil || len(d.Reviewers.Request) != 0 {
			b.Fatalf("an owner matched: %+v", d.Reviewers)
		}
	}
}
