package analytics

import (
	"cmp"
	"slices"
	"strconv"
	"time"
)

// Window is a weekly working window in one time zone, e.g. Monday to
// Friday, 9:00 to 17:00 in Europe/Berlin.
type Window struct {
	Loc        *time.Location
	Days       []time.Weekday
	Start, End time.Duration // since local midnight; End > Start
}

// DefaultWindow is the window for a reviewer whose policy sets none:
// Monday to Friday, 9:00 to 17:00, in loc (UTC when nil).
func DefaultWindow(loc *time.Location) Window {
	if loc == nil {
		loc = time.UTC
	}
	return Window{Loc: loc, Days: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday},
		Start: 9 * time.Hour, End: 17 * time.Hour}
}

// Inside reports whether t falls inside the window: on a working day, at
// or after Start and before End, in the window's zone (wall-clock time, so
// a daylight-saving change moves the window with the clocks).
func (w Window) Inside(t time.Time) bool {
	loc := w.Loc
	if loc == nil {
		loc = time.UTC
	}
	l := t.In(loc)
	if !slices.Contains(w.Days, l.Weekday()) {
		return false
	}
	since := time.Duration(l.Hour())*time.Hour + time.Duration(l.Minute())*time.Minute +
		time.Duration(l.Second())*time.Second + time.Duration(l.Nanosecond())
	return since >= w.Start && since < w.End
}

// PersonHours is how many reviews one person did inside and outside their
// working hours.
type PersonHours struct {
	Name            string
	Inside, Outside int
}

// ReviewHours tallies reviews (events of kind "reviewed") per reviewer,
// inside and outside working hours as recorded, most reviews first.
func ReviewHours(events []Event) []PersonHours {
	m := map[string]*PersonHours{}
	for _, e := range events {
		if e.Kind != "reviewed" {
			continue
		}
		p := m[e.Actor]
		if p == nil {
			p = &PersonHours{Name: e.Actor}
			m[e.Actor] = p
		}
		if e.Inside {
			p.Inside++
		} else {
			p.Outside++
		}
	}
	out := make([]PersonHours, 0, len(m))
	for _, p := range m {
		out = append(out, *p)
	}
	slices.SortFunc(out, func(a, b PersonHours) int {
		return cmp.Or(cmp.Compare(b.Inside+b.Outside, a.Inside+a.Outside), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// Series is one person's count per week.
type Series struct {
	Name   string
	Counts []int
}

// OpenRequestsOverTime replays request events to count, per person, the
// review requests open at the end of each week (at now for the current
// one). A request ends when the person reviews, is unrequested, or the pull
// request is merged or closed. events must be oldest first and should start
// early enough to see the requests still open at the first week. At most
// top people are returned, those with the most open requests at the end.
func OpenRequestsOverTime(events []Event, weeks []time.Time, now time.Time, top int) []Series {
	// People and pull requests are numbered as they come: the replay runs
	// over every event of an organisation's 12 weeks at each view.
	type pr struct {
		repo   string
		number int
	}
	people := map[string]int{}
	var names []string
	var running []int // by person: open requests now
	prs := map[pr]int{}
	var open [][]int // by pull request: the people whose request is open
	counts := map[int][]int{}
	next := 0 // events applied so far
	for i := range weeks {
		until := now
		if i+1 < len(weeks) {
			until = weeks[i+1]
		}
		for ; next < len(events) && events[next].At.Before(until); next++ {
			e := events[next]
			k, ok := prs[pr{e.Repo, e.Number}]
			if !ok {
				k = len(open)
				prs[pr{e.Repo, e.Number}] = k
				open = append(open, nil)
			}
			switch e.Kind {
			case "requested", "unrequested", "reviewed":
				person, ok := people[e.Actor]
				if !ok {
					person = len(names)
					people[e.Actor] = person
					names, running = append(names, e.Actor), append(running, 0)
				}
				at := slices.Index(open[k], person)
				switch {
				case e.Kind == "requested" && at < 0:
					open[k] = append(open[k], person)
					running[person]++
				case e.Kind != "requested" && at >= 0:
					open[k] = slices.Delete(open[k], at, at+1)
					running[person]--
				}
			case "merged", "closed":
				for _, person := range open[k] {
					running[person]--
				}
				open[k] = nil
			}
		}
		for person, n := range running {
			if n == 0 && counts[person] == nil {
				continue
			}
			if counts[person] == nil {
				counts[person] = make([]int, len(weeks))
			}
			counts[person][i] = n
		}
	}
	byName := make(map[string][]int, len(counts))
	for person, c := range counts {
		byName[names[person]] = c
	}
	return topSeries(byName, top)
}

func topSeries(counts map[string][]int, top int) []Series {
	out := make([]Series, 0, len(counts))
	for name, c := range counts {
		out = append(out, Series{name, c})
	}
	last := func(s Series) int { return s.Counts[len(s.Counts)-1] }
	slices.SortFunc(out, func(a, b Series) int {
		return cmp.Or(cmp.Compare(last(b), last(a)), cmp.Compare(a.Name, b.Name))
	})
	return out[:min(top, len(out))]
}

// Load is one person's review load against the team's.
type Load struct {
	Mine       int     // reviews by the person in the period
	TeamMedian float64 // median reviews per reviewer in the period
	Reviewers  int     // how many people reviewed in the period
}

// ReviewLoad counts the reviews done since since by login, and the median
// over everyone who reviewed then (login counted even with none).
func ReviewLoad(events []Event, login string, since time.Time) Load {
	per := map[string]int{login: 0}
	for _, e := range events {
		if e.Kind == "reviewed" && !e.At.Before(since) {
			per[e.Actor]++
		}
	}
	var all []int
	for _, n := range per {
		all = append(all, n)
	}
	return Load{Mine: per[login], TeamMedian: Median(all), Reviewers: len(per)}
}

// FormatDuration shows a duration for people: "3d 4h", "5h 20m", "12m".
func FormatDuration(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	d = d.Round(time.Minute)
	days, hours, mins := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case days > 0:
		return strconv.Itoa(days) + "d " + strconv.Itoa(hours) + "h"
	case hours > 0 && mins == 0:
		return strconv.Itoa(hours) + "h"
	case hours > 0:
		return strconv.Itoa(hours) + "h " + strconv.Itoa(mins) + "m"
	}
	return strconv.Itoa(mins) + "m"
}
