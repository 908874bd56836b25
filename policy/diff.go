package policy

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Describe lists, in plain language, what changes when the policy in force
// (old) is replaced by a proposed one (new), e.g. for a comment on a pull
// request that edits the policy file. Either may be nil (no policy). The
// order is fixed: file order of areas, then file order within them.
// Equal policies give no lines.
func Describe(old, new *Policy) []string {
	if old == nil {
		old = &Policy{}
	}
	if new == nil {
		new = &Policy{}
	}
	var c changes
	c.change("extends", "extends", orNone(old.Extends), orNone(new.Extends))
	c.change("leads", "leads", joinList(old.Leads), joinList(new.Leads))
	describeTemplate(&c, old.Template, new.Template)
	describeReviewers(&c, old.Reviewers, new.Reviewers)
	describePeople(&c, old.People, new.People)
	describeSLA(&c, old.SLA, new.SLA)
	c.change("enforcement", "template", string(old.Enforcement.Template), string(new.Enforcement.Template))
	c.change("enforcement", "reviewers", string(old.Enforcement.Reviewers), string(new.Enforcement.Reviewers))
	c.change("enforcement", "sla", string(old.Enforcement.SLA), string(new.Enforcement.SLA))
	if c.more > 0 {
		c.lines = append(c.lines, fmt.Sprintf("and %d more changes", c.more))
	}
	return c.lines
}

// changes collects the lines of a description: the first maxChanges,
// each one inert line of at most maxChangeLen bytes (names, headings and
// globs come from the proposed file), and a count of the rest.
type changes struct {
	lines []string
	more  int
}

func (c *changes) addf(area, format string, args ...any) {
	if len(c.lines) >= maxChanges {
		c.more++
		return
	}
	c.lines = append(c.lines, inertN(area+": "+fmt.Sprintf(format, args...), maxChangeLen))
}

