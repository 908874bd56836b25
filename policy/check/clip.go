package check

import (
	"strings"
	"unicode/utf8"
)

// clipTail ends a document cut to fit.
const clipTail = "\n\n" + Truncated + "\n"

// Clip cuts a rendered document to at most n bytes, at a line end when it
// can, closing a fenced code block it cut inside so that the marker and
// anything GitHub appends are not swallowed by it. User text in the document
// went through Inert, Code or Fence, so only the app's own fences start a
// line; the app emits no <details>.
func Clip(doc string, n int) string {
	if len(doc) <= n {
		return doc
	}
	end := max(n-len(clipTail), 0)
	for {
		kept := doc[:lineEnd(doc, end)]
		body := strings.TrimSuffix(kept, "\n")
		if fence := openFence(kept); fence != "" {
			body += "\n" + fence
		}
		if len(body)+len(clipTail) <= n || len(kept) == 0 {
			return body + clipTail
		}
		end = len(kept) - 1 // drop the last line and try again
	}
}

// lineEnd returns where to cut doc at or before end: after the last newline,
// or on a rune boundary when the first line alone is too long.
func lineEnd(doc string, end int) int {
	if i := strings.LastIndexByte(doc[:end], '\n'); i >= 0 {
		return i + 1
	}
	for end > 0 && !utf8.RuneStart(doc[end]) {
		end--
	}
	return end
}

// openFence returns the opening run of the fenced code block still open at
// the end of doc (which closes it), or "".
func openFence(doc string) string {
	var open string
	for l := range strings.Lines(doc) {
		run := fenceRun(l)
		switch {
		case open == "" && run != "":
			open = run
		case open != "" && run != "" && run[0] == open[0] && len(run) >= len(open) &&
			strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(l), run[:1])) == "":
			open = ""
		}
	}
	return open
}

// fenceRun returns the run of three or more backticks or tildes that l
// starts with after at most three spaces, or "".
func fenceRun(l string) string {
	t := strings.TrimLeft(l, " ")
	if len(l)-len(t) > 3 || t == "" || (t[0] != '`' && t[0] != '~') {
		return ""
	}
	n := len(t) - len(strings.TrimLeft(t, t[:1]))
	if n < 3 {
		return ""
	}
	return t[:n]
}
