package sla

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/reviewpolicy/reviewpolicy/policy"
)

// officeSLA is 8h of Berlin office time with a reminder 2h before.
func officeSLA() *policy.SLAPolicy {
	return &policy.SLAPolicy{
		FirstReview:  8 * time.Hour,
		WorkingHours: office(berlin),
		Holidays:     []policy.Date{{Year: 2026, Month: 12, Day: 25}},
		RemindBefore: 2 * time.Hour,
	}
}

func TestClockLifecycle(t *testing.T) {
	t.Parallel()
	p := officeSLA()
	mon10 := at(berlin, 2026, 11, 23, 10, 0)

	var c Clock
	c, changed := c.Start(mon10)
	if !changed || c.State != Running || !c.StartedAt.Equal(mon10) || !c.RunningSince.Equal(mon10) || c.Generation != 1 {
		t.Fatalf("Start from idle = %+v, %v", c, changed)
	}
	if again, changed := c.Start(mon10.Add(time.Hour)); changed || again != c {
		t.Errorf("Start while running changed the clock: %+v, %v", again, changed)
	}

	// Draft at 13:00: 3h counted. Ready again the next morning at 08:00,
	// before opening, so the night and early morning do not count.
	c, changed = c.Pause(at(berlin, 2026, 11, 23, 13, 0), p)
	if !changed || c.State != Paused || c.Elapsed != 3*time.Hour || !c.RunningSince.IsZero() || c.Generation != 2 {
		t.Fatalf("Pause = %+v, %v", c, changed)
	}
	if again, changed := c.Pause(at(berlin, 2026, 11, 23, 14, 0), p); changed || again != c {
		t.Errorf("Pause while paused changed the clock: %+v, %v", again, changed)
	}
	tue8 := at(berlin, 2026, 11, 24, 8, 0)
	c, changed = c.Start(tue8)
	if !changed || c.State != Running || c.Elapsed != 3*time.Hour || !c.StartedAt.Equal(mon10) || !c.RunningSince.Equal(tue8) || c.Generation != 3 {
		t.Fatalf("resume = %+v, %v", c, changed)
	}

	// 5h were left: due Tuesday 14:00, reminder at 12:00.
	remind, breach := Timers(p, c)
	if want := at(berlin, 2026, 11, 24, 12, 0); !remind.Equal(want) {
		t.Errorf("reminder at %v, want %v", remind, want)
	}
	if want := at(berlin, 2026, 11, 24, 14, 0); !breach.Equal(want) {
		t.Errorf("breach at %v, want %v", breach, want)
	}

	reviewAt := at(berlin, 2026, 11, 24, 11, 30)
	c = c.Review(reviewAt, "octocat")
	if c.State != Reviewed || !c.FirstReviewAt.Equal(reviewAt) || c.Reviewer != "octocat" || c.Generation != 4 {
		t.Fatalf("Review = %+v", c)
	}
	if again := c.Review(reviewAt.Add(time.Hour), "hubot"); again != c {
		t.Errorf("a second review changed the clock: %+v", again)
	}
	if again := c.Close(reviewAt.Add(time.Hour)); again != c {
		t.Errorf("closing a reviewed clock changed it: %+v", again)
	}
	if again, changed := c.Start(reviewAt.Add(time.Hour)); changed || again != c {
		t.Errorf("Start after the review changed the clock: %+v", again)
	}
	if r, b := Timers(p, c); !r.IsZero() || !b.IsZero() {
		t.Errorf("Timers after the review = %v, %v; want zero", r, b)
	}
	s := Evaluate(p, c, reviewAt.Add(48*time.Hour))
	if s.ReviewedAfter != 5*time.Hour+30*time.Minute || s.Breached || !s.OK() || s.Summary != "reviewed after 5h30m" {
		t.Errorf("Evaluate after the review = %+v", s)
	}
}

