// Package command reads the commands people write to the app in pull
// request comments ("/reviewpolicy explain") and decides who may run them.
//
// It is pure: the handler gives it the comment's text and the people's
// roles, and gets back what to do and what to answer. Comment text is
// hostile: parsing is bounded in time and memory, and nothing it returns
// for display carries the text's markup.
package command

import (
	"regexp"
	"strings"
	"time"

	"github.com/reviewpolicy/reviewpolicy/policy"
)

// Kind names a command.
type Kind string

// Commands.
const (
	Explain      Kind = "explain"
	Reassign     Kind = "reassign"
	Snooze       Kind = "snooze"
	SkipTemplate Kind = "skip template"
)

// Prefix starts every command line, compared case-insensitively.
const Prefix = "/reviewpolicy"

// Limits on what one comment can ask.
const (
	MaxBody     = 65536 // GitHub's comment size; the rest is not read
	MaxCommands = 10    // commands read from one comment
	MaxReason   = 300   // bytes of a reason kept
	MaxSnooze   = 7 * 24 * time.Hour
)

// Command is one command line.
type Command struct {
	Kind   Kind          // "" when not understood (see Err)
	Line   int           // 1-based line in the comment
	Login  string        // reassign: the person named, without "@"; "" none
	For    time.Duration // snooze: how long
	Reason string        // snooze, skip template: why, as written (trimmed, cut to MaxReason)
	// Err says why the line was not understood, for the reply.
	Err string
}

var loginRe = regexp.MustCompile(`^@?([A-Za-z0-9](?:-?[A-Za-z0-9]){0,38})$`)

// Parse returns the commands of a comment, one per line, in order, at most
// MaxCommands. Lines inside code fences, indented code, block quotes and
// HTML comments are not commands: people quote and show commands without
// meaning to run them.
func Parse(body string) []Command {
	if len(body) > MaxBody {
		body = body[:MaxBody]
	}
	var out []Command
	var b blocks
	for i, line := range strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n") {
		if len(out) >= MaxCommands {
			break
		}
		if !b.visible(line) {
			continue
		}
		if c, ok := parseLine(strings.TrimSpace(line)); ok {
			c.Line = i + 1
			out = append(out, c)
		}
	}
	return out
}

// parseLine reads one visible, trimmed line.
func parseLine(line string) (Command, bool) {
	fields := strings.Fields(line)
	if len(fields) == 0 || !strings.EqualFold(fields[0], Prefix) {
		return Command{}, false
	}
	args := fields[1:]
	if len(args) == 0 {
		return Command{Err: "no command given"}, true
	}
	switch strings.ToLower(args[0]) {
	case "explain":
		return Command{Kind: Explain}, true
	case "reassign":
		return parseReassign(args[1:]), true
	case "snooze":
		return parseSnooze(line, args[1:]), true
	case "skip":
		if len(args) < 2 || !strings.EqualFold(args[1], "template") {
			return Command{Err: "unknown command; did you mean skip template?"}, true
		}
		c := Command{Kind: SkipTemplate, Reason: reasonAfter(line, 3)}
		if c.Reason == "" {
			c.Kind, c.Err = "", "skip template needs a reason"
		}
		return c, true
	}
	return Command{Err: "unknown command"}, true
}

func parseReassign(args []string) Command {
	c := Command{Kind: Reassign}
	switch {
	case len(args) == 0:
	case len(args) > 1:
		c.Kind, c.Err = "", "reassign takes at most one login"
	default:
		m := loginRe.FindStringSubmatch(args[0])
		if m == nil {
			c.Kind, c.Err = "", "reassign takes a login such as @alice"
		} else {
			c.Login = m[1]
		}
	}
	return c
}

func parseSnooze(line string, args []string) Command {
	if len(args) == 0 {
		return Command{Err: "snooze needs a duration and a reason, e.g. snooze 4h waiting for the vendor"}
	}
	d, err := policy.ParseDuration(args[0])
	switch {
	case err != nil:
		return Command{Err: "snooze needs a duration such as 4h, 90m or 2d"}
	case d > MaxSnooze:
		return Command{Err: "snooze is at most 7d"}
	}
	c := Command{Kind: Snooze, For: d, Reason: reasonAfter(line, 3)}
	if c.Reason == "" {
		return Command{Err: "snooze needs a reason after the duration"}
	}
	return c
}

// reasonAfter is the text of line after its first n words, trimmed and cut
// to MaxReason bytes at a character boundary.
func reasonAfter(line string, n int) string {
	rest := line
	for range n {
		rest = strings.TrimLeft(rest, " \t")
		i := strings.IndexAny(rest, " \t")
		if i < 0 {
			return ""
		}
		rest = rest[i:]
	}
	rest = strings.TrimSpace(rest)
	if len(rest) > MaxReason {
		cut := MaxReason
		for cut > 0 && !utf8Start(rest[cut]) {
			cut--
		}
		rest = rest[:cut]
	}
	return rest
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }
