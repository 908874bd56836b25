package analytics

import (
	"slices"
	"testing"
	"time"
)

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestPercentileNearestRank(t *testing.T) {
	h := time.Hour
	ds := []time.Duration{5 * h, 1 * h, 3 * h, 2 * h, 4 * h, 10 * h, 6 * h, 7 * h, 8 * h, 9 * h}
	orig := slices.Clone(ds)
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{50, 5 * h}, {90, 9 * h}, {100, 10 * h}, {1, 1 * h}, {95, 10 * h}} {
		if got := Percentile(ds, c.q); got != c.want {
			t.Errorf("Percentile(p%v) = %v, want %v", c.q, got, c.want)
		}
	}
	if !slices.Equal(ds, orig) {
		t.Error("Percentile sorted its input")
	}
	if Percentile(nil, 50) != 0 || Percentile([]time.Duration{h}, 90) != h {
		t.Error("empty or single input")
	}
	if Median([]int{4, 1, 3}) != 3 || Median([]int{1, 2, 3, 10}) != 2.5 || Median(nil) != 0 {
		t.Error("Median")
	}
}

func TestWeekBucketsInViewersZone(t *testing.T) {
	tokyo := mustLoad(t, "Asia/Tokyo")
	// Sunday 20:00 UTC is Monday 05:00 in Tokyo: a new week there, not in UTC.
	sun := time.Date(2026, 11, 1, 20, 0, 0, 0, time.UTC)
	if got := WeekStart(sun, time.UTC); !got.Equal(time.Date(2026, 10, 26, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("UTC week = %v", got)
	}
	if got := WeekStart(sun, tokyo); !got.Equal(time.Date(2026, 11, 2, 0, 0, 0, 0, tokyo)) {
		t.Errorf("Tokyo week = %v", got)
	}
	// Weeks across Berlin's end of summer time (25 Oct 2026) start at local midnight.
	berlin := mustLoad(t, "Europe/Berlin")
	weeks := Weeks(time.Date(2026, 11, 4, 12, 0, 0, 0, berlin), berlin, 3)
	for i, want := range []int{19, 26, 2} {
		if weeks[i].Day() != want || weeks[i].Hour() != 0 || weeks[i].Weekday() != time.Monday {
			t.Errorf("week %d = %v", i, weeks[i])
		}
	}
	if weeks[2].Sub(weeks[1]) != 7*24*time.Hour || weeks[1].Sub(weeks[0]) != 7*24*time.Hour+time.Hour {
		t.Errorf("week lengths %v %v", weeks[2].Sub(weeks[1]), weeks[1].Sub(weeks[0]))
	}
	// The same review lands in different weeks for different viewers.
	prs := []PR{{StartedAt: sun.Add(-2 * time.Hour), FirstReviewAt: sun}}
	utc := TimeToFirstReview(prs, Weeks(sun.Add(3*24*time.Hour), time.UTC, 2))
	jp := TimeToFirstReview(prs, Weeks(sun.Add(3*24*time.Hour), tokyo, 2))
	if utc[0].Count != 1 || utc[1].Count != 0 || jp[0].Count != 0 || jp[1].Count != 1 || jp[1].P50 != 2*time.Hour {
		t.Errorf("buckets utc=%+v tokyo=%+v", utc, jp)
	}
}

func TestTimeToFirstReviewPercentilesPerWeek(t *testing.T) {
	mon := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	weeks := Weeks(mon.Add(8*24*time.Hour), time.UTC, 2)
	var prs []PR
	for i := 1; i <= 10; i++ { // week 0: 1h..10h
		at := mon.Add(time.Duration(i) * time.Hour)
		prs = append(prs, PR{StartedAt: at.Add(-time.Duration(i) * time.Hour), FirstReviewAt: at})
	}
	prs = append(prs, PR{StartedAt: mon, FirstReviewAt: time.Time{}}, // not reviewed
		PR{StartedAt: mon.Add(-30 * 24 * time.Hour), FirstReviewAt: mon.Add(-20 * 24 * time.Hour)}) // before the window
	got := TimeToFirstReview(prs, weeks)
	if got[0].Count != 10 || got[0].P50 != 5*time.Hour || got[0].P90 != 9*time.Hour || got[1].Count != 0 || got[1].P90 != 0 {
		t.Fatalf("TimeToFirstReview = %+v", got)
	}
}

func TestWorkingHoursWindow(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	w := DefaultWindow(ny)
	for _, c := range []struct {
		at   time.Time
		want bool
	}{
		{time.Date(2026, 11, 2, 9, 0, 0, 0, ny), true},         // Monday 9:00 sharp
		{time.Date(2026, 11, 2, 16, 59, 59, 0, ny), true},      // just before close
		{time.Date(2026, 11, 2, 17, 0, 0, 0, ny), false},       // closing time
		{time.Date(2026, 11, 2, 8, 59, 0, 0, ny), false},       // before opening
		{time.Date(2026, 11, 7, 12, 0, 0, 0, ny), false},       // Saturday
		{time.Date(2026, 11, 2, 15, 0, 0, 0, time.UTC), true},  // 10:00 in New York
		{time.Date(2026, 11, 3, 1, 0, 0, 0, time.UTC), false},  // Monday 20:00 in New York
		{time.Date(2026, 3, 9, 13, 30, 0, 0, time.UTC), true},  // 9:30 EDT, after the spring change
		{time.Date(2026, 3, 6, 13, 30, 0, 0, time.UTC), false}, // 8:30 EST the Friday before
	} {
		if got := w.Inside(c.at); got != c.want {
			t.Errorf("Inside(%v) = %v, want %v", c.at, got, c.want)
		}
	}
	evs := []Event{{Kind: "reviewed", Actor: "ann", Inside: true}, {Kind: "reviewed", Actor: "ann"},
		{Kind: "reviewed", Actor: "bob", Inside: true}, {Kind: "requested", Actor: "bob"}}
	got := ReviewHours(evs)
	if len(got) != 2 || got[0] != (PersonHours{"ann", 1, 1}) || got[1] != (PersonHours{"bob", 1, 0}) {
		t.Fatalf("ReviewHours = %+v", got)
	}
}

func TestSLAStates(t *testing.T) {
	now := time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)
	open := func(deadline time.Duration) PR { return PR{State: "open", DeadlineAt: now.Add(deadline)} }
	breachedEarlier := open(time.Hour)
	breachedEarlier.BreachedAt = now.Add(-time.Minute) // the deadline moved, the breach stands
	reviewed := open(-time.Hour)
	reviewed.FirstReviewAt = now
	closed := open(-time.Hour)
	closed.State = "merged"
	prs := []PR{open(5 * time.Hour), open(4 * time.Hour), open(time.Minute), open(0), open(-time.Hour),
		breachedEarlier, reviewed, closed, {State: "open"}}
	want := []string{OnTime, DueSoon, DueSoon, Breached, Breached, Breached, NoSLA, NoSLA, NoSLA}
	for i, p := range prs {
		if got := SLAState(p, now); got != want[i] {
			t.Errorf("case %d: SLAState = %q, want %q", i, got, want[i])
		}
	}
	got := StateCounts(prs, now)
	if !slices.Equal(got, []NameCount{{OnTime, 1}, {DueSoon, 2}, {Breached, 3}}) {
		t.Errorf("StateCounts = %v", got)
	}
}

