package sla

import (
	"math"
	"time"

	"github.com/reviewpolicy/reviewpolicy/policy"
)

// Working time
//
// Each working day (a weekday in WorkingHours.Days that is not a holiday)
// has one window, from Start to End in the local wall-clock time of that
// calendar day in WorkingHours.Location. Working time is the real time that
// passes inside windows. So a window without a UTC offset change in it lasts
// exactly End-Start: 09:00–17:00 is 8h on the days clocks change, too. A
// window that contains the change is shorter or longer by the shift:
// 00:00–24:00 is 23h on a spring-forward day and 25h on a fall-back day.
//
// Precisely, a window opens the first time that day the wall clock shows
// Start or later, and closes the first time it shows End or later. So an
// edge in a skipped hour is the instant of the jump (in Europe/Berlin a
// window opening at 02:30 on the spring-forward day opens at 03:00 CEST), and
// an edge in a repeated hour is its first occurrence (02:30 CEST, not CET).
// Go's time.Date leaves both choices unspecified, so calendar.at makes them.
//
// Holidays are whole calendar days in the window's time zone. A nil
// Location means UTC. Windows are assumed to satisfy 0 <= Start < End <= 24h,
// as the policy parser guarantees; Start and End are clamped to [0, 24h].

// Never is what Deadline returns when no working time can ever pass: a
// WorkingHours without days or with an empty window. The policy parser
// rejects both, so this only guards against hand-built values.
var Never = time.Date(9999, time.December, 31, 23, 59, 59, 0, time.UTC)

const weekSpan = 7 * 24 * time.Hour

// Deadline returns the instant at which d of working time has passed after
// start: the earliest instant t with Between(start, t) == d. A start outside
// working hours counts from the next opening. wh == nil means wall-clock
// time. d <= 0 returns start.
func Deadline(start time.Time, d time.Duration, wh *policy.WorkingHours, holidays []policy.Date) time.Time {
	if d <= 0 {
		return start
	}
	if wh == nil {
		return start.Add(d)
	}
	c, ok := newCalendar(wh, holidays)
	if !ok {
		return Never
	}
	first := c.dayOf(start)
	for day := first; ; day++ {
		// Past the first day, whole weeks can be counted at once; keep d > 0
		// afterwards so the deadline lands in a window that is looked at.
		if day > first && d > c.weekWork {
			if n, worked := c.weeks(day, int64((d-1)/c.weekWork), time.Time{}); n > 0 {
				d -= worked
				day += dayNum(7*n - 1)
				continue
			}
		}
		if !c.working(day) {
			continue
		}
		ws, we := c.window(day)
		s := later(start, ws)
		if !s.Before(we) {
			continue
		}
		avail := we.Sub(s)
		if d <= avail {
			return s.Add(d)
		}
		d -= avail
	}
}

// Between returns the working time between from and to, 0 if to <= from.
// wh == nil means wall-clock time.
func Between(from, to time.Time, wh *policy.WorkingHours, holidays []policy.Date) time.Duration {
	if !to.After(from) {
		return 0
	}
	if wh == nil {
		return to.Sub(from)
	}
	c, ok := newCalendar(wh, holidays)
	if !ok {
		return 0
	}
	first, last := c.dayOf(from), c.dayOf(to)
	var sum time.Duration
	for day := first; day <= last; day++ {
		if day > first && last-day >= 7 {
			if n, worked := c.weeks(day, math.MaxInt64, to); n > 0 {
				sum += worked
				day += dayNum(7*n - 1)
				continue
			}
		}
		if !c.working(day) {
			continue
		}
		ws, we := c.window(day)
		if s, e := later(from, ws), earlier(to, we); s.Before(e) {
			sum += e.Sub(s)
		}
	}
	return sum
}

// calendar is a WorkingHours prepared for day-by-day walking.
type calendar struct {
	loc        *time.Location
	open       [7]bool
	start, end time.Duration
	dayLen     time.Duration       // a window's length when no offset change falls in it
	weekWork   time.Duration       // working time of a week without holidays or offset changes
	holidays   map[dayNum]struct{} // nil when there are none
}

