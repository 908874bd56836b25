package slackfake

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/slack-go/slack"
)

func client(f *Fake, token string) *slack.Client {
	return slack.New(token, slack.OptionAPIURL(f.URL))
}

func TestAuthTest(t *testing.T) {
	t.Parallel()
	f := New(t)
	ctx := context.Background()
	res, err := client(f, Token).AuthTestContext(ctx)
	if err != nil || res.BotID != "B0BOT" {
		t.Fatalf("auth.test: %+v, %v", res, err)
	}
	if _, err := client(f, "xoxb-wrong").AuthTestContext(ctx); err == nil || err.Error() != "invalid_auth" {
		t.Errorf("wrong token: %v, want invalid_auth", err)
	}
	if _, err := client(f, "").AuthTestContext(ctx); err == nil || err.Error() != "not_authed" {
		t.Errorf("no token: %v, want not_authed", err)
	}
}

// withAlice is a fake with one user, U1ALICE, and a client of it.
func withAlice(t *testing.T) (*Fake, *slack.Client, context.Context) {
	f := New(t)
	f.AddUser("U1ALICE")
	return f, client(f, Token), context.Background()
}

func TestDirectMessageThenUpdate(t *testing.T) {
	t.Parallel()
	f, c, ctx := withAlice(t)
	ch, _, _, err := c.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{"U1ALICE"}})
	if err != nil {
		t.Fatal(err)
	}
	blocks := slack.MsgOptionBlocks(slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", "*review*", false, false), nil, nil))
	_, ts, err := c.PostMessageContext(ctx, ch.ID, slack.MsgOptionText("review please", false), blocks)
	if err != nil {
		t.Fatal(err)
	}
	_, _, _, err = c.UpdateMessageContext(ctx, ch.ID, ts, slack.MsgOptionText("reviewed by bob", false))
	if err != nil {
		t.Fatal(err)
	}
	dms := f.DMs("U1ALICE")
	if len(dms) != 1 || dms[0].Text != "reviewed by bob" || !dms[0].Edited {
		t.Errorf("alice sees %+v", dms)
	}
	if _, _, _, err := c.UpdateMessageContext(ctx, ch.ID, "1.000001x", slack.MsgOptionText("x", false)); err == nil ||
		err.Error() != "message_not_found" {
		t.Errorf("update of no message: %v", err)
	}
	if _, _, _, err := c.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{"U9NOBODY"}}); err == nil ||
		err.Error() != "user_not_found" {
		t.Errorf("open with an unknown user: %v", err)
	}
}

