package pathglob

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

type matcher = *regexp.Regexp

// compileRegexp compiles an expression this package wrote; nil (no match)
// should it ever fail, which the tests rule out for every accepted pattern.
func compileRegexp(source string) matcher {
	re, err := regexp.Compile(source)
	if err != nil {
		return nil
	}
	return re
}

// token is one element of a path segment.
type token struct {
	kind byte // 'l' literal, '*', '?', 'c' class
	lit  rune // 'l': the character; 'c': the index of the segment's class
}

// segment is one "/"-separated part of a pattern; any is the whole-segment
// "**".
type segment struct {
	any     bool
	tokens  []token
	classes []string // RE2 character classes that never match "/"
}

// plain reports whether t is literal text that a path holds byte for byte.
// RE2 reads an invalid byte in a path as U+FFFD, so a U+FFFD in a pattern
// matches bytes that are not its own: the expression must decide.
func (t token) plain() bool { return t.kind == 'l' && t.lit != utf8.RuneError }

func (s segment) literal() (string, bool) {
	var b strings.Builder
	for _, t := range s.tokens {
		if !t.plain() {
			return "", false
		}
		b.WriteRune(t.lit)
	}
	return b.String(), !s.any
}

// shape is a brace-free pattern, normalised: floating patterns start with a
// "**" segment and a trailing "/" became a final "**".
type shape struct {
	anchored bool
	segs     []segment
}

// parse reads a brace-free pattern.
func parse(p string) (shape, error) {
	var s shape
	s.anchored = strings.HasPrefix(p, "/")
	p = strings.TrimPrefix(p, "/")
	dirOnly := strings.HasSuffix(p, "/") && !strings.HasSuffix(p, `\/`)
	p = strings.TrimSuffix(p, "/")
	if p == "" {
		return s, errors.New("empty pattern")
	}
	parts := splitUnescaped(p)
	for _, part := range parts {
		if part == "" {
			return s, errors.New(`empty path segment ("//")`)
		}
		seg, err := parseSegment(part)
		if err != nil {
			return s, err
		}
		s.segs = append(s.segs, seg)
	}
	s.anchored = s.anchored || len(s.segs) > 1
	if !s.anchored && !s.segs[0].any {
		s.segs = append([]segment{{any: true}}, s.segs...)
	}
	if dirOnly {
		s.segs = append(s.segs, segment{any: true})
	}
	return s, nil
}

// splitUnescaped splits at each "/" that no backslash escapes.
func splitUnescaped(p string) []string {
	var parts []string
	start := 0
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '\\':
			i++
		case '/':
			parts = append(parts, p[start:i])
			start = i + 1
		}
	}
	return append(parts, p[start:])
}

func parseSegment(part string) (segment, error) {
	if part == "**" {
		return segment{any: true}, nil
	}
	seg := segment{tokens: make([]token, 0, len(part))}
	for i := 0; i < len(part); {
		r, size := utf8.DecodeRuneInString(part[i:])
		switch r {
		case '\\':
			if i+1 >= len(part) {
				return seg, errors.New(`a trailing "\" escapes nothing`)
			}
			e, n := utf8.DecodeRuneInString(part[i+1:])
			seg.tokens = append(seg.tokens, token{kind: 'l', lit: e})
			i += 1 + n
			continue
		case '*', '?':
			seg.tokens = append(seg.tokens, token{kind: byte(r)})
		case '[':
			class, n, err := parseClass(part[i:])
			if err != nil {
				return seg, err
			}
			seg.tokens = append(seg.tokens, token{kind: 'c', lit: rune(len(seg.classes))})
			seg.classes = append(seg.classes, class)
			i += n
			continue
		default:
			seg.tokens = append(seg.tokens, token{kind: 'l', lit: r})
		}
		i += size
	}
	return seg, nil
}

// parseClass reads "[...]" at the start of s and returns its RE2 class and
// its length. "!" or "^" first negates it; "a-z" is a range; "\" escapes.
// A class never matches "/", as in gitignore.
func parseClass(s string) (string, int, error) {
	i := 1
	negate := i < len(s) && (s[i] == '!' || s[i] == '^')
	if negate {
		i++
	}
	if i < len(s) && s[i] == ']' {
		return "", 0, errors.New(`a class may not start with "]"; write \] for a literal "]"`)
	}
	var b strings.Builder
	b.WriteString("[")
	if negate {
		b.WriteString(`^/`)
	}
	for {
		lo, n, ok := classRune(s, i)
		if !ok {
			return "", 0, errors.New(`unclosed "["`)
		}
		if lo == ']' && s[i] == ']' {
			break
		}
		i += n
		hi := lo
		if i+1 < len(s) && s[i] == '-' && s[i+1] != ']' {
			hi, n, ok = classRune(s, i+1)
			if !ok {
				return "", 0, errors.New(`unclosed "["`)
			}
			i += 1 + n
		}
		if hi < lo {
			return "", 0, fmt.Errorf("range %q-%q is reversed", lo, hi)
		}
		if !negate && lo <= '/' && '/' <= hi {
			return "", 0, errors.New(`a class may not match "/"; use separate patterns`)
		}
		fmt.Fprintf(&b, `\x{%x}-\x{%x}`, lo, hi)
	}
	b.WriteString("]")
	return b.String(), i + 1, nil
}

