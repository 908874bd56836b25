package command

import (
	"fmt"
	"strings"
)

// Roles are who stands where on one pull request. Logins are lower-cased.
type Roles struct {
	Author    string
	Leads     map[string]bool // the policy's `leads`, teams expanded
	Requested map[string]bool // reviewers requested now
}

// Outcome is what became of one command.
type Outcome struct {
	Command Command
	OK      bool
	// Why: for a refusal, why and who may, in plain words for the reply.
	Why string
}

// Authorize decides whether actor may run c.
func Authorize(c Command, actor string, r Roles) Outcome {
	actor = strings.ToLower(actor)
	o := Outcome{Command: c}
	switch c.Kind {
	case "":
		o.Why = c.Err + "; the commands are explain, reassign [@login], snooze DURATION REASON and skip template REASON"
	case Explain:
		o.OK = true
	case Reassign:
		o.OK = actor == r.Author || r.Leads[actor] || r.Requested[actor]
		o.Why = "reassign may be run by the author, a lead or a requested reviewer"
	case Snooze, SkipTemplate:
		o.OK = r.Leads[actor]
		o.Why = fmt.Sprintf("%s may be run by a lead (the policy's leads)", c.Kind)
		if len(r.Leads) == 0 {
			o.Why = fmt.Sprintf("%s may be run by a lead, and the policy names no leads", c.Kind)
		}
	}
	if o.OK {
		o.Why = ""
	}
	return o
}

// AllOK reports whether every command may run: the comment gets 👍, or 😕
// and a reply.
func AllOK(outs []Outcome) bool {
	for _, o := range outs {
		if !o.OK {
			return false
		}
	}
	return true
}

// Reply is the short answer to a comment with refused or unclear commands:
// plain words only (the handler renders them inert), one line each.
func Reply(outs []Outcome) []string {
	var lines []string
	for _, o := range outs {
		if o.OK {
			continue
		}
		what := string(o.Command.Kind)
		if what == "" {
			what = "line " + fmt.Sprint(o.Command.Line)
		}
		lines = append(lines, fmt.Sprintf("%s: not done: %s.", what, o.Why))
	}
	return lines
}
