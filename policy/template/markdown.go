package template

import (
	"strings"
)

// This file holds a deliberately small Markdown reader: just enough block
// structure (fenced code, HTML comments, headings, list items) to find the
// sections of a pull-request description the way GitHub renders them. It makes
// a single pass over the lines, uses no regular expressions and allocates only
// the line and heading slices (plus a string for lines with HTML comments).

// line is one line of a document.
type line struct {
	text    string // the visible text: HTML comments removed (outside code), not trimmed
	code    bool   // inside a fenced code block, the fences included
	fence   bool   // an opening or closing fence
	comment bool   // the line held (part of) an HTML comment
}

// heading is an ATX, setext or bold-line heading.
type heading struct {
	level       int    // 1-6; boldLevel for a line that is entirely bold
	name        string // see normalizeName
	first, last int    // the lines it occupies: setext headings span their paragraph and underline
}

// boldLevel ranks a bold line below every real heading, so "**Notes**" under
// "## Testing" is a sub-heading of Testing and does not end it.
const boldLevel = 7

// document is a parsed description or template.
type document struct {
	lines    []line
	headings []heading
}

// Paragraph states besides "a paragraph started at line i (i >= 0)".
const (
	paraNone    = -1 // not in a paragraph: the next text line starts one
	paraBlocked = -2 // in a list item or block quote: text lines continue it lazily
)

