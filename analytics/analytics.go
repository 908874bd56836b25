// Package analytics turns the store's pull-request history into the numbers
// the web pages show: SLA states, time to first review per week, review
// load, breaches, template failures, reviews inside and outside working
// hours. Pure functions: the caller passes the records and "now" (from an
// injectable clock), so every figure is testable without a database.
package analytics

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// PR is what the analytics read of one pull request.
type PR struct {
	Repo             string
	Number           int
	Title            string
	Author           string
	State            string // "open", "closed", "merged"
	Draft            bool
	Requested        []string
	RequestedTeams   []string // team slugs
	TemplateFailures []string
	StartedAt        time.Time // SLA clock's first start: review requested while ready
	FirstReviewAt    time.Time
	DeadlineAt       time.Time
	BreachedAt       time.Time
}

// Event is one recorded event of a pull request.
type Event struct {
	Repo   string
	Number int
	Kind   string // as store's Event* constants
	Actor  string
	Inside bool // reviews: inside the reviewer's working hours
	At     time.Time
}

// SLA states of an open pull request waiting for its first review.
const (
	OnTime   = "on time"
	DueSoon  = "due soon"
	Breached = "breached"
	NoSLA    = "" // not waiting: reviewed, draft, closed or no clock
)

// DueSoonWithin is how close to its deadline a review request is "due soon".
const DueSoonWithin = 4 * time.Hour

// SLAState is where an open pull request stands against its first-review
// deadline at now.
func SLAState(p PR, now time.Time) string {
	switch {
	case p.State != "open" || !p.FirstReviewAt.IsZero() || p.DeadlineAt.IsZero():
		return NoSLA
	case !p.BreachedAt.IsZero() || !now.Before(p.DeadlineAt):
		return Breached
	case p.DeadlineAt.Sub(now) <= DueSoonWithin:
		return DueSoon
	}
	return OnTime
}

// Percentile is the nearest-rank percentile (0 < q <= 100) of ds, 0 for
// none. ds need not be sorted; it is not modified.
func Percentile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := int(math.Ceil(q / 100 * float64(len(s))))
	return s[min(max(rank, 1), len(s))-1]
}

// Median of counts, 0 for none (the mean of the middle two for an even count).
func Median(xs []int) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return float64(s[len(s)/2])
	}
	return float64(s[len(s)/2-1]+s[len(s)/2]) / 2
}

// WeekStart is the Monday 00:00 in loc of the week that contains t.
func WeekStart(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	back := (int(l.Weekday()) + 6) % 7 // days since Monday
	y, m, d := l.Date()
	return time.Date(y, m, d-back, 0, 0, 0, 0, loc)
}

// Weeks returns the starts of the n weeks ending with the one containing
// now, oldest first, in loc (so a week is the viewer's week, across
// daylight-saving changes).
func Weeks(now time.Time, loc *time.Location, n int) []time.Time {
	last := WeekStart(now, loc)
	out := make([]time.Time, n)
	for i := range n {
		y, m, d := last.Date()
		out[i] = time.Date(y, m, d-7*(n-1-i), 0, 0, 0, 0, loc)
	}
	return out
}

// weekIndex is the index in weeks of the week containing t, or -1.
func weekIndex(weeks []time.Time, t time.Time) int {
	if len(weeks) == 0 || t.Before(weeks[0]) {
		return -1
	}
	y, m, d := weeks[len(weeks)-1].Date()
	if !t.Before(time.Date(y, m, d+7, 0, 0, 0, 0, weeks[0].Location())) {
		return -1
	}
	i, found := slices.BinarySearchFunc(weeks, t, func(w, t time.Time) int { return w.Compare(t) })
	if found {
		return i
	}
	return i - 1
}

// WeekTTFR is the time to first review of the pull requests first reviewed
// in one week.
type WeekTTFR struct {
	Week     time.Time
	Count    int
	P50, P90 time.Duration
}

// TimeToFirstReview buckets, by the week of the first review, the wall-clock
// time from the first review request to the first review.
func TimeToFirstReview(prs []PR, weeks []time.Time) []WeekTTFR {
	per := make([][]time.Duration, len(weeks))
	for _, p := range prs {
		if p.StartedAt.IsZero() || p.FirstReviewAt.IsZero() {
			continue
		}
		if i := weekIndex(weeks, p.FirstReviewAt); i >= 0 {
			per[i] = append(per[i], max(p.FirstReviewAt.Sub(p.StartedAt), 0))
		}
	}
	out := make([]WeekTTFR, len(weeks))
	for i, w := range weeks {
		out[i] = WeekTTFR{Week: w, Count: len(per[i]), P50: Percentile(per[i], 50), P90: Percentile(per[i], 90)}
	}
	return out
}

// WeekCount is a count in one week.
type WeekCount struct {
	Week  time.Time
	Count int
}

// BreachesPerWeek counts pull requests by the week their SLA was breached.
func BreachesPerWeek(prs []PR, weeks []time.Time) []WeekCount {
	out := make([]WeekCount, len(weeks))
	for i, w := range weeks {
		out[i].Week = w
	}
	for _, p := range prs {
		if i := weekIndex(weeks, p.BreachedAt); !p.BreachedAt.IsZero() && i >= 0 {
			out[i].Count++
		}
	}
	return out
}

// NameCount is a count for a name (a person, a kind), as a table row.
type NameCount struct {
	Name  string
	Count int
}

// sortedCounts orders a tally by count, highest first, then by name.
func sortedCounts(m map[string]int) []NameCount {
	out := make([]NameCount, 0, len(m))
	for k, v := range m {
		out = append(out, NameCount{k, v})
	}
	slices.SortFunc(out, func(a, b NameCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// TemplateFailures counts the open pull requests failing each kind of
// template item (section, ticket, checklist).
func TemplateFailures(prs []PR) []NameCount {
	m := map[string]int{}
	for _, p := range prs {
		if p.State != "open" {
			continue
		}
		for _, k := range p.TemplateFailures {
			m[k]++
		}
	}
	return sortedCounts(m)
}

// OpenRequests counts the review requests open now per person, over
// open pull requests.
func OpenRequests(prs []PR) []NameCount {
	return openCounts(prs, func(p PR) []string { return p.Requested })
}

// OpenTeamRequests counts the review requests open now per team, over
// open pull requests.
func OpenTeamRequests(prs []PR) []NameCount {
	return openCounts(prs, func(p PR) []string { return p.RequestedTeams })
}

func openCounts(prs []PR, names func(PR) []string) []NameCount {
	m := map[string]int{}
	for _, p := range prs {
		if p.State != "open" {
			continue
		}
		for _, n := range names(p) {
			m[n]++
		}
	}
	return sortedCounts(m)
}

// StateCounts counts open pull requests by SLA state, in the order on
// time, due soon, breached.
func StateCounts(prs []PR, now time.Time) []NameCount {
	m := map[string]int{}
	for _, p := range prs {
		if s := SLAState(p, now); s != NoSLA {
			m[s]++
		}
	}
	return []NameCount{{OnTime, m[OnTime]}, {DueSoon, m[DueSoon]}, {Breached, m[Breached]}}
}
