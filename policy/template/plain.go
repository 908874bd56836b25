package template

import (
	"strings"
	"unicode/utf8"
)

// This file is a fast path for parse. Goldmark costs about 30 ns a byte,
// most of it in trying every block parser on every line and allocating
// nodes; a 64 KiB description took ~2 ms. Most descriptions are the
// repository template filled in with prose: ATX headings, paragraphs of
// plain text, HTML comments, fenced code and simple (task) lists. plain
// reads exactly that subset line by line, and gives up on the first line
// outside it, leaving the document to goldmark. Inside the subset its
// document is goldmark's, field for field (TestPlainMatchesGoldmark and
// FuzzPlainMatchesGoldmark check it). The subset is kept small on purpose:
// any character that could start inline markup (\ ` * _ ~ [ ] < > & | # !),
// any indentation other than a nested list item's, tabs outside code, and
// lines that could continue a paragraph lazily all give up.

// plainState is what the line before left open.
type plainState struct {
	depth    int  // open list levels; a nested item is indented 2 spaces per level
	para     bool // the line before was a top-level paragraph line
	item     bool // the line before was a list item
	fence    byte // the open fence's character, 0 when none
	fenceLen int
}

// plain fills b.doc from src when src is in the subset described above and
// reports whether it was; on false b.doc is to be discarded.
func (b *builder) plain(src string) bool {
	var st plainState
	b.doc.lines = make([]line, 0, strings.Count(src, "\n")+1)
	for len(src) > 0 && !b.hidden {
		n := strings.IndexByte(src, '\n') + 1
		if n == 0 {
			n = len(src)
		}
		l := strings.TrimSuffix(src[:n], "\n")
		if strings.IndexByte(l, 0) >= 0 {
			return false
		}
		if st.fence != 0 {
			b.fenceLine(&st, l)
			src = src[n:]
			continue
		}
		if len(l) > 0 && l[0] == '<' {
			rest, ok := b.plainComment(src)
			if !ok {
				return false
			}
			st = plainState{}
			src = rest
			continue
		}
		if !b.plainLine(&st, l) {
			return false
		}
		src = src[n:]
	}
	return true
}

// plainLine reads one line outside fences and HTML blocks.
func (b *builder) plainLine(st *plainState, l string) bool {
	switch {
	case len(l) == 0:
		st.para, st.item = false, false
		return true
	case l[0] == '#':
		return b.plainHeading(st, l)
	case l[0] == '`' || l[0] == '~':
		return b.plainFence(st, l)
	case l[0] == '-' || l[0] == ' ':
		return b.plainItem(st, l)
	}
	// A paragraph line: after a list item it would continue the item lazily.
	if st.item || !inlinePlain(l) || !letterFirst(l) {
		return false
	}
	st.depth, st.para = 0, true
	b.doc.lines = append(b.doc.lines, line{text: l})
	return true
}

// plainHeading reads an ATX heading without a closing sequence.
func (b *builder) plainHeading(st *plainState, l string) bool {
	level := 0
	for level < len(l) && l[level] == '#' {
		level++
	}
	if level > 6 || level >= len(l) || l[level] != ' ' {
		return false
	}
	t := strings.TrimLeft(l[level:], " ")
	if len(t) == 0 || !inlinePlain(t) || strings.IndexByte(t, '#') >= 0 {
		return false
	}
	*st = plainState{}
	b.doc.headings = append(b.doc.headings, heading{level: level, name: normalizeName(t), line: len(b.doc.lines)})
	b.doc.lines = append(b.doc.lines, line{text: t})
	return true
}

// plainFence opens a fenced code block at the margin.
func (b *builder) plainFence(st *plainState, l string) bool {
	n := 0
	for n < len(l) && l[n] == l[0] {
		n++
	}
	if n < 3 || l[0] == '`' && strings.IndexByte(l[n:], '`') >= 0 {
		return false
	}
	*st = plainState{fence: l[0], fenceLen: n}
	return true
}

// fenceLine reads a line inside a fence opened at the margin: its closing
// fence (up to 3 spaces, the fence character at least as many times, then
// blanks) or a code line kept as it is.
func (b *builder) fenceLine(st *plainState, l string) {
	i := 0
	for i < len(l) && i < 3 && l[i] == ' ' {
		i++
	}
	j := i
	for j < len(l) && l[j] == st.fence {
		j++
	}
	if j-i >= st.fenceLen && len(strings.Trim(l[j:], " \t")) == 0 {
		*st = plainState{}
		return
	}
	b.doc.lines = append(b.doc.lines, line{text: l, code: true})
}

// plainComment reads an HTML block that opens with "<!--" at the margin and
// ends with the first line holding "-->" (or the document), and returns the
// source after it.
func (b *builder) plainComment(src string) (string, bool) {
	if !strings.HasPrefix(src, "<!--") {
		return "", false
	}
	end := len(src)
	for i := 0; i < len(src); {
		n := strings.IndexByte(src[i:], '\n') + 1
		if n == 0 {
			n = len(src) - i
		}
		if strings.Contains(src[i:i+n], "-->") {
			end = i + n
			break
		}
		i += n
	}
	b.htmlText(src[:end])
	return src[end:], true
}

// plainItem reads a bullet list item "- text" or "- [ ] text", at the margin
// or nested 2 spaces deeper per level, whose text is one plain line.
func (b *builder) plainItem(st *plainState, l string) bool {
	indent := 0
	for indent < len(l) && l[indent] == ' ' {
		indent++
	}
	level := indent / 2
	if indent%2 != 0 || level > st.depth || st.para && indent > 0 ||
		!strings.HasPrefix(l[indent:], "- ") {
		return false
	}
	t := l[indent+2:]
	var mark byte
	if len(t) >= 4 && t[0] == '[' && t[2] == ']' && t[3] == ' ' {
		switch t[1] {
		case ' ':
			mark = ' '
		case 'x', 'X':
			mark = 'x'
		default:
			return false
		}
		t = t[4:]
	}
	if !inlinePlain(t) || !letterFirst(t) {
		return false
	}
	st.depth, st.para, st.item = level+1, false, true
	b.doc.lines = append(b.doc.lines, line{text: t, box: mark})
	if mark != 0 {
		b.doc.boxes = append(b.doc.boxes, box{name: normalizeName(t), ticked: mark == 'x'})
	}
	return true
}

// inlinePlain reports text in which no inline markup can start and which
// ends without blanks (a hard line break).
func inlinePlain(t string) bool {
	for i := range len(t) {
		switch t[i] {
		case '\\', '`', '*', '_', '~', '[', ']', '<', '>', '&', '|', '#', '!', '\t':
			return false
		}
	}
	return len(t) > 0 && t[len(t)-1] != ' '
}

// letterFirst reports text that starts with a letter (ASCII) or any
// non-ASCII character: nothing that could open a block (a digit could
// start an ordered list, a symbol a quote, rule or list).
func letterFirst(t string) bool {
	return len(t) > 0 && (isASCIILetter(t[0]) || t[0] >= utf8.RuneSelf)
}