// normalizeNewlines turns CRLF and lone CR line endings into LF.
func normalizeNewlines(s string) string {
	if !strings.Contains(s, "\r") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// parse reads a Markdown document.
//
// Section boundaries follow CommonMark closely enough for descriptions:
// fenced code blocks (``` or ~~~, indented up to three spaces; an unclosed
// fence runs to the end) hide everything inside them, HTML comments hide
// their text wherever they start, setext headings need a paragraph above the
// underline. Indented code blocks and list-nested fences are not recognised.
func parse(s string) document {
	s = normalizeNewlines(s)
	var d document
	if s == "" {
		return d
	}
	d.lines = make([]line, 0, strings.Count(s, "\n")+1)
	var (
		inComment bool
		fenceChar byte
		fenceLen  int // > 0 while inside a fenced code block
		para      = paraNone
	)
	for raw := range strings.SplitSeq(s, "\n") {
		if fenceLen > 0 {
			closing := isFenceClose(raw, fenceChar, fenceLen)
			if closing {
				fenceLen = 0
			}
			d.lines = append(d.lines, line{text: raw, code: true, fence: closing})
			continue
		}
		l := line{text: raw}
		if inComment || strings.Contains(raw, "<!--") {
			l.text, inComment = stripComments(raw, inComment)
			l.comment = true
		}
		if ch, n, ok := fenceOpen(l.text); ok {
			fenceChar, fenceLen = ch, n
			l.code, l.fence = true, true
			para = paraNone
		}
		d.lines = append(d.lines, l)
		if !l.code {
			para = d.classify(len(d.lines)-1, para)
		}
	}
	return d
}

// classify records a heading on line i, if it is one, and returns the new
// paragraph state.
func (d *document) classify(i, para int) int {
	text := d.lines[i].text
	trimmed := strings.TrimSpace(text)
	if trimmed == "" {
		return paraNone
	}
	if level := setextLevel(text); level > 0 && para >= 0 {
		// The paragraph above becomes the heading; a bold line in it is no
		// longer a heading of its own.
		if n := len(d.headings); n > 0 && d.headings[n-1].first >= para {
			d.headings = d.headings[:n-1]
		}
		parts := make([]string, 0, i-para)
		for _, l := range d.lines[para:i] {
			parts = append(parts, strings.TrimSpace(l.text))
		}
		d.headings = append(d.headings, heading{
			level: level, name: normalizeName(strings.Join(parts, " ")), first: para, last: i,
		})
		return paraNone
	}
	if level, name, ok := atxHeading(text); ok {
		d.headings = append(d.headings, heading{level: level, name: normalizeName(name), first: i, last: i})
		return paraNone
	}
	if isThematicBreak(trimmed) {
		return paraNone
	}
	if trimmed[0] == '>' {
		return paraBlocked
	}
	if _, ok := listItem(text); ok {
		return paraBlocked
	}
	if name, ok := boldHeading(trimmed); ok {
		d.headings = append(d.headings, heading{level: boldLevel, name: normalizeName(name), first: i, last: i})
	}
	if para == paraNone {
		return i
	}
	return para
}

// stripComments removes HTML comments from s. inComment says whether s starts
// inside a comment; the result says whether it ends inside one.
func stripComments(s string, inComment bool) (string, bool) {
	var b strings.Builder
	for {
		if inComment {
			end := strings.Index(s, "-->")
			if end < 0 {
				return b.String(), true
			}
			s, inComment = s[end+len("-->"):], false
			continue
		}
		start := strings.Index(s, "<!--")
		if start < 0 {
			b.WriteString(s)
			return b.String(), false
		}
		b.WriteString(s[:start])
		s, inComment = s[start+len("<!--"):], true
	}
}

// indent returns s without up to three leading spaces, and whether that was
// all its indentation (four spaces or a tab make an indented code block).
func indent(s string) (string, bool) {
	for i := 0; i < 4; i++ {
		if i == len(s) || s[i] != ' ' {
			return s[i:], i == len(s) || s[i] != '\t'
		}
	}
	return s, false
}

// run returns how many times c repeats at the start of s.
func run(s string, c byte) int {
	n := 0
	for n < len(s) && s[n] == c {
		n++
	}
	return n
}

// fenceOpen reports whether s opens a fenced code block, with its character
// and length.
func fenceOpen(s string) (byte, int, bool) {
	s, ok := indent(s)
	if !ok || len(s) < 3 || (s[0] != '`' && s[0] != '~') {
		return 0, 0, false
	}
	n := run(s, s[0])
	if n < 3 || (s[0] == '`' && strings.IndexByte(s[n:], '`') >= 0) {
		return 0, 0, false
	}
	return s[0], n, true
}

// isFenceClose reports whether s closes a fence of n characters c.
func isFenceClose(s string, c byte, n int) bool {
	s, ok := indent(s)
	if !ok {
		return false
	}
	m := run(s, c)
	return m >= n && strings.TrimSpace(s[m:]) == ""
}

// atxHeading parses "## Heading ##".
func atxHeading(s string) (level int, text string, ok bool) {
	s, ok = indent(s)
	if !ok {
		return 0, "", false
	}
	level = run(s, '#')
	if level == 0 || level > 6 || (level < len(s) && s[level] != ' ' && s[level] != '\t') {
		return 0, "", false
	}
	text = strings.TrimSpace(s[level:])
	// A closing sequence of #s must be preceded by a space ("C#" keeps its #).
	if closed := strings.TrimRight(text, "#"); closed == "" {
		text = ""
	} else if len(closed) < len(text) && (closed[len(closed)-1] == ' ' || closed[len(closed)-1] == '\t') {
		text = strings.TrimSpace(closed)
	}
	return level, text, true
}

// setextLevel returns 1 for a "===" underline, 2 for "---", 0 otherwise.
func setextLevel(s string) int {
	s, ok := indent(s)
	if !ok || s == "" || (s[0] != '=' && s[0] != '-') {
		return 0
	}
	if strings.TrimRight(s[run(s, s[0]):], " \t") != "" {
		return 0
	}
	if s[0] == '=' {
		return 1
	}
	return 2
}

// isThematicBreak reports a "---", "***" or "___" line (spaces allowed).
func isThematicBreak(trimmed string) bool {
	c := trimmed[0]
	if c != '-' && c != '*' && c != '_' {
		return false
	}
	n := 0
	for i := 0; i < len(trimmed); i++ {
		switch trimmed[i] {
		case c:
			n++
		case ' ', '\t':
		default:
			return false
		}
	}
	return n >= 3
}

// boldHeading reports a line that is entirely bold, "**Testing**" or
// "__Testing__", with trailing punctuation such as ':' allowed after it.
func boldHeading(trimmed string) (string, bool) {
	if len(trimmed) < 5 {
		return "", false
	}
	delim := trimmed[:2]
	if delim != "**" && delim != "__" {
		return "", false
	}
	s := strings.TrimRight(trimmed, ":.!?;, \t")
	if len(s) < 5 || !strings.HasSuffix(s, delim) {
		return "", false
	}
	inner := s[2 : len(s)-2]
	if strings.Contains(inner, delim) || strings.Trim(inner, "*_ \t") == "" {
		return "", false
	}
	return inner, true
}

// listItem returns the text of a list item after its bullet ("-", "*", "+")
// or number ("1.", "1)"), at any indentation and inside block quotes.
func listItem(s string) (string, bool) {
	s = trimBlank(s)
	for strings.HasPrefix(s, ">") {
		s = trimBlank(s[1:])
	}
	if s == "" {
		return "", false
	}
	n := 0
	switch s[0] {
	case '-', '*', '+':
		n = 1
	default:
		for n < len(s) && n < 9 && s[n] >= '0' && s[n] <= '9' {
			n++
		}
		if n == 0 || n == len(s) || (s[n] != '.' && s[n] != ')') {
			return "", false
		}
		n++
	}
	if n < len(s) && s[n] != ' ' && s[n] != '\t' {
		return "", false
	}
	return trimBlank(s[n:]), true
}

// trimBlank drops leading spaces and tabs (cheaper than strings.TrimLeft with
// a cutset, which shows in profiles of long descriptions).
func trimBlank(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	return s
}

// task parses a task-list item ("- [ ] text", "1. [x] text"): its text and
// whether it is ticked.
func task(s string) (text string, ticked, ok bool) {
	s, ok = listItem(s)
	if !ok || len(s) < 3 || s[0] != '[' || s[2] != ']' {
		return "", false, false
	}
	if len(s) > 3 && s[3] != ' ' && s[3] != '\t' {
		return "", false, false
	}
	switch s[1] {
	case ' ':
	case 'x', 'X':
		ticked = true
	default:
		return "", false, false
	}
	return strings.TrimSpace(s[3:]), ticked, true
}

// content strips block markup (quote markers, bullets, numbers, task boxes)
// from a line so that only its text is counted: "1. [x] Ran it" is 2 words.
func content(s string) string {
	if text, _, ok := task(s); ok {
		return text
	}
	if text, ok := listItem(s); ok {
		return text
	}
	return s
}

// sectionEnd returns the line where the section under d.headings[h] ends: the
// next heading of the same or a higher level. Sub-headings belong to it.
func (d *document) sectionEnd(h int) int {
	for _, next := range d.headings[h+1:] {
		if next.level <= d.headings[h].level {
			return next.first
		}
	}
	return len(d.lines)
}
