package command

import (
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want []Command
	}{
		{"explain, any case", "/ReviewPolicy EXPLAIN", []Command{{Kind: Explain, Line: 1}}},
		{"reassign to someone", "thanks!\n/reviewpolicy reassign @Dana", []Command{{Kind: Reassign, Line: 2, Login: "Dana"}}},
		{"reassign to the next", "/reviewpolicy reassign", []Command{{Kind: Reassign, Line: 1}}},
		{"snooze", "/reviewpolicy snooze 4h waiting for  the vendor ", []Command{{Kind: Snooze, Line: 1, For: 4 * time.Hour, Reason: "waiting for  the vendor"}}},
		{"snooze in days", "/reviewpolicy snooze 2d holiday", []Command{{Kind: Snooze, Line: 1, For: 48 * time.Hour, Reason: "holiday"}}},
		{"skip template", "/reviewpolicy skip template hotfix, see INC-1", []Command{{Kind: SkipTemplate, Line: 1, Reason: "hotfix, see INC-1"}}},
		{"two commands", "/reviewpolicy explain\r\n/reviewpolicy reassign", []Command{{Kind: Explain, Line: 1}, {Kind: Reassign, Line: 2}}},
		{"in a fence", "```\n/reviewpolicy explain\n```\n", nil},
		{"in a tilde fence", "~~~~md\n/reviewpolicy explain\n~~~\n/reviewpolicy explain\n~~~~", nil},
		{"after a fence", "```\nx\n```\n/reviewpolicy explain", []Command{{Kind: Explain, Line: 4}}},
		{"quoted", "> /reviewpolicy explain", nil},
		{"indented code", "    /reviewpolicy explain", nil},
		{"html comment", "<!--\n/reviewpolicy explain\n-->", nil},
		{"mid-sentence", "please run /reviewpolicy explain", nil},
		{"prefix only", "/reviewpolicy", []Command{{Line: 1, Err: "no command given"}}},
		{"unknown", "/reviewpolicy approve", []Command{{Line: 1, Err: "unknown command"}}},
		{"snooze without reason", "/reviewpolicy snooze 4h", []Command{{Line: 1, Err: "snooze needs a reason after the duration"}}},
		{"snooze too long", "/reviewpolicy snooze 30d x", []Command{{Line: 1, Err: "snooze is at most 7d"}}},
		{"snooze bad duration", "/reviewpolicy snooze soon x", []Command{{Line: 1, Err: "snooze needs a duration such as 4h, 90m or 2d"}}},
		{"skip without reason", "/reviewpolicy skip template", []Command{{Line: 1, Err: "skip template needs a reason"}}},
		{"reassign bad login", "/reviewpolicy reassign @a_b", []Command{{Line: 1, Err: "reassign takes a login such as @alice"}}},
	}
	for _, tt := range tests {
		got := Parse(tt.body)
		if len(got) != len(tt.want) {
			t.Errorf("%s: Parse = %+v, want %+v", tt.name, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("%s: command %d = %+v, want %+v", tt.name, i, got[i], tt.want[i])
			}
		}
	}
}

func TestParseBounds(t *testing.T) {
	t.Parallel()
	if n := len(Parse(strings.Repeat("/reviewpolicy explain\n", 1000))); n != MaxCommands {
		t.Errorf("%d commands read, want %d", n, MaxCommands)
	}
	long := "/reviewpolicy skip template " + strings.Repeat("é", 1000)
	c := Parse(long)[0]
	if len(c.Reason) > MaxReason || !strings.HasPrefix(c.Reason, "é") || strings.ToValidUTF8(c.Reason, "?") != c.Reason {
		t.Errorf("reason of %d bytes, valid UTF-8: %v", len(c.Reason), strings.ToValidUTF8(c.Reason, "?") == c.Reason)
	}
	huge := strings.Repeat("x", MaxBody) + "\n/reviewpolicy explain"
	if got := Parse(huge); len(got) != 0 {
		t.Errorf("a command past MaxBody was read: %+v", got)
	}
}

func TestAuthorize(t *testing.T) {
	t.Parallel()
	r := Roles{Author: "ann", Leads: map[string]bool{"lee": true}, Requested: map[string]bool{"rex": true}}
	tests := []struct {
		kind  Kind
		actor string
		ok    bool
	}{
		{Explain, "anyone", true},
		{Reassign, "Ann", true}, {Reassign, "lee", true}, {Reassign, "rex", true}, {Reassign, "eve", false},
		{Snooze, "lee", true}, {Snooze, "ann", false}, {Snooze, "rex", false},
		{SkipTemplate, "LEE", true}, {SkipTemplate, "ann", false},
	}
	for _, tt := range tests {
		o := Authorize(Command{Kind: tt.kind}, tt.actor, r)
		if o.OK != tt.ok || (o.OK == (o.Why != "")) {
			t.Errorf("%s by %s: ok %v why %q, want ok %v", tt.kind, tt.actor, o.OK, o.Why, tt.ok)
		}
	}
	o := Authorize(Command{Kind: Snooze}, "lee", Roles{})
	if o.OK || !strings.Contains(o.Why, "names no leads") {
		t.Errorf("no leads: %+v", o)
	}
	lines := Reply([]Outcome{o, {OK: true}, Authorize(Command{Line: 3, Err: "unknown command"}, "x", r)})
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "snooze: not done: snooze may be run by a lead") ||
		!strings.HasPrefix(lines[1], "line 3: not done: unknown command; the commands are") {
		t.Errorf("Reply = %q", lines)
	}
}