// dayNum is a calendar day, counted from 1970-01-01.
type dayNum int64

func newCalendar(wh *policy.WorkingHours, holidays []policy.Date) (*calendar, bool) {
	c := &calendar{
		loc:   wh.Location,
		start: min(max(wh.Start, 0), 24*time.Hour),
		end:   min(max(wh.End, 0), 24*time.Hour),
	}
	if c.loc == nil {
		c.loc = time.UTC
	}
	c.dayLen = c.end - c.start
	for _, wd := range wh.Days {
		if wd >= time.Sunday && wd <= time.Saturday && !c.open[wd] {
			c.open[wd] = true
			c.weekWork += c.dayLen
		}
	}
	if c.weekWork <= 0 {
		return nil, false
	}
	if len(holidays) > 0 {
		c.holidays = make(map[dayNum]struct{}, len(holidays))
		for _, h := range holidays {
			c.holidays[civil(h.Year, h.Month, h.Day)] = struct{}{}
		}
	}
	return c, true
}

func civil(y int, m time.Month, d int) dayNum {
	return dayNum(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// midnightUTC is the day's midnight in UTC, used as a wall-clock reading.
func (d dayNum) midnightUTC() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

func (d dayNum) weekday() time.Weekday {
	return time.Weekday((int64(d)%7 + 7 + 4) % 7) // 1970-01-01 was a Thursday
}

func (c *calendar) dayOf(t time.Time) dayNum {
	return civil(t.In(c.loc).Date())
}

func (c *calendar) working(d dayNum) bool {
	if !c.open[d.weekday()] {
		return false
	}
	_, holiday := c.holidays[d]
	return !holiday
}

// window returns the day's working window; it may be empty only when an
// offset change swallows it.
func (c *calendar) window(d dayNum) (start, end time.Time) {
	m := d.midnightUTC()
	return c.at(m.Add(c.start)), c.at(m.Add(c.end))
}

// at returns the first instant at which the wall clock in c.loc shows u
// (u's UTC fields are the reading) or, if it never does because the reading
// is skipped, the instant the clock jumps past it.
func (c *calendar) at(u time.Time) time.Time {
	y, mo, d := u.Date()
	hh, mm, ss := u.Clock()
	t := time.Date(y, mo, d, hh, mm, ss, u.Nanosecond(), c.loc)
	_, off := t.Zone()
	zs, ze := t.ZoneBounds()
	shown := t.Add(seconds(off))
	switch {
	case shown.After(u): // skipped; t is after the jump, which began t's offset
		return zs
	case shown.Before(u): // skipped; t is before the jump, which ends t's offset
		return ze
	}
	// The reading exists. If the previous offset was larger (clocks went
	// back), it may also have been shown just before this offset began.
	if !zs.IsZero() {
		_, prev := zs.Add(-time.Nanosecond).Zone()
		if e := u.Add(-seconds(prev)); e.Before(zs) {
			return e.In(c.loc)
		}
	}
	return t
}

// weeks reports how many whole weeks from the start of day d, at most limit,
// end no later than until (zero: no bound) and keep one UTC offset, and the
// working time in them. With one offset every window lasts dayLen, so only
// holidays need counting and the days need not be walked.
func (c *calendar) weeks(d dayNum, limit int64, until time.Time) (int64, time.Duration) {
	t0 := c.at(d.midnightUTC())
	limit = min(limit, int64(math.MaxInt64/weekSpan)) // keep n*weekWork a valid Duration
	if !until.IsZero() {
		limit = min(limit, int64(until.Sub(t0)/weekSpan))
	}
	if _, ze := t0.ZoneBounds(); !ze.IsZero() {
		limit = min(limit, int64(ze.Sub(t0)/weekSpan))
	}
	if limit <= 0 {
		return 0, 0
	}
	end := d + dayNum(7*limit)
	var off int64
	for h := range c.holidays {
		if h >= d && h < end && c.open[h.weekday()] {
			off++
		}
	}
	return limit, time.Duration(limit)*c.weekWork - time.Duration(off)*c.dayLen
}

func seconds(n int) time.Duration { return time.Duration(n) * time.Second }

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