func TestChannelRefusals(t *testing.T) {
	t.Parallel()
	f := New(t)
	f.AddChannel("C1LEADS", "leads", true)
	f.AddChannel("C2OTHER", "other", false)
	f.AddChannel("C3OLD", "old", true)
	f.ArchiveChannel("C3OLD")
	ctx := context.Background()
	c := client(f, Token)
	text := slack.MsgOptionText("hi", false)
	for ch, want := range map[string]string{"C9NONE": "channel_not_found", "C2OTHER": "not_in_channel",
		"C3OLD": "is_archived", "#nope": "channel_not_found"} {
		if _, _, err := c.PostMessageContext(ctx, ch, text); err == nil || err.Error() != want {
			t.Errorf("post to %s: %v, want %s", ch, err, want)
		}
	}
	if _, _, err := c.PostMessageContext(ctx, "#leads", text); err != nil {
		t.Errorf("post by name: %v", err)
	}
	if _, _, err := c.PostMessageContext(ctx, "C1LEADS"); err == nil || err.Error() != "no_text" {
		t.Errorf("post without text: %v", err)
	}
	long := slack.MsgOptionText(strings.Repeat("x", maxText+1), false)
	if _, _, err := c.PostMessageContext(ctx, "C1LEADS", long); err == nil || err.Error() != "msg_too_long" {
		t.Errorf("post of a long text: %v", err)
	}
	big := slack.MsgOptionBlocks(slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", strings.Repeat("y", 3001), false, false), nil, nil))
	if _, _, err := c.PostMessageContext(ctx, "C1LEADS", text, big); err == nil || err.Error() != "invalid_blocks" {
		t.Errorf("post of a long section: %v", err)
	}
	f.SetScopes("im:write")
	if _, _, err := c.PostMessageContext(ctx, "C1LEADS", text); err == nil || err.Error() != "missing_scope" {
		t.Errorf("post without chat:write: %v", err)
	}
	if n := len(f.Messages("C1LEADS")); n != 1 {
		t.Errorf("%d messages in the channel, want 1", n)
	}
}

func TestInjectedFaultsAndRate(t *testing.T) {
	t.Parallel()
	f := New(t)
	f.AddChannel("C1LEADS", "leads", true)
	ctx := context.Background()
	c := client(f, Token)
	text := slack.MsgOptionText("hi", false)
	f.RateLimitNext("chat.postMessage", 7)
	_, _, err := c.PostMessageContext(ctx, "C1LEADS", text)
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter.Seconds() != 7 {
		t.Errorf("rate limited: %v", err)
	}
	f.FailNext("chat.postMessage", "fatal_error")
	if _, _, err := c.PostMessageContext(ctx, "C1LEADS", text); err == nil || err.Error() != "fatal_error" {
		t.Errorf("failure: %v", err)
	}
	f.PerChannelPerSecond = 1
	var wg sync.WaitGroup
	var mu sync.Mutex
	limited := 0
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := c.PostMessageContext(ctx, "C1LEADS", text)
			if errors.As(err, new(*slack.RateLimitedError)) {
				mu.Lock()
				limited++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if limited != 2 {
		t.Errorf("%d of 3 posts within a second were limited, want 2", limited)
	}
	if n := len(f.Messages("C1LEADS")); n != 1 {
		t.Errorf("%d messages kept, want 1", n)
	}
}

// Requests Slack would misread are reported: an argument it does not
// know, a token in a URL, a method it does not have.
func TestInvalidRequestsReported(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var reports []string
	f := NewWithReporter(t, func(s string) { mu.Lock(); reports = append(reports, s); mu.Unlock() })
	f.AddChannel("C1LEADS", "leads", true)
	post := func(path string, form url.Values) {
		resp, err := http.PostForm(f.URL+path, form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	post("chat.postMessage", url.Values{"token": {Token}, "channel": {"C1LEADS"}, "text": {"x"}, "chanel": {"C1"}})
	post("chat.postMessag", url.Values{"token": {Token}})
	resp, err := http.Get(f.URL + "chat.postMessage?token=" + Token + "&channel=C1LEADS&text=x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	mu.Lock()
	defer mu.Unlock()
	if len(reports) != 3 || !strings.Contains(reports[0], `"chanel"`) || !strings.Contains(reports[1], "no such method") ||
		!strings.Contains(reports[2], "HTTP GET is not accepted") {
		t.Errorf("reports: %q", reports)
	}
	calls := f.Calls()
	if len(calls) != 3 || calls[0].Error != "" {
		t.Errorf("calls: %+v", calls)
	}
}

// Metadata is kept through an edit and returned by conversations.history
// only with include_all_metadata; reading a DM needs im:history, and the
// token's scopes come back in auth.test's x-oauth-scopes header.
func TestHistoryReturnsMetadata(t *testing.T) {
	t.Parallel()
	f, c, ctx := withAlice(t)
	meta := slack.SlackMetadata{EventType: "reviewpolicy_message", EventPayload: map[string]any{"outbox_key": "k1"}}
	_, ts, err := c.PostMessageContext(ctx, "U1ALICE", slack.MsgOptionText("hello", false), slack.MsgOptionMetadata(meta))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := c.UpdateMessageContext(ctx, "D1ALICE", ts, slack.MsgOptionText("hello again", false)); err != nil {
		t.Fatal(err)
	}
	params := &slack.GetConversationHistoryParameters{ChannelID: "D1ALICE", IncludeAllMetadata: true, Oldest: "0"}
	if _, err := c.GetConversationHistoryContext(ctx, params); err == nil || err.Error() != "missing_scope" {
		t.Fatalf("history without im:history: %v, want missing_scope", err)
	}
	f.SetScopes("chat:write", "im:write", "im:history")
	res, err := c.GetConversationHistoryContext(ctx, params)
	if err != nil || len(res.Messages) != 1 {
		t.Fatalf("history: %+v, %v", res, err)
	}
	got := res.Messages[0]
	if got.Timestamp != ts || got.Metadata.EventType != "reviewpolicy_message" || got.Metadata.EventPayload["outbox_key"] != "k1" {
		t.Errorf("history returned %+v", got)
	}
	params.IncludeAllMetadata = false
	if res, err := c.GetConversationHistoryContext(ctx, params); err != nil || res.Messages[0].Metadata.EventType != "" {
		t.Errorf("metadata without include_all_metadata: %+v, %v", res, err)
	}
	params.Oldest = ts // exclusive
	if res, err := c.GetConversationHistoryContext(ctx, params); err != nil || len(res.Messages) != 0 {
		t.Errorf("history after the message: %+v, %v", res, err)
	}
	if _, _, err := c.PostMessageContext(ctx, "U1ALICE", slack.MsgOptionText("x", false),
		slack.MsgOptionMetadata(slack.SlackMetadata{EventType: "no_payload"})); err == nil || err.Error() != "invalid_metadata_format" {
		t.Errorf("metadata without a payload: %v", err)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, f.URL+"auth.test", nil)
	req.Header.Set("Authorization", "Bearer "+Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if h := resp.Header.Get("X-OAuth-Scopes"); h != "chat:write,im:history,im:write" {
		t.Errorf("x-oauth-scopes %q", h)
	}
}
