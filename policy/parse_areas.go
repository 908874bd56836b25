package policy

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/reviewpolicy/reviewpolicy/policy/pathglob"
)

// The methods here decode one area of the file each, in the order the
// reference (docs/policy.md) documents them.

// document decodes the top-level mapping.
func (d *decoder) document(root *yaml.Node) *File {
	f := &File{Policy: &Policy{Enforcement: Enforcement{
		Template: ModeBlock, Reviewers: ModeBlock, SLA: ModeWarn,
	}}}
	p := f.Policy
	if resolve(root).Kind != yaml.MappingNode {
		d.errorf(root, "a policy file must be a mapping of keys such as version, template and reviewers, got %s",
			describeNode(root))
		return f
	}
	hasVersion := false
	for _, fl := range d.fields(root, "", "version", "extends", "leads", "template", "reviewers", "people", "sla", "enforcement") {
		switch fl.key {
		case "version":
			hasVersion = true
			if v, ok := d.integer(fl.val, fl.path, 0); ok {
				if v != Version {
					d.errorf(fl.val, "version: unsupported version %d; write \"version: %d\"", v, Version)
				}
				p.Version = v
			}
		case "extends":
			if s, ok := d.str(fl.val, fl.path); ok {
				if s != "org" {
					d.errorf(fl.val, "extends: unknown value %s; the only value is org "+
						"(start from the organisation's default policy)", q(s))
				}
				p.Extends = s
			}
		case "leads":
			p.Leads = d.reviewerList(fl.val, fl.path)
		case "template":
			p.Template = d.template(fl.val, fl.path)
		case "reviewers":
			p.Reviewers = d.reviewers(fl.val, fl.path)
		case "people":
			p.People = d.people(fl.val, fl.path)
		case "sla":
			p.SLA = d.sla(fl.val, fl.path)
		case "enforcement":
			d.enforcement(fl.val, fl.path, f)
		}
	}
	if !hasVersion {
		d.errorf(root, "missing version: add \"version: %d\" as the first line", Version)
	}
	return f
}

func (d *decoder) template(n *yaml.Node, path string) *TemplatePolicy {
	t := &TemplatePolicy{Checklist: ChecklistNone}
	for _, f := range d.optFields(n, path, "sections", "ticket", "checklist", "skip") {
		switch f.key {
		case "sections":
			t.Sections = d.sections(f.val, f.path)
		case "ticket":
			t.Ticket = d.ticket(f.val, f.path)
		case "checklist":
			if s, ok := d.enum(f.val, f.path, ChecklistAll, ChecklistNone); ok {
				t.Checklist = s
			}
		case "skip":
			t.Skip = d.skip(f.val, f.path)
		}
	}
	return t
}

func (d *decoder) sections(n *yaml.Node, path string) []Section {
	var out []Section
	seen := map[string]int{}
	if !d.within(n, path, "sections", MaxSections) {
		return nil
	}
	for i, e := range d.list(n, path, "sections", false) {
		if d.full() {
			break
		}
		p := elem(path, i)
		var s Section
		hasHeading := false
		for _, f := range d.fields(e, p, "heading", "min_words", "when") {
			switch f.key {
			case "heading":
				hasHeading = true
				h, ok := d.nonEmpty(f.val, f.path)
				if !ok {
					continue
				}
				s.Heading = strings.TrimSpace(h)
				key := strings.ToLower(s.Heading)
				if line, dup := seen[key]; dup {
					d.errAt(f.val, f.path, "section %s is listed twice (first on line %d)", q(s.Heading), line)
				}
				seen[key] = f.val.Line
			case "min_words":
				s.MinWords, _ = d.integer(f.val, f.path, 0)
			case "when":
				s.When = d.condition(f.val, f.path)
			}
		}
		if !hasHeading && resolve(e).Kind == yaml.MappingNode {
			d.errAt(e, p, "missing heading")
		}
		out = append(out, s)
	}
	return out
}

func (d *decoder) condition(n *yaml.Node, path string) *Condition {
	c := &Condition{}
	fs := d.fields(n, path, "paths", "labels", "lines_changed", "files_changed", "authors")
	for _, f := range fs {
		switch f.key {
		case "paths":
			c.Paths = d.globs(f.val, f.path)
		case "labels":
			c.Labels = d.stringList(f.val, f.path, "labels", true, nil)
		case "lines_changed":
			c.LinesChanged = d.comparison(f.val, f.path)
		case "files_changed":
			c.FilesChanged = d.comparison(f.val, f.path)
		case "authors":
			c.Authors, c.AuthorFirstTime = d.conditionAuthors(f.val, f.path)
		}
	}
	if len(fs) == 0 && resolve(n).Kind == yaml.MappingNode {
		d.errAt(n, path, "set paths, labels, lines_changed, files_changed or authors (or remove when)")
	}
	return c
}

