package pathglob

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// The semantics, one row per rule of the package comment, with the paths
// that show each. GitHub's CODEOWNERS documentation gives the examples
// these rows are built around ("*.js", "/build/logs/", "docs/*", "apps/",
// "/docs/", "**/logs", "/scripts/"); the expectations follow its wording.
var semantics = []struct {
	pattern string
	match   []string
	miss    []string
}{
	// No slash: any depth, file or directory.
	{"*.js", []string{"a.js", "src/a.js", "x/y/z.js", "lib.js/inner.txt"}, []string{"a.jsx", "js", "src/a.ts"}},
	{"f*", []string{"f", "foo", "a/foo", "foo/bar.go", "a/fab/c"}, []string{"afoo", "a/b/xf"}},
	{"Makefile", []string{"Makefile", "a/Makefile", "Makefile/x"}, []string{"Makefile.am", "aMakefile"}},
	{"?.md", []string{"a.md", "x/b.md"}, []string{"ab.md", ".md/x"}},
	// Trailing slash: directories only, at any depth when there is no other slash.
	{"apps/", []string{"apps/a.go", "x/apps/b/c.go"}, []string{"apps", "x/apps", "myapps/a"}},
	{"docs/", []string{"docs/a.md", "src/docs/b.md"}, []string{"docs", "docs.md"}},
	// A slash at the start or in the middle anchors at the root.
	{"/docs/", []string{"docs/a.md", "docs/x/y.md"}, []string{"src/docs/a.md", "docs"}},
	{"/src/api", []string{"src/api", "src/api/x.go", "src/api/v1/y.go"}, []string{"src/apis/x.go", "a/src/api/x.go"}},
	{"src/api", []string{"src/api/x.go"}, []string{"a/src/api/x.go"}},
	{"/build/logs/", []string{"build/logs/a.log", "build/logs/x/b.log"}, []string{"build/logs", "x/build/logs/a.log"}},
	{"/scripts/", []string{"scripts/run.sh"}, []string{"app/scripts/run.sh"}},
	{"/README.md", []string{"README.md"}, []string{"docs/README.md"}},
	// A final lone "*": only the files directly inside.
	{"docs/*", []string{"docs/a.md", "docs/b"}, []string{"docs/x/a.md", "docs", "a/docs/b.md"}},
	{"docs/*.md", []string{"docs/a.md"}, []string{"docs/x/a.md", "docs/a.txt"}},
	// "**".
	{"**", []string{"a", "a/b/c"}, nil},
	{"*", []string{"a", "a/b/c"}, nil},
	{"**/logs", []string{"logs", "logs/a", "x/logs/a", "x/y/logs"}, []string{"xlogs/a", "logsx"}},
	{"apps/**", []string{"apps/a", "apps/x/y"}, []string{"apps", "x/apps/a"}},
	{"a/**/b", []string{"a/b", "a/x/b", "a/x/y/b/c"}, []string{"a/xb", "b", "x/a/b"}},
	{"**/*_test.go", []string{"a_test.go", "x/y/a_test.go"}, []string{"a_test.gox"}},
	{"src/**/*.go", []string{"src/a.go", "src/x/y.go"}, []string{"lib/a.go", "src/a.golang"}},
	// Escapes.
	{`a\*b`, []string{"a*b", "x/a*b"}, []string{"axb"}},
	{`my\ file`, []string{"my file"}, []string{"myfile"}},
}

func TestSemantics(t *testing.T) {
	for _, syntax := range []Syntax{Codeowners, Policy} {
		for _, c := range semantics {
			p, err := Compile(c.pattern, syntax)
			if err != nil {
				t.Fatalf("Compile(%q): %v", c.pattern, err)
			}
			for _, f := range c.match {
				if !p.Match(f) || !viaRegexp(t, p).MatchString(f) {
					t.Errorf("syntax %d: %q should match %q", syntax, c.pattern, f)
				}
			}
			for _, f := range c.miss {
				if p.Match(f) || viaRegexp(t, p).MatchString(f) {
					t.Errorf("syntax %d: %q should not match %q", syntax, c.pattern, f)
				}
			}
		}
	}
}

func viaRegexp(t *testing.T, p *Pattern) *regexp.Regexp {
	t.Helper()
	re, err := regexp.Compile(p.source)
	if err != nil {
		t.Fatalf("%q compiled to an invalid expression %q: %v", p.text, p.source, err)
	}
	return re
}

func TestPolicyExtensions(t *testing.T) {
	cases := []struct {
		pattern string
		match   []string
		miss    []string
		alts    int
	}{
		{"{api,web}/**", []string{"api/a", "web/b/c"}, []string{"cli/a", "x/api/a"}, 2},
		{"*.{js,ts}", []string{"a.js", "x/b.ts"}, []string{"a.go"}, 2},
		{"{docs/,*.md}", []string{"x/docs/a", "a.md"}, []string{"docs"}, 2},
		{"{a,b}/{c,d}", []string{"a/c", "b/d/x"}, []string{"a/e"}, 4},
		{"{a,{b,c}x}", []string{"a", "bx", "q/cx"}, []string{"b"}, 3},
		{"[abc].go", []string{"a.go", "x/c.go"}, []string{"d.go", "ab.go"}, 1},
		{"v[0-9]/*", []string{"v1/a", "v9/b"}, []string{"va/a", "v1/x/y"}, 1},
		{"[!a]*.go", []string{"b.go", "x/zz.go"}, []string{"a.go", "ab.go"}, 1},
		{`\{literal\}`, []string{"{literal}"}, []string{"literal"}, 1},
		{"a,b}", []string{"a,b}"}, nil, 1},
	}
	for _, c := range cases {
		p, err := Compile(c.pattern, Policy)
		if err != nil {
			t.Fatalf("Compile(%q): %v", c.pattern, err)
		}
		if p.Alternatives() != c.alts {
			t.Errorf("%q: %d alternatives, want %d", c.pattern, p.Alternatives(), c.alts)
		}
		for _, f := range c.match {
			if !p.Match(f) {
				t.Errorf("%q should match %q", c.pattern, f)
			}
		}
		for _, f := range c.miss {
			if p.Match(f) {
				t.Errorf("%q should not match %q", c.pattern, f)
			}
		}
	}
	// In CODEOWNERS, braces are literal.
	p, err := Compile("{a,b}.go", Codeowners)
	if err != nil || !p.Match("{a,b}.go") || p.Match("a.go") {
		t.Errorf("CODEOWNERS braces should be literal: err=%v", err)
	}
}