// change records "area: what old → new" when the values differ.
func (c *changes) change(area, what, old, new string) {
	if old != new {
		c.addf(area, "%s %s → %s", what, orNone(old), orNone(new))
	}
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func joinList(items []string) string { return strings.Join(items, ", ") }

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// area reports an area appearing or disappearing and returns the old and
// new values to compare; an added area is compared against an empty one so
// that its contents are listed too.
func area[T any](c *changes, name string, before, after *T) (o, n *T, ok bool) {
	switch {
	case before == nil && after == nil:
		return nil, nil, false
	case after == nil:
		c.addf(name, "area removed")
		return nil, nil, false
	case before == nil:
		c.addf(name, "area added")
		return new(T), after, true
	}
	return before, after, true
}

func describeTemplate(c *changes, old, new *TemplatePolicy) {
	old, new, ok := area(c, "template", old, new)
	if !ok {
		return
	}
	const a = "template"
	oldSections := map[string]Section{}
	for _, s := range old.Sections {
		oldSections[strings.ToLower(s.Heading)] = s
	}
	newSections := map[string]bool{}
	for _, s := range new.Sections {
		key := strings.ToLower(s.Heading)
		newSections[key] = true
		o, existed := oldSections[key]
		if !existed {
			c.addf(a, "section %s added%s", s.Heading, sectionDetails(s))
			continue
		}
		if o.MinWords != s.MinWords {
			c.addf(a, "section %s min words %d → %d", s.Heading, o.MinWords, s.MinWords)
		}
		c.change(a, "section "+s.Heading+" required", conditionText(o.When), conditionText(s.When))
	}
	for _, s := range old.Sections {
		if !newSections[strings.ToLower(s.Heading)] {
			c.addf(a, "section %s removed", s.Heading)
		}
	}
	switch ot, nt := old.Ticket, new.Ticket; {
	case ot == nil && nt != nil:
		c.addf(a, "ticket required: pattern %s in %s", nt.Pattern, joinList(nt.In))
	case ot != nil && nt == nil:
		c.addf(a, "ticket no longer required")
	case ot != nil && nt != nil:
		c.change(a, "ticket pattern", ot.Pattern, nt.Pattern)
		c.change(a, "ticket looked for in", joinList(ot.In), joinList(nt.In))
	}
	c.change(a, "checklist", orDefault(old.Checklist, ChecklistNone), orDefault(new.Checklist, ChecklistNone))
	c.change(a, "skip authors", joinList(old.Skip.Authors), joinList(new.Skip.Authors))
	c.change(a, "skip labels", joinList(old.Skip.Labels), joinList(new.Skip.Labels))
	if old.Skip.Drafts != new.Skip.Drafts {
		c.addf(a, "skip drafts %s → %s", onOff(old.Skip.Drafts), onOff(new.Skip.Drafts))
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func sectionDetails(s Section) string {
	var parts []string
	if s.MinWords > 0 {
		parts = append(parts, fmt.Sprintf("at least %d words", s.MinWords))
	}
	if s.When != nil {
		parts = append(parts, conditionText(s.When))
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, "; ") + ")"
}

func conditionText(w *Condition) string {
	if w == nil || (len(w.Paths)+len(w.Labels)+len(w.Authors) == 0 && !w.AuthorFirstTime &&
		w.LinesChanged == nil && w.FilesChanged == nil) {
		return "always"
	}
	var parts []string
	if len(w.Paths) > 0 {
		parts = append(parts, "paths "+joinList(w.Paths))
	}
	if len(w.Labels) > 0 {
		parts = append(parts, "labels "+joinList(w.Labels))
	}
	if w.LinesChanged != nil {
		parts = append(parts, "lines_changed "+w.LinesChanged.String())
	}
	if w.FilesChanged != nil {
		parts = append(parts, "files_changed "+w.FilesChanged.String())
	}
	if len(w.Authors) > 0 || w.AuthorFirstTime {
		parts = append(parts, "authors "+joinList(w.authorRefs()))
	}
	return "when " + strings.Join(parts, " and ")
}

func describeReviewers(c *changes, old, new *ReviewersPolicy) {
	old, new, ok := area(c, "reviewers", old, new)
	if !ok {
		return
	}
	const a = "reviewers"
	c.change(a, "strategy", old.Strategy, new.Strategy)
	if old.Count != new.Count {
		c.addf(a, "count %d → %d", old.Count, new.Count)
	}
	if old.Expertise != new.Expertise && (old.Strategy == StrategyExpertise || new.Strategy == StrategyExpertise) {
		c.addf(a, "expertise half_life %s, learners %d → half_life %s, learners %d", formatDuration(old.Expertise.HalfLife),
			old.Expertise.Learners, formatDuration(new.Expertise.HalfLife), new.Expertise.Learners)
	}
	if old.MaxOpenRequests != new.MaxOpenRequests {
		c.addf(a, "max_open_requests %s → %s", capText(old.MaxOpenRequests), capText(new.MaxOpenRequests))
	}
	if old.ReassignAfter != new.ReassignAfter {
		c.change(a, "reassign_after", formatDuration(old.ReassignAfter), formatDuration(new.ReassignAfter))
	}
	if old.Codeowners != new.Codeowners {
		c.addf(a, "codeowners %s → %s", onOff(old.Codeowners), onOff(new.Codeowners))
	}
	oldRules := map[string]Rule{}
	for _, r := range old.Rules {
		oldRules[r.Name] = r
	}
	newRules := map[string]bool{}
	for _, r := range new.Rules {
		newRules[r.Name] = true
		o, existed := oldRules[r.Name]
		if !existed {
			c.addf(a, "rule %s added: %s", r.Name, ruleText(r))
			continue
		}
		what := "rule " + r.Name
		c.change(a, what+" paths", joinList(o.Paths), joinList(r.Paths))
		c.change(a, what+" reviewers", joinList(o.Reviewers), joinList(r.Reviewers))
		if o.Count != r.Count {
			c.addf(a, "%s count %s → %s", what, ruleCount(o.Count), ruleCount(r.Count))
		}
		if o.RequiredApprovals != r.RequiredApprovals {
			c.addf(a, "%s required approvals %d → %d", what, o.RequiredApprovals, r.RequiredApprovals)
		}
		c.change(a, what+" condition", conditionText(o.When), conditionText(r.When))
	}
	for _, r := range old.Rules {
		if !newRules[r.Name] {
			c.addf(a, "rule %s removed", r.Name)
		}
	}
}

func capText(n int) string {
	if n == 0 {
		return "no cap"
	}
	return fmt.Sprint(n)
}

func ruleCount(n int) string {
	if n == 0 {
		return "default"
	}
	return fmt.Sprint(n)
}

func ruleText(r Rule) string {
	s := fmt.Sprintf("paths %s, reviewers %s", joinList(r.Paths), joinList(r.Reviewers))
	if r.Count > 0 {
		s += fmt.Sprintf(", count %d", r.Count)
	}
	if r.RequiredApprovals > 0 {
		s += fmt.Sprintf(", required approvals %d", r.RequiredApprovals)
	}
	if r.When != nil {
		s += ", " + conditionText(r.When)
	}
	return s
}

func describePeople(c *changes, old, new map[string]Person) {
	logins := make([]string, 0, len(old)+len(new))
	for l := range old {
		logins = append(logins, l)
	}
	for l := range new {
		if _, ok := old[l]; !ok {
			logins = append(logins, l)
		}
	}
	slices.Sort(logins)
	for _, l := range logins {
		o, inOld := old[l]
		n, inNew := new[l]
		switch {
		case !inNew:
			c.addf("people", "%s removed", l)
		case !inOld:
			c.addf("people", "%s added%s", l, personText(n))
		default:
			c.change("people", l+" timezone", o.Timezone, n.Timezone)
			if o.Away != n.Away {
				c.addf("people", "%s away %s → %s", l, onOff(o.Away), onOff(n.Away))
			}
		}
	}
}

func personText(p Person) string {
	var parts []string
	if p.Timezone != "" {
		parts = append(parts, "timezone "+p.Timezone)
	}
	if p.Away {
		parts = append(parts, "away")
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

func describeSLA(c *changes, old, new *SLAPolicy) {
	old, new, ok := area(c, "sla", old, new)
	if !ok {
		return
	}
	const a = "sla"
	c.change(a, "first review", formatDuration(old.FirstReview), formatDuration(new.FirstReview))
	c.change(a, "working hours", hoursText(old.WorkingHours), hoursText(new.WorkingHours))
	var added, removed []string
	for _, h := range new.Holidays {
		if !slices.Contains(old.Holidays, h) {
			added = append(added, dateText(h))
		}
	}
	for _, h := range old.Holidays {
		if !slices.Contains(new.Holidays, h) {
			removed = append(removed, dateText(h))
		}
	}
	if len(added) > 0 {
		c.addf(a, "holidays added: %s", joinList(added))
	}
	if len(removed) > 0 {
		c.addf(a, "holidays removed: %s", joinList(removed))
	}
	c.change(a, "remind before", formatDuration(old.RemindBefore), formatDuration(new.RemindBefore))
	c.change(a, "escalate to", joinList(old.EscalateTo), joinList(new.EscalateTo))
}

func hoursText(w *WorkingHours) string {
	if w == nil {
		return "around the clock"
	}
	days := make([]string, len(w.Days))
	for i, d := range w.Days {
		days[i] = strings.ToLower(d.String()[:3])
	}
	return fmt.Sprintf("%s %s–%s %s", joinList(days), clock(w.Start), clock(w.End), w.Timezone)
}

func dateText(d Date) string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
}

func clock(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

// formatDuration prints a duration the way a lead would write it: "24h",
// "90m", "1h30m"; "" for zero.
func formatDuration(d time.Duration) string {
	switch {
	case d == 0:
		return ""
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0 && d < time.Hour:
		return fmt.Sprintf("%dm", d/time.Minute)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dh%dm", d/time.Hour, d%time.Hour/time.Minute)
	}
	return d.String()
}