// comparison reads a size condition such as ">500". YAML reads an
// unquoted >500 as a folded block, so the value must be a quoted string.
func (d *decoder) comparison(n *yaml.Node, path string) *Comparison {
	v := resolve(n)
	if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!str" {
		d.errAt(n, path, "expected a quoted comparison such as \">500\", \">=20\" or \"<10\", got %s", describeNode(n))
		return nil
	}
	c, err := parseComparison(v.Value)
	if err != nil {
		d.errAt(n, path, "%v", err)
		return nil
	}
	return c
}

// conditionAuthors reads logins, teams and first_time.
func (d *decoder) conditionAuthors(n *yaml.Node, path string) (refs []string, firstTime bool) {
	all := d.stringList(n, path, "user or team names, or first_time", true, func(s string) (string, error) {
		if s == AuthorFirstTime {
			return s, nil
		}
		return checkPrincipal(s, usersAndTeams)
	})
	for _, a := range all {
		if a == AuthorFirstTime {
			firstTime = true
		} else {
			refs = append(refs, a)
		}
	}
	return refs, firstTime
}

// globs returns a non-empty list of valid patterns (package pathglob) whose
// braces expand to few enough alternatives (see MaxGlobAlternatives).
func (d *decoder) globs(n *yaml.Node, path string) []string {
	if !d.within(n, path, "paths", MaxPathsPerRule) {
		return nil
	}
	return d.stringList(n, path, "path globs", true, func(s string) (string, error) {
		g, err := pathglob.Compile(s, pathglob.Policy)
		if errors.Is(err, pathglob.ErrTooManyAlternatives) {
			return "", fmt.Errorf("glob %s: its braces expand to more than %d alternatives; "+
				"list the paths instead", q(s), MaxGlobAlternatives)
		}
		if err != nil {
			return "", fmt.Errorf("invalid glob %s: %v", q(s), err)
		}
		alts := g.Alternatives()
		if d.globWork += alts; d.globWork > MaxGlobWork {
			return "", fmt.Errorf("the file's globs expand to more than %d patterns in all; "+
				"use fewer paths or braces", MaxGlobWork)
		}
		return s, nil
	})
}

var ticketFields = []string{"title", "body", "branch"}

func (d *decoder) ticket(n *yaml.Node, path string) *Ticket {
	t := &Ticket{In: ticketFields}
	hasPattern := false
	fs := d.fields(n, path, "pattern", "in")
	for _, f := range fs {
		switch f.key {
		case "pattern":
			hasPattern = true
			s, ok := d.nonEmpty(f.val, f.path)
			if !ok {
				continue
			}
			re, err := regexp.Compile(s)
			if err != nil {
				d.errAt(f.val, f.path, "invalid regular expression: %v", err)
				continue
			}
			t.Pattern, t.Regexp = s, re
		case "in":
			t.In = d.stringList(f.val, f.path, "title, body or branch", true, func(s string) (string, error) {
				if !contains(ticketFields, s) {
					return "", fmt.Errorf("unknown value %s (want title, body or branch)%s", q(s), didYouMean(s, ticketFields))
				}
				return s, nil
			})
		}
	}
	if !hasPattern && resolve(n).Kind == yaml.MappingNode {
		d.errAt(n, path, "missing pattern (a regular expression such as '[A-Z]+-[0-9]+')")
	}
	return t
}

func (d *decoder) skip(n *yaml.Node, path string) Skip {
	var s Skip
	for _, f := range d.fields(n, path, "authors", "labels", "drafts") {
		switch f.key {
		case "authors":
			s.Authors = d.stringList(f.val, f.path, "user or bot names", false, func(s string) (string, error) {
				return checkPrincipal(s, usersAndBots)
			})
		case "labels":
			s.Labels = d.stringList(f.val, f.path, "labels", false, nil)
		case "drafts":
			s.Drafts = d.boolean(f.val, f.path)
		}
	}
	return s
}

func (d *decoder) reviewers(n *yaml.Node, path string) *ReviewersPolicy {
	r := &ReviewersPolicy{Strategy: StrategyLoadBalance, Count: 1, Expertise: ExpertiseSettings{HalfLife: DefaultHalfLife}}
	for _, f := range d.optFields(n, path, "strategy", "count", "codeowners", "rules", "expertise", "max_open_requests", "reassign_after") {
		switch f.key {
		case "strategy":
			if s, ok := d.enum(f.val, f.path, StrategyLoadBalance, StrategyRoundRobin, StrategyRandom, StrategyExpertise); ok {
				r.Strategy = s
			}
		case "expertise":
			r.Expertise = d.expertise(f.val, f.path)
		case "max_open_requests":
			r.MaxOpenRequests, _ = d.integer(f.val, f.path, 1)
		case "reassign_after":
			r.ReassignAfter, _ = d.duration(f.val, f.path)
		case "count":
			if c, ok := d.integer(f.val, f.path, 1); ok {
				r.Count = c
			}
		case "codeowners":
			r.Codeowners = d.boolean(f.val, f.path)
		case "rules":
			r.Rules = d.rules(f.val, f.path)
		}
	}
	return r
}

