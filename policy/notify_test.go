package policy

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseNotify(t *testing.T) {
	t.Parallel()
	p, err := Parse("p.yml", []byte(`version: 1
notify:
  slack: {channel: C0123456789}
  teams: backend-leads
  events: [breach, reviewed]
  digest: {at: "08:15"}
people:
  alice: {slack: U0123ABCD, timezone: Europe/Berlin}
`))
	if err != nil {
		t.Fatal(err)
	}
	n := p.Notify
	want := &NotifyPolicy{SlackChannel: "C0123456789", Teams: "backend-leads",
		Events: map[string]bool{EventBreach: true, EventReviewed: true},
		Digest: Digest{At: 8*time.Hour + 15*time.Minute, ChannelAt: DefaultChannelDigestAt}}
	if !reflect.DeepEqual(n, want) {
		t.Errorf("notify = %+v, want %+v", n, want)
	}
	if n.On(EventReviewRequested) || !n.On(EventBreach) {
		t.Errorf("On: review_requested %v, breach %v", n.On(EventReviewRequested), n.On(EventBreach))
	}
	if p.People["alice"].Slack != "U0123ABCD" {
		t.Errorf("alice's slack = %q", p.People["alice"].Slack)
	}
	p, err = Parse("p.yml", []byte("version: 1\nnotify: {slack: {channel: '#review-leads'}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range NotifyEvents {
		if !p.Notify.On(e) {
			t.Errorf("default events lack %s", e)
		}
	}
	var nilPolicy *NotifyPolicy
	if nilPolicy.On(EventBreach) {
		t.Error("a policy without notify sends")
	}
}

func TestParseNotifyErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, src, want string }{
		{"bad slack id", "version: 1\npeople: {alice: {slack: alice}}\n",
			`2:25: people.alice.slack: "alice" is not a Slack member ID`},
		{"lower-case slack id", "version: 1\npeople: {alice: {slack: u0123abcd}}\n",
			`2:25: people.alice.slack: "u0123abcd" is not a Slack member ID`},
		{"channel name", "version: 1\nnotify: {slack: {channel: 'Review Leads'}}\n",
			`2:27: notify.slack.channel: "Review Leads" is not a Slack channel`},
		{"dm as channel", "version: 1\nnotify: {slack: {channel: D0123ABCD}}\n",
			`2:27: notify.slack.channel: "D0123ABCD" is not a Slack channel`},
		{"missing channel", "version: 1\nnotify: {slack: {}}\n", `2:17: notify.slack: missing channel`},
		{"teams url", "version: 1\nnotify: {teams: 'https://x.example/hook'}\n",
			`2:17: notify.teams: "https://x.example/hook" is not a webhook name`},
		{"unknown event", "version: 1\nnotify: {events: [breech]}\n",
			`2:19: notify.events[0]: unknown event "breech" (want review_requested, reminder, breach, reviewed, digest); did you mean breach?`},
		{"digest time", "version: 1\nnotify: {digest: {at: '24:00'}}\n",
			`2:23: notify.digest.at: "24:00" is not a time of day`},
		{"digest key", "version: 1\nnotify: {digest: {channel: '09:00'}}\n",
			`2:19: notify.digest: unknown key "channel"; did you mean channel_at?`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("p.yml", []byte(tt.src))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v\nwant it to contain %s", err, tt.want)
			}
		})
	}
}

func TestResolveNotifyAndPeople(t *testing.T) {
	t.Parallel()
	org, err := Parse("org.yml", []byte("version: 1\nnotify: {slack: {channel: C1ORG}}\npeople: {alice: {slack: U1ALICE}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := ParseFile("repo.yml", []byte("version: 1\nextends: org\npeople: {bob: {slack: U2BOB}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	got := Resolve(f, org)
	if got.Notify == nil || got.Notify.SlackChannel != "C1ORG" {
		t.Errorf("notify not inherited: %+v", got.Notify)
	}
	if got.People["alice"].Slack != "U1ALICE" || got.People["bob"].Slack != "U2BOB" {
		t.Errorf("people = %+v", got.People)
	}
	lines := Describe(org, got)
	if len(lines) == 0 || !strings.Contains(strings.Join(lines, "\n"), "bob added (slack U2BOB)") {
		t.Errorf("describe = %q", lines)
	}
}
