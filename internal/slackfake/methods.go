package slackfake

import (
	"encoding/json"
	"fmt"
	"net/url"
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
	f.seq++
	m := &Message{Channel: c.id, TS: fmt.Sprintf("%d.%06d", 1700000000+f.seq, f.seq), Text: args.Get("text"),
		Blocks: args.Get("blocks")}
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
	for _, m := range c.messages {
		if m.TS == args.Get("ts") {
			m.Text, m.Blocks, m.Edited = args.Get("text"), args.Get("blocks"), true
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
