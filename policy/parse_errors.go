package policy

import (
	"fmt"
	"sort"
	"strings"
)

// Error is one problem in a policy file, at the place a lead can fix it.
//
// Line and Column are 1-based. Column is 0 when only the line is known (YAML
// syntax errors); Line is 0 when the problem concerns the whole file.
type Error struct {
	File   string
	Line   int
	Column int
	Msg    string
}

// Error formats the problem as "file:line:col: msg", dropping the parts of
// the position that are unknown, as compilers do.
func (e *Error) Error() string {
	switch {
	case e.Line == 0:
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	case e.Column == 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	default:
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
	}
}

// ErrorList is every problem found in one file, sorted by position.
type ErrorList []*Error

// Error prints one problem per line, at most maxErrorBytes of them; the
// lines left out are counted on a last one.
func (l ErrorList) Error() string {
	var b strings.Builder
	for i, e := range l {
		line := e.Error()
		if b.Len()+len(line) > maxErrorBytes {
			fmt.Fprintf(&b, "and %d more errors", len(l)-i)
			break
		}
		b.WriteString(line)
		if i < len(l)-1 {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// Unwrap lets errors.As find the individual *Error values.
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

// sort orders the list by position; problems at the same place keep the
// order in which they were found.
func (l ErrorList) sort() {
	sort.SliceStable(l, func(i, j int) bool {
		if l[i].Line != l[j].Line {
			return l[i].Line < l[j].Line
		}
		return l[i].Column < l[j].Column
	})
}
