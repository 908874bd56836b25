// Package sla is the pure logic of the first-review SLA: working-time
// arithmetic, the per-pull-request clock and its evaluation.
//
// The clock starts when a pull request is ready for review and has at least
// one review request, pauses while it is a draft (keeping the time already
// counted), resumes when it is ready again, and stops at the first review
// that FirstReview accepts, or when the pull request is closed. Nothing
// here does I/O or reads the current time: every function is given it.
package sla

import (
	"fmt"
	"time"

	"github.com/reviewpolicy/reviewpolicy/policy"
)

// State is where a Clock is in its life.
type State string

// Clock states. Reviewed and Closed are final.
const (
	Idle     State = "idle" // not started; the zero Clock is idle
	Running  State = "running"
	Paused   State = "paused" // draft
	Reviewed State = "reviewed"
	Closed   State = "closed"
)

// DefaultFirstReview applies when the policy's FirstReview is 0.
const DefaultFirstReview = 24 * time.Hour

// Clock is the durable state of one pull request's SLA, persisted as JSON by
// the store. Transitions are values: they return the new Clock.
type Clock struct {
	State State `json:"state"`
	// Elapsed is the working time counted before RunningSince.
	Elapsed time.Duration `json:"elapsed"`
	// RunningSince is when the current running period began. It is kept
	// when a running clock is reviewed (the period then ends at
	// FirstReviewAt), because Review has no policy to count working time.
	RunningSince  time.Time `json:"running_since"`
	StartedAt     time.Time `json:"started_at"` // first start
	FirstReviewAt time.Time `json:"first_review_at"`
	Reviewer      string    `json:"reviewer"` // who reviewed first
	// Generation bumps whenever the deadline may move. Timers carry it, so
	// a timer whose generation differs from the stored clock's is stale.
	Generation int `json:"generation"`
	// Snoozed is the working time that snoozes ("/reviewpolicy snooze")
	// gave back: it is added to the time allowed. Snoozes counts the snoozes
	// applied, so applying the list again changes nothing; SnoozeNote says
	// who snoozed last and why.
	Snoozed    time.Duration `json:"snoozed,omitempty"`
	Snoozes    int           `json:"snoozes,omitempty"`
	SnoozeNote string        `json:"snooze_note,omitempty"`
}

// Snooze pauses the clock from from to until: the working time between
// them no longer counts. note ("snoozed 4h by lee: waiting for the vendor")
// is shown with the status. A clock not started (nothing counts yet) or
// final (reviewed, closed) only counts the snooze as applied. The new
// Generation makes earlier timers stale.
func (c Clock) Snooze(from, until time.Time, p *policy.SLAPolicy, note string) Clock {
	c.Snoozes++
	switch c.state() {
	case Idle, Reviewed, Closed:
		return c
	}
	wh, hol := hours(p)
	c.Snoozed += Between(from, until, wh, hol)
	c.SnoozeNote = note
	c.Generation++
	return c
}

// allowed is the working time the first review may take.
func (c Clock) allowed(p *policy.SLAPolicy) time.Duration { return firstReview(p) + c.Snoozed }

func (c Clock) state() State {
	if c.State == "" {
		return Idle
	}
	return c.State
}

// Start starts or resumes the clock: call it when the pull request is ready
// for review and has a review request. It is a no-op unless the clock is
// idle or paused. The bool reports a change: persist the clock and schedule
// the times Timers returns.
func (c Clock) Start(now time.Time) (Clock, bool) {
	switch c.state() {
	case Idle:
		c.StartedAt = now
	case Paused:
	default:
		return c, false
	}
	c.State = Running
	c.RunningSince = now
	c.Generation++
	return c, true
}

// Pause stops a running clock while the pull request is a draft, adding the
// working time since RunningSince to Elapsed. It is a no-op unless the
// clock is running. The bool reports a change: persist the clock; earlier
// timers are stale by Generation and Timers has nothing new to schedule.
func (c Clock) Pause(now time.Time, p *policy.SLAPolicy) (Clock, bool) {
	if c.state() != Running {
		return c, false
	}
	wh, hol := hours(p)
	c.Elapsed += Between(c.RunningSince, now, wh, hol)
	c.State = Paused
	c.RunningSince = time.Time{}
	c.Generation++
	return c, true
}

// Review records the first review, by someone other than the author (the
// caller checks that), and ends the clock. A review before the clock
// started ends it too: the pull request has had its first review. Later
// reviews change nothing.
func (c Clock) Review(now time.Time, by string) Clock {
	switch c.state() {
	case Reviewed, Closed:
		return c
	}
	c.State = Reviewed
	c.FirstReviewAt = now
	c.Reviewer = by
	c.Generation++
	return c
}

// Close ends the clock of a closed or merged pull request. A reviewed clock
// stays reviewed: its outcome is already decided. now is unused for now;
// it keeps the transitions alike and leaves room to record the close time.
func (c Clock) Close(now time.Time) Clock {
	switch c.state() {
	case Reviewed, Closed:
		return c
	}
	c.State = Closed
	c.Generation++
	return c
}

