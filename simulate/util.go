package simulate

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/reviewpolicy/reviewpolicy/policy/sla"
)

func set(keys []string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}

func lower(xs []string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = strings.ToLower(x)
	}
	return out
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// median of ns (0 for none); the mean of the middle two for an even count.
func median(ns []int) float64 {
	if len(ns) == 0 {
		return 0
	}
	s := slices.Clone(ns)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return float64(s[m])
	}
	return float64(s[m-1]+s[m]) / 2
}

func medianDuration(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// firstCounting is when the first review that counts (sla.FirstReview) was
// submitted before the close.
func firstCounting(pr PR) (time.Time, bool) {
	r, ok := sla.FirstReview(pr.reviewsBefore(pr.ClosedAt), pr.Author)
	return r.SubmittedAt, ok
}

func itoa(n int) string { return strconv.Itoa(n) }