// DefaultHalfLife is expertise.half_life when the file does not set it.
const DefaultHalfLife = 90 * 24 * time.Hour

func (d *decoder) expertise(n *yaml.Node, path string) ExpertiseSettings {
	e := ExpertiseSettings{HalfLife: DefaultHalfLife}
	for _, f := range d.optFields(n, path, "half_life", "learners") {
		switch f.key {
		case "half_life":
			if v, ok := d.duration(f.val, f.path); ok {
				e.HalfLife = v
			}
		case "learners":
			e.Learners, _ = d.integer(f.val, f.path, 0)
		}
	}
	return e
}

func (d *decoder) reviewerList(n *yaml.Node, path string) []string {
	return d.stringList(n, path, "user or team names", true, func(s string) (string, error) {
		return checkPrincipal(s, usersAndTeams)
	})
}

func (d *decoder) rules(n *yaml.Node, path string) []Rule {
	var out []Rule
	seen := map[string]int{}
	if !d.within(n, path, "rules", MaxRules) {
		return nil
	}
	for i, e := range d.list(n, path, "rules", false) {
		if d.full() {
			break
		}
		p := elem(path, i)
		var r Rule
		has := map[string]bool{}
		for _, f := range d.fields(e, p, "name", "paths", "reviewers", "count", "required_approvals", "when") {
			has[f.key] = true
			switch f.key {
			case "name":
				name, ok := d.nonEmpty(f.val, f.path)
				if !ok {
					continue
				}
				if line, dup := seen[name]; dup {
					d.errAt(f.val, f.path, "rule name %s is used twice (first on line %d)", q(name), line)
				}
				seen[name] = f.val.Line
				r.Name = name
			case "paths":
				r.Paths = d.globs(f.val, f.path)
			case "reviewers":
				r.Reviewers = d.reviewerList(f.val, f.path)
			case "count":
				r.Count, _ = d.integer(f.val, f.path, 1)
			case "required_approvals":
				r.RequiredApprovals, _ = d.integer(f.val, f.path, 0)
			case "when":
				r.When = d.condition(f.val, f.path)
			}
		}
		if resolve(e).Kind == yaml.MappingNode {
			for _, k := range []string{"name", "paths", "reviewers"} {
				if !has[k] {
					d.errAt(e, p, "rule %smissing %s", quoteName(r.Name), k)
				}
			}
		}
		out = append(out, r)
	}
	return out
}

func quoteName(name string) string {
	if name == "" {
		return ""
	}
	return q(name) + " "
}

func (d *decoder) people(n *yaml.Node, path string) map[string]Person {
	m := resolve(n)
	if m.Kind != yaml.MappingNode {
		d.errAt(n, path, "expected a mapping of user names to settings, got %s", describeNode(n))
		return nil
	}
	out := map[string]Person{}
	first := map[string]int{}
	for i := 0; i+1 < len(m.Content) && !d.full(); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		name, ok := d.key(k, path)
		if !ok {
			continue
		}
		login, err := checkPrincipal(name, usersOnly)
		if err != nil {
			d.errAt(k, path, "%v", err)
			continue
		}
		login = strings.ToLower(login)
		if line, dup := first[login]; dup {
			d.errAt(k, path, "%s is listed twice (first on line %d)", name, line)
			continue
		}
		first[login] = k.Line
		p := join(path, login)
		var person Person
		for _, f := range d.fields(v, p, "timezone", "away") {
			switch f.key {
			case "timezone":
				person.Timezone, person.Location = d.location(f.val, f.path)
			case "away":
				person.Away = d.boolean(f.val, f.path)
			}
		}
		out[login] = person
	}
	return out
}

