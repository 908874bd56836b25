package reviewers

import (
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/reviewpolicy/reviewpolicy/policy"
)

// globMeta are the bytes that end a pattern's literal prefix or suffix. "]"
// and "}" are only special after "[" and "{", but treating them as meta is
// merely conservative.
const globMeta = "*?[]{}\\"

// fileIndex lets many globs be matched against many files without trying
// every pair. A file can only match a glob if it starts with the glob's
// literal prefix (or ends with its literal suffix); with the files sorted by
// that text, those candidates form one contiguous run found by binary search.
// Candidates are then confirmed by compileGlob, which agrees with
// policy.MatchPath (the tests compare them on random patterns).
type fileIndex struct {
	files []string
	// Sort orders built on first use: full path and base name forwards
	// (for prefixes), full path reversed (for suffixes).
	views [3]sortedView
	memo  map[string][]int // pattern -> hits
}

// sortedView is the files sorted by one key.
type sortedView []keyed

type keyed struct {
	key  string
	file int // index into fileIndex.files
}

const (
	viewPath = iota
	viewBase
	viewRevPath
)

func newFileIndex(files []string) *fileIndex {
	return &fileIndex{files: files, memo: make(map[string][]int)}
}

func (x *fileIndex) view(kind int) sortedView {
	if v := x.views[kind]; v != nil {
		return v
	}
	v := make(sortedView, len(x.files))
	for i, f := range x.files {
		switch kind {
		case viewBase:
			f = path.Base(f)
		case viewRevPath:
			f = reverse(f)
		}
		v[i] = keyed{key: f, file: i}
	}
	slices.SortFunc(v, func(a, b keyed) int { return strings.Compare(a.key, b.key) })
	x.views[kind] = v
	return v
}

// withPrefix returns the entries whose key starts with p: one contiguous run.
func (v sortedView) withPrefix(p string) sortedView {
	lo := sort.Search(len(v), func(i int) bool { return v[i].key >= p })
	n := sort.Search(len(v)-lo, func(i int) bool { return !strings.HasPrefix(v[lo+i].key, p) })
	return v[lo : lo+n]
}

// candidates returns the indexes of the files that may match pattern, or
// all=true when the pattern has no literal part to narrow them down. The
// caller still has to confirm each candidate with compileGlob.
func (x *fileIndex) candidates(pattern string) (cands sortedView, all bool) {
	p := strings.TrimPrefix(pattern, "/")
	base := !strings.Contains(p, "/") // policy.MatchPath then matches the base name

	prefix := p
	if i := strings.IndexAny(p, globMeta); i >= 0 {
		prefix = p[:i]
	}
	suffix := p
	if i := strings.LastIndexAny(p, globMeta); i >= 0 {
		suffix = p[i+1:]
	}
	// doublestar lets "a/**" match "a" and "**/b" match "b", so a slash next
	// to the wildcard part is not guaranteed to be in the file name.
	prefix = strings.TrimSuffix(prefix, "/")
	suffix = strings.TrimPrefix(suffix, "/")

	switch {
	case prefix != "" && len(prefix) >= len(suffix):
		if base {
			return x.view(viewBase).withPrefix(prefix), false
		}
		return x.view(viewPath).withPrefix(prefix), false
	case suffix != "":
		// A base-name pattern's suffix has no "/", so it is also the
		// suffix of the full path: one reversed view serves both.
		return x.view(viewRevPath).withPrefix(reverse(suffix)), false
	}
	return nil, true
}

// match returns, in the order of x.files, the indexes of the files matching
// any of patterns.
func (x *fileIndex) match(patterns []string) []int {
	var hits []int
	for _, p := range patterns {
		hits = mergeSorted(hits, x.hits(p))
	}
	return hits
}