func TestClockClose(t *testing.T) {
	t.Parallel()
	now := at(berlin, 2026, 11, 23, 10, 0)
	for _, from := range []Clock{{}, {State: Running, RunningSince: now, StartedAt: now, Generation: 1}, {State: Paused, Elapsed: time.Hour, Generation: 2}} {
		c := from.Close(now)
		if c.State != Closed || c.Generation != from.Generation+1 {
			t.Errorf("Close from %s = %+v", from.State, c)
		}
		if again, changed := c.Start(now); changed || again != c {
			t.Errorf("Start after Close from %s changed the clock: %+v", from.State, again)
		}
		if again := c.Review(now, "octocat"); again != c {
			t.Errorf("Review after Close from %s changed the clock: %+v", from.State, again)
		}
		if r, b := Timers(officeSLA(), c); !r.IsZero() || !b.IsZero() {
			t.Errorf("Timers after Close = %v, %v; want zero", r, b)
		}
		if s := Evaluate(officeSLA(), c, now); !s.OK() || s.Summary != "closed before a first review" {
			t.Errorf("Evaluate after Close = %+v", s)
		}
	}
}

func TestReviewBeforeStart(t *testing.T) {
	t.Parallel()
	now := at(berlin, 2026, 11, 23, 10, 0)
	c := Clock{}.Review(now, "octocat")
	if c.State != Reviewed || c.Generation != 1 {
		t.Fatalf("Review of an idle clock = %+v", c)
	}
	if again, changed := c.Start(now); changed || again != c {
		t.Errorf("a review request after the first review restarted the clock: %+v", again)
	}
	if s := Evaluate(officeSLA(), c, now); !s.OK() || s.ReviewedAfter != 0 || s.Summary != "reviewed before the clock started" {
		t.Errorf("Evaluate = %+v", s)
	}
}

func TestClockJSON(t *testing.T) {
	t.Parallel()
	now := at(berlin, 2026, 11, 23, 10, 0)
	c, _ := Clock{}.Start(now)
	c, _ = c.Pause(now.Add(90*time.Minute), officeSLA())
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var back Clock
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.State != c.State || back.Elapsed != c.Elapsed || !back.StartedAt.Equal(c.StartedAt) || back.Generation != c.Generation {
		t.Errorf("round trip %s: got %+v, want %+v", b, back, c)
	}
	// The zero value, e.g. an empty JSON object, is an idle clock.
	if err := json.Unmarshal([]byte(`{}`), &back); err != nil {
		t.Fatal(err)
	}
	if started, changed := back.Start(now); !changed || started.State != Running {
		t.Errorf("Start of an empty clock = %+v, %v", started, changed)
	}
}

