package slackfake

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// call runs a method whose request is valid; f.mu is held. It returns the
// result's fields, or Slack's error code, or a Retry-After in seconds.
func (f *Fake) call(name string, args url.Values) (res map[string]any, code string, retryAfter int) {
	for i, flt := range f.faults {
		if flt.method == name {
			f.faults = append(f.faults[:i], f.faults[i+1:]...)
			return nil, flt.err, flt.retryAfter
		}
	}
	switch name {
	case "auth.test":
		return map[string]any{"url": "https://fake.slack.com/", "team": "Fake", "team_id": "T0FAKE",
			"user": "reviewpolicy", "user_id": "U0BOT", "bot_id": "B0BOT"}, "", 0
	case "conversations.open":
		return f.open(args)
	case "chat.postMessage":
		return f.post(args)
	case "chat.update":
		return f.update(args)
	case "conversations.history":
		return f.history(args)
	}
	return nil, "unknown_method", 0
}

func (f *Fake) open(args url.Values) (map[string]any, string, int) {
	users := strings.Split(args.Get("users"), ",")
	if args.Get("users") == "" || len(users) != 1 {
		// Group DMs are not something the app opens.
		return nil, "users_list_not_supplied", 0
	}
	u := users[0]
	if !f.users[u] {
		return nil, "user_not_found", 0
	}
	id := dmID(u)
	if f.channels[id] == nil {
		f.channels[id] = &channel{id: id, member: true, dmUser: u}
	}
	return map[string]any{"channel": map[string]any{"id": id}}, "", 0
}

// resolve finds the channel a message is posted to: an ID, a "#name", an
// opened DM, or a user ID (Slack posts that to the app's DM with them).
func (f *Fake) resolve(ref string) (*channel, string) {
	if name, ok := strings.CutPrefix(ref, "#"); ok {
		for _, c := range f.channels {
			if c.name == name && c.dmUser == "" {
				return c, ""
			}
		}
		return nil, "channel_not_found"
	}
	if strings.HasPrefix(ref, "U") || strings.HasPrefix(ref, "W") {
		if !f.users[ref] {
			return nil, "channel_not_found"
		}
		f.open(url.Values{"users": {ref}})
		ref = dmID(ref)
	}
	c := f.channels[ref]
	if c == nil {
		return nil, "channel_not_found"
	}
	return c, ""
}

func (f *Fake) post(args url.Values) (map[string]any, string, int) {
	c, code := f.resolve(args.Get("channel"))
	switch {
	case code != "":
		return nil, code, 0
	case c.archived:
		return nil, "is_archived", 0
	case !c.member:
		return nil, "not_in_channel", 0
	}
	if code := checkContent(args); code != "" {
		return nil, code, 0
	}
	if f.PerChannelPerSecond > 0 && c.dmUser == "" {
		now := f.now()
		var keep []time.Time
		for _, t := range f.recent[c.id] {
			if now.Sub(t) < time.Second {
				keep = append(keep, t)
			}
		}
		if len(keep) >= f.PerChannelPerSecond {
			f.recent[c.id] = keep
			return nil, "", 1
		}
		f.recent[c.id] = append(keep, now)
	}
	meta, code := readMetadata(args.Get("metadata"))
	if code != "" {
		return nil, code, 0
	}
	m := &Message{Channel: c.id, TS: f.nextTS(), Text: args.Get("text"), Blocks: args.Get("blocks"), Metadata: meta}
	c.messages = append(c.messages, m)
	return map[string]any{"channel": c.id, "ts": m.TS, "message": map[string]any{"text": m.Text, "ts": m.TS}}, "", 0
}

func (f *Fake) update(args url.Values) (map[string]any, string, int) {
	c := f.channels[args.Get("channel")] // chat.update takes IDs only
	if c == nil {
		return nil, "channel_not_found", 0
	}
	if code := checkContent(args); code != "" {
		return nil, code, 0
	}
	meta, code := readMetadata(args.Get("metadata"))
	if code != "" {
		return nil, code, 0
	}
	for _, m := range c.messages {
		if m.TS == args.Get("ts") {
			m.Text, m.Blocks, m.Edited = args.Get("text"), args.Get("blocks"), true
			if meta != nil {
				m.Metadata = meta
			}
			return map[string]any{"channel": c.id, "ts": m.TS, "text": m.Text}, "", 0
		}
	}
	return nil, "message_not_found", 0
}

