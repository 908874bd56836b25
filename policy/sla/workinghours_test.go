package sla

import (
	"math/rand/v2"
	"testing"
	"time"
	_ "time/tzdata" // the tests must not depend on the machine's zoneinfo

	"github.com/reviewpolicy/reviewpolicy/policy"
)

var (
	berlin  = mustLoad("Europe/Berlin")
	newYork = mustLoad("America/New_York")
	// saoPaulo changed clocks at midnight until 2019: 2018-11-04 00:00 -03
	// → 01:00 -02, and 2019-02-17 00:00 -02 → 2019-02-16 23:00 -03.
	saoPaulo = mustLoad("America/Sao_Paulo")
)

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

var (
	weekdays = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	allWeek  = []time.Weekday{time.Sunday, time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday}
)

func hoursIn(loc *time.Location, start, end time.Duration, days []time.Weekday) *policy.WorkingHours {
	return &policy.WorkingHours{Timezone: loc.String(), Location: loc, Days: days, Start: start, End: end}
}

// office is the usual 09:00–17:00, Monday to Friday.
func office(loc *time.Location) *policy.WorkingHours {
	return hoursIn(loc, 9*time.Hour, 17*time.Hour, weekdays)
}

func at(loc *time.Location, y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, loc)
}

// utc reads h:mm as a UTC time on the given day, to name instants in a
// repeated hour unambiguously.
func utc(y int, m time.Month, d, hh, mm int) time.Time { return at(time.UTC, y, m, d, hh, mm) }

type span struct {
	name     string
	wh       *policy.WorkingHours
	holidays []policy.Date
	start    time.Time
	d        time.Duration
	want     time.Time // Deadline(start, d)
}

