package reviewers

import (
	"context"
	"slices"
	"sort"
	"strings"

	"github.com/reviewpolicy/reviewpolicy/policy"
)

// fileIndex lets many globs be matched against many files without trying
// every pair. A glob anchored under literal directories ("svc/api/**")
// can only match files under them; with the files sorted by path, those
// form one contiguous run found by binary search. Other globs try every
// file, which pathglob rules out cheaply by a literal pre-check or a
// string test for the common shapes ("*.go", "docs/").
//
// Matching checks ctx every checkEvery files: a policy may pair many globs
// with many files, and a cancelled evaluation must stop (job_timeout).
// After cancellation every match is empty and err says why.
type fileIndex struct {
	ctx    context.Context
	err    error
	files  []string
	sorted sortedView       // built on first use
	memo   map[string][]int // pattern -> hits
}

const checkEvery = 1024

// sortedView is the files sorted by path.
type sortedView []keyed

type keyed struct {
	key  string
	file int // index into fileIndex.files
}

func newFileIndex(ctx context.Context, files []string) *fileIndex {
	return &fileIndex{ctx: ctx, files: files, memo: make(map[string][]int)}
}

// cancelled reports whether matching must stop, checking ctx when the
// count i of files tried reaches a multiple of checkEvery.
func (x *fileIndex) cancelled(i int) bool {
	if x.err == nil && i%checkEvery == 0 {
		x.err = x.ctx.Err()
	}
	return x.err != nil
}

func (x *fileIndex) byPath() sortedView {
	if x.sorted == nil {
		x.sorted = make(sortedView, len(x.files))
		for i, f := range x.files {
			x.sorted[i] = keyed{key: f, file: i}
		}
		slices.SortFunc(x.sorted, func(a, b keyed) int { return strings.Compare(a.key, b.key) })
	}
	return x.sorted
}

// withPrefix returns the entries whose key starts with p: one contiguous run.
func (v sortedView) withPrefix(p string) sortedView {
	lo := sort.Search(len(v), func(i int) bool { return v[i].key >= p })
	n := sort.Search(len(v)-lo, func(i int) bool { return !strings.HasPrefix(v[lo+i].key, p) })
	return v[lo : lo+n]
}

// match returns, in the order of x.files, the indexes of the files matching
// any of patterns.
func (x *fileIndex) match(patterns []string) []int {
	var hits []int
	for _, p := range patterns {
		hits = mergeSorted(hits, x.hits(p))
	}
	if x.err != nil {
		return nil
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
	g := policy.Glob(pattern)
	switch {
	case g == nil:
	case len(g.Dirs()) > 0:
		for i, c := range x.byPath().withPrefix(strings.Join(g.Dirs(), "/")) {
			if x.cancelled(i) {
				return nil
			}
			if g.Match(x.files[c.file]) {
				h = append(h, c.file)
			}
		}
		slices.Sort(h)
	default:
		for i, f := range x.files {
			if x.cancelled(i) {
				return nil
			}
			if g.Match(f) {
				h = append(h, i)
			}
		}
	}
	x.memo[pattern] = h
	return h
}
