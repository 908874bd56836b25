package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/reviewpolicy/reviewpolicy/policy/pathglob"
)

// parseErrors parses text and returns its ErrorList, failing if it parses.
func parseErrors(t *testing.T, text string) ErrorList {
	t.Helper()
	_, err := Parse("p.yml", []byte(text))
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("Parse = %v, want an ErrorList", err)
	}
	return list
}

func wantMsg(t *testing.T, list ErrorList, part string) *Error {
	t.Helper()
	for _, e := range list {
		if strings.Contains(e.Msg, part) {
			return e
		}
	}
	t.Fatalf("no error containing %q in:\n%v", part, list)
	return nil
}

// A 1 MB string anchored once and aliased 150 times must not unfold into
// 150 MB (of values, or of error messages quoting them). Not parallel: it
// measures the process's allocations.
func TestParseRefusesAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("version: 1\nsla:\n  escalate_to:\n    - &big ")
	b.WriteString(strings.Repeat("a", 1_000_000))
	b.WriteString("\n")
	for i := 0; i < 150; i++ {
		b.WriteString("    - *big\n")
	}
	data := []byte(b.String())
	if len(data) > MaxFileSize {
		t.Fatalf("test file is %d bytes, over MaxFileSize; the attack must pass the size check", len(data))
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := Parse("p.yml", data)
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 40<<20 {
		t.Errorf("Parse allocated %d MB; want under 40 MB for a 1 MB file", alloc>>20)
	}
	var list ErrorList
	if !errors.As(err, &list) || len(list) != 1 {
		t.Fatalf("Parse = %.300v; want one error", err)
	}
	e := list[0]
	if !strings.Contains(e.Msg, "too large") || e.Line < 5 || e.Column == 0 {
		t.Errorf("error = %v; want \"too large\" at the alias that exceeds the budget (line 5 or later, with a column)", e)
	}
	if len(err.Error()) > 300 {
		t.Errorf("error is %d bytes long", len(err.Error()))
	}
}

// Chained brace groups multiply the matcher's work (×10 per group here);
// Parse refuses them rather than letting every evaluation pay.
func TestParseRefusesExponentialGlob(t *testing.T) {
	t.Parallel()
	glob := strings.Repeat("{a,b,c,d,e,f,g,h,i,j}/", 9) + "x"
	text := "version: 1\nreviewers:\n  rules:\n    - name: r\n      reviewers: [alice]\n      paths: ['" + glob + "']\n"
	e := wantMsg(t, parseErrors(t, text), "alternatives")
	if e.Line != 6 || e.Column == 0 {
		t.Errorf("error at %d:%d, want line 6 with a column", e.Line, e.Column)
	}
	if len(e.Error()) > 300 {
		t.Errorf("error is %d bytes long: %s", len(e.Error()), e)
	}
}

func TestGlobAlternatives(t *testing.T) {
	t.Parallel()
	tests := []struct {
		glob string
		want int // 0: refused for too many
	}{
		{"docs/**", 1},
		{"{a,b}/{c,d}", 4},
		{"{a,{b,c}}/x", 3},
		{"{a,b}{c,d,e}", 6},
		{`\{a,b}`, 1},
		{"[{]a,b", 1},
		{"a,b}", 1},
		{"{a,b,c,d,e,f,g,h,i,j}/{a,b,c,d,e,f,g,h,i,j}", 0},
		{strings.Repeat("{a,b}", 64), 0},
	}
	for _, tt := range tests {
		g, err := pathglob.Compile(tt.glob, pathglob.Policy)
		switch {
		case tt.want == 0 && !errors.Is(err, pathglob.ErrTooManyAlternatives):
			t.Errorf("%q: err = %v, want too many alternatives", tt.glob, err)
		case tt.want > 0 && (err != nil || g.Alternatives() != tt.want):
			t.Errorf("%q: %v alternatives, err %v; want %d", tt.glob, g, err, tt.want)
		}
	}
}

// A proposed file with 15,000 rules would cost every evaluation 15,000 ×
// files matches; Parse refuses it before decoding a rule.
func TestParseCapsRulesPathsAndGlobWork(t *testing.T) {
	t.Parallel()
	rules := func(n, paths int, glob string) string {
		var b strings.Builder
		b.WriteString("version: 1\nreviewers:\n  rules:\n")
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "    - {name: r%d, reviewers: [alice], paths: [", i)
			for j := 0; j < paths; j++ {
				fmt.Fprintf(&b, "'%s%d', ", glob, j)
			}
			b.WriteString("]}\n")
		}
		return b.String()
	}
	list := parseErrors(t, rules(15000, 1, "src/"))
	if e := wantMsg(t, list, "15000 rules; at most 200"); e.Line != 4 {
		t.Errorf("error at line %d, want 4, where the list starts", e.Line)
	}
	if len(list) != 1 {
		t.Errorf("got %d errors, want only the cap:\n%v", len(list), list)
	}
	wantMsg(t, parseErrors(t, rules(1, MaxPathsPerRule+1, "src/")), "51 paths; at most 50")
	// 50 rules × 50 globs × 2 alternatives = 5000 patterns, over MaxGlobWork.
	wantMsg(t, parseErrors(t, rules(50, 50, "{a,b}/")), "more than 1000 patterns")
	if _, err := Parse("p.yml", []byte(rules(MaxRules, 5, "src/"))); err != nil {
		t.Errorf("a file at the rule cap: %v", err)
	}
}

