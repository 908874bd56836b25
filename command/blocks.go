package command

import "strings"

// blocks follows the Markdown blocks a comment's lines are in, enough to
// tell a command someone wrote from one they showed: fenced code (``` or
// ~~~), indented code, block quotes and HTML comments hide their lines.
type blocks struct {
	fence   string // the opening fence while inside one
	comment bool   // inside <!-- ... -->
}

// visible reports whether line is ordinary text, and moves the state on.
func (b *blocks) visible(line string) bool {
	if b.comment {
		if strings.Contains(line, "-->") {
			b.comment = false
		}
		return false
	}
	indent := len(line) - len(strings.TrimLeft(line, " "))
	trimmed := strings.TrimLeft(line, " ")
	if b.fence != "" {
		if indent < 4 && strings.HasPrefix(trimmed, b.fence) && strings.Trim(trimmed, b.fence[:1]+" \t") == "" {
			b.fence = ""
		}
		return false
	}
	if indent >= 4 || strings.HasPrefix(line, "\t") {
		return false // indented code
	}
	if f := fenceOf(trimmed); f != "" {
		b.fence = f
		return false
	}
	if strings.HasPrefix(trimmed, ">") {
		return false
	}
	if i := strings.Index(trimmed, "<!--"); i >= 0 {
		if !strings.Contains(trimmed[i:], "-->") {
			b.comment = true
		}
		return false
	}
	return true
}

// fenceOf returns the fence a line opens (three or more ` or ~), or "".
func fenceOf(s string) string {
	for _, c := range []string{"`", "~"} {
		n := len(s) - len(strings.TrimLeft(s, c))
		if n >= 3 {
			return strings.Repeat(c, n)
		}
	}
	return ""
}
