package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/reviewpolicy/reviewpolicy/store"
)

// CheckToken asks Slack who the token belongs to (auth.test): a token Slack
// refuses stops the start with a clear error instead of failing every
// message later.
func CheckToken(ctx context.Context, c *slack.Client) error {
	res, err := c.AuthTestContext(ctx)
	if err != nil {
		var se slack.SlackErrorResponse
		if errors.As(err, &se) {
			return fmt.Errorf("slack.bot_token: Slack refused the token (%s); check REVIEWPOLICY_SLACK_BOT_TOKEN", se.Err)
		}
		return fmt.Errorf("slack.bot_token: checking the token with Slack (auth.test): %w", err)
	}
	if res.BotID == "" {
		return errors.New("slack.bot_token: the token is not a bot token (auth.test names no bot)")
	}
	return nil
}

// HistoryScopes are the Slack scopes that let the sender read back where
// it posted (conversations.history), to settle a post in doubt.
type HistoryScopes struct {
	DMs      bool // im:history
	Channels bool // channels:history or groups:history
}

// TokenScopes asks Slack which scopes the token has (auth.test answers
// them in its x-oauth-scopes header). slack-go does not expose the
// header, so this is a plain request.
func TokenScopes(ctx context.Context, hc *http.Client, apiURL, token string) (HistoryScopes, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(apiURL, "/")+"/auth.test", nil)
	if err != nil {
		return HistoryScopes{}, fmt.Errorf("slack.api_url: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := hc.Do(req)
	if err != nil {
		return HistoryScopes{}, fmt.Errorf("slack: reading the token's scopes (auth.test): %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	has := map[string]bool{}
	for _, sc := range strings.Split(resp.Header.Get("X-OAuth-Scopes"), ",") {
		has[strings.TrimSpace(sc)] = true
	}
	return HistoryScopes{DMs: has["im:history"], Channels: has["channels:history"] || has["groups:history"]}, nil
}

// postSlack posts a message to a channel, or DMs a person.
func (s *Sender) postSlack(ctx context.Context, m store.OutboxMessage) outcome {
	if s.Slack == nil {
		return outcome{failed: "Slack is not configured (slack.bot_token)"}
	}
	p, err := decode(m)
	if err != nil {
		return outcome{failed: "unreadable message: " + err.Error()}
	}
	target := strings.TrimPrefix(m.Dest, "slack:")
	if strings.HasPrefix(target, "U") || strings.HasPrefix(target, "W") {
		if target, err = s.openDM(ctx, target); err != nil {
			return s.classify(ctx, m.Dest, err)
		}
	}
	// none: no earlier post of this message can have landed.
	none := m.PostStartedAt.IsZero()
	if !none {
		o, found := s.findInDoubt(ctx, m, target)
		switch found {
		case postFound, lookUpFailed:
			return o
		}
		none = found == postAbsent
	}
	if at, ok := s.pace(m.Dest); !ok {
		return outcome{retryAt: at, unsent: none}
	}
	// Recorded before the post: if this process dies after Slack accepted
	// it, the next sender looks for it instead of posting it again.
	if held, err := s.Store.MarkOutboxPosting(ctx, m.ID, s.owner, s.Now()); err != nil {
		return outcome{err: err}
	} else if !held {
		return outcome{err: errors.New("lost the lease before posting")}
	}
	channel, ts, err := s.Slack.PostMessageContext(ctx, target, slack.MsgOptionText(p.SlackText(), false),
		slack.MsgOptionDisableLinkUnfurl(), slack.MsgOptionMetadata(messageMetadata(m.Key)))
	if err != nil {
		o := s.classify(ctx, m.Dest, err)
		// A 429 is a refusal: this attempt posted nothing.
		o.unsent = none && !o.retryAt.IsZero()
		return o
	}
	return outcome{channel: channel, ts: ts}
}

// MetadataEventType marks the app's messages in Slack; their metadata's
// payload carries the outbox key (MetadataKey), which the look-up of a
// post in doubt matches.
const (
	MetadataEventType = "reviewpolicy_message"
	MetadataKey       = "outbox_key"
)

func messageMetadata(key string) slack.SlackMetadata {
	return slack.SlackMetadata{EventType: MetadataEventType, EventPayload: map[string]any{MetadataKey: key}}
}

// openDM finds the DM channel with a person (conversations.open, which
// returns the existing one), remembered for the process's life.
func (s *Sender) openDM(ctx context.Context, user string) (string, error) {
	s.mu.Lock()
	ch, ok := s.dms[user]
	s.mu.Unlock()
	if ok {
		return ch, nil
	}
	c, _, _, err := s.Slack.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{user}})
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	s.dms[user] = c.ID
	s.mu.Unlock()
	return c.ID, nil
}

// update edits every Slack message sent for the pull request to say who
// reviewed it and after how long (chat.update; repeating an edit is
// harmless, so a retry redoes them all). It waits while another message of
// the pull request is being sent, so none is missed.
func (s *Sender) update(ctx context.Context, m store.OutboxMessage) outcome {
	busy, err := s.Store.OutboxInFlight(ctx, m.RepoID, m.Number, m.ID, s.Now())
	if err != nil {
		return outcome{err: err}
	}
	if busy {
		return outcome{retryAt: s.Now().Add(2 * time.Second)}
	}
	rev, err := decode(m)
	if err != nil {
		return outcome{failed: "unreadable message: " + err.Error()}
	}
	all, err := s.Store.OutboxOf(ctx, m.RepoID, m.Number)
	if err != nil {
		return outcome{err: err}
	}
	if err := s.followUpTeams(ctx, rev, all); err != nil {
		return outcome{err: err}
	}
	for _, sent := range all {
		if sent.State != store.OutboxSent || sent.SentTS == "" || !strings.HasPrefix(sent.Dest, "slack:") || s.Slack == nil {
			continue
		}
		p, err := decode(sent)
		if err != nil {
			continue
		}
		p.ReviewedBy, p.After = rev.ReviewedBy, rev.After
		_, _, _, err = s.Slack.UpdateMessageContext(ctx, sent.SentChannel, sent.SentTS, slack.MsgOptionText(p.SlackText(), false))
		var se slack.SlackErrorResponse
		if errors.As(err, &se) && (se.Err == "message_not_found" || se.Err == "channel_not_found" || se.Err == "cant_update_message") {
			continue // deleted meanwhile: nothing to edit
		}
		if err != nil {
			return s.classify(ctx, sent.Dest, err)
		}
	}
	return outcome{}
}

// followUpTeams answers each breach posted to Teams with a short card
// saying who reviewed and after how long: Teams posts cannot be edited, and
// the leads there should learn the breach is resolved. The follow-up's key
// is the breach's own plus "/reviewed", so a retried or redelivered review
// enqueues it once; it is sent like any message.
func (s *Sender) followUpTeams(ctx context.Context, p Payload, all []store.OutboxMessage) error {
	var msgs []store.OutboxMessage
	for _, sent := range all {
		if sent.State != store.OutboxSent || sent.Kind != KindBreach || !strings.HasPrefix(sent.Dest, "teams:") {
			continue
		}
		body, err := json.Marshal(Payload{Kind: KindReviewed, PR: p.PR, ReviewedBy: p.ReviewedBy, After: p.After})
		if err != nil {
			return err
		}
		f := sent
		f.ID, f.Key, f.Kind, f.Payload, f.State, f.DueAt = 0, sent.Key+"/reviewed", KindReviewed, body, "", time.Time{}
		msgs = append(msgs, f)
	}
	if len(msgs) == 0 {
		return nil
	}
	_, err := s.Store.EnqueueOutbox(ctx, msgs, s.Now())
	return err
}
