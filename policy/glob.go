package policy

import (
	"time"

	lru "github.com/hashicorp/golang-lru"

	"github.com/reviewpolicy/reviewpolicy/policy/pathglob"
)

// compiled holds the compiled form of recently used globs. A policy's
// globs are validated by Parse and matched against every changed file, so
// each is compiled once, not once per file; the bound keeps hostile
// policies from growing it.
var compiled, _ = lru.New(8192)

// Glob returns the compiled form of a policy glob, or nil for an invalid
// one (Parse rejects those before they get here).
func Glob(pattern string) *pathglob.Pattern {
	if g, ok := compiled.Get(pattern); ok {
		return g.(*pathglob.Pattern)
	}
	g, err := pathglob.Compile(pattern, pathglob.Policy)
	if err != nil {
		g = nil
	}
	compiled.Add(pattern, g)
	return g
}

// MatchPath reports whether a changed file matches a policy glob. Globs
// mean what they mean in CODEOWNERS (see package pathglob), plus "{a,b}"
// alternatives and "[a-z]" classes, so a line copied between the two files
// selects the same files. Invalid patterns never match.
func MatchPath(pattern, file string) bool {
	g := Glob(pattern)
	return g != nil && g.Match(file)
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
