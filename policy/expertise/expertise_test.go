package expertise

import (
	"math"
	"testing"
	"time"
)

var now = time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

// history builds a History from readable rows.
func history(rows ...struct {
	login, dir string
	kind       Kind
	ago        time.Duration
}) *History {
	h := &History{}
	logins, dirs := map[string]int32{}, map[string]int32{}
	intern := func(m map[string]int32, list *[]string, s string) int32 {
		if i, ok := m[s]; ok {
			return i
		}
		m[s] = int32(len(*list))
		*list = append(*list, s)
		return m[s]
	}
	for _, r := range rows {
		h.Rows = append(h.Rows, Row{Login: intern(logins, &h.Logins, r.login), Dir: intern(dirs, &h.Dirs, r.dir),
			Kind: r.kind, At: now.Add(-r.ago).Unix()})
	}
	return h
}

type row = struct {
	login, dir string
	kind       Kind
	ago        time.Duration
}

func TestAffinity(t *testing.T) {
	t.Parallel()
	tests := []struct {
		dir   string
		files []string
		want  float64
	}{
		{"svc/api", []string{"svc/api/x.go"}, 1},
		{"svc/api", []string{"svc/x.go"}, 0.5},     // a review in svc/api counts half for svc/
		{"svc", []string{"svc/api/x.go"}, 0.5},     // and svc's for svc/api/ likewise
		{"svc/api", []string{"svc/web/y.go"}, 0.5}, // siblings share svc
		{"svc/api/v2", []string{"svc/web/y.go"}, 1.0 / 3},
		{"web", []string{"svc/api/x.go"}, 0},                 // nothing in common
		{"", []string{"README.md"}, 1},                       // both at the root
		{"", []string{"svc/x.go"}, 0},                        // the root holds everything, says nothing
		{"svc/api", []string{"web/a.go", "svc/api/b.go"}, 1}, // the best file counts
	}
	for _, tt := range tests {
		got := affinities([]string{tt.dir}, tt.files)[0]
		if math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("affinity(%q, %v) = %v, want %v", tt.dir, tt.files, got, tt.want)
		}
	}
}

func TestScore(t *testing.T) {
	t.Parallel()
	files := []string{"svc/api/handler.go", "svc/api/routes.go"}
	tests := []struct {
		name               string
		rows               []row
		reviews, changes   int
		weight             float64
		scoreMin, scoreMax float64
	}{
		{"nobody", nil, 0, 0, 0, 0, 0},
		{"one fresh review in the directory", []row{{"alice", "svc/api", Review, 0}}, 1, 0, 1, 0.15, 0.17},
		{"one review a half-life ago counts half", []row{{"alice", "svc/api", Review, 90 * day}}, 1, 0, 0.5, 0.08, 0.09},
		{"older than the window: weight but no count", []row{{"alice", "svc/api", Change, 180 * day}}, 0, 0, 0.25, 0.04, 0.05},
		{"parent directory counts half", []row{{"alice", "svc", Change, 0}}, 0, 1, 0.5, 0.08, 0.09},
		{"elsewhere counts nothing", []row{{"alice", "web", Review, 0}}, 0, 0, 0, 0, 0},
		{"other people do not count", []row{{"bob", "svc/api", Review, 0}}, 0, 0, 0, 0, 0},
		{"an expert", func() []row {
			var rs []row
			for i := range 12 {
				rs = append(rs, row{"alice", "svc/api", Review, time.Duration(i) * day})
			}
			for i := range 5 {
				rs = append(rs, row{"alice", "svc/api", Change, time.Duration(i) * 7 * day})
			}
			return rs
		}(), 12, 5, 0, 0.90, 0.99},
	}
	for _, tt := range tests {
		h := history(tt.rows...)
		got := h.Score(files, []string{"alice", "carol"}, 90*day, now)
		a := got["alice"]
		if a.Reviews != tt.reviews || a.Changes != tt.changes {
			t.Errorf("%s: %d reviews, %d changes; want %d, %d", tt.name, a.Reviews, a.Changes, tt.reviews, tt.changes)
		}
		if tt.weight != 0 && math.Abs(a.Weight-tt.weight) > 1e-6 {
			t.Errorf("%s: weight %v, want %v", tt.name, a.Weight, tt.weight)
		}
		if a.Score < tt.scoreMin || a.Score > tt.scoreMax {
			t.Errorf("%s: score %v, want in [%v, %v]", tt.name, a.Score, tt.scoreMin, tt.scoreMax)
		}
		if c, ok := got["carol"]; !ok || c != (Expertise{}) {
			t.Errorf("%s: carol, who has no rows, = %+v, %v", tt.name, c, ok)
		}
	}
}

func TestCommonDir(t *testing.T) {
	t.Parallel()
	tests := []struct {
		files []string
		want  string
	}{
		{[]string{"svc/api/a.go", "svc/api/b.go"}, "svc/api"},
		{[]string{"svc/api/a.go", "svc/apix/b.go"}, "svc"},
		{[]string{"svc/api/a.go", "README.md"}, ""},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := CommonDir(tt.files); got != tt.want {
			t.Errorf("CommonDir(%v) = %q, want %q", tt.files, got, tt.want)
		}
	}
}
