package template

import (
	"bufio"
	"bytes"
	"html"
	"strings"
	"unicode/utf8"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	ghtml "github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
)

// This file reads a description the way GitHub renders it: goldmark parses
// CommonMark with GitHub's table, strikethrough and task-list extensions,
// and the tree is flattened into the lines a reader sees. Only visible text
// survives: HTML comments and tags, link destinations, bullets and task boxes
// are gone, entities and escapes are decoded. The project's own rules
// (sections, placeholders, words, ticket, checklist) work on these lines.
// Descriptions without inline markup skip goldmark: see plain.go.

// maxDocBytes and maxLineBytes bound what is parsed. GitHub caps a
// description at 65,536 characters (at most 256 KiB of UTF-8), so the first
// never cuts a real description. The second is needed because goldmark's
// cost grows with the square of a line's length on some inputs (a line of
// 256 KiB of ">" or "[a](" takes it 20 s; see BenchmarkParseHostile): text
// past 8 KiB on one line is not read. Prose lines are far shorter.
const (
	maxDocBytes  = 256 << 10
	maxLineBytes = 8 << 10
)

// md parses with GitHub's extensions. Linkify is left out: it only turns
// bare URLs into links, whose text is the same. A goldmark parser keeps no
// state between calls, so one serves every goroutine.
var md = goldmark.New(goldmark.WithExtensions(extension.Table, extension.Strikethrough, extension.TaskList))

// line is one rendered line of a document.
type line struct {
	text    string // the visible text, not trimmed
	code    bool   // a line of a code block
	box     byte   // on the first line of a task item: ' ' unticked, 'x' ticked; else 0
	comment bool   // its block held an HTML comment (the line may then be empty)
}

// key is how a line compares with the template's lines: its trimmed text,
// with the task box, so that ticking a template box is the author's input.
func (l line) key() string {
	t := strings.TrimSpace(l.text)
	if l.box != 0 {
		return "[" + string(l.box) + "] " + t
	}
	return t
}

// heading is an ATX, setext or bold-line heading.
type heading struct {
	level int    // 1-6; boldLevel for a line that is entirely bold
	name  string // see normalizeName
	line  int    // the line holding its text; the section's text follows it
}

// boldLevel ranks a bold line below every real heading, so "**Notes**" under
// "## Testing" is a sub-heading of Testing and does not end it.
const boldLevel = 7

// box is a task-list item.
type box struct {
	name   string // its first paragraph's visible text, see normalizeName
	ticked bool
}

// document is a parsed description or template.
type document struct {
	lines    []line
	headings []heading
	boxes    []box
	links    []string // link destinations outside code: a ticket may be a link's target
}

// section returns the lines under d.headings[h], up to the next heading of
// the same or a higher level. Sub-headings and their text belong to it.
func (d *document) section(h int) []line {
	end := len(d.lines)
	for _, next := range d.headings[h+1:] {
		if next.level <= d.headings[h].level {
			end = next.line
			break
		}
	}
	return d.lines[d.headings[h].line+1 : end]
}

// normalizeNewlines turns CRLF and lone CR line endings into LF.
func normalizeNewlines(s string) string {
	if !strings.Contains(s, "\r") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// parse reads a Markdown document, with the fast path of plain.go when the
// document is in its subset and with goldmark otherwise.
func parse(s string) document {
	s = normalizeNewlines(s)
	if len(s) > maxDocBytes {
		s = s[:runeStart(s, maxDocBytes)]
	}
	src := capLines(s)
	var fast builder
	if fast.plain(src) {
		return fast.doc
	}
	return parseGoldmark(src)
}

// parseGoldmark reads src (see parse) with goldmark.
func parseGoldmark(src string) document {
	b := builder{src: []byte(src)}
	b.block(md.Parser().Parse(text.NewReader(b.src)))
	return b.doc
}

// capLines returns s with every line cut to maxLineBytes (at a character
// boundary).
func capLines(s string) string {
	if !hasLongLine(s) {
		return s
	}
	out := make([]byte, 0, len(s))
	for len(s) > 0 {
		n := strings.IndexByte(s, '\n') + 1
		if n == 0 {
			n = len(s)
		}
		l := s[:n]
		if len(l) > maxLineBytes {
			out = append(out, l[:runeStart(l, maxLineBytes)]...)
			if l[len(l)-1] == '\n' {
				out = append(out, '\n')
			}
		} else {
			out = append(out, l...)
		}
		s = s[n:]
	}
	return string(out)
}

// runeStart returns the largest i <= n at which a character of s starts;
// len(s) must exceed n.
func runeStart(s string, n int) int {
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return n
}

// builder flattens a goldmark tree into a document.
type builder struct {
	src     []byte
	doc     document
	cur     strings.Builder // the line being built
	comment bool            // the line being built held an HTML comment
	hidden  bool            // an unclosed HTML comment hid the rest
	alone   int             // how many more blocks plain may parse on their own
}

// block adds a block node and its children.
func (b *builder) block(n ast.Node) {
	if b.hidden {
		return
	}
	switch n := n.(type) {
	case *ast.Heading:
		first := len(b.doc.lines)
		b.children(n)
		b.flushJoined(first, n.Level)
	case *ast.Paragraph:
		_, top := n.Parent().(*ast.Document)
		b.paragraph(n, top)
	case *ast.TextBlock:
		b.paragraph(n, false)
	case *ast.CodeBlock, *ast.FencedCodeBlock:
		b.code(n)
	case *ast.HTMLBlock:
		b.htmlBlock(n)
	case *east.Table:
		b.table(n)
	case *ast.ThematicBreak:
	default: // document, block quote, list, list item
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			b.block(c)
		}
	}
}