// Error messages quote at most a bounded, inert piece of a value, and the
// whole report is bounded however many values are bad.
func TestParseErrorsAreBounded(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 500) + "\n@acme/everyone\r```" + strings.Repeat("é", 200)
	var b strings.Builder
	b.WriteString("version: 1\nsla:\n  escalate_to:\n")
	for i := 0; i < 600; i++ { // about 660 KB, under MaxFileSize and MaxExpandedBytes
		fmt.Fprintf(&b, "    - %q\n", fmt.Sprint(i, long))
	}
	fmt.Fprintf(&b, "  %q: 1\n", long) // an unknown key, quoted too
	list := parseErrors(t, b.String())
	if len(list) != maxErrors+1 {
		t.Fatalf("got %d errors, want %d and a count of the rest", len(list), maxErrors+1)
	}
	if last := list[maxErrors].Msg; last != "and 501 more errors; fix these first" {
		t.Errorf("last error = %q", last)
	}
	for _, e := range list {
		if s := e.Error(); len(s) > 230 || strings.ContainsAny(s, "\n\r`") {
			t.Fatalf("error is %d bytes or not one line: %q", len(s), s)
		}
	}
	if n := len(list.Error()); n > maxErrorBytes+100 {
		t.Errorf("ErrorList.Error is %d bytes, want at most about %d", n, maxErrorBytes)
	}
	big := make(ErrorList, 1000)
	for i := range big {
		big[i] = &Error{File: "p.yml", Line: i + 1, Msg: strings.Repeat("m", 150)}
	}
	if s := big.Error(); len(s) > maxErrorBytes+100 || !strings.HasSuffix(s, " more errors") {
		t.Errorf("a long list prints %d bytes ending %q", len(s), s[max(0, len(s)-40):])
	}
}

func TestParseRefusesLongValues(t *testing.T) {
	t.Parallel()
	text := "version: 1\ntemplate:\n  sections:\n    - heading: " + strings.Repeat("h", MaxValueLen+1) + "\n"
	if e := wantMsg(t, parseErrors(t, text), "1025 bytes long; at most 1024"); len(e.Error()) > 200 {
		t.Errorf("error is %d bytes", len(e.Error()))
	}
}

// The schema tells editors the same caps as the parser enforces.
func TestSchemaStatesTheCaps(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := json.Unmarshal(data, &schema); err != nil {
		t.Fatal(err)
	}
	at := func(path ...string) any {
		var v any = schema
		for _, k := range path {
			m, _ := v.(map[string]any)
			v = m[k]
		}
		return v
	}
	for _, tt := range []struct {
		path []string
		want int
	}{
		{[]string{"properties", "template", "properties", "sections", "maxItems"}, MaxSections},
		{[]string{"properties", "reviewers", "properties", "rules", "maxItems"}, MaxRules},
		{[]string{"$defs", "globs", "maxItems"}, MaxPathsPerRule},
		{[]string{"$defs", "globs", "items", "maxLength"}, MaxValueLen},
	} {
		if got, _ := at(tt.path...).(float64); int(got) != tt.want {
			t.Errorf("schema %s = %v, want %d", strings.Join(tt.path, "."), at(tt.path...), tt.want)
		}
	}
}

// BenchmarkWorstAcceptedGlobs is the most glob matching a policy within
// the caps can ask of one evaluation: MaxGlobWork patterns with no literal
// prefix or suffix to narrow the files (so an index cannot help), against
// the 3,000 files GitHub lists for a pull request at most, none matching
// (so no rule stops early). It bounds what the caps allow; it is not a
// target to keep.
func BenchmarkWorstAcceptedGlobs(b *testing.B) {
	globs := make([]string, MaxGlobWork)
	for i := range globs {
		globs[i] = fmt.Sprintf("**/*a*b*c*d*%d*/**", i)
	}
	files := make([]string, 3000)
	for i := range files {
		files[i] = fmt.Sprintf("services/svc%d/internal/a/b/c/d/pkg%d/very/deep/tree/of/dirs/file%d.go", i%50, i%7, i)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, f := range files {
			if MatchAny(globs, f) {
				b.Fatal("matched")
			}
		}
	}
}

// Describe echoes names and globs from a proposed file: its lines are
// inert and bounded, and so is their number.
func TestDescribeIsBounded(t *testing.T) {
	t.Parallel()
	p := &Policy{Reviewers: &ReviewersPolicy{}}
	for i := 0; i < 150; i++ {
		p.Reviewers.Rules = append(p.Reviewers.Rules, Rule{Name: fmt.Sprint("r", i, "\n## Fake heading\n```"),
			Paths: []string{strings.Repeat("p", 1000)}, Reviewers: []string{"alice"}})
	}
	lines := Describe(nil, p)
	if len(lines) != maxChanges+1 || lines[maxChanges] != "and 51 more changes" {
		t.Fatalf("got %d lines ending %q; want %d and a count of the rest", len(lines), lines[len(lines)-1], maxChanges+1)
	}
	for _, l := range lines {
		if len(l) > maxChangeLen+len("… (truncated)") || strings.ContainsAny(l, "\n\r`") {
			t.Fatalf("line of %d bytes or not inert: %q", len(l), l)
		}
	}
}