// Each case is checked both ways: the deadline, and the working time from
// start to it.
var spans = []span{
	{name: "wall-clock", start: utc(2026, 11, 20, 16, 0), d: 2 * time.Hour, want: utc(2026, 11, 20, 18, 0)},
	{name: "wall-clock over a DST change", start: at(berlin, 2026, 3, 28, 22, 0), d: 6 * time.Hour, want: at(berlin, 2026, 3, 29, 5, 0)},
	{name: "wall-clock 30 days", start: utc(2026, 1, 5, 9, 0), d: 30 * 24 * time.Hour, want: utc(2026, 2, 4, 9, 0)},

	{name: "within a day", wh: office(berlin), start: at(berlin, 2026, 11, 24, 10, 0), d: 3 * time.Hour, want: at(berlin, 2026, 11, 24, 13, 0)},
	{name: "exactly to closing time ends at closing", wh: office(berlin), start: at(berlin, 2026, 11, 24, 10, 0), d: 7 * time.Hour, want: at(berlin, 2026, 11, 24, 17, 0)},
	{name: "over the weekend", wh: office(berlin), start: at(berlin, 2026, 11, 20, 16, 0), d: 2 * time.Hour, want: at(berlin, 2026, 11, 23, 10, 0)},
	{name: "24h of working time", wh: office(berlin), start: at(berlin, 2026, 11, 24, 10, 0), d: 24 * time.Hour, want: at(berlin, 2026, 11, 27, 10, 0)},
	{name: "start on Saturday", wh: office(berlin), start: at(berlin, 2026, 11, 21, 12, 0), d: time.Hour, want: at(berlin, 2026, 11, 23, 10, 0)},
	{name: "start at night", wh: office(berlin), start: at(berlin, 2026, 11, 24, 22, 0), d: time.Hour, want: at(berlin, 2026, 11, 25, 10, 0)},
	{name: "start before opening", wh: office(berlin), start: at(berlin, 2026, 11, 24, 6, 0), d: time.Hour, want: at(berlin, 2026, 11, 24, 10, 0)},
	{name: "start in another zone", wh: office(berlin), start: at(newYork, 2026, 11, 24, 6, 0), d: 30 * time.Minute, want: at(berlin, 2026, 11, 24, 12, 30)},
	{name: "Christmas Day skipped", wh: office(berlin), holidays: []policy.Date{{Year: 2026, Month: 12, Day: 25}},
		start: at(berlin, 2026, 12, 24, 16, 0), d: 2 * time.Hour, want: at(berlin, 2026, 12, 28, 10, 0)},
	{name: "holiday at the start", wh: office(berlin), holidays: []policy.Date{{Year: 2026, Month: 12, Day: 24}, {Year: 2026, Month: 12, Day: 25}},
		start: at(berlin, 2026, 12, 24, 10, 0), d: time.Hour, want: at(berlin, 2026, 12, 28, 10, 0)},
	{name: "holiday is a day in the window's zone", wh: office(newYork), holidays: []policy.Date{{Year: 2026, Month: 12, Day: 25}},
		start: at(berlin, 2026, 12, 25, 2, 0), d: time.Hour, want: at(newYork, 2026, 12, 28, 10, 0)}, // Thu 20:00 in New York
	{name: "30 days of working time", wh: office(berlin), start: at(berlin, 2026, 1, 5, 9, 0), d: 30 * 24 * time.Hour,
		want: at(berlin, 2026, 5, 8, 17, 0)}, // 90 working days, 18 weeks, over the spring change
	{name: "30 days with holidays", wh: office(berlin), holidays: []policy.Date{
		{Year: 2026, Month: 1, Day: 6}, {Year: 2026, Month: 1, Day: 10} /* a Saturday */, {Year: 2026, Month: 4, Day: 3},
		{Year: 2026, Month: 4, Day: 6}, {Year: 2026, Month: 5, Day: 1}, {Year: 2026, Month: 5, Day: 1} /* twice */},
		start: at(berlin, 2026, 1, 5, 9, 0), d: 30 * 24 * time.Hour, want: at(berlin, 2026, 5, 14, 17, 0)},
	{name: "Sunday working day", wh: hoursIn(berlin, 9*time.Hour, 17*time.Hour, []time.Weekday{time.Sunday}),
		start: at(berlin, 2026, 11, 23, 9, 0), d: 16 * time.Hour, want: at(berlin, 2026, 12, 6, 17, 0)},

	// Daylight saving time. Europe/Berlin: 2026-03-29 02:00 CET → 03:00 CEST,
	// 2026-10-25 03:00 CEST → 02:00 CET. America/New_York: 2026-03-08 02:00
	// EST → 03:00 EDT, 2026-11-01 02:00 EDT → 01:00 EST. All are Sundays.
	{name: "Berlin office hours over spring-forward", wh: office(berlin), start: at(berlin, 2026, 3, 27, 16, 0), d: 2 * time.Hour, want: at(berlin, 2026, 3, 30, 10, 0)},
	{name: "Berlin 9-17 on spring-forward Sunday is 8h", wh: hoursIn(berlin, 9*time.Hour, 17*time.Hour, allWeek),
		start: at(berlin, 2026, 3, 29, 0, 0), d: 8 * time.Hour, want: at(berlin, 2026, 3, 29, 17, 0)},
	{name: "Berlin 9-17 on fall-back Sunday is 8h", wh: hoursIn(berlin, 9*time.Hour, 17*time.Hour, allWeek),
		start: at(berlin, 2026, 10, 25, 0, 0), d: 8 * time.Hour, want: at(berlin, 2026, 10, 25, 17, 0)},
	{name: "Berlin whole spring-forward day is 23h", wh: hoursIn(berlin, 0, 24*time.Hour, allWeek),
		start: at(berlin, 2026, 3, 29, 0, 0), d: 23 * time.Hour, want: at(berlin, 2026, 3, 30, 0, 0)},
	{name: "Berlin whole fall-back day is 25h", wh: hoursIn(berlin, 0, 24*time.Hour, allWeek),
		start: at(berlin, 2026, 10, 25, 0, 0), d: 25 * time.Hour, want: at(berlin, 2026, 10, 26, 0, 0)},
	{name: "Berlin 01:30 on spring-forward night", wh: hoursIn(berlin, 0, 24*time.Hour, allWeek),
		start: at(berlin, 2026, 3, 29, 1, 30), d: time.Hour, want: at(berlin, 2026, 3, 29, 3, 30)},
	{name: "Berlin window opening in the skipped hour opens at the jump", wh: hoursIn(berlin, 2*time.Hour+30*time.Minute, 10*time.Hour, allWeek),
		start: at(berlin, 2026, 3, 29, 0, 0), d: time.Hour, want: at(berlin, 2026, 3, 29, 4, 0)},
	{name: "Berlin window opening in the repeated hour opens at its first occurrence", wh: hoursIn(berlin, 2*time.Hour+30*time.Minute, 10*time.Hour, allWeek),
		start: at(berlin, 2026, 10, 25, 0, 0), d: time.Hour, want: utc(2026, 10, 25, 1, 30)}, // 02:30 CEST + 1h = 02:30 CET
	{name: "Berlin window closing in the skipped hour closes at the jump", wh: hoursIn(berlin, 0, 2*time.Hour+30*time.Minute, allWeek),
		start: at(berlin, 2026, 3, 29, 0, 0), d: 2*time.Hour + time.Minute, want: at(berlin, 2026, 3, 30, 0, 1)},
	{name: "New York office hours over fall-back", wh: office(newYork), start: at(newYork, 2026, 10, 30, 16, 0), d: 2 * time.Hour, want: at(newYork, 2026, 11, 2, 10, 0)},
	{name: "New York whole spring-forward day is 23h", wh: hoursIn(newYork, 0, 24*time.Hour, allWeek),
		start: at(newYork, 2026, 3, 8, 0, 0), d: 23 * time.Hour, want: at(newYork, 2026, 3, 9, 0, 0)},
	{name: "New York whole fall-back day is 25h", wh: hoursIn(newYork, 0, 24*time.Hour, allWeek),
		start: at(newYork, 2026, 11, 1, 0, 0), d: 25 * time.Hour, want: at(newYork, 2026, 11, 2, 0, 0)},
	{name: "New York 01:30 on spring-forward night", wh: hoursIn(newYork, 0, 24*time.Hour, allWeek),
		start: at(newYork, 2026, 3, 8, 1, 30), d: time.Hour, want: at(newYork, 2026, 3, 8, 3, 30)},
	{name: "New York window opening in the skipped hour opens at the jump", wh: hoursIn(newYork, 2*time.Hour+30*time.Minute, 10*time.Hour, allWeek),
		start: at(newYork, 2026, 3, 7, 12, 0), d: time.Hour, want: at(newYork, 2026, 3, 8, 4, 0)},
	{name: "New York window opening in the repeated hour opens at its first occurrence", wh: hoursIn(newYork, time.Hour+30*time.Minute, 10*time.Hour, allWeek),
		start: at(newYork, 2026, 11, 1, 0, 0), d: time.Hour, want: utc(2026, 11, 1, 6, 30)}, // 01:30 EDT + 1h = 01:30 EST
	{name: "São Paulo day whose midnight is skipped opens at the jump", wh: hoursIn(saoPaulo, 0, 8*time.Hour, allWeek),
		start: at(saoPaulo, 2018, 11, 3, 12, 0), d: time.Hour, want: at(saoPaulo, 2018, 11, 4, 2, 0)},
	{name: "São Paulo day whose midnight is skipped is 23h", wh: hoursIn(saoPaulo, 0, 24*time.Hour, allWeek),
		start: at(saoPaulo, 2018, 11, 3, 0, 0), d: 47 * time.Hour, want: at(saoPaulo, 2018, 11, 5, 0, 0)},
	{name: "São Paulo day before a repeated midnight hour is 25h", wh: hoursIn(saoPaulo, 0, 24*time.Hour, allWeek),
		start: at(saoPaulo, 2019, 2, 16, 0, 0), d: 25 * time.Hour, want: at(saoPaulo, 2019, 2, 17, 0, 0)},
	{name: "a year of weekends in New York", wh: hoursIn(newYork, 10*time.Hour, 14*time.Hour, []time.Weekday{time.Saturday, time.Sunday}),
		start: at(newYork, 2026, 1, 3, 10, 0), d: 52 * 8 * time.Hour, want: at(newYork, 2026, 12, 27, 14, 0)},
}