// flushJoined turns the lines from first on into one heading line: a setext
// heading may span several lines, and its name joins them.
func (b *builder) flushJoined(first, level int) {
	b.flush()
	parts := make([]string, 0, len(b.doc.lines)-first)
	comment := false
	for _, l := range b.doc.lines[first:] {
		parts = append(parts, strings.TrimSpace(l.text))
		comment = comment || l.comment
	}
	b.doc.lines = append(b.doc.lines[:first], line{text: strings.Join(parts, " "), comment: comment})
	b.doc.headings = append(b.doc.headings, heading{level: level, name: normalizeName(strings.Join(parts, " ")), line: first})
}

// paragraph adds a paragraph line by line. At the top level a line that is
// entirely bold is a heading; a paragraph opening with a task box is a box.
func (b *builder) paragraph(n ast.Node, top bool) {
	first := len(b.doc.lines)
	var mark byte
	if cb, ok := n.FirstChild().(*east.TaskCheckBox); ok {
		mark = ' '
		if cb.IsChecked {
			mark = 'x'
		}
	}
	start := n.FirstChild()
	for c := start; c != nil; c = c.NextSibling() {
		t, ok := c.(*ast.Text)
		if c.NextSibling() != nil && !(ok && (t.SoftLineBreak() || t.HardLineBreak())) {
			continue
		}
		before := len(b.doc.lines)
		for x := start; x != c.NextSibling(); x = x.NextSibling() {
			b.inline(x)
		}
		b.flush()
		if top && mark == 0 && len(b.doc.lines) == before+1 && boldLine(start, c.NextSibling(), b.src) {
			b.doc.headings = append(b.doc.headings, heading{level: boldLevel, name: normalizeName(b.doc.lines[before].text), line: before})
		}
		start = c.NextSibling()
	}
	if mark == 0 {
		return
	}
	if first == len(b.doc.lines) {
		b.doc.lines = append(b.doc.lines, line{})
	}
	b.doc.lines[first].box = mark
	parts := make([]string, 0, len(b.doc.lines)-first)
	for _, l := range b.doc.lines[first:] {
		parts = append(parts, l.text)
	}
	b.doc.boxes = append(b.doc.boxes, box{name: normalizeName(strings.Join(parts, " ")), ticked: mark == 'x'})
}

// boldLine reports whether the inline nodes from start up to end form one
// strong emphasis, followed by nothing but punctuation such as ':'.
func boldLine(start, end ast.Node, src []byte) bool {
	if e, ok := start.(*ast.Emphasis); !ok || !strong(e) {
		return false
	}
	for c := start.NextSibling(); c != end; c = c.NextSibling() {
		t, ok := c.(*ast.Text)
		if !ok || strings.Trim(string(t.Value(src)), ":.!?;, \t") != "" {
			return false
		}
	}
	return true
}

// strong reports "**x**", and "***x***" which CommonMark nests.
func strong(e *ast.Emphasis) bool {
	if e.Level == 2 {
		return true
	}
	inner, ok := e.FirstChild().(*ast.Emphasis)
	return ok && inner.NextSibling() == nil && inner.Level == 2
}

// inline adds an inline node's visible text to the current line.
func (b *builder) inline(n ast.Node) {
	switch n := n.(type) {
	case *ast.Text:
		v := n.Value(b.src)
		if n.IsRaw() {
			b.cur.WriteString(strings.ReplaceAll(string(v), "\n", " "))
		} else {
			b.cur.WriteString(decode(v))
		}
		if n.SoftLineBreak() || n.HardLineBreak() {
			// A break nested in emphasis or a link still ends the line.
			if _, top := n.Parent().(*ast.Paragraph); !top {
				if _, tb := n.Parent().(*ast.TextBlock); !tb {
					b.flush()
				}
			}
		}
	case *ast.String:
		if n.IsCode() || n.IsRaw() {
			b.cur.Write(n.Value)
		} else {
			b.cur.WriteString(decode(n.Value))
		}
	case *ast.RawHTML:
		// Tags and comments are markup; a comment marks the line as holding one.
		if bytes.HasPrefix(n.Segments.Value(b.src), []byte("<!--")) {
			b.comment = true
		}
	case *ast.AutoLink:
		b.cur.Write(n.Label(b.src))
	case *ast.Link:
		b.doc.links = append(b.doc.links, string(n.Destination))
		b.children(n)
	case *east.TaskCheckBox:
	default: // emphasis, code span, image (its alt text), strikethrough
		b.children(n)
	}
}

