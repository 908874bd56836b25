package policy

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Holds reports whether pr satisfies c. A nil condition always holds.
func (c *Condition) Holds(pr PullRequest) bool {
	return c.Unmet(pr) == ""
}

// Unmet says which part of c pr does not satisfy, in words a developer can
// act on ("lines_changed >500 (120 lines changed)"), or "" when c holds.
func (c *Condition) Unmet(pr PullRequest) string {
	if c == nil {
		return ""
	}
	if len(c.Paths) > 0 && !slices.ContainsFunc(pr.Files, func(f string) bool { return MatchAny(c.Paths, f) }) {
		return "paths " + strings.Join(c.Paths, ", ") + " (no changed file matches)"
	}
	if len(c.Labels) > 0 && !slices.ContainsFunc(pr.Labels, func(l string) bool { return containsFold(c.Labels, l) }) {
		return "labels " + strings.Join(c.Labels, ", ") + " (none present)"
	}
	if c.LinesChanged != nil && !c.LinesChanged.Holds(pr.LinesChanged) {
		return fmt.Sprintf("lines_changed %s (%d lines changed)", c.LinesChanged, pr.LinesChanged)
	}
	if c.FilesChanged != nil && !c.FilesChanged.Holds(pr.FilesChanged) {
		return fmt.Sprintf("files_changed %s (%d files changed)", c.FilesChanged, pr.FilesChanged)
	}
	if (len(c.Authors) > 0 || c.AuthorFirstTime) && !c.authorMatches(pr) {
		return "authors " + strings.Join(c.authorRefs(), ", ") + " (" + pr.Author + " is not one of them)"
	}
	return ""
}

// authorMatches: the author is listed, belongs to a listed team, or is a
// first-time contributor when first_time is listed.
func (c *Condition) authorMatches(pr PullRequest) bool {
	if c.AuthorFirstTime && pr.FirstTime {
		return true
	}
	for _, a := range c.Authors {
		if strings.HasPrefix(a, "@") && strings.Contains(a, "/") {
			if containsFold(pr.AuthorTeams, a) {
				return true
			}
			continue
		}
		if strings.EqualFold(strings.TrimPrefix(a, "@"), pr.Author) {
			return true
		}
	}
	return false
}

func (c *Condition) authorRefs() []string {
	refs := slices.Clone(c.Authors)
	if c.AuthorFirstTime {
		refs = append(refs, AuthorFirstTime)
	}
	return refs
}

// AuthorFirstTime is the value of `authors` meaning "a first-time contributor".
const AuthorFirstTime = "first_time"

// Holds compares n with the comparison's bound.
func (c *Comparison) Holds(n int) bool {
	switch c.Op {
	case ">":
		return n > c.N
	case ">=":
		return n >= c.N
	case "<":
		return n < c.N
	case "<=":
		return n <= c.N
	}
	return false
}

func (c *Comparison) String() string { return c.Op + strconv.Itoa(c.N) }

// parseComparison reads ">500", ">= 20", "<10" or "<=3".
func parseComparison(s string) (*Comparison, error) {
	t := strings.TrimSpace(s)
	var op string
	for _, o := range []string{">=", "<=", ">", "<"} {
		if strings.HasPrefix(t, o) {
			op = o
			break
		}
	}
	if op == "" {
		return nil, fmt.Errorf("invalid comparison %s: start it with >, >=, < or <= followed by a number, e.g. \">500\"", q(s))
	}
	digits := strings.TrimSpace(t[len(op):])
	n, err := strconv.Atoi(digits)
	if err != nil || n < 0 || digits == "" || strings.ContainsAny(digits, "+-") {
		return nil, fmt.Errorf("invalid comparison %s: %s must be followed by a whole number, e.g. \"%s500\"", q(s), op, op)
	}
	return &Comparison{Op: op, N: n}, nil
}

// TeamsInConditions lists the "@org/team" references (lower-cased) that the
// policy's conditions name as authors, so the handler can tell whether the
// author belongs to them.
func TeamsInConditions(p *Policy) []string {
	var out []string
	add := func(c *Condition) {
		if c == nil {
			return
		}
		for _, a := range c.Authors {
			if strings.HasPrefix(a, "@") && strings.Contains(a, "/") && !slices.Contains(out, strings.ToLower(a)) {
				out = append(out, strings.ToLower(a))
			}
		}
	}
	if p == nil {
		return nil
	}
	if p.Template != nil {
		for _, s := range p.Template.Sections {
			add(s.When)
		}
	}
	if p.Reviewers != nil {
		for _, r := range p.Reviewers.Rules {
			add(r.When)
		}
	}
	return out
}

func containsFold(list []string, s string) bool {
	return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, s) })
}

// ParseDuration reads a duration as the policy file writes them ("4h",
// "90m", "2d"), for other packages that take durations from people.
func ParseDuration(s string) (time.Duration, error) { return parseDuration(s) }
