package handlers

import (
	"fmt"
	"strings"
	"testing"

	"github.com/reviewpolicy/reviewpolicy/notify"
	"github.com/reviewpolicy/reviewpolicy/policy"
	"github.com/reviewpolicy/reviewpolicy/policy/check"
	"github.com/reviewpolicy/reviewpolicy/store"
)

func TestNotifyLines(t *testing.T) {
	t.Parallel()
	pol := &policy.Policy{People: map[string]policy.Person{"carol": {Slack: "U3CAROL"}}}
	msgs := []store.OutboxMessage{
		{State: store.OutboxFailed, Kind: notify.KindBreach, Dest: "slack:C1LEADS", LastError: "not_in_channel"},
		{State: store.OutboxFailed, Kind: notify.KindReminder, Person: "dave", Dest: "slack:U4DAVE", LastError: "user_not_found"},
		{State: store.OutboxFailed, Kind: notify.KindReminder, Person: "bob", Dest: notify.DestNone, LastError: "bob has no Slack ID in people"},
		// carol has an ID now: the old problem is not shown.
		{State: store.OutboxFailed, Kind: notify.KindReminder, Person: "carol", Dest: notify.DestNone, LastError: "carol has no Slack ID in people"},
		{State: store.OutboxSent, Kind: notify.KindBreach, Dest: "slack:C2"},
	}
	rep := check.Report{Summary: "## Policy"}
	notifyLines(&rep, pol, msgs, []string{"bob has no Slack ID in people", "erin_x has no Slack ID in people"})
	want := "## Policy\n\n### Notifications\n\n" +
		"- bob has no Slack ID in people\n" +
		"- erin\\_x has no Slack ID in people\n" +
		"- the breach post to C1LEADS failed: `not_in_channel`\n" +
		"- the reminder DM to dave failed: `user_not_found`\n"
	if rep.Summary != want {
		t.Errorf("summary:\n%s\nwant:\n%s", rep.Summary, want)
	}

	var many []string
	for i := range 30 {
		many = append(many, fmt.Sprintf("p%02d has no Slack ID in people", i))
	}
	rep = check.Report{}
	notifyLines(&rep, pol, nil, many)
	if !strings.HasSuffix(rep.Summary, "- and 20 more\n") || strings.Count(rep.Summary, "\n- ") != 11 {
		t.Errorf("30 problems:\n%s", rep.Summary)
	}
	full := check.Report{Summary: strings.Repeat("x", check.MaxSummary-10)}
	notifyLines(&full, pol, nil, many)
	if len(full.Summary) != check.MaxSummary-10 {
		t.Errorf("the section pushed the summary to %d bytes", len(full.Summary))
	}
	empty := check.Report{Summary: "s"}
	notifyLines(&empty, pol, msgs[4:], nil)
	if empty.Summary != "s" {
		t.Errorf("nothing to say, yet: %q", empty.Summary)
	}
}
