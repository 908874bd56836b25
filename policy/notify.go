package policy

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Notification events, as the policy's notify.events names them.
const (
	EventReviewRequested = "review_requested"
	EventReminder        = "reminder"
	EventBreach          = "breach"
	EventReviewed        = "reviewed"
	EventDigest          = "digest"
)

// NotifyEvents lists every event in the order the reference documents them.
var NotifyEvents = []string{EventReviewRequested, EventReminder, EventBreach, EventReviewed, EventDigest}

// NotifyPolicy is the "notify" area: where chat messages go. It holds no
// secrets: Teams is the name of a webhook the server's configuration holds.
type NotifyPolicy struct {
	SlackChannel string          // channel ID (C…, G…) or "#name"; "" none
	Teams        string          // webhook name from the server configuration; "" none
	Events       map[string]bool // the events sent; every event when the key is left out
	Digest       Digest
}

// On reports whether event is sent.
func (n *NotifyPolicy) On(event string) bool {
	return n != nil && n.Events[event]
}

// Digest is when the daily digests go out, as times of day: the personal
// one in each person's time zone, the channel's in the SLA's.
type Digest struct {
	At        time.Duration // since local midnight; default 09:00
	ChannelAt time.Duration // default 09:30
}

// Default digest times.
const (
	DefaultDigestAt        = 9 * time.Hour
	DefaultChannelDigestAt = 9*time.Hour + 30*time.Minute
)

var (
	// Slack member IDs: U… for users, W… for Enterprise Grid users.
	slackUserID = regexp.MustCompile(`^[UW][A-Z0-9]{2,20}$`)
	// Channel IDs: C… public, G… private (older), D… is a DM and not a channel.
	slackChannelID = regexp.MustCompile(`^[CG][A-Z0-9]{2,20}$`)
	// Slack channel names: lower case letters, digits, - and _, up to 80.
	slackChannelName = regexp.MustCompile(`^#[a-z0-9_-][a-z0-9_.-]{0,79}$`)
	// Webhook names as the server configuration's teams.webhooks keys.
	webhookName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)
)

func (d *decoder) notify(n *yaml.Node, path string) *NotifyPolicy {
	out := &NotifyPolicy{Events: map[string]bool{},
		Digest: Digest{At: DefaultDigestAt, ChannelAt: DefaultChannelDigestAt}}
	eventsSet := false
	for _, f := range d.optFields(n, path, "slack", "teams", "events", "digest") {
		switch f.key {
		case "slack":
			out.SlackChannel = d.slackChannel(f.val, f.path)
		case "teams":
			if s, ok := d.str(f.val, f.path); ok {
				if !webhookName.MatchString(s) {
					d.errAt(f.val, f.path, "%s is not a webhook name (lower-case letters, digits, - and _; "+
						"the name under teams.webhooks in the server configuration, never the URL)", q(s))
				} else {
					out.Teams = s
				}
			}
		case "events":
			eventsSet = true
			for _, e := range d.stringList(f.val, f.path, "events", false, checkEvent) {
				out.Events[e] = true
			}
		case "digest":
			out.Digest = d.digest(f.val, f.path)
		}
	}
	if !eventsSet {
		for _, e := range NotifyEvents {
			out.Events[e] = true
		}
	}
	return out
}

func checkEvent(s string) (string, error) {
	if !contains(NotifyEvents, s) {
		return "", fmt.Errorf("unknown event %s (want %s)%s", q(s), strings.Join(NotifyEvents, ", "),
			didYouMean(s, NotifyEvents))
	}
	return s, nil
}

func (d *decoder) slackChannel(n *yaml.Node, path string) string {
	var ch string
	fs := d.fields(n, path, "channel")
	for _, f := range fs {
		s, ok := d.str(f.val, f.path)
		if !ok {
			continue
		}
		if !slackChannelID.MatchString(s) && !slackChannelName.MatchString(s) {
			d.errAt(f.val, f.path, "%s is not a Slack channel: write its ID (C0123456789, from the channel's "+
				"details) or \"#name\" in lower case", q(s))
			continue
		}
		ch = s
	}
	if resolve(n).Kind == yaml.MappingNode && !hasKey(fs, "channel") {
		d.errAt(n, path, "missing channel (e.g. slack: {channel: C0123456789})")
	}
	return ch
}

func (d *decoder) slackID(n *yaml.Node, path string) string {
	s, ok := d.str(n, path)
	if !ok {
		return ""
	}
	if !slackUserID.MatchString(s) {
		d.errAt(n, path, "%s is not a Slack member ID (U or W then capitals and digits, e.g. U0123ABCD; "+
			"in Slack: the person's profile, ⋮, Copy member ID)", q(s))
		return ""
	}
	return s
}

func (d *decoder) digest(n *yaml.Node, path string) Digest {
	out := Digest{At: DefaultDigestAt, ChannelAt: DefaultChannelDigestAt}
	for _, f := range d.fields(n, path, "at", "channel_at") {
		s, ok := d.str(f.val, f.path)
		if !ok {
			continue
		}
		t, err := parseClock(s)
		if err == nil && t >= 24*time.Hour {
			err = fmt.Errorf("%s is not a time of day (want 00:00 to 23:59)", q(s))
		}
		if err != nil {
			d.errAt(f.val, f.path, "%v", err)
			continue
		}
		if f.key == "at" {
			out.At = t
		} else {
			out.ChannelAt = t
		}
	}
	return out
}

// describeNotify adds the notify area's changes to a policy diff.
func describeNotify(c *changes, old, new *NotifyPolicy) {
	old, new, ok := area(c, "notify", old, new)
	if !ok {
		return
	}
	const a = "notify"
	c.change(a, "slack channel", old.SlackChannel, new.SlackChannel)
	c.change(a, "teams", old.Teams, new.Teams)
	c.change(a, "events", eventsText(old.Events), eventsText(new.Events))
	c.change(a, "digest at", clockText(old.Digest.At), clockText(new.Digest.At))
	c.change(a, "channel digest at", clockText(old.Digest.ChannelAt), clockText(new.Digest.ChannelAt))
}

func eventsText(on map[string]bool) string {
	var out []string
	for _, e := range NotifyEvents {
		if on[e] {
			out = append(out, e)
		}
	}
	return strings.Join(out, ", ")
}

func clockText(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return fmt.Sprintf("%02d:%02d", int(d.Hours()), int(d.Minutes())%60)
}
