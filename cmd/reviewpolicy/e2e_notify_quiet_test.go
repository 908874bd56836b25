package main

import (
	"database/sql"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reviewpolicy/reviewpolicy/internal/githubfake"
)

// shiftedClock is the time a test gives serve (clockKey): the real time
// moved by an offset the test sets, so time still flows for everything
// that waits (leases, polls) while the test jumps to the evening or the
// morning it needs.
type shiftedClock struct{ offset atomic.Int64 }

func (c *shiftedClock) Now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

// Set makes it at now.
func (c *shiftedClock) Set(at time.Time) { c.offset.Store(int64(time.Until(at))) }

// nightPolicy asks carol (in New York, where working hours are 09:00 to
// 17:00 on weekdays) for README changes, and notifies review requests
// only (a digest would be a second DM in the morning).
const nightPolicy = `version: 1
reviewers:
  rules:
    - {name: docs, paths: ["*.md"], reviewers: [carol]}
    - {name: notes, paths: ["*.txt"], reviewers: [dave]}
sla:
  working_hours: {timezone: UTC, days: [mon, tue, wed, thu, fri], start: "09:00", end: "17:00"}
notify: {events: [review_requested]}
people:
  carol: {slack: U3CAROL, timezone: America/New_York}
  dave: {slack: U4DAVE, timezone: America/New_York}
`

// tuesdayEvening is 22:00 in New York on a Tuesday at least a week ahead
// (the SLA's timers and GitHub's times stay in the past).
func tuesdayEvening(t *testing.T) (evening time.Time, loc *time.Location) {
	loc, err := time.LoadLocation("America/New_York")
	must(t, err)
	d := time.Now().In(loc).AddDate(0, 0, 7)
	for d.Weekday() != time.Tuesday {
		d = d.AddDate(0, 0, 1)
	}
	return time.Date(d.Year(), d.Month(), d.Day(), 22, 0, 0, 0, loc), loc
}

// outboxState reads a person's message's state in the server's outbox
// ("" while there is none).
func outboxState(t *testing.T, h *harness, person string) string {
	db, err := sql.Open("sqlite", sqliteTestDSN(h.dbURL))
	must(t, err)
	defer db.Close()
	var s string
	_ = db.QueryRow(`SELECT state FROM notify_outbox WHERE person = ?`, person).Scan(&s)
	return s
}

// A review requested at 22:00 in the reviewer's zone waits for their
// working hours: not sent at 23:00, sent once just after 09:00 the next
// working day. serve reads the test's clock (clockKey), which jumps.
func TestNightDMWaitsForTheMorning(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", nightPolicy)
	evening, loc := tuesdayEvening(t)
	clock := &shiftedClock{}
	clock.Set(evening)
	h.clock = clock.Now
	sl := newSlack(t)
	h.start(t, slackEnv(sl))
	h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", nil))
	h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", nil))
	h.settle(t)
	if users, _ := h.fake.RequestedReviewers(owner, repoName, prNumber); len(users) != 1 || users[0] != "carol" {
		t.Fatalf("requested %v, want carol", users)
	}
	waitFor(t, "carol's DM in the outbox", func() bool { return outboxState(t, h, "carol") != "" })

	clock.Set(evening.Add(time.Hour))
	time.Sleep(1500 * time.Millisecond) // more than a sender's poll
	if n := len(sl.DMs("U3CAROL")); n != 0 || outboxState(t, h, "carol") != "pending" {
		t.Fatalf("at 23:00 carol got %d DMs (outbox: %s)", n, outboxState(t, h, "carol"))
	}
	morning := time.Date(evening.Year(), evening.Month(), evening.Day()+1, 9, 0, 1, 0, loc)
	clock.Set(morning)
	waitFor(t, "the morning DM", func() bool { return len(sl.DMs("U3CAROL")) == 1 })
	if dm := sl.DMs("U3CAROL")[0].Text; !strings.Contains(dm, "Review requested") {
		t.Errorf("the DM:\n%s", dm)
	}
	waitFor(t, "the DM recorded as sent", func() bool { return outboxState(t, h, "carol") == "sent" })
	time.Sleep(1500 * time.Millisecond)
	if n := len(sl.DMs("U3CAROL")); n != 1 {
		t.Errorf("carol got %d DMs, want 1", n)
	}
}

// A DM waiting for the morning is dropped when the pull request closes
// first: it is not sent late. Another pull request's DM waiting for the
// same morning shows the sender has gone past it.
func TestWaitingDMDroppedWhenThePullRequestCloses(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", nightPolicy)
	const other = firstPR
	h.fake.AddPullRequest(owner, repoName, githubfake.PullRequest{Number: other, Title: "Notes", Body: "Adds notes.",
		HeadRef: "notes", HeadSHA: prSHA(other), BaseRef: "master", Author: owner, Files: []string{"NOTES.txt"}, State: "open"})
	evening, loc := tuesdayEvening(t)
	clock := &shiftedClock{}
	clock.Set(evening)
	h.clock = clock.Now
	sl := newSlack(t)
	h.start(t, slackEnv(sl))
	h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", nil))
	h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", func(m map[string]any) {
		m["number"] = other
		pr := m["pull_request"].(map[string]any)
		pr["number"], pr["id"] = other, 1000+other
		pr["head"].(map[string]any)["sha"] = prSHA(other)
		pr["head"].(map[string]any)["ref"] = "notes-" + strconv.Itoa(other)
	}))
	// What the close must find: carol's DM waiting in the outbox (written
	// by the evaluation that requested her).
	waitFor(t, "both DMs in the outbox", func() bool {
		return outboxState(t, h, "carol") == "pending" && outboxState(t, h, "dave") == "pending"
	})
	h.fake.EditPullRequest(owner, repoName, prNumber, func(p *githubfake.PullRequest) { p.State = "closed" })
	h.send(t, "pull_request", "", payload(t, "pull_request/closed.payload.json", nil))
	waitFor(t, "carol's DM dropped", func() bool { return outboxState(t, h, "carol") == "dropped" })
	clock.Set(time.Date(evening.Year(), evening.Month(), evening.Day()+1, 9, 0, 1, 0, loc))
	// dave's DM, due at the same minute, is sent: the sender has looked
	// at everything due by then.
	waitFor(t, "dave's morning DM", func() bool { return outboxState(t, h, "dave") == "sent" })
	if n := len(sl.DMs("U3CAROL")); n != 0 {
		t.Errorf("carol got %d DMs about a closed pull request", n)
	}
	if n := len(sl.DMs("U4DAVE")); n != 1 {
		t.Errorf("dave got %d DMs, want 1", n)
	}
}