func TestTimers(t *testing.T) {
	t.Parallel()
	mon10 := at(berlin, 2026, 11, 23, 10, 0)
	running := func(since time.Time, elapsed time.Duration) Clock {
		return Clock{State: Running, RunningSince: since, StartedAt: since, Elapsed: elapsed, Generation: 1}
	}
	cases := []struct {
		name                string
		p                   *policy.SLAPolicy
		c                   Clock
		wantRemind, wantDue time.Time
	}{
		{"working hours", officeSLA(), running(mon10, 0), at(berlin, 2026, 11, 23, 16, 0), at(berlin, 2026, 11, 24, 10, 0)},
		{"start on Saturday", officeSLA(), running(at(berlin, 2026, 11, 21, 12, 0), 0), at(berlin, 2026, 11, 23, 15, 0), at(berlin, 2026, 11, 23, 17, 0)},
		{"reminder at closing time, breach after a holiday", officeSLA(), running(at(berlin, 2026, 12, 24, 11, 0), 0), at(berlin, 2026, 12, 24, 17, 0), at(berlin, 2026, 12, 28, 11, 0)},
		{"elapsed counts", officeSLA(), running(mon10, 5*time.Hour), at(berlin, 2026, 11, 23, 11, 0), at(berlin, 2026, 11, 23, 13, 0)},
		{"reminder already past at start", officeSLA(), running(mon10, 7*time.Hour), time.Time{}, at(berlin, 2026, 11, 23, 11, 0)},
		{"reminder exactly due at start", officeSLA(), running(mon10, 6*time.Hour), time.Time{}, at(berlin, 2026, 11, 23, 12, 0)},
		{"already breached", officeSLA(), running(mon10, 9*time.Hour), time.Time{}, mon10},
		{"no reminder", &policy.SLAPolicy{FirstReview: 4 * time.Hour}, running(mon10, 0), time.Time{}, mon10.Add(4 * time.Hour)},
		{"default 24h wall-clock", &policy.SLAPolicy{RemindBefore: time.Hour}, running(mon10, 0), mon10.Add(23 * time.Hour), mon10.Add(24 * time.Hour)},
		{"nil policy", nil, running(mon10, 0), time.Time{}, mon10.Add(24 * time.Hour)},
		{"paused", officeSLA(), Clock{State: Paused, Elapsed: time.Hour}, time.Time{}, time.Time{}},
		{"idle", officeSLA(), Clock{}, time.Time{}, time.Time{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			remind, due := Timers(c.p, c.c)
			if !remind.Equal(c.wantRemind) || !due.Equal(c.wantDue) {
				t.Errorf("Timers = %v, %v; want %v, %v", remind, due, c.wantRemind, c.wantDue)
			}
		})
	}
}

