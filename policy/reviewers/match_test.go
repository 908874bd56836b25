package reviewers

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/reviewpolicy/reviewpolicy/policy"
)

// naiveMatch is the obvious definition the index must agree with.
func naiveMatch(patterns, files []string) []int {
	var hits []int
	for i, f := range files {
		if policy.MatchAny(patterns, f) {
			hits = append(hits, i)
		}
	}
	return hits
}

func TestFileIndexEdgeCases(t *testing.T) {
	t.Parallel()
	files := []string{"a", "a/b.go", "ab/c.go", "logs", "x/logs", "x/logs/y", "svc/api/main.go", "README.md", "docs/x.md"}
	for _, p := range []string{
		"a/**", "**/logs", "*.go", "/a/**", "svc/**/*.go", "svc/*", "README.md", "*", "**",
		"{a,ab}/*.go", "docs/?.md", "[ab]/*.go", "*/logs/**", "nothing/**", "*.md",
	} {
		want := naiveMatch([]string{p}, files)
		if got := newFileIndex(context.Background(), files).match([]string{p}); !slices.Equal(got, want) {
			t.Errorf("pattern %q: index %v, naive %v", p, got, want)
		}
	}
}

// TestFileIndexAgreesWithMatchPath compares the index with policy.MatchAny
// on random patterns over a small alphabet, where prefixes and suffixes
// collide often.
func TestFileIndexAgreesWithMatchPath(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	parts := []string{"a", "b", "ab", "a.go", "b.md", "*", "**", "?", "*.go", "{a,b}", "[ab]", "a*", "*b"}
	names := []string{"a", "b", "ab", "a.go", "b.md", "ba", "abc.go"}
	var files []string
	for range 300 {
		n := 1 + r.IntN(4)
		segs := make([]string, n)
		for i := range segs {
			segs[i] = names[r.IntN(len(names))]
		}
		files = append(files, strings.Join(segs, "/"))
	}
	idx := newFileIndex(context.Background(), files)
	for range 2000 {
		n := 1 + r.IntN(3)
		segs := make([]string, n)
		for i := range segs {
			segs[i] = parts[r.IntN(len(parts))]
		}
		p := strings.Join(segs, "/")
		if r.IntN(4) == 0 {
			p = "/" + p
		}
		if got, want := idx.match([]string{p}), naiveMatch([]string{p}, files); !slices.Equal(got, want) {
			t.Fatalf("pattern %q: index matched %d files, naive %d", p, len(got), len(want))
		}
	}
}

func TestFileIndexSeveralPatternsDeduplicates(t *testing.T) {
	t.Parallel()
	files := []string{"z.go", "a/b.go", "a/c.txt"}
	got := newFileIndex(context.Background(), files).match([]string{"a/**", "*.go"})
	if want := []int{0, 1, 2}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v (each file once, in PR order)", got, want)
	}
}

// monorepo builds a pull request touching 3000 files and a policy with 200
// rules of the kinds real policies use.
func monorepo() ([]string, []policy.Rule) {
	var files []string
	for i := range 3000 {
		svc := i % 100
		switch i % 5 {
		case 0:
			files = append(files, fmt.Sprintf("services/svc%d/internal/pkg%d/handler_%d.go", svc, i%7, i))
		case 1:
			files = append(files, fmt.Sprintf("services/svc%d/internal/pkg%d/handler_%d_test.go", svc, i%7, i))
		case 2:
			files = append(files, fmt.Sprintf("web/src/components/c%d/View%d.tsx", svc, i))
		case 3:
			files = append(files, fmt.Sprintf("docs/guides/g%d/page%d.md", svc, i))
		default:
			files = append(files, fmt.Sprintf("db/migrations/%04d_change.sql", i))
		}
	}
	var rules []policy.Rule
	for i := range 200 {
		var paths []string
		switch i % 4 {
		case 0:
			paths = []string{fmt.Sprintf("services/svc%d/**", i), fmt.Sprintf("web/src/components/c%d/**", i)}
		case 1:
			paths = []string{fmt.Sprintf("docs/guides/g%d/*.md", i)}
		case 2:
			paths = []string{"**/*_test.go", fmt.Sprintf("services/svc%d/internal/pkg%d/*.go", i%100, i%7)}
		default:
			paths = []string{"db/migrations/**", "*.sql", fmt.Sprintf("**/c%d/*.tsx", i%100)}
		}
		rules = append(rules, policy.Rule{Name: fmt.Sprintf("rule%d", i), Paths: paths})
	}
	return files, rules
}