// checkContent applies Slack's rules for a message's text and blocks.
func checkContent(args url.Values) string {
	text, blocks := args.Get("text"), args.Get("blocks")
	if text == "" && blocks == "" && args.Get("attachments") == "" {
		return "no_text"
	}
	if len(text) > maxText {
		return "msg_too_long"
	}
	if blocks == "" {
		return ""
	}
	var bs []struct {
		Type string `json:"type"`
		Text *struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"text"`
	}
	if err := json.Unmarshal([]byte(blocks), &bs); err != nil || len(bs) > maxBlocks {
		return "invalid_blocks"
	}
	for _, b := range bs {
		if b.Type == "" || (b.Type == "section" && (b.Text == nil || len(b.Text.Text) > 3000 || b.Text.Text == "")) {
			return "invalid_blocks"
		}
	}
	return ""
}

// nextTS is a message's ts: the fake's clock in seconds and microseconds,
// made unique and increasing like Slack's within a channel.
func (f *Fake) nextTS() string {
	us := f.now().UnixMicro()
	if us <= f.lastTS {
		us = f.lastTS + 1
	}
	f.lastTS = us
	return fmt.Sprintf("%d.%06d", us/1e6, us%1e6)
}

// Metadata is a message's metadata as chat.postMessage took it.
type Metadata struct {
	EventType    string         `json:"event_type"`
	EventPayload map[string]any `json:"event_payload"`
}

// readMetadata checks a message's metadata argument as Slack does: JSON
// with an event_type and an event_payload object.
func readMetadata(raw string) (*Metadata, string) {
	if raw == "" {
		return nil, ""
	}
	var m Metadata
	if err := json.Unmarshal([]byte(raw), &m); err != nil || m.EventType == "" || m.EventPayload == nil {
		return nil, "invalid_metadata_format"
	}
	return &m, ""
}

// history answers conversations.history: the messages newer than oldest
// (older than latest), newest first, limit at a time with a cursor, and
// their metadata only when include_all_metadata is set. Reading a DM needs
// im:history, a channel channels:history or groups:history.
func (f *Fake) history(args url.Values) (map[string]any, string, int) {
	c := f.channels[args.Get("channel")]
	switch {
	case c == nil:
		return nil, "channel_not_found", 0
	case c.dmUser != "" && !f.scopes["im:history"]:
		return nil, "missing_scope", 0
	case c.dmUser == "" && !f.scopes["channels:history"] && !f.scopes["groups:history"]:
		return nil, "missing_scope", 0
	case !c.member:
		return nil, "not_in_channel", 0
	}
	oldest, latest := tsArg(args.Get("oldest"), 0), tsArg(args.Get("latest"), math.MaxFloat64)
	inclusive := oneOf(args.Get("inclusive"), "true", "1")
	withMeta := oneOf(args.Get("include_all_metadata"), "true", "1")
	var picked []map[string]any
	for i := len(c.messages) - 1; i >= 0; i-- {
		m := c.messages[i]
		ts := tsArg(m.TS, 0)
		if ts < oldest || ts > latest || (!inclusive && (ts == oldest || ts == latest)) {
			continue
		}
		out := map[string]any{"type": "message", "ts": m.TS, "text": m.Text, "user": "U0BOT", "bot_id": "B0BOT"}
		if withMeta && m.Metadata != nil {
			out["metadata"] = m.Metadata
		}
		picked = append(picked, out)
	}
	limit, err := strconv.Atoi(args.Get("limit"))
	if err != nil || limit <= 0 || limit > 999 {
		limit = 100
	}
	from, _ := strconv.Atoi(args.Get("cursor"))
	from = min(max(from, 0), len(picked))
	to := min(from+limit, len(picked))
	res := map[string]any{"messages": picked[from:to], "has_more": to < len(picked)}
	if to < len(picked) {
		res["response_metadata"] = map[string]any{"next_cursor": strconv.Itoa(to)}
	}
	return res, "", 0
}

func tsArg(s string, def float64) float64 {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return def
	}
	return v
}