func TestEvaluate(t *testing.T) {
	t.Parallel()
	mon10 := at(berlin, 2026, 11, 23, 10, 0)
	running := Clock{State: Running, RunningSince: mon10, StartedAt: mon10, Generation: 1}
	wall := &policy.SLAPolicy{FirstReview: 4 * time.Hour}
	cases := []struct {
		name string
		p    *policy.SLAPolicy
		c    Clock
		now  time.Time
		want Status
	}{
		{"idle", officeSLA(), Clock{}, mon10, Status{State: Idle, Summary: "waiting for a review request"}},
		{"running", officeSLA(), running, at(berlin, 2026, 11, 23, 11, 48), Status{
			State: Running, Deadline: at(berlin, 2026, 11, 24, 10, 0), Remaining: 6*time.Hour + 12*time.Minute,
			Summary: "first review due by Tue 24 Nov 10:00 CET (6h12m of working time left)"}},
		{"running overnight", officeSLA(), running, at(berlin, 2026, 11, 23, 23, 0), Status{
			State: Running, Deadline: at(berlin, 2026, 11, 24, 10, 0), Remaining: time.Hour,
			Summary: "first review due by Tue 24 Nov 10:00 CET (1h of working time left)"}},
		{"running wall-clock", wall, running, mon10.Add(time.Hour), Status{
			State: Running, Deadline: mon10.Add(4 * time.Hour), Remaining: 3 * time.Hour,
			Summary: "first review due by Mon 23 Nov 13:00 UTC (3h left)"}},
		{"at the deadline", officeSLA(), running, at(berlin, 2026, 11, 24, 10, 0), Status{
			State: Running, Deadline: at(berlin, 2026, 11, 24, 10, 0), Breached: true,
			Summary: "breached (first review was due by Tue 24 Nov 10:00 CET)"}},
		{"breached", officeSLA(), running, at(berlin, 2026, 11, 25, 12, 0), Status{
			State: Running, Deadline: at(berlin, 2026, 11, 24, 10, 0), Remaining: -10 * time.Hour, Breached: true, Over: 10 * time.Hour,
			Summary: "breached by 10h (first review was due by Tue 24 Nov 10:00 CET)"}},
		{"paused", officeSLA(), Clock{State: Paused, Elapsed: 2 * time.Hour, StartedAt: mon10}, mon10, Status{
			State: Paused, Remaining: 6 * time.Hour, Summary: "paused while draft (6h left)"}},
		{"paused after the deadline", officeSLA(), Clock{State: Paused, Elapsed: 9 * time.Hour, StartedAt: mon10}, mon10, Status{
			State: Paused, Remaining: -time.Hour, Breached: true, Over: time.Hour, Summary: "breached by 1h (paused while draft)"}},
		{"reviewed while running", officeSLA(), running.Review(at(berlin, 2026, 11, 23, 13, 12), "octocat"), at(berlin, 2026, 12, 1, 0, 0), Status{
			State: Reviewed, Remaining: 4*time.Hour + 48*time.Minute, ReviewedAfter: 3*time.Hour + 12*time.Minute, Summary: "reviewed after 3h12m"}},
		{"reviewed late", officeSLA(), running.Review(at(berlin, 2026, 11, 24, 12, 0), "octocat"), at(berlin, 2026, 12, 1, 0, 0), Status{
			State: Reviewed, Remaining: -2 * time.Hour, Breached: true, Over: 2 * time.Hour, ReviewedAfter: 10 * time.Hour,
			Summary: "reviewed after 10h, breached by 2h"}},
		// Due at 17:00, closing time: a review at 17:30 used no more working
		// time than allowed but came after the breach timer fired.
		{"reviewed after closing time on the due day", officeSLA(),
			Clock{State: Running, RunningSince: mon10, StartedAt: mon10, Elapsed: time.Hour}.Review(at(berlin, 2026, 11, 23, 17, 30), "octocat"),
			at(berlin, 2026, 12, 1, 0, 0), Status{State: Reviewed, Breached: true, ReviewedAfter: 8 * time.Hour, Summary: "reviewed after 8h, breached"}},
		{"reviewed while paused", officeSLA(), Clock{State: Paused, Elapsed: 2 * time.Hour, StartedAt: mon10}.Review(mon10, "octocat"), mon10, Status{
			State: Reviewed, Remaining: 6 * time.Hour, ReviewedAfter: 2 * time.Hour, Summary: "reviewed after 2h"}},
		{"unknown state", officeSLA(), Clock{State: "lost"}, mon10, Status{State: "lost", Summary: `unknown SLA state "lost"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got := Evaluate(c.p, c.c, c.now)
			if !got.Deadline.Equal(c.want.Deadline) {
				t.Errorf("Deadline = %v, want %v", got.Deadline, c.want.Deadline)
			}
			got.Deadline = c.want.Deadline // compared above; Equal ignores the location
			if got != c.want {
				t.Errorf("Evaluate =\n%+v, want\n%+v", got, c.want)
			}
			if got.OK() == c.want.Breached {
				t.Errorf("OK() = %v with Breached %v", got.OK(), c.want.Breached)
			}
		})
	}
}

// A running clock and its timers agree: not breached just before the breach
// timer, breached at it, and the reminder fires with RemindBefore left.
func TestEvaluateAgreesWithTimers(t *testing.T) {
	t.Parallel()
	p := officeSLA()
	for _, since := range []time.Time{
		at(berlin, 2026, 11, 23, 10, 0), at(berlin, 2026, 11, 21, 3, 0), at(berlin, 2026, 12, 24, 16, 59), at(berlin, 2026, 3, 27, 12, 34),
	} {
		c := Clock{State: Running, RunningSince: since, StartedAt: since, Elapsed: 30 * time.Minute, Generation: 1}
		remind, due := Timers(p, c)
		if s := Evaluate(p, c, remind); s.Remaining != p.RemindBefore {
			t.Errorf("since %v: at the reminder %v, %v left, want %v", since, remind, s.Remaining, p.RemindBefore)
		}
		if s := Evaluate(p, c, due.Add(-time.Nanosecond)); s.Breached {
			t.Errorf("since %v: breached before the deadline %v: %+v", since, due, s)
		}
		if s := Evaluate(p, c, due); !s.Breached || !s.Deadline.Equal(due) {
			t.Errorf("since %v: not breached at the deadline %v: %+v", since, due, s)
		}
	}
}