func TestRejected(t *testing.T) {
	cases := []struct {
		pattern string
		syntax  Syntax
		want    string
	}{
		{"", Policy, "empty"},
		{"/", Policy, "empty"},
		{"!a", Policy, "negation"},
		{"a/***", Policy, "three"},
		{`a\`, Policy, "escapes nothing"},
		{`a\/b`, Policy, "cannot be escaped"},
		{"a//b", Policy, "empty path segment"},
		{"{a,b", Policy, "unclosed"},
		{"[ab", Policy, "unclosed"},
		{"[]a]", Policy, `start with "]"`},
		{"[z-a]", Policy, "reversed"},
		{"a[+-0]", Policy, `match "/"`},
		{"[a]", Codeowners, "ranges"},
		{`\#x`, Codeowners, "leading"},
		{strings.Repeat("{a,b}", 7), Policy, "alternatives"},
		{"{" + strings.Repeat("a,", 70) + "b}", Policy, "alternatives"},
		{"\xff", Policy, "UTF-8"},
	}
	for _, c := range cases {
		_, err := Compile(c.pattern, c.syntax)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Compile(%q) = %v, want an error about %q", c.pattern, err, c.want)
		}
	}
}

// TestFastPathsAgree checks that the string tests taken for common shapes
// decide as the expression does, on random patterns and paths.
func TestFastPathsAgree(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	parts := []string{"a", "b", "ab", ".go", "*", "**", "?", "x.go"}
	names := []string{"a", "b", "ab", "x.go", "a.go", "b.go", "abx.go", ".go"}
	for range 20000 {
		var b strings.Builder
		if r.IntN(3) == 0 {
			b.WriteString("/")
		}
		for i := range 1 + r.IntN(3) {
			if i > 0 {
				b.WriteString("/")
			}
			b.WriteString(parts[r.IntN(len(parts))])
			if r.IntN(3) == 0 {
				b.WriteString(parts[r.IntN(len(parts))])
			}
		}
		if r.IntN(4) == 0 {
			b.WriteString("/")
		}
		p, err := Compile(b.String(), Policy)
		if err != nil {
			continue
		}
		re := viaRegexp(t, p)
		for range 10 {
			segs := make([]string, 1+r.IntN(4))
			for i := range segs {
				segs[i] = names[r.IntN(len(names))]
			}
			f := strings.Join(segs, "/")
			if got, want := p.Match(f), re.MatchString(f); got != want {
				t.Fatalf("%q on %q: Match=%v, expression=%v", p.text, f, got, want)
			}
			for _, n := range p.needs {
				if re.MatchString(f) && !strings.Contains(f, n) {
					t.Fatalf("%q matches %q, which lacks its pre-check text %q", p.text, f, n)
				}
			}
			if dirs := strings.Join(p.Dirs(), "/"); dirs != "" && re.MatchString(f) && !strings.HasPrefix(f, dirs) {
				t.Fatalf("%q matches %q outside its directories %q", p.text, f, dirs)
			}
		}
	}
}

func TestBudgetIsSpent(t *testing.T) {
	p, err := Compile("a*b*c/**/d?e", Policy)
	if err != nil {
		t.Fatal(err)
	}
	budget := 1 << 20
	p.MatchBudget("a/b/c/d/e/f/g/h/abc/x/dxe", &budget)
	first := 1<<20 - budget
	if first < costCompile {
		t.Fatalf("a first match cost %d units; it compiles the expression (%d)", first, costCompile)
	}
	before := budget
	p.MatchBudget("zzz", &budget) // ruled out by the pre-check
	if before-budget != costPreCheck {
		t.Fatalf("a pre-checked miss cost %d units, want %d", before-budget, costPreCheck)
	}
}

func FuzzCompile(f *testing.F) {
	for _, c := range semantics {
		f.Add(c.pattern, "a/b/c.go")
	}
	f.Add("{a,[b-d]}/**/x?", "c/q/xy")
	f.Add("*\uFFFD\\ **l*", "\x81 l") // RE2 reads an invalid byte as U+FFFD
	f.Fuzz(func(t *testing.T, pattern, path string) {
		clean := strings.TrimPrefix(path, "/")
		if clean == "" || strings.HasPrefix(clean, "/") || strings.HasSuffix(clean, "/") || strings.Contains(clean, "//") {
			return // not a path git can hold: Match's contract excludes it
		}
		for _, syntax := range []Syntax{Codeowners, Policy} {
			p, err := Compile(pattern, syntax)
			if err != nil {
				continue
			}
			re, err := regexp.Compile(p.source)
			if err != nil {
				t.Fatalf("%q compiled to an invalid expression: %v", pattern, err)
			}
			if got, want := p.Match(path), re.MatchString(clean); got != want {
				t.Fatalf("%q on %q: Match=%v, expression=%v", pattern, path, got, want)
			}
		}
	})
}
