// Package pathglob matches repository paths against the patterns of
// CODEOWNERS files and of review policies, with one meaning for both: the
// one GitHub gives CODEOWNERS, which is gitignore's with a few exceptions.
// Leads copy lines between the two files, so a line must select the same
// files in either.
//
// The rules, for a pattern without braces:
//   - a pattern with a "/" at the start or in the middle is anchored at the
//     repository root; otherwise it matches at any depth ("*.go", "docs/");
//   - a pattern matches a path, or any directory above it, so "docs" and
//     "/src/api" match every file under those directories;
//   - a trailing "/" matches directories only: everything inside them;
//   - a final lone "*" matches only the files directly inside ("docs/*");
//   - "*" and "?" do not cross "/"; "**" as a whole segment matches any
//     number of directories, "dir/**" everything inside dir;
//   - "\" escapes the next character.
//
// Policies also accept "{a,b}" alternatives and "[a-z]" classes; CODEOWNERS
// does not (GitHub documents that ranges do not work there, nor "!" or a
// leading "\#"), and ParseCodeowners skips such lines as GitHub does.
//
// Every pattern becomes one RE2 expression, so a match costs time linear in
// the pattern and the path, whatever either holds. Braces are expanded at
// compile time, bounded by MaxAlternatives.
package pathglob

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"
)

// Syntax selects what a pattern may contain.
type Syntax int

const (
	// Codeowners is GitHub's CODEOWNERS syntax.
	Codeowners Syntax = iota
	// Policy is the CODEOWNERS syntax plus braces and character classes.
	Policy
)

// MaxAlternatives bounds what one pattern's braces expand to: "{a,b}/{c,d}"
// is 4. The expression grows with each alternative.
const MaxAlternatives = 64

// ErrTooManyAlternatives reports a pattern whose braces expand too far.
var ErrTooManyAlternatives = fmt.Errorf("its braces expand to more than %d alternatives", MaxAlternatives)

// Pattern is a compiled pattern. It is safe for concurrent use.
type Pattern struct {
	text   string
	alts   int
	dirs   []string
	needs  []string
	fast   func(string) bool // nil: the expression decides
	source string

	// Most patterns of a large CODEOWNERS file are never tried, so the
	// expression is compiled on first use.
	once sync.Once
	re   matcher
}

// Compile parses pattern in the given syntax.
func Compile(pattern string, syntax Syntax) (*Pattern, error) {
	if err := check(pattern, syntax); err != nil {
		return nil, err
	}
	alts, err := expand(pattern, syntax)
	if err != nil {
		return nil, err
	}
	p := &Pattern{text: pattern, alts: len(alts)}
	// (?s): a file name may hold a newline, and "." must cross it.
	var src strings.Builder
	src.WriteString(`(?s)\A(?:`)
	var shapes []shape
	for i, a := range alts {
		s, err := parse(a)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			src.WriteByte('|')
		}
		s.writeRegexp(&src)
		if len(alts) > 1 {
			shapes = append(shapes, s)
			continue
		}
		p.dirs, p.needs, p.fast = s.literalDirs(), s.needs(), s.fast()
		if len(p.dirs) == 0 {
			p.dirs = nil
		}
	}
	src.WriteString(`)\z`)
	p.source = src.String()
	if len(shapes) > 1 {
		p.dirs = commonDirs(shapes)
	}
	return p, nil
}

// check rejects what the syntax does not allow, with a message a lead can
// act on.
func check(p string, syntax Syntax) error {
	switch {
	case p == "" || strings.Trim(p, "/") == "":
		return errors.New("empty pattern")
	case !utf8.ValidString(p):
		return errors.New("pattern is not valid UTF-8")
	case strings.HasPrefix(p, "!"):
		return errors.New("negation (!) is not supported; list the paths to include instead")
	case strings.Contains(p, "***"):
		return errors.New("three consecutive asterisks")
	case strings.Contains(p, `\/`):
		return errors.New(`"/" cannot be escaped: it always separates directories`)
	}
	if syntax == Codeowners {
		switch {
		case strings.HasPrefix(p, `\#`):
			return errors.New(`escaping a leading "#" with "\" does not work in CODEOWNERS`)
		case strings.ContainsAny(p, "[]"):
			return errors.New("character ranges ([ ]) do not work in CODEOWNERS")
		}
	}
	return nil
}

// String is the pattern as written.
func (p *Pattern) String() string { return p.text }

// Alternatives is how many plain patterns the braces expand to.
func (p *Pattern) Alternatives() int { return p.alts }

// Dirs returns the literal leading directories that every path the
// pattern matches starts with (nil when it can match at any depth). An
// index of paths by directory need only try the pattern on paths under them.
func (p *Pattern) Dirs() []string { return p.dirs }

// Needs lists literal text that every matching path contains, longest
// first: a cheap test that rules most paths out before the expression runs.
func (p *Pattern) Needs() []string { return p.needs }

// Match reports whether path matches. Path is a file's path as git holds
// it: relative to the repository root (a leading "/" is ignored), with no
// empty segment and no trailing "/".
func (p *Pattern) Match(path string) bool {
	return p.MatchBudget(path, nil)
}

// Budget units are roughly 25 ns of work each (measured: a pre-check and
// the step to the next candidate); RE2 steps through the expression for
// every byte of the path in the worst case.
const (
	costPreCheck = 1
	costTest     = 30
	costCompile  = 1500
)

// MatchBudget is Match that spends units of work from budget (nil: no
// budget), so that a caller matching many patterns against many paths can
// stop at a bound. A first match also pays for compiling the expression.
func (p *Pattern) MatchBudget(path string, budget *int) bool {
	if budget != nil {
		*budget -= costPreCheck
	}
	for _, n := range p.needs {
		if !strings.Contains(path, n) {
			return false
		}
	}
	if len(path) > 0 && path[0] == '/' {
		path = path[1:]
	}
	if p.fast != nil {
		return p.fast(path)
	}
	compiledNow := false
	p.once.Do(func() {
		compiledNow = true
		p.re = compileRegexp(p.source)
	})
	if budget != nil {
		*budget -= costTest + len(p.source)*len(path)/16
		if compiledNow {
			*budget -= costCompile + 2*len(p.source)
		}
	}
	return p.re != nil && p.re.MatchString(path)
}

// commonDirs is the literal leading directories shared by every
// alternative.
func commonDirs(shapes []shape) []string {
	dirs := shapes[0].literalDirs()
	for _, s := range shapes[1:] {
		other := s.literalDirs()
		n := 0
		for n < len(dirs) && n < len(other) && dirs[n] == other[n] {
			n++
		}
		dirs = dirs[:n]
	}
	if len(dirs) == 0 {
		return nil
	}
	return dirs
}

// Source is the RE2 expression the pattern compiles to: the specification
// that the index and the fast paths of callers are tested against.
func (p *Pattern) Source() string { return p.source }