func TestDeadline(t *testing.T) {
	t.Parallel()
	for _, c := range spans {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := Deadline(c.start, c.d, c.wh, c.holidays); !got.Equal(c.want) {
				t.Errorf("Deadline(%v, %v) = %v, want %v", c.start, c.d, got, c.want)
			}
		})
	}
}

func TestBetween(t *testing.T) {
	t.Parallel()
	for _, c := range spans {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := Between(c.start, c.want, c.wh, c.holidays); got != c.d {
				t.Errorf("Between(%v, %v) = %v, want %v", c.start, c.want, got, c.d)
			}
			if got := Between(c.want, c.start, c.wh, c.holidays); got != 0 {
				t.Errorf("Between backwards = %v, want 0", got)
			}
		})
	}
}

func TestBetweenSpans(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		wh       *policy.WorkingHours
		from, to time.Time
		want     time.Duration
	}{
		{"same instant", office(berlin), at(berlin, 2026, 11, 24, 10, 0), at(berlin, 2026, 11, 24, 10, 0), 0},
		{"all outside", office(berlin), at(berlin, 2026, 11, 24, 17, 0), at(berlin, 2026, 11, 25, 9, 0), 0},
		{"a week", office(berlin), at(berlin, 2026, 11, 23, 0, 0), at(berlin, 2026, 11, 30, 0, 0), 40 * time.Hour},
		{"partial days", office(berlin), at(berlin, 2026, 11, 24, 16, 0), at(berlin, 2026, 11, 25, 9, 30), 90 * time.Minute},
		{"a year", office(berlin), at(berlin, 2026, 1, 1, 0, 0), at(berlin, 2027, 1, 1, 0, 0), 261 * 8 * time.Hour},
		{"a spring-forward weekend", hoursIn(berlin, 9*time.Hour, 17*time.Hour, allWeek), at(berlin, 2026, 3, 28, 12, 0), at(berlin, 2026, 3, 30, 0, 0), 13 * time.Hour},
		{"skipped window edges", hoursIn(berlin, 2*time.Hour+30*time.Minute, 10*time.Hour, allWeek), at(berlin, 2026, 3, 29, 0, 0), at(berlin, 2026, 3, 30, 0, 0), 7 * time.Hour},
		{"repeated window edges", hoursIn(berlin, 2*time.Hour+30*time.Minute, 10*time.Hour, allWeek), at(berlin, 2026, 10, 25, 0, 0), at(berlin, 2026, 10, 26, 0, 0), 8*time.Hour + 30*time.Minute},
		{"no days", hoursIn(berlin, 9*time.Hour, 17*time.Hour, nil), at(berlin, 2026, 1, 1, 0, 0), at(berlin, 2027, 1, 1, 0, 0), 0},
		{"wall-clock", nil, utc(2026, 1, 1, 0, 0), utc(2026, 1, 2, 0, 0), 24 * time.Hour},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := Between(c.from, c.to, c.wh, nil); got != c.want {
				t.Errorf("Between(%v, %v) = %v, want %v", c.from, c.to, got, c.want)
			}
		})
	}
}

