package main

import (
	"strings"
	"testing"
	"time"
)

// Digests go at their time, once, and not when empty. The digest time is
// now (UTC), every day a working day; the pull request is evaluated, the
// server restarts (a sender plans digests as it starts, then each
// minute), and carol's digest and the channel's arrive. dave, with a
// Slack ID and nothing waiting on him, gets none.
func TestDigestsThroughServe(t *testing.T) {
	t.Parallel()
	h := setup(t)
	// The test must not cross midnight, where the day and its digest change.
	if now := time.Now().UTC(); now.Hour() == 23 && now.Minute() >= 58 {
		time.Sleep(now.Truncate(24 * time.Hour).Add(24*time.Hour + 5*time.Second).Sub(now))
	}
	at := time.Now().UTC().Format("15:04")
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", `version: 1
reviewers:
  rules:
    - {name: docs, paths: ["*.md"], reviewers: [carol]}
sla:
  first_review: 24h
  working_hours: {timezone: UTC, days: [mon, tue, wed, thu, fri, sat, sun], start: "00:00", end: "24:00"}
notify:
  slack: {channel: C1LEADS}
  events: [digest]
  digest: {at: "`+at+`", channel_at: "`+at+`"}
people:
  carol: {slack: U3CAROL, timezone: UTC}
  dave: {slack: U4DAVE}
`)
	sl := newSlack(t)
	stop := h.start(t, slackEnv(sl))
	h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", nil))
	h.settle(t)
	stop()
	h.start(t, slackEnv(sl))
	waitFor(t, "carol's digest and the channel's", func() bool {
		return len(sl.DMs("U3CAROL")) == 1 && len(sl.Messages("C1LEADS")) == 1
	})
	if dm := sl.DMs("U3CAROL")[0].Text; !strings.Contains(dm, "Waiting on you") || !strings.Contains(dm, "Codertocat/Hello-World#2") {
		t.Errorf("carol's digest:\n%s", dm)
	}
	if post := sl.Messages("C1LEADS")[0].Text; !strings.Contains(post, "1 pull requests wait") || !strings.Contains(post, "carol 1") {
		t.Errorf("the channel digest:\n%s", post)
	}
	time.Sleep(1500 * time.Millisecond)
	if n := len(sl.DMs("U4DAVE")); n != 0 {
		t.Errorf("dave got %d digests with nothing waiting", n)
	}
	if n, m := len(sl.DMs("U3CAROL")), len(sl.Messages("C1LEADS")); n != 1 || m != 1 {
		t.Errorf("digests: carol %d, channel %d; want one each", n, m)
	}
}
