package policy

import (
	"github.com/reviewpolicy/reviewpolicy/policy/pathglob"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Budgets for a policy file. Anyone who opens a pull request controls a
// proposed policy file, so parsing it, and evaluating with it, must cost
// bounded memory and time whatever it holds. Real policies are a few
// kilobytes with tens of rules; each limit is far above that. They are
// documented in docs/policy.md ("Limits").
const (
	// MaxExpandedBytes bounds the text of all scalars after alias
	// expansion. Without aliases a file is under MaxFileSize; an alias
	// repeats its value's bytes each time it is used, so a 1 MB string
	// aliased 150 times would otherwise unfold to 150 MB.
	MaxExpandedBytes = 2 << 20
	// MaxValueLen bounds one string value (name, heading, glob, pattern).
	MaxValueLen = 1024
	// MaxListLen bounds any list (labels, reviewers, holidays, ...).
	MaxListLen = 1000
	// MaxRules bounds reviewers.rules; evaluation matches every rule
	// against every changed file.
	MaxRules = 200
	// MaxSections bounds template.sections.
	MaxSections = 100
	// MaxPathsPerRule bounds the globs of one rule or one condition.
	MaxPathsPerRule = 50
	// MaxGlobAlternatives bounds what one glob's braces expand to:
	// "{a,b}/{c,d}" is 4. A glob compiles to one expression with each
	// alternative in it, so chained braces grow it by their product; ten
	// chained {a,...,j} would be 10^10 alternatives.
	MaxGlobAlternatives = pathglob.MaxAlternatives
	// MaxGlobWork bounds the sum of every glob's alternatives in the
	// file: the size of the expressions one changed file may be tried
	// against.
	MaxGlobWork = 1000

	// maxQuoted bounds how much of a value an error message quotes.
	maxQuoted = 80
	// maxMsgLen bounds one error message, whatever it quotes.
	maxMsgLen = 200
	// maxErrorBytes bounds ErrorList.Error, the text validate prints and
	// the proposed-policy check shows.
	maxErrorBytes = 16 << 10
	// maxChanges and maxChangeLen bound Describe: a proposed file's
	// description is shown on the pull request.
	maxChanges   = 100
	maxChangeLen = 300
)

// q quotes a value from the file for an error message: at most maxQuoted
// bytes of it, cut at a rune boundary and marked, with newlines and other
// control characters escaped so that the message stays one inert line.
func q(s string) string {
	if len(s) <= maxQuoted {
		return strconv.Quote(s)
	}
	cut := maxQuoted
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "… (" + strconv.Itoa(len(s)) + " bytes)"
}

// inert makes a finished message safe to print: one line, no backticks,
// at most maxMsgLen bytes. Values are already quoted by q; this is the backstop
// for text that is not (YAML's own messages, for one).
func inert(msg string) string { return inertN(msg, maxMsgLen) }

// inertN is inert with a bound of n bytes.
func inertN(msg string, n int) string {
	msg = strings.Map(func(r rune) rune {
		switch {
		case r < 0x20 || r == 0x7f || r == utf8.RuneError:
			return ' '
		case r == '`': // messages are shown inside code fences and spans
			return '\''
		}
		return r
	}, msg)
	if len(msg) <= n {
		return msg
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return msg[:cut] + "… (truncated)"
}

// Excerpt quotes a value taken from a policy file for a message shown
// elsewhere (check runs, comments): bounded and on one line, like the
// values in Parse's own errors.
func Excerpt(s string) string { return q(s) }
