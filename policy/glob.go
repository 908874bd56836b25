package policy

import (
	"path"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"
)

// MatchPath reports whether a changed file matches a policy glob.
//
// Globs use doublestar's "**" semantics. As in .gitignore and CODEOWNERS, a
// pattern with no "/" matches the file's base name at any depth, so "*.go"
// matches "svc/api/main.go". A leading "/" anchors at the repository root.
// Invalid patterns never match; Parse rejects them before they get here.
func MatchPath(pattern, file string) bool {
	pattern = strings.TrimPrefix(pattern, "/")
	if !strings.Contains(pattern, "/") {
		ok, _ := doublestar.Match(pattern, path.Base(file))
		return ok
	}
	ok, _ := doublestar.Match(pattern, file)
	return ok
}

// MatchAny reports whether file matches any of patterns.
func MatchAny(patterns []string, file string) bool {
	for _, p := range patterns {
		if MatchPath(p, file) {
			return true
		}
	}
	return false
}

// OpenAt reports whether t falls inside the working window when read in loc
// (nil: the window's own time zone). Holidays are not considered here.
func (w *WorkingHours) OpenAt(t time.Time, loc *time.Location) bool {
	if loc == nil {
		loc = w.Location
	}
	if loc == nil {
		loc = time.UTC
	}
	lt := t.In(loc)
	working := false
	for _, d := range w.Days {
		if d == lt.Weekday() {
			working = true
			break
		}
	}
	if !working {
		return false
	}
	since := time.Duration(lt.Hour())*time.Hour + time.Duration(lt.Minute())*time.Minute +
		time.Duration(lt.Second())*time.Second
	return since >= w.Start && since < w.End
}