func TestDeadlineEdges(t *testing.T) {
	t.Parallel()
	start := at(berlin, 2026, 11, 21, 12, 0) // a Saturday
	if got := Deadline(start, 0, office(berlin), nil); !got.Equal(start) {
		t.Errorf("zero duration: got %v, want the start %v", got, start)
	}
	if got := Deadline(start, -time.Hour, office(berlin), nil); !got.Equal(start) {
		t.Errorf("negative duration: got %v, want the start %v", got, start)
	}
	for name, wh := range map[string]*policy.WorkingHours{
		"no days":      hoursIn(berlin, 9*time.Hour, 17*time.Hour, nil),
		"empty window": hoursIn(berlin, 9*time.Hour, 9*time.Hour, weekdays),
	} {
		if got := Deadline(start, time.Hour, wh, nil); !got.Equal(Never) {
			t.Errorf("%s: got %v, want Never", name, got)
		}
	}
	noZone := &policy.WorkingHours{Days: weekdays, Start: 9 * time.Hour, End: 17 * time.Hour}
	if got, want := Deadline(utc(2026, 11, 24, 16, 0), 2*time.Hour, noZone, nil), utc(2026, 11, 25, 10, 0); !got.Equal(want) {
		t.Errorf("nil Location: got %v, want %v (UTC)", got, want)
	}
	// A duration of centuries must end (the zone's changes are walked, not
	// minutes) and still be exact.
	checkInverse(t, start, 1<<60, office(berlin), nil)
}

