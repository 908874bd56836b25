package template

import (
	"strings"
	"unicode/utf8"

	"github.com/yuin/goldmark/text"
)

// This file is a fast path for parse. Goldmark costs about 30 ns a byte,
// most of it in trying every block parser on every line and allocating
// nodes; a 64 KiB description took ~2 ms. Most descriptions are the
// repository template filled in: ATX headings, paragraphs, HTML comments,
// fenced code and simple (task) lists. plain reads the block structure of
// exactly that subset line by line, and gives up on the first line outside
// it, leaving the whole document to goldmark. A paragraph, heading or item
// whose text is plain (no character that could start inline markup:
// \ ` * _ ~ [ ] < > & | # !, no trailing blank) is added as it is; one with
// markup is parsed by goldmark on its own, which reads it as in its document
// because no link reference definition exists (else plain gives up on it);
// past maxAlone such blocks plain gives up too.
// The subset is kept small on purpose: any indentation other than a nested
// list item's, a paragraph line that does not start with a letter, a line
// that could continue a paragraph lazily, control characters, all give up.
// Inside the subset the document is goldmark's, field for field
// (TestPlainMatchesGoldmark and FuzzPlainMatchesGoldmark check it).

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
	if hasControl(src) {
		return false
	}
	// Link reference definitions are the only state goldmark shares between
	// blocks; without one ("]:" starts none), a block parses alone as it
	// does in its document.
	if !strings.Contains(src, "]:") {
		b.alone = maxAlone(len(src))
	}
	var st plainState
	b.doc.lines = make([]line, 0, strings.Count(src, "\n")+1)
	for len(src) > 0 && !b.hidden {
		l, n := firstLine(src)
		var ok bool
		switch {
		case st.fence != 0:
			b.fenceLine(&st, l)
			src, ok = src[n:], true
		case len(l) > 0 && l[0] == '<':
			src, ok = b.plainComment(src)
			st = plainState{}
		case letterFirst(l) && !st.item: // after an item the line would continue it lazily
			src, ok = b.plainPara(src)
			st = plainState{para: true}
		default:
			src, ok = src[n:], b.plainLine(&st, l)
		}
		if !ok {
			return false
		}
	}
	return true
}

// firstLine returns the first line of src without its newline, and the
// length of src it takes.
func firstLine(src string) (string, int) {
	n := strings.IndexByte(src, '\n') + 1
	if n == 0 {
		return src, len(src)
	}
	return src[:n-1], n
}

// plainPara reads a top-level paragraph: lines that start with a letter. A
// paragraph with inline markup is read by goldmark on its own.
func (b *builder) plainPara(src string) (string, bool) {
	end, marked := 0, false
	for end < len(src) {
		l, n := firstLine(src[end:])
		if !letterFirst(l) {
			break
		}
		marked = marked || !inlinePlain(l)
		end += n
	}
	if marked {
		return src[end:], b.parseAlone(src[:end])
	}
	for rest := src[:end]; rest != ""; {
		l, n := firstLine(rest)
		b.doc.lines = append(b.doc.lines, line{text: l})
		rest = rest[n:]
	}
	return src[end:], true
}

// maxAlone is how many blocks of a document of n bytes goldmark may read on
// their own. Each costs ~4-6 µs more than inside a whole document, so with
// markup in most blocks one whole parse is cheaper; the budget keeps a
// document that gives up late about 10% dearer than goldmark alone (~3 ns a
// byte wasted against goldmark's ~30-60).
func maxAlone(n int) int { return 16 + n/2048 }

// parseAlone adds one block, read by goldmark as a document of its own, and
// reports false when the budget for such blocks is spent.
func (b *builder) parseAlone(block string) bool {
	if b.alone == 0 {
		return false
	}
	b.alone--
	b.src = []byte(block)
	b.block(md.Parser().Parse(text.NewReader(b.src)))
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
	return false
}

// plainHeading reads an ATX heading without a closing sequence.
func (b *builder) plainHeading(st *plainState, l string) bool {
	level := 0
	for level < len(l) && l[level] == '#' {
		level++
	}
	if level > 6 || level < len(l) && l[level] != ' ' && l[level] != '\t' {
		return false
	}
	*st = plainState{}
	t := strings.TrimLeft(l[level:], " ")
	if len(t) == 0 || !inlinePlain(t) || strings.IndexByte(t, '#') >= 0 {
		return b.parseAlone(l)
	}
	t = strings.TrimSpace(t) // as flushJoined does
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
	if mark == 0 && !letterFirst(t) { // "- 1. a", "- > a": a block in the item
		return false
	}
	st.depth, st.para, st.item = level+1, false, true
	if !inlinePlain(t) || !letterFirst(t) {
		return b.parseAlone(l[indent:])
	}
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

// hasControl reports an ASCII control character other than tab and newline:
// goldmark reads some as blanks (form feed, vertical tab) and NUL as U+FFFD.
func hasControl(s string) bool {
	for i := range len(s) {
		if c := s[i]; c < ' ' && c != '\t' && c != '\n' || c == 0x7f {
			return true
		}
	}
	return false
}
