package notify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/slack-go/slack"

	"github.com/reviewpolicy/reviewpolicy/store"
)

// A post is in doubt when a sender began it and recorded no outcome: it
// died (or timed out) perhaps after Slack accepted the post. Slack's
// chat.postMessage has no idempotency key, so every post carries its
// outbox key in its metadata, and a post in doubt is looked for in the
// conversation (conversations.history from the first attempt's start)
// before it is sent again. That needs the conversation's history scope;
// without it the message is sent again (at least once), and counted.

// clockSkew widens the look-up: Slack's ts comes from Slack's clock, the
// start from ours.
const clockSkew = 5 * time.Minute

// historyPages bounds the look-up: a conversation busier than this many
// pages of 200 since the attempt is not searched to its end.
const historyPages = 5

// What the look-up of a post in doubt found.
type lookUp int

const (
	postFound    lookUp = iota // it landed: its outcome records where
	postAbsent                 // Slack was asked and it is not there: post it
	postUnknown                // it cannot be looked up (no scope): post it again, counted
	lookUpFailed               // the look-up failed: its outcome is retried
)

// findInDoubt looks for message m, in doubt, in channel.
func (s *Sender) findInDoubt(ctx context.Context, m store.OutboxMessage, channel string) (outcome, lookUp) {
	label := destLabel(m.Dest)
	if !s.canRead(label) {
		s.Metrics.count(m.Kind, label, "resent_unverified")
		s.Logger.Warn("notify: a post in doubt is sent again (no history scope to look it up)", "key", m.Key)
		return outcome{}, postUnknown
	}
	ts, err := s.lookUpKey(ctx, channel, m.Key, m.PostStartedAt.Add(-clockSkew))
	var se slack.SlackErrorResponse
	switch {
	case errors.As(err, &se) && (se.Err == "missing_scope" || se.Err == "not_in_channel"):
		// A private channel without groups:history, say.
		s.Metrics.count(m.Kind, label, "resent_unverified")
		return outcome{}, postUnknown
	case err != nil:
		return s.classify(ctx, m.Dest, err), lookUpFailed
	case ts != "":
		s.Metrics.count(m.Kind, label, "found_in_doubt")
		s.Logger.Info("notify: a post in doubt had landed; not sent again", "key", m.Key, "ts", ts)
		return outcome{channel: channel, ts: ts}, postFound
	}
	return outcome{}, postAbsent
}

func (s *Sender) canRead(label string) bool {
	switch label {
	case "slack_dm":
		return s.History.DMs
	case "slack_channel":
		return s.History.Channels
	}
	return false
}

// lookUpKey finds the ts of the app's message with key in channel, posted
// after since; "" when there is none.
func (s *Sender) lookUpKey(ctx context.Context, channel, key string, since time.Time) (string, error) {
	params := &slack.GetConversationHistoryParameters{ChannelID: channel, IncludeAllMetadata: true, Limit: 200,
		Oldest: fmt.Sprintf("%d.%06d", since.Unix(), since.Nanosecond()/1000)}
	for range historyPages {
		res, err := s.Slack.GetConversationHistoryContext(ctx, params)
		if err != nil {
			return "", err
		}
		for _, msg := range res.Messages {
			if msg.Metadata.EventType == MetadataEventType && fmt.Sprint(msg.Metadata.EventPayload[MetadataKey]) == key {
				return msg.Timestamp, nil
			}
		}
		if !res.HasMore || res.ResponseMetaData.NextCursor == "" {
			return "", nil
		}
		params.Cursor = res.ResponseMetaData.NextCursor
	}
	return "", fmt.Errorf("more than %d pages of history in %s since %s", historyPages, channel, since.UTC().Format(time.RFC3339))
}