func TestCountsAndBreaches(t *testing.T) {
	mon := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	weeks := Weeks(mon.Add(time.Hour), time.UTC, 2)
	prs := []PR{
		{State: "open", Requested: []string{"ann", "bob"}, RequestedTeams: []string{"core"}, TemplateFailures: []string{"ticket"}, BreachedAt: mon.Add(-time.Hour)},
		{State: "open", Requested: []string{"ann"}, RequestedTeams: []string{"core", "docs"}, TemplateFailures: []string{"ticket", "section"}, BreachedAt: mon.Add(time.Minute)},
		{State: "merged", Requested: []string{"carol"}, RequestedTeams: []string{"docs"}, TemplateFailures: []string{"checklist"}, BreachedAt: mon.Add(-10 * 24 * time.Hour)},
	}
	if got := OpenTeamRequests(prs); !slices.Equal(got, []NameCount{{"core", 2}, {"docs", 1}}) {
		t.Errorf("OpenTeamRequests = %v", got)
	}
	if got := OpenRequests(prs); !slices.Equal(got, []NameCount{{"ann", 2}, {"bob", 1}}) {
		t.Errorf("OpenRequests = %v", got)
	}
	if got := TemplateFailures(prs); !slices.Equal(got, []NameCount{{"ticket", 2}, {"section", 1}}) {
		t.Errorf("TemplateFailures = %v", got)
	}
	if got := BreachesPerWeek(prs, weeks); got[0].Count != 1 || got[1].Count != 1 {
		t.Errorf("BreachesPerWeek = %v", got)
	}
}