// mergeSorted returns the sorted union of two sorted, duplicate-free lists.
// It may return a or b itself, so callers must not modify the result.
func mergeSorted(a, b []int) []int {
	switch {
	case len(a) == 0:
		return b
	case len(b) == 0:
		return a
	}
	out := make([]int, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		switch {
		case a[0] < b[0]:
			out, a = append(out, a[0]), a[1:]
		case b[0] < a[0]:
			out, b = append(out, b[0]), b[1:]
		default:
			out, a, b = append(out, a[0]), a[1:], b[1:]
		}
	}
	return append(append(out, a...), b...)
}

// hits returns the sorted indexes of the files matching pattern, computed
// once per pattern since rules often share patterns such as "**/*.sql".
func (x *fileIndex) hits(pattern string) []int {
	if h, ok := x.memo[pattern]; ok {
		return h
	}
	var h []int
	matches := compileGlob(pattern)
	if cands, all := x.candidates(pattern); all {
		for i, f := range x.files {
			if matches(f) {
				h = append(h, i)
			}
		}
	} else {
		for _, c := range cands {
			if matches(x.files[c.file]) {
				h = append(h, c.file)
			}
		}
		slices.Sort(h)
	}
	x.memo[pattern] = h
	return h
}

// compileGlob returns a matcher equivalent to policy.MatchPath(pattern, f).
// The shapes most policies are made of ("dir/**", "*.ext", "**/*_test.go",
// literal paths) are decided with plain string tests; anything else goes to
// doublestar.
func compileGlob(pattern string) func(file string) bool {
	p := strings.TrimPrefix(pattern, "/")
	base := !strings.Contains(p, "/")
	target := func(f string) string { return f }
	if base {
		target = path.Base
	}
	if strings.ContainsAny(p, globMeta) {
		if dir, ok := strings.CutSuffix(p, "/**"); ok && !strings.ContainsAny(dir, globMeta) && dir != "" {
			// doublestar lets "dir/**" match "dir" itself too.
			return func(f string) bool {
				return f == dir || strings.HasPrefix(f, dir) && strings.HasPrefix(f[len(dir):], "/")
			}
		}
		ext, ok := strings.CutPrefix(p, "**/*")
		if !ok {
			ext, ok = strings.CutPrefix(p, "*")
		}
		if ok && !strings.ContainsAny(ext, globMeta+"/") {
			return func(f string) bool { return strings.HasSuffix(path.Base(f), ext) }
		}
		runs := literalRuns(p)
		return func(f string) bool {
			for _, r := range runs {
				if !strings.Contains(target(f), r) {
					return false
				}
			}
			return policy.MatchPath(pattern, f)
		}
	}
	return func(f string) bool { return target(f) == p }
}

// literalRuns returns text every match of the doublestar pattern p must
// contain: its literal runs outside "{...}". A slash next to "**" is dropped
// from its run because "a/**/b" also matches "a/b". Patterns with character
// classes or escapes get no runs; they are rare and not worth parsing here.
func literalRuns(p string) []string {
	if strings.ContainsAny(p, `[]\`) {
		return nil
	}
	var runs []string
	start, depth := 0, 0
	for i := 0; i <= len(p); i++ {
		if i < len(p) && !strings.ContainsRune(globMeta, rune(p[i])) {
			continue
		}
		run := p[start:i]
		if strings.HasSuffix(p[:start], "**") {
			run = strings.TrimPrefix(run, "/")
		}
		if strings.HasPrefix(p[i:], "**") {
			run = strings.TrimSuffix(run, "/")
		}
		if run != "" && depth == 0 {
			runs = append(runs, run)
		}
		if i < len(p) {
			switch p[i] {
			case '{':
				depth++
			case '}':
				depth = max(depth-1, 0)
			}
		}
		start = i + 1
	}
	return runs
}

// reverse reverses s byte-wise; fine for prefix tests on reversed strings
// because both sides are reversed the same way.
func reverse(s string) string {
	b := []byte(s)
	slices.Reverse(b)
	return string(b)
}