// Timers returns when the reminder and the breach are due for a running
// clock, and zero times otherwise. The reminder is zero when p has no
// RemindBefore or when, as the clock (re)starts, no more than RemindBefore
// is left. A breach already due is returned as RunningSince.
func Timers(p *policy.SLAPolicy, c Clock) (remindAt, breachAt time.Time) {
	if c.state() != Running {
		return time.Time{}, time.Time{}
	}
	wh, hol := hours(p)
	left := c.allowed(p) - c.Elapsed
	breachAt = Deadline(c.RunningSince, left, wh, hol)
	if p != nil && p.RemindBefore > 0 && left > p.RemindBefore {
		remindAt = Deadline(c.RunningSince, left-p.RemindBefore, wh, hol)
	}
	return remindAt, breachAt
}

// Status is the SLA of one pull request at one instant.
type Status struct {
	State     State
	Deadline  time.Time     // while running
	Remaining time.Duration // working time left; zero or negative when breached
	Breached  bool
	// Over is how far past the deadline (working time) the clock is, or
	// was when reviewed; set when breached.
	Over          time.Duration
	ReviewedAfter time.Duration // working time to the first review
	Summary       string        // one line for the check run
}

// OK reports whether the SLA is met so far. A review after the deadline is
// not OK.
func (s Status) OK() bool { return !s.Breached }

// Evaluate returns the SLA status of clock c at now. The deadline has passed
// when no working time is left, so it is breached from the deadline instant
// on, and a review that uses exactly the allowed working time after the
// deadline instant (e.g. at 17:30 for a deadline at 17:00 closing time) is
// late, matching the breach timer that already fired.
func Evaluate(p *policy.SLAPolicy, c Clock, now time.Time) Status {
	wh, hol := hours(p)
	due := c.allowed(p)
	s := Status{State: c.state()}
	switch s.State {
	case Idle:
		s.Summary = "waiting for a review request"
	case Running:
		left := due - c.Elapsed
		s.Deadline = Deadline(c.RunningSince, left, wh, hol)
		s.Remaining = left - Between(c.RunningSince, now, wh, hol)
		s.setBreach()
		when := s.Deadline.In(displayZone(wh)).Format("Mon 2 Jan 15:04 MST")
		switch {
		case s.Breached:
			s.Summary = fmt.Sprintf("%s (first review was due by %s)", breached(s.Over), when)
		case wh != nil:
			s.Summary = fmt.Sprintf("first review due by %s (%s of working time left)", when, FormatDuration(s.Remaining))
		default:
			s.Summary = fmt.Sprintf("first review due by %s (%s left)", when, FormatDuration(s.Remaining))
		}
	case Paused:
		s.Remaining = due - c.Elapsed
		s.setBreach()
		if s.Breached {
			s.Summary = breached(s.Over) + " (paused while draft)"
		} else {
			s.Summary = fmt.Sprintf("paused while draft (%s left)", FormatDuration(s.Remaining))
		}
	case Reviewed:
		if c.StartedAt.IsZero() {
			s.Summary = "reviewed before the clock started"
			break
		}
		s.ReviewedAfter = c.Elapsed
		if !c.RunningSince.IsZero() {
			s.ReviewedAfter += Between(c.RunningSince, c.FirstReviewAt, wh, hol)
		}
		s.Remaining = due - s.ReviewedAfter
		s.setBreach()
		s.Summary = "reviewed after " + FormatDuration(s.ReviewedAfter)
		if s.Breached {
			s.Summary += ", " + breached(s.Over)
		}
	case Closed:
		s.Summary = "closed before a first review"
	default:
		s.Summary = fmt.Sprintf("unknown SLA state %q", string(s.State))
	}
	if c.SnoozeNote != "" && (s.State == Running || s.State == Paused) {
		s.Summary += "; " + c.SnoozeNote
	}
	return s
}

func (s *Status) setBreach() {
	if s.Remaining <= 0 {
		s.Breached = true
		s.Over = -s.Remaining
	}
}

// breached words a breach; right at the deadline there is nothing to add.
func breached(over time.Duration) string {
	if over <= 0 {
		return "breached"
	}
	return "breached by " + FormatDuration(over)
}

func firstReview(p *policy.SLAPolicy) time.Duration {
	if p == nil || p.FirstReview <= 0 {
		return DefaultFirstReview
	}
	return p.FirstReview
}

func hours(p *policy.SLAPolicy) (*policy.WorkingHours, []policy.Date) {
	if p == nil {
		return nil, nil
	}
	return p.WorkingHours, p.Holidays
}

// displayZone is where deadlines are shown: the working hours' zone, or UTC
// for wall-clock SLAs, which have no zone of their own.
func displayZone(wh *policy.WorkingHours) *time.Location {
	if wh == nil || wh.Location == nil {
		return time.UTC
	}
	return wh.Location
}