func TestOpenRequestsOverTimeAndLoad(t *testing.T) {
	mon := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	now := mon.Add(15 * 24 * time.Hour) // third week
	weeks := Weeks(now, time.UTC, 3)
	day := 24 * time.Hour
	evs := []Event{
		{Repo: "r", Number: 1, Kind: "requested", Actor: "ann", At: mon.Add(-day)},               // before the window, still open
		{Repo: "r", Number: 2, Kind: "requested", Actor: "ann", At: mon.Add(day)},                // week 0
		{Repo: "r", Number: 2, Kind: "requested", Actor: "bob", At: mon.Add(day)},                // week 0
		{Repo: "r", Number: 2, Kind: "reviewed", Actor: "ann", At: mon.Add(8 * day)},             // week 1
		{Repo: "r", Number: 2, Kind: "merged", At: mon.Add(9 * day)},                             // ends bob's
		{Repo: "r", Number: 3, Kind: "requested", Actor: "bob", At: mon.Add(14*day + time.Hour)}, // week 2, before now
		{Repo: "r", Number: 4, Kind: "requested", Actor: "carol", At: now.Add(time.Minute)},
	}
	got := OpenRequestsOverTime(evs, weeks, now, 10)
	want := []Series{{"ann", []int{2, 1, 1}}, {"bob", []int{1, 0, 1}}}
	if len(got) != 2 || got[0].Name != "ann" || !slices.Equal(got[0].Counts, want[0].Counts) ||
		!slices.Equal(got[1].Counts, want[1].Counts) {
		t.Fatalf("OpenRequestsOverTime = %+v, want %+v", got, want)
	}
	if top := OpenRequestsOverTime(evs, weeks, now, 1); len(top) != 1 {
		t.Fatalf("top 1 = %+v", top)
	}
	rev := []Event{{Kind: "reviewed", Actor: "ann", At: now.Add(-day)}, {Kind: "reviewed", Actor: "ann", At: now.Add(-2 * day)},
		{Kind: "reviewed", Actor: "bob", At: now.Add(-day)}, {Kind: "reviewed", Actor: "carol", At: now.Add(-40 * day)},
		{Kind: "reviewed", Actor: "dan", At: now.Add(-day)}, {Kind: "reviewed", Actor: "dan", At: now.Add(-day)},
		{Kind: "reviewed", Actor: "dan", At: now.Add(-day)}}
	l := ReviewLoad(rev, "ann", now.Add(-28*day))
	if l.Mine != 2 || l.TeamMedian != 2 || l.Reviewers != 3 {
		t.Fatalf("ReviewLoad = %+v", l)
	}
	if l := ReviewLoad(rev, "erin", now.Add(-28*day)); l.Mine != 0 || l.TeamMedian != 1.5 || l.Reviewers != 4 {
		t.Fatalf("ReviewLoad(erin) = %+v", l)
	}
	if FormatDuration(26*time.Hour+10*time.Minute) != "1d 2h" || FormatDuration(90*time.Minute) != "1h 30m" || FormatDuration(-5*time.Minute) != "5m" || FormatDuration(4*time.Hour) != "4h" {
		t.Error("FormatDuration")
	}
}