func (d *decoder) sla(n *yaml.Node, path string) *SLAPolicy {
	s := &SLAPolicy{FirstReview: 24 * time.Hour}
	var remind *yaml.Node
	for _, f := range d.optFields(n, path, "first_review", "working_hours", "holidays", "remind_before", "escalate_to") {
		switch f.key {
		case "first_review":
			if v, ok := d.duration(f.val, f.path); ok {
				s.FirstReview = v
			}
		case "working_hours":
			s.WorkingHours = d.workingHours(f.val, f.path)
		case "holidays":
			s.Holidays = d.holidays(f.val, f.path)
		case "remind_before":
			if v, ok := d.duration(f.val, f.path); ok {
				s.RemindBefore, remind = v, f.val
			}
		case "escalate_to":
			s.EscalateTo = d.stringList(f.val, f.path, "user or team names", false, func(s string) (string, error) {
				return checkPrincipal(s, usersAndTeams)
			})
		}
	}
	if remind != nil && s.RemindBefore >= s.FirstReview {
		d.errAt(remind, join(path, "remind_before"), "%s must be shorter than first_review (%s)",
			formatDuration(s.RemindBefore), formatDuration(s.FirstReview))
	}
	return s
}

func (d *decoder) holidays(n *yaml.Node, path string) []Date {
	var out []Date
	seen := map[Date]int{}
	for i, e := range d.list(n, path, "dates (YYYY-MM-DD)", false) {
		if d.full() {
			break
		}
		p := elem(path, i)
		v := resolve(e)
		// An unquoted 2026-12-25 is a YAML timestamp; its text is what we want.
		if v.Kind != yaml.ScalarNode || (v.ShortTag() != "!!str" && v.ShortTag() != "!!timestamp") {
			d.errAt(e, p, "expected a date such as 2026-12-25, got %s", describeNode(e))
			continue
		}
		date, err := parseDate(v.Value)
		if err != nil {
			d.errAt(e, p, "%v", err)
			continue
		}
		if line, dup := seen[date]; dup {
			d.errAt(e, p, "%s is listed twice (first on line %d)", v.Value, line)
			continue
		}
		seen[date] = e.Line
		out = append(out, date)
	}
	return out
}

func (d *decoder) workingHours(n *yaml.Node, path string) *WorkingHours {
	w := &WorkingHours{
		Timezone: "UTC", Location: time.UTC,
		Days: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday},
	}
	var start, end *yaml.Node
	fs := d.fields(n, path, "timezone", "days", "start", "end")
	for _, f := range fs {
		switch f.key {
		case "timezone":
			if name, loc := d.location(f.val, f.path); loc != nil {
				w.Timezone, w.Location = name, loc
			}
		case "days":
			w.Days = d.days(f.val, f.path)
		case "start", "end":
			s, ok := d.str(f.val, f.path)
			if !ok {
				continue
			}
			t, err := parseClock(s)
			if err != nil {
				d.errAt(f.val, f.path, "%v", err)
				continue
			}
			if f.key == "start" {
				w.Start, start = t, f.val
			} else {
				w.End, end = t, f.val
			}
		}
	}
	if resolve(n).Kind != yaml.MappingNode {
		return w
	}
	if !hasKey(fs, "start") {
		d.errAt(n, path, "missing start (e.g. start: \"09:00\")")
	}
	if !hasKey(fs, "end") {
		d.errAt(n, path, "missing end (e.g. end: \"17:00\")")
	}
	if start != nil && end != nil && w.End <= w.Start {
		d.errAt(end, join(path, "end"), "%s must be after start %s (windows across midnight are not supported)",
			resolve(end).Value, resolve(start).Value)
	}
	return w
}

func hasKey(fs []field, key string) bool {
	for _, f := range fs {
		if f.key == key {
			return true
		}
	}
	return false
}

func (d *decoder) days(n *yaml.Node, path string) []time.Weekday {
	seen := map[time.Weekday]string{}
	names := d.stringList(n, path, "weekdays", true, func(s string) (string, error) {
		wd, ok := weekdays[s]
		switch {
		case !ok:
			return "", fmt.Errorf("unknown weekday %s (want mon, tue, wed, thu, fri, sat or sun)%s",
				q(s), didYouMean(s, weekdayNames))
		case seen[wd] != "":
			return "", fmt.Errorf("%s is the same day as %s", s, seen[wd])
		}
		seen[wd] = s
		return s, nil
	})
	out := make([]time.Weekday, len(names))
	for i, name := range names {
		out[i] = weekdays[name]
	}
	return out
}

func (d *decoder) enforcement(n *yaml.Node, path string, f *File) {
	modes := []string{string(ModeBlock), string(ModeWarn), string(ModeOff)}
	e := &f.Policy.Enforcement
	for _, fl := range d.fields(n, path, "template", "reviewers", "sla") {
		s, ok := d.enum(fl.val, fl.path, modes...)
		if !ok {
			continue
		}
		switch fl.key {
		case "template":
			e.Template, f.set.template = Mode(s), true
		case "reviewers":
			e.Reviewers, f.set.reviewers = Mode(s), true
		case "sla":
			e.SLA, f.set.sla = Mode(s), true
		}
	}
}
