package main

import (
	"context"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/reviewpolicy/reviewpolicy/internal/slackfake"
)

// Same timing as slaPolicy: the reminder at 6 s, the breach at 16 s.
const notifyPolicy = `version: 1
reviewers:
  rules:
    - {name: docs, paths: ["*.md"], reviewers: [carol]}
sla:
  first_review: 16s
  remind_before: 10s
  escalate_to: [dave]
notify:
  slack: {channel: C1LEADS}
people:
  carol: {slack: U3CAROL}
  dave: {slack: U4DAVE}
`

func slackEnv(f *slackfake.Fake) map[string]string {
	return map[string]string{"REVIEWPOLICY_SLACK_BOT_TOKEN": slackfake.Token, "REVIEWPOLICY_SLACK_API_URL": f.URL}
}

func newSlack(t *testing.T) *slackfake.Fake {
	f := slackfake.New(t)
	f.AddUser("U3CAROL")
	f.AddUser("U4DAVE")
	f.AddChannel("C1LEADS", "leads", true)
	return f
}

func texts(ms []slackfake.Message) string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Text)
	}
	return strings.Join(out, "\n---\n")
}

// The whole life of a pull request in Slack, through serve: the request
// DMs the reviewer (a 429 on the way), the reminder DMs them again, the
// breach goes to the leads' channel and to escalate_to, and the review
// edits all of it in place. Deliveries come twice and at once; each
// message still goes out once. A reviewer a person requested who has no
// Slack ID gets a line in the check run.
func TestNotificationsReachSlackOnce(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", notifyPolicy)
	h.fake.RequestReviewers(owner, repoName, prNumber, "bob")
	sl := newSlack(t)
	sl.RateLimitNext("chat.postMessage", 1)
	h.start(t, slackEnv(sl))
	body := payload(t, "pull_request/opened.payload.json", nil)
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() { defer wg.Done(); h.send(t, "pull_request", "", body) }()
	}
	wg.Wait()
	h.send(t, "pull_request", "same-delivery", body)
	h.send(t, "pull_request", "same-delivery", body)

	waitFor(t, "the review request DM", func() bool { return len(sl.DMs("U3CAROL")) == 1 })
	dm := sl.DMs("U3CAROL")[0].Text
	for _, want := range []string{"Review requested", "Codertocat/Hello-World#2", "by Codertocat", "first review due"} {
		if !strings.Contains(dm, want) {
			t.Errorf("the DM lacks %q:\n%s", want, dm)
		}
	}
	waitFor(t, "the line about bob", func() bool {
		runs := h.checkRuns()
		return len(runs) == 1 && strings.Contains(runs[0].Summary, "bob has no Slack ID in people")
	})
	waitFor(t, "the reminder DM", func() bool { return len(sl.DMs("U3CAROL")) == 2 })
	if r := sl.DMs("U3CAROL")[1].Text; !strings.Contains(r, "Reminder") {
		t.Errorf("second DM is not the reminder:\n%s", r)
	}
	waitFor(t, "the breach in the channel", func() bool { return len(sl.Messages("C1LEADS")) == 1 })
	post := sl.Messages("C1LEADS")[0].Text
	if !strings.Contains(post, "Review overdue") || !strings.Contains(post, "<@U3CAROL>") || !strings.Contains(post, "<@U4DAVE>") {
		t.Errorf("the breach post:\n%s", post)
	}
	waitFor(t, "the DM to dave", func() bool { return len(sl.DMs("U4DAVE")) == 1 })

	h.fake.AddReview(owner, repoName, prNumber, "carol", "COMMENTED")
	review := payload(t, "pull_request_review/submitted.payload.json", func(m map[string]any) {
		m["review"].(map[string]any)["user"].(map[string]any)["login"] = "carol"
	})
	h.send(t, "pull_request_review", "", review)
	h.send(t, "pull_request_review", "", review)
	waitFor(t, "the edits", func() bool {
		for _, m := range append(sl.DMs("U3CAROL"), append(sl.Messages("C1LEADS"), sl.DMs("U4DAVE")...)...) {
			if !strings.Contains(m.Text, "Reviewed by carol after") {
				return false
			}
		}
		return true
	})
	h.settle(t)
	var mentions []string
	for _, c := range h.fake.Comments(owner, repoName, prNumber) {
		if strings.HasPrefix(c.Body, "<!-- reviewpolicy:mention") {
			mentions = append(mentions, c.Body)
			if c.MinimizedReason != "OUTDATED" {
				t.Errorf("a mention comment was not minimized after the review: %+v", c)
			}
		}
	}
	if len(mentions) != 2 || !strings.Contains(mentions[0], "Review reminder: @bob @carol") ||
		!strings.Contains(mentions[1], "overdue: @bob @carol @dave") {
		t.Errorf("mention comments (reminder, breach):\n%s", strings.Join(mentions, "\n---\n"))
	}
	if n := len(sl.DMs("U3CAROL")); n != 2 {
		t.Errorf("carol got %d DMs, want 2:\n%s", n, texts(sl.DMs("U3CAROL")))
	}
	if n, d := len(sl.Messages("C1LEADS")), len(sl.DMs("U4DAVE")); n != 1 || d != 1 {
		t.Errorf("channel posts %d, DMs to dave %d; want 1 and 1", n, d)
	}
	metrics := h.metrics(t)
	for _, want := range []string{
		`reviewpolicy_notify_messages_total{destination="slack_dm",kind="review_requested",outcome="sent"} 1`,
		`reviewpolicy_notify_messages_total{destination="slack_channel",kind="breach",outcome="sent"} 1`,
		`reviewpolicy_notify_messages_total{destination="slack_dm",kind="",outcome="rate_limited"} 1`,
		`reviewpolicy_notify_failures_total{destination="none",kind="review_requested",reason="no_slack_id"} 1`,
		"reviewpolicy_notify_outbox_depth 0",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// A channel Slack does not know is a line in the check run and a metric,
// not a failing job.
func TestUnknownChannelIsALineInTheCheckRun(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", strings.Replace(notifyPolicy,
		"first_review: 16s\n  remind_before: 10s", "first_review: 2s", 1))
	sl := newSlack(t)
	sl.FailNext("chat.postMessage", "channel_not_found") // the first DM: carol's request
	h.start(t, slackEnv(sl))
	h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", nil))
	waitFor(t, "the line in the check run", func() bool {
		runs := h.checkRuns()
		return len(runs) == 1 && strings.Contains(runs[0].Summary, "the review request DM to carol failed: `channel_not_found`")
	})
	if !strings.Contains(h.metrics(t), `reviewpolicy_notify_failures_total{destination="slack_dm",kind="review_requested",reason="channel_not_found"} 1`) {
		t.Error("the refusal is not counted")
	}
	waitFor(t, "the breach post", func() bool { return len(sl.Messages("C1LEADS")) == 1 })
}

// A token Slack refuses stops the start, saying which key is wrong.
func TestBadSlackTokenStopsTheStart(t *testing.T) {
	t.Parallel()
	h := setup(t)
	sl := newSlack(t)
	env := slackEnv(sl)
	env["REVIEWPOLICY_SLACK_BOT_TOKEN"] = "xoxb-revoked"
	err := run(context.Background(), []string{"serve", "--config", h.cfgPath}, func(k string) string { return env[k] },
		io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "slack.bot_token: Slack refused the token (invalid_auth)") {
		t.Errorf("serve with a bad token: %v", err)
	}
}