func TestMonorepoMatchesNaive(t *testing.T) {
	t.Parallel()
	files, rules := monorepo()
	idx := newFileIndex(context.Background(), files)
	for _, r := range rules[:40] {
		if got, want := idx.match(r.Paths), naiveMatch(r.Paths, files); !slices.Equal(got, want) {
			t.Fatalf("rule %s: index %d files, naive %d", r.Name, len(got), len(want))
		}
	}
}

// BenchmarkMatch3000Files200Rules measures what Select does before choosing
// anyone: index the files once and match every rule. Target: under 5 ms/op.
func BenchmarkMatch3000Files200Rules(b *testing.B) {
	files, rules := monorepo()
	b.ReportAllocs()
	for b.Loop() {
		idx := newFileIndex(context.Background(), files)
		for _, r := range rules {
			idx.match(r.Paths)
		}
	}
}

// BenchmarkSelect3000Files200Rules is the whole of Select on the same input,
// every rule naming a team of five.
func BenchmarkSelect3000Files200Rules(b *testing.B) {
	files, rules := monorepo()
	for i := range rules {
		rules[i].Reviewers = []string{"@acme/team"}
	}
	p := &policy.Policy{Reviewers: &policy.ReviewersPolicy{Count: 1, Rules: rules}}
	in := Input{
		Policy: p, Repo: "acme/app", PR: policy.PullRequest{Number: 1, Author: "me", Files: files},
		Teams: map[string][]string{"@acme/team": {"a", "b", "c", "d", "e"}},
	}
	b.ReportAllocs()
	for b.Loop() {
		if out := Select(in); len(out.Request) == 0 {
			b.Fatal("nobody requested")
		}
	}
}

// TestPolicyPathsMeanWhatCodeownersMeans: a line copied from CODEOWNERS
// into a rule's paths selects the same files. Before the two shared one
// matcher, "docs/", "/src/api" and "f*" in a policy matched nothing under
// those directories, unlike the same lines in CODEOWNERS.
func TestPolicyPathsMeanWhatCodeownersMeans(t *testing.T) {
	t.Parallel()
	files := []string{
		"docs/a.md", "src/docs/b.md", "src/api/x.go", "src/api/v1/y.go", "src/apis/z.go",
		"foo/bar.go", "a/fab/c", "afoo", "build/logs/a.log", "x/build/logs/b.log", "apps/web/m.js",
		"lib.js/inner.txt", "README.md", "docs/x/y.md", "Makefile", "tools/Makefile",
	}
	patterns := []string{
		"docs/", "/docs/", "/src/api", "src/api", "f*", "*.js", "/build/logs/", "docs/*", "apps/",
		"**/logs", "apps/**", "/README.md", "Makefile", "*", "src/**/*.go", "?oo",
	}
	for _, p := range patterns {
		co, errs := ParseCodeowners(p + " @owner\n")
		if len(errs) > 0 {
			t.Fatalf("CODEOWNERS %q: %v", p, errs)
		}
		hits := newFileIndex(context.Background(), files).match([]string{p})
		for i, f := range files {
			owned := co.Owners(f) != nil
			if got := policy.MatchPath(p, f); got != owned {
				t.Errorf("%q on %q: policy %v, CODEOWNERS %v", p, f, got, owned)
			}
			if got := slices.Contains(hits, i); got != owned {
				t.Errorf("%q on %q: rule index %v, CODEOWNERS %v", p, f, got, owned)
			}
		}
	}
	for p, want := range map[string][]string{
		"docs/":    {"docs/a.md", "src/docs/b.md", "docs/x/y.md"},
		"/src/api": {"src/api/x.go", "src/api/v1/y.go"},
		"f*":       {"foo/bar.go", "a/fab/c"},
	} {
		var got []string
		for _, f := range files {
			if policy.MatchPath(p, f) {
				got = append(got, f)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%q selects %q, want %q", p, got, want)
		}
	}
}
