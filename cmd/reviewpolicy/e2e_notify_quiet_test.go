package main

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/reviewpolicy/reviewpolicy/internal/githubfake"
)

// nightZone is a fixed-offset zone where it is now between 03:00 and
// 04:00, and the instant its 09:00 comes today.
func nightZone(t *testing.T, now time.Time) (string, time.Time) {
	off := (3 - now.UTC().Hour() + 24) % 24 // in [0, 24)
	if off > 12 {
		off -= 24
	}
	name := "Etc/UTC"
	switch {
	case off > 0:
		name = fmt.Sprintf("Etc/GMT-%d", off) // POSIX sign: GMT-2 is UTC+2
	case off < 0:
		name = fmt.Sprintf("Etc/GMT+%d", -off)
	}
	loc, err := time.LoadLocation(name)
	must(t, err)
	local := now.In(loc)
	return name, time.Date(local.Year(), local.Month(), local.Day(), 9, 0, 0, 0, loc)
}

// A review request that reaches a reviewer at 3 am their time waits for
// their working hours to open, while the check run and GitHub's request go
// at once. serve has no clock a test can move, so the morning is brought
// forward in the outbox (the sender's clock is a unit test's matter:
// notify.TestQuietHoursWaitForThePersonsMorning); then the DM goes, once.
func TestNightDMWaitsForTheMorning(t *testing.T) {
	t.Parallel()
	h := setup(t)
	zone, morning := nightZone(t, time.Now())
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", `version: 1
reviewers:
  rules:
    - {name: docs, paths: ["*.md"], reviewers: [carol]}
sla:
  first_review: 24h
  working_hours: {timezone: UTC, days: [mon, tue, wed, thu, fri, sat, sun], start: "09:00", end: "17:00"}
notify: {}
people:
  carol: {slack: U3CAROL, timezone: `+zone+`}
`)
	sl := newSlack(t)
	h.start(t, slackEnv(sl))
	h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", nil))
	h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", nil))
	h.settle(t)
	if users, _ := h.fake.RequestedReviewers(owner, repoName, prNumber); len(users) != 1 || users[0] != "carol" {
		t.Fatalf("requested %v, want carol", users)
	}
	db, err := sql.Open("sqlite", sqliteTestDSN(h.dbURL))
	must(t, err)
	defer db.Close()
	var due int64
	var state string
	waitFor(t, "carol's DM in the outbox", func() bool {
		return db.QueryRow(`SELECT due_at, state FROM notify_outbox WHERE person = 'carol'`).Scan(&due, &state) == nil
	})
	if got := time.UnixMicro(due); !got.Equal(morning) || state != "pending" {
		t.Errorf("carol's DM is %s, due %s; want pending until %s (09:00 in %s)", state, got, morning, zone)
	}
	time.Sleep(1500 * time.Millisecond) // more than a sender's poll
	if n := len(sl.DMs("U3CAROL")); n != 0 {
		t.Fatalf("carol got %d DMs at 3 am", n)
	}
	// Morning comes.
	_, err = db.Exec(`UPDATE notify_outbox SET due_at = ? WHERE person = 'carol'`, time.Now().Add(-time.Second).UnixMicro())
	must(t, err)
	waitFor(t, "the morning DM", func() bool { return len(sl.DMs("U3CAROL")) == 1 })
	if dm := sl.DMs("U3CAROL")[0].Text; !strings.Contains(dm, "Review requested") {
		t.Errorf("the DM:\n%s", dm)
	}
	time.Sleep(1500 * time.Millisecond)
	if n := len(sl.DMs("U3CAROL")); n != 1 {
		t.Errorf("carol got %d DMs, want 1", n)
	}
}

// A DM waiting for the morning is dropped when the pull request closes
// first: it is not sent late.
func TestWaitingDMDroppedWhenThePullRequestCloses(t *testing.T) {
	t.Parallel()
	h := setup(t)
	zone, _ := nightZone(t, time.Now())
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", `version: 1
reviewers:
  rules:
    - {name: docs, paths: ["*.md"], reviewers: [carol]}
sla:
  working_hours: {timezone: UTC, days: [mon, tue, wed, thu, fri, sat, sun], start: "09:00", end: "17:00"}
notify: {}
people:
  carol: {slack: U3CAROL, timezone: `+zone+`}
`)
	sl := newSlack(t)
	h.start(t, slackEnv(sl))
	h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", nil))
	h.settle(t)
	db, err := sql.Open("sqlite", sqliteTestDSN(h.dbURL))
	must(t, err)
	defer db.Close()
	state := func() string {
		var s string
		_ = db.QueryRow(`SELECT state FROM notify_outbox WHERE person = 'carol'`).Scan(&s)
		return s
	}
	waitFor(t, "carol's DM in the outbox", func() bool { return state() != "" })
	if s := state(); s != "pending" {
		t.Fatalf("carol's DM is %s, want pending until her morning", s)
	}
	h.fake.EditPullRequest(owner, repoName, prNumber, func(p *githubfake.PullRequest) { p.State = "closed" })
	h.send(t, "pull_request", "", payload(t, "pull_request/closed.payload.json", nil))
	h.settle(t)
	waitFor(t, "the DM dropped", func() bool { return state() == "dropped" })
	_, err = db.Exec(`UPDATE notify_outbox SET due_at = ? WHERE person = 'carol'`, time.Now().Add(-time.Second).UnixMicro())
	must(t, err)
	time.Sleep(1500 * time.Millisecond)
	if n := len(sl.DMs("U3CAROL")); n != 0 {
		t.Errorf("carol got %d DMs about a closed pull request", n)
	}
}
