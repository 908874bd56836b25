package sla

import (
	"strings"
	"testing"
	"time"
)

// A snooze gives back the working time it covers: on a 09:00-17:00
// calendar, a 4h snooze from 15:00 on Friday covers 2h (15:00-17:00); the
// deadline moves by 2 working hours, and the status says who and why.
func TestSnoozeMovesTheDeadlineByWorkingTime(t *testing.T) {
	t.Parallel()
	p := officeSLA()
	loc := p.WorkingHours.Location
	start := time.Date(2025, 3, 5, 9, 0, 0, 0, loc) // Wednesday
	c, _ := Clock{}.Start(start)
	_, before := Timers(p, c)
	friday15 := time.Date(2025, 3, 7, 15, 0, 0, 0, loc)
	s := c.Snooze(friday15, friday15.Add(4*time.Hour), p, "snoozed 4h by lee: vendor")
	_, after := Timers(p, s)
	if got := Between(before, after, p.WorkingHours, p.Holidays); got != 2*time.Hour {
		t.Errorf("deadline moved by %s of working time (%s → %s), want 2h", got, before, after)
	}
	if s.Generation == c.Generation || s.Snoozes != 1 {
		t.Errorf("generation %d → %d, snoozes %d", c.Generation, s.Generation, s.Snoozes)
	}
	if st := Evaluate(p, s, start.Add(time.Hour)); !strings.HasSuffix(st.Summary, "; snoozed 4h by lee: vendor") {
		t.Errorf("summary %q", st.Summary)
	}
	// Not started or final: only counted, nothing given back.
	for _, c := range []Clock{{}, {State: Reviewed}, {State: Closed}} {
		s := c.Snooze(friday15, friday15.Add(4*time.Hour), p, "x")
		if s.Snoozed != 0 || s.Snoozes != 1 || s.Generation != c.Generation {
			t.Errorf("%s clock snoozed: %+v", c.state(), s)
		}
	}
}