// classRune reads one member of a class at s[i:], resolving an escape.
func classRune(s string, i int) (rune, int, bool) {
	if i >= len(s) {
		return 0, 0, false
	}
	if s[i] == '\\' {
		if i+1 >= len(s) {
			return 0, 0, false
		}
		r, n := utf8.DecodeRuneInString(s[i+1:])
		return r, 1 + n, true
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	return r, n, true
}

// writeRegexp writes the expression of the shape, without anchors.
func (s shape) writeRegexp(b *strings.Builder) {
	last := len(s.segs) - 1
	needSlash := false
	for i, seg := range s.segs {
		switch {
		case seg.any && i == 0 && i == last:
			b.WriteString(`.+`)
		case seg.any && i == 0:
			b.WriteString(`(?:.+/)?`) // any leading directories, or none
		case seg.any && i == last:
			b.WriteString(`/.+`) // anything inside
		case seg.any:
			b.WriteString(`(?:/.+)?`) // zero or more directories between
			needSlash = true
		default:
			if needSlash {
				b.WriteString("/")
			}
			seg.writeRegexp(b)
			// A name also matches everything below it when it is a
			// directory; GitHub makes an exception for a final lone "*".
			if i == last && !seg.loneStar() {
				b.WriteString(`(?:/.+)?`)
			}
			needSlash = true
		}
	}
}

func (seg segment) loneStar() bool {
	return len(seg.tokens) == 1 && seg.tokens[0].kind == '*'
}

func (seg segment) writeRegexp(b *strings.Builder) {
	if seg.loneStar() {
		b.WriteString(`[^/]+`)
		return
	}
	for _, t := range seg.tokens {
		switch t.kind {
		case 'l':
			if t.lit < utf8.RuneSelf && strings.IndexByte(`\.+*?()|[]{}^$`, byte(t.lit)) >= 0 {
				b.WriteByte('\\')
			}
			b.WriteRune(t.lit)
		case '*':
			b.WriteString(`[^/]*`)
		case '?':
			b.WriteString(`[^/]`)
		case 'c':
			b.WriteString(seg.classes[t.lit])
		}
	}
}

// literalDirs returns the literal leading segments of an anchored shape.
func (s shape) literalDirs() []string {
	var dirs []string
	for _, seg := range s.segs {
		lit, ok := seg.literal()
		if !ok {
			break
		}
		dirs = append(dirs, lit)
	}
	return dirs
}

// fast returns a string test equivalent to the expression for the shapes
// most files are made of, or nil.
func (s shape) fast() func(string) bool {
	segs := s.segs
	n := len(segs)
	switch {
	case n == 1 && segs[0].any:
		return func(f string) bool { return f != "" }
	case s.allLiteral(0, n):
		lit := s.join(0, n)
		return func(f string) bool { return f == lit || strings.HasPrefix(f, lit+"/") }
	case n >= 2 && segs[n-1].any && s.allLiteral(0, n-1):
		dir := s.join(0, n-1) + "/"
		return func(f string) bool { return strings.HasPrefix(f, dir) }
	case n == 2 && segs[0].any:
		return floatingName(segs[1], false)
	case n == 3 && segs[0].any && segs[2].any:
		return floatingName(segs[1], true)
	}
	return nil
}

// floatingName tests a name or "*suffix" at any depth; inside: only as a
// directory with something in it.
func floatingName(seg segment, inside bool) func(string) bool {
	if name, ok := seg.literal(); ok {
		if inside {
			return func(f string) bool { return strings.HasPrefix(f, name+"/") || strings.Contains(f, "/"+name+"/") }
		}
		return func(f string) bool {
			return f == name || strings.HasPrefix(f, name+"/") || strings.HasSuffix(f, "/"+name) ||
				strings.Contains(f, "/"+name+"/")
		}
	}
	if len(seg.tokens) < 2 || seg.tokens[0].kind != '*' {
		return nil
	}
	suffix, ok := segment{tokens: seg.tokens[1:]}.literal()
	if !ok {
		return nil
	}
	if inside {
		return func(f string) bool { return strings.Contains(f, suffix+"/") }
	}
	return func(f string) bool { return strings.HasSuffix(f, suffix) || strings.Contains(f, suffix+"/") }
}

func (s shape) allLiteral(from, to int) bool {
	if !s.anchored || from >= to {
		return false
	}
	for _, seg := range s.segs[from:to] {
		if _, ok := seg.literal(); !ok {
			return false
		}
	}
	return true
}

func (s shape) join(from, to int) string {
	parts := make([]string, 0, to-from)
	for _, seg := range s.segs[from:to] {
		lit, _ := seg.literal()
		parts = append(parts, lit)
	}
	return strings.Join(parts, "/")
}

// needs lists the runs of literal text in the shape, longest first: every
// path it matches contains each of them.
func (s shape) needs() []string {
	var runs []string
	for _, seg := range s.segs {
		var b strings.Builder
		flush := func() {
			if b.Len() > 0 && !slices.Contains(runs, b.String()) {
				runs = append(runs, b.String())
			}
			b.Reset()
		}
		for _, t := range seg.tokens {
			if !t.plain() {
				flush()
				continue
			}
			b.WriteRune(t.lit)
		}
		flush()
	}
	slices.SortStableFunc(runs, func(a, b string) int { return len(b) - len(a) })
	return runs
}
