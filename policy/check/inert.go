package check

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// GitHub's size limits. GitHub counts characters; counting bytes instead is
// never more lenient, and GitHub has been seen to count bytes in practice.
const (
	MaxSummary           = 65535 // a check run's summary, and its text
	MaxComment           = 65535 // an issue comment's body (GitHub refuses more than 65536)
	MaxAnnotationMessage = 64 << 10
	MaxAnnotations       = 50 // per check-run request
)

// Truncated is the visible marker of text cut to fit.
const Truncated = "…(truncated)"

// zwj after "@" or "#" keeps GitHub from reading a mention or an issue
// reference; it is invisible. Backslash escapes do not help there: GitHub
// finds mentions and references in the rendered text.
const zwj = "\u200d"

// Inert renders user text (a heading, label, path, branch, login, checklist
// item, a value from a proposed policy, an error quoting one) for use inside a
// line of GitHub markdown: it cannot mention, reference, link, inject HTML,
// start a code span, emphasis or a new line. It is at most n bytes, cut on
// a character boundary with the Truncated marker, and costs O(n) however
// long s is.
func Inert(s string, n int) string { return clean(s, n, inline) }

// Plain renders user text for a plain-text sink (an annotation message): one
// line, no mention, at most n bytes.
func Plain(s string, n int) string { return clean(s, n, plain) }

// Code renders user text as an inline code span, in which GitHub renders
// everything literally; the delimiter outlasts any run of backticks inside.
// The content is at most n bytes.
func Code(s string, n int) string {
	c := clean(s, n, code)
	if c == "" {
		return ""
	}
	tick := strings.Repeat("`", longestRun(c, '`')+1)
	// The renderer strips one space each side, which lets the content begin
	// or end with a backtick, or with spaces of its own.
	if c[0] == '`' || c[len(c)-1] == '`' || c[0] == ' ' && c[len(c)-1] == ' ' {
		c = " " + c + " "
	}
	return tick + c + tick
}

// Fence renders user text, lines kept, as a fenced code block ending in a
// newline, its content at most n bytes and cut at a line end when possible.
func Fence(s string, n int) string {
	c := clean(s, n, block)
	fence := strings.Repeat("`", max(3, longestRun(c, '`')+1))
	return fence + "\n" + c + "\n" + fence + "\n"
}

// oneLine bounds the app's own markdown (a notice, the policy's source),
// whose user parts were rendered with Code or Inert, to one line.
func oneLine(s string, n int) string { return clean(s, n, line) }

type mode int

const (
	inline mode = iota // markdown inside a line
	plain              // plain text on one line
	code               // inside a code span
	block              // inside a fenced code block
	line               // the app's markdown, kept on one line
	notice             // the app's markdown, inert but for its emphasis
)

// clean rewrites s rune by rune for m, stopping before n bytes are written.
func clean(s string, n int, m mode) string {
	var b strings.Builder
	b.Grow(min(len(s), n) + 16)
	limit := n - len(Truncated) - 1
	keep := 0 // output length at the last rune boundary within limit
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				r = '\uFFFD'
			}
		}
		rep := rewrite(s, i, r, m)
		if b.Len()+len(rep) > n {
			if limit < 0 {
				return "" // no room even for the marker
			}
			return cut(b.String()[:keep], m)
		}
		b.WriteString(rep)
		if b.Len() <= limit {
			keep = b.Len()
		}
	}
	return b.String()
}

// cut ends out, already cut to fit, with the marker: on a line of its own in
// a block, after the last whole line when there is one.
func cut(out string, m mode) string {
	if m != block {
		return out + " " + Truncated
	}
	if i := strings.LastIndexByte(out, '\n'); i >= 0 {
		out = out[:i]
	}
	return out + "\n" + Truncated
}

// rewrite returns what rune r at s[i] becomes in mode m.
func rewrite(s string, i int, r rune, m mode) string {
	switch {
	case r == '\n' && m == block:
		return "\n"
	case r == '\t' && m == block:
		return "\t"
	case r == '\r' && m == block:
		return ""
	case isBreak(r):
		return " "
	case isHidden(r):
		return "" // controls and bidirectional overrides that reorder what readers see
	case m == block || m == code || m == line:
		return string(r)
	case r == '@':
		return "@" + zwj
	case m == plain:
		return string(r)
	case r == '*' && m == notice:
		return "*" // the app's own emphasis
	case r == '&' || r == '<' || r == '>':
		return entity(r)
	}
	switch r {
	case '#':
		return "#" + zwj
	case '\\', '`', '*', '_', '[', ']', '~', '|':
		return `\` + string(r)
	case ':':
		if strings.HasPrefix(s[i:], "://") { // no bare URL autolink
			return ":" + zwj
		}
	case '-':
		if i >= 2 && strings.EqualFold(s[i-2:i], "gh") && i+1 < len(s) && '0' <= s[i+1] && s[i+1] <= '9' {
			return "-" + zwj // nor a GH-123 issue reference
		}
	case '.':
		if i >= 3 && strings.EqualFold(s[i-3:i], "www") { // nor www. autolink
			return zwj + "."
		}
	}
	return string(r)
}

// entity returns r, as an HTML entity when it could start or end a tag.
func entity(r rune) string {
	switch r {
	case '&':
		return "&amp;"
	case '<':
		return "&lt;"
	case '>':
		return "&gt;"
	}
	return string(r)
}

// isBreak reports whether r ends a line for a renderer or an editor.
func isBreak(r rune) bool {
	switch r {
	case '\n', '\r', '\t', '\v', '\f', 0x85, 0x2028, 0x2029:
		return true
	}
	return false
}

// isHidden reports whether r is a control or a bidirectional formatting
// character, dropped from output.
func isHidden(r rune) bool {
	switch {
	case unicode.IsControl(r):
		return true
	case r == 0x061C, r == 0x200E, r == 0x200F, r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// longestRun returns the length of the longest run of c in s.
func longestRun(s string, c byte) int {
	best, n := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			n++
			best = max(best, n)
		} else {
			n = 0
		}
	}
	return best
}