func (b *builder) children(n ast.Node) {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		b.inline(c)
	}
}

// flush ends the current line, keeping it when it has text or a comment.
func (b *builder) flush() {
	if b.cur.Len() > 0 || b.comment {
		b.doc.lines = append(b.doc.lines, line{text: b.cur.String(), comment: b.comment})
	}
	b.cur.Reset()
	b.comment = false
}

// decode resolves backslash escapes and entities the way goldmark's HTML
// renderer does, then unescapes the HTML it would write.
func decode(v []byte) string {
	if bytes.IndexByte(v, '&') < 0 && bytes.IndexByte(v, '\\') < 0 && bytes.IndexByte(v, 0) < 0 {
		return string(v)
	}
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	ghtml.DefaultWriter.Write(w, v)
	_ = w.Flush()
	return html.UnescapeString(buf.String())
}

// code adds the lines of a fenced or indented code block.
func (b *builder) code(n ast.Node) {
	lines := n.Lines()
	for i := range lines.Len() {
		seg := lines.At(i)
		t := strings.TrimRight(string(seg.Value(b.src)), "\n")
		b.doc.lines = append(b.doc.lines, line{text: t, code: true})
	}
}

// htmlBlock adds the text an HTML block shows: comments and tags removed,
// entities decoded. An unclosed comment hides the rest of the document, as
// it does once GitHub's sanitiser parses the rendered page.
func (b *builder) htmlBlock(n *ast.HTMLBlock) {
	var raw bytes.Buffer
	lines := n.Lines()
	for i := range lines.Len() {
		seg := lines.At(i)
		raw.Write(seg.Value(b.src))
	}
	if n.HasClosure() {
		raw.Write(n.ClosureLine.Value(b.src))
	}
	b.htmlText(raw.String())
}

// htmlText adds the visible lines of an HTML block's raw text s.
func (b *builder) htmlText(s string) {
	visible, open := stripComments(s)
	b.hidden = open
	comment := strings.Contains(s, "<!--")
	for l := range strings.SplitSeq(strings.TrimRight(visible, "\n"), "\n") {
		t := html.UnescapeString(stripTags(l))
		if strings.TrimSpace(t) != "" || comment {
			b.doc.lines = append(b.doc.lines, line{text: t, comment: comment})
		}
	}
}

// table adds one line per row, its cells joined by " | ".
func (b *builder) table(n ast.Node) {
	for row := n.FirstChild(); row != nil; row = row.NextSibling() {
		for cell := row.FirstChild(); cell != nil; cell = cell.NextSibling() {
			if cell != row.FirstChild() {
				b.cur.WriteString(" | ")
			}
			b.children(cell)
		}
		b.flush()
	}
}

// stripComments removes HTML comments from s, and reports whether one was
// left open (it then runs to the end).
func stripComments(s string) (string, bool) {
	var out strings.Builder
	for {
		start := strings.Index(s, "<!--")
		if start < 0 {
			out.WriteString(s)
			return out.String(), false
		}
		out.WriteString(s[:start])
		rest := s[start+len("<!--"):]
		// "<!-->" and "<!--->" are complete (empty) comments in HTML.
		if strings.HasPrefix(rest, ">") || strings.HasPrefix(rest, "->") {
			s = rest[strings.IndexByte(rest, '>')+1:]
			continue
		}
		end := strings.Index(rest, "-->")
		if end < 0 {
			return out.String(), true
		}
		s = rest[end+len("-->"):]
	}
}

// stripTags removes HTML tags ("<" then a letter, '/' or '!', up to the next
// '>' on the line) from one line of an HTML block.
func stripTags(s string) string {
	if strings.IndexByte(s, '<') < 0 {
		return s
	}
	var out strings.Builder
	for i := 0; i < len(s); {
		if s[i] == '<' {
			if end := htmlTagEnd(s[i+1:]); end > 0 {
				i += 1 + end
				out.WriteByte(' ')
				continue
			}
		}
		out.WriteByte(s[i])
		i++
	}
	return out.String()
}

// hasLongLine reports whether a line of s is longer than maxLineBytes.
func hasLongLine(s string) bool {
	for len(s) > maxLineBytes {
		n := strings.IndexByte(s, '\n')
		if n < 0 || n > maxLineBytes {
			return true
		}
		s = s[n+1:]
	}
	return false
}
