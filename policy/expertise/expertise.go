// Package expertise measures who knows the files a pull request changes,
// from the repository's history of merged changes and submitted reviews.
//
// It is pure: the store loads the history into a History (a compact table
// of rows that name people and directories by index), and Score turns it
// into one number per candidate with the counts that explain it. The
// reviewer selection discounts the number by open requests and picks.
package expertise

import (
	"math"
	"path"
	"strings"
	"time"
)

// Kind is what a history row records.
type Kind uint8

// Kinds of row.
const (
	Review Kind = 1 // a review submitted on a pull request that touched the directory
	Change Kind = 2 // a merged pull request by the person touched the directory
)

// Row is one person's review or change in one directory at one time.
type Row struct {
	Login int32 // index into History.Logins
	Dir   int32 // index into History.Dirs
	Kind  Kind
	At    int64 // Unix seconds
}

// History is a repository's rows. Logins are lower-cased; Dirs are
// slash-separated directories without a trailing slash, "" for the root.
type History struct {
	Logins []string
	Dirs   []string
	Rows   []Row
	// Learning: the backfill of older pull requests is not finished, so
	// scores may be lower than they will be.
	Learning bool
}

// Expertise is one candidate's measure on a set of files.
type Expertise struct {
	// Reviews and Changes count rows near the files within one half-life.
	Reviews, Changes int
	// Weight is the sum over all rows of recency (halving every half-life)
	// times closeness of the row's directory to the files (0..1).
	Weight float64
	// Score maps Weight into [0, 1): 1 - 2^(-Weight/ScoreScale).
	Score float64
}

// ScoreScale is the weight at which Score reaches 0.5: four recent reviews
// or changes in the very directories of the files.
const ScoreScale = 4.0

// LearnerBelow is the score under which a person counts as a learner on
// the files: they have seen little of them lately.
const LearnerBelow = 0.25

// Score measures each login (lower-cased) in logins on files at now. Rows
// of other people are skipped without cost beyond a slice lookup; every
// login asked for is in the result, with zero values when it has no rows.
func (h *History) Score(files, logins []string, halfLife time.Duration, now time.Time) map[string]Expertise {
	out := make(map[string]Expertise, len(logins))
	index := make(map[string]int32, len(logins))
	for i, l := range logins {
		out[l] = Expertise{}
		index[l] = int32(i)
	}
	if h == nil || len(h.Rows) == 0 || halfLife <= 0 {
		return out
	}
	slot := make([]int32, len(h.Logins)) // history login -> candidate index, -1 none
	for i, l := range h.Logins {
		slot[i] = -1
		if j, ok := index[l]; ok {
			slot[i] = j
		}
	}
	aff := affinities(h.Dirs, files)
	acc := make([]Expertise, len(logins))
	nowS, hl := now.Unix(), halfLife.Seconds()
	window := int64(hl)
	for _, r := range h.Rows {
		s := slot[r.Login]
		if s < 0 {
			continue
		}
		a := aff[r.Dir]
		if a == 0 {
			continue
		}
		age := max(nowS-r.At, 0)
		acc[s].Weight += a * decay(float64(age)/hl)
		if age <= window {
			if r.Kind == Review {
				acc[s].Reviews++
			} else {
				acc[s].Changes++
			}
		}
	}
	for i, l := range logins {
		e := acc[i]
		e.Score = 1 - math.Exp2(-e.Weight/ScoreScale)
		out[l] = e
	}
	return out
}

// affinities gives each history directory its closeness to the files: the
// best, over the files' directories f, of depth(common)/max(depth(d),
// depth(f)). A review in svc/api counts fully for svc/api/x.go, half for
// svc/web/y.go, and not at all for web/z.go. Both at the root count fully.
func affinities(dirs, files []string) []float64 {
	// minDepth[c]: the least depth of a changed file's directory having c
	// as itself or an ancestor.
	minDepth := map[string]int{}
	for _, f := range files {
		d := Dir(f)
		depth := Depth(d)
		for c := d; ; c = parent(c) {
			if old, ok := minDepth[c]; !ok || depth < old {
				minDepth[c] = depth
			}
			if c == "" {
				break
			}
		}
	}
	out := make([]float64, len(dirs))
	for i, d := range dirs {
		depth := Depth(d)
		best := 0.0
		for c := d; ; c = parent(c) {
			if fd, ok := minDepth[c]; ok {
				best = max(best, closeness(Depth(c), max(depth, fd)))
			}
			if c == "" {
				break
			}
		}
		out[i] = best
	}
	return out
}

// decaySteps is how finely decay resolves a half-life; decayTable holds
// 2^(-i/decaySteps) for ages up to 32 half-lives, past which a row weighs
// nothing. A table look-up instead of math.Exp2 per row keeps a choice over
// tens of thousands of rows within its budget; the rounding (under 1.1%)
// does not change who knows the code.
const decaySteps = 64

var decayTable = func() []float64 {
	t := make([]float64, 32*decaySteps)
	for i := range t {
		t[i] = math.Exp2(-float64(i) / decaySteps)
	}
	return t
}()

// decay is 2^(-halfLives), rounded to the table's step.
func decay(halfLives float64) float64 {
	i := int(halfLives*decaySteps + 0.5)
	if i >= len(decayTable) {
		return 0
	}
	return decayTable[i]
}

func closeness(common, deepest int) float64 {
	if deepest == 0 {
		return 1
	}
	return float64(common) / float64(deepest)
}

// Dir is the directory of a file path, "" for a file at the root.
func Dir(file string) string {
	d := path.Dir(file)
	if d == "." || d == "/" {
		return ""
	}
	return d
}

// Depth counts a directory's components; the root has none.
func Depth(dir string) int {
	if dir == "" {
		return 0
	}
	return strings.Count(dir, "/") + 1
}

func parent(dir string) string {
	i := strings.LastIndexByte(dir, '/')
	if i < 0 {
		return ""
	}
	return dir[:i]
}

// CommonDir is the deepest directory holding every file, "" for the root.
func CommonDir(files []string) string {
	if len(files) == 0 {
		return ""
	}
	common := Dir(files[0])
	for _, f := range files[1:] {
		d := Dir(f)
		for common != "" && d != common && !strings.HasPrefix(d, common+"/") {
			common = parent(common)
		}
	}
	return common
}

// Builder makes a History from rows named by strings, interning logins and
// directories as it goes.
type Builder struct {
	h            History
	logins, dirs map[string]int32
}

// Add appends one row; login is lower-cased.
func (b *Builder) Add(login, dir string, kind Kind, at time.Time) {
	if b.logins == nil {
		b.logins, b.dirs = map[string]int32{}, map[string]int32{}
	}
	l := intern(b.logins, &b.h.Logins, strings.ToLower(login))
	d := intern(b.dirs, &b.h.Dirs, dir)
	b.h.Rows = append(b.h.Rows, Row{Login: l, Dir: d, Kind: kind, At: at.Unix()})
}

// History returns what was added.
func (b *Builder) History() *History { return &b.h }

func intern(m map[string]int32, list *[]string, s string) int32 {
	if i, ok := m[s]; ok {
		return i
	}
	i := int32(len(*list))
	m[s] = i
	*list = append(*list, s)
	return i
}

// MaxDirsPerPull bounds the directories one pull request records: a
// 3,000-file change across the tree still costs a bounded number of rows.
const MaxDirsPerPull = 300

// Dirs lists the distinct directories of files, in first-seen order, at
// most MaxDirsPerPull.
func Dirs(files []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range files {
		d := Dir(f)
		if !seen[d] && len(out) < MaxDirsPerPull {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}