// reference counts working time minute by minute with an independent
// definition: the instant is working time when the wall clock shows a
// reading within [Start, End) on a working day. It agrees with the window
// rule except for windows with an edge in a repeated hour.
func reference(from, to time.Time, wh *policy.WorkingHours) time.Duration {
	open := map[time.Weekday]bool{}
	for _, d := range wh.Days {
		open[d] = true
	}
	var sum time.Duration
	for t := from; t.Before(to); t = t.Add(time.Minute) {
		l := t.In(wh.Location)
		hh, mm, _ := l.Clock()
		clock := time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute
		if open[l.Weekday()] && clock >= wh.Start && clock < wh.End {
			sum += time.Minute
		}
	}
	return sum
}

func TestBetweenMatchesReference(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	windows := []*policy.WorkingHours{
		office(berlin), office(newYork),
		hoursIn(berlin, 0, 24*time.Hour, allWeek),
		hoursIn(newYork, 7*time.Hour, 23*time.Hour, []time.Weekday{time.Sunday, time.Wednesday}),
	}
	// Minute-aligned instants around both changes of 2026 in both zones.
	bases := []time.Time{utc(2026, 3, 5, 0, 0), utc(2026, 10, 22, 0, 0)}
	for i := range 24 {
		wh := windows[i%len(windows)]
		base := bases[i%len(bases)]
		from := base.Add(time.Duration(rng.IntN(7*24*60)) * time.Minute)
		to := from.Add(time.Duration(rng.IntN(5*24*60)) * time.Minute)
		if got, want := Between(from, to, wh, nil), reference(from, to, wh); got != want {
			t.Errorf("%s %v–%v: Between(%v, %v) = %v, reference %v", wh.Timezone, wh.Start, wh.End, from, to, got, want)
		}
	}
}

// propertyWindows are the working hours the inverse property is checked on.
var propertyWindows = []struct {
	wh       *policy.WorkingHours
	holidays []policy.Date
}{
	{nil, nil},
	{office(berlin), []policy.Date{{Year: 2026, Month: 12, Day: 25}, {Year: 2027, Month: 1, Day: 1}}},
	{office(newYork), nil},
	{hoursIn(berlin, 0, 24*time.Hour, allWeek), nil},
	{hoursIn(berlin, 2*time.Hour+30*time.Minute, 10*time.Hour, allWeek), nil},
	{hoursIn(newYork, time.Hour+30*time.Minute, 2*time.Hour+15*time.Minute, []time.Weekday{time.Sunday, time.Monday}), nil},
	{hoursIn(time.UTC, 22*time.Hour, 24*time.Hour, []time.Weekday{time.Saturday}), []policy.Date{{Year: 2026, Month: 6, Day: 6}}},
}

// checkInverse asserts that Deadline is the earliest instant at which d of
// working time has passed.
func checkInverse(t *testing.T, start time.Time, d time.Duration, wh *policy.WorkingHours, holidays []policy.Date) {
	t.Helper()
	end := Deadline(start, d, wh, holidays)
	if got := Between(start, end, wh, holidays); got != d {
		t.Fatalf("%v: Between(%v, Deadline(%v, %v) = %v) = %v", zoneOf(wh), start, start, d, end, got)
	}
	if d > 0 {
		if got := Between(start, end.Add(-time.Nanosecond), wh, holidays); got >= d {
			t.Fatalf("%v: Deadline(%v, %v) = %v is not the earliest: a nanosecond before, %v has passed", zoneOf(wh), start, d, end, got)
		}
	}
}

func zoneOf(wh *policy.WorkingHours) string {
	if wh == nil {
		return "wall-clock"
	}
	return wh.Timezone
}

func TestBetweenInvertsDeadline(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	lo := utc(2025, 1, 1, 0, 0).Unix()
	hi := utc(2028, 1, 1, 0, 0).Unix()
	for _, w := range propertyWindows {
		for range 100 {
			start := time.Unix(lo+rng.Int64N(hi-lo), rng.Int64N(1e9))
			d := time.Duration(rng.Int64N(int64(60 * 24 * time.Hour)))
			if rng.IntN(3) == 0 {
				d = d.Truncate(time.Hour) // land on window edges too
			}
			checkInverse(t, start, d, w.wh, w.holidays)
		}
	}
}

func FuzzDeadlineBetween(f *testing.F) {
	f.Add(int64(1_790_000_000), int64(2*time.Hour), uint8(1))
	f.Add(int64(1_774_744_200), int64(time.Hour), uint8(3))     // 2026-03-29 01:30 CET
	f.Add(int64(1_792_882_800), int64(25*time.Hour), uint8(4))  // 2026-10-25 01:00 CEST
	f.Add(int64(1_767_225_600), int64(720*time.Hour), uint8(2)) // 30 days from 2026-01-01 01:00 CET
	f.Add(int64(0), int64(1<<50), uint8(6))
	f.Fuzz(func(t *testing.T, sec, d int64, w uint8) {
		// Keep instants and deadlines within years Go and the zone data
		// handle sensibly: 1900–2200, under ten years of working time.
		const lo, hi = -2_208_988_800, 7_258_118_400
		const maxD = int64(10 * 365 * 24 * time.Hour)
		// Fold every input into that range instead of discarding it.
		sec = lo + ((sec%(hi-lo))+(hi-lo))%(hi-lo)
		d = ((d % maxD) + maxD) % maxD
		pw := propertyWindows[int(w)%len(propertyWindows)]
		checkInverse(t, time.Unix(sec, 0), time.Duration(d), pw.wh, pw.holidays)
	})
}

func BenchmarkDeadline(b *testing.B) {
	wh := office(berlin)
	holidays := []policy.Date{{Year: 2026, Month: 4, Day: 3}, {Year: 2026, Month: 4, Day: 6}, {Year: 2026, Month: 5, Day: 1}}
	start := at(berlin, 2026, 3, 20, 15, 30)
	for _, bc := range []struct {
		name string
		d    time.Duration
	}{{"24h", 24 * time.Hour}, {"30days", 30 * 24 * time.Hour}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				Deadline(start, bc.d, wh, holidays)
			}
		})
	}
}

func BenchmarkBetween30Days(b *testing.B) {
	wh := office(berlin)
	from := at(berlin, 2026, 3, 20, 15, 30)
	to := from.AddDate(0, 4, 0)
	for b.Loop() {
		Between(from, to, wh, nil)
	}
}
