package policy

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseFull(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/valid/full.yml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse("full.yml", data)
	if err != nil {
		t.Fatal(err)
	}
	if p.Version != 1 || p.Extends != "org" {
		t.Errorf("version, extends = %d, %q", p.Version, p.Extends)
	}

	tp := p.Template
	wantSections := []Section{
		{Heading: "Summary", MinWords: 10},
		{Heading: "Testing"},
		{Heading: "Rollback", When: &Condition{Paths: []string{"migrations/**"}}},
	}
	if !reflect.DeepEqual(tp.Sections, wantSections) {
		t.Errorf("sections = %+v, want %+v", tp.Sections, wantSections)
	}
	if tp.Ticket.Regexp == nil || !tp.Ticket.Regexp.MatchString("fix ACME-42") || tp.Ticket.Regexp.MatchString("acme-42") {
		t.Errorf("ticket regexp %v does not behave as %q", tp.Ticket.Regexp, tp.Ticket.Pattern)
	}
	if !reflect.DeepEqual(tp.Ticket.In, []string{"title", "body", "branch"}) {
		t.Errorf("ticket.in = %v", tp.Ticket.In)
	}
	wantSkip := Skip{Authors: []string{"dependabot[bot]"}, Labels: []string{"no-template"}, Drafts: true}
	if tp.Checklist != ChecklistAll || !reflect.DeepEqual(tp.Skip, wantSkip) {
		t.Errorf("checklist %q, skip %+v", tp.Checklist, tp.Skip)
	}

	wantReviewers := &ReviewersPolicy{Strategy: StrategyLoadBalance, Count: 2, Codeowners: true, Expertise: ExpertiseSettings{HalfLife: DefaultHalfLife}, Rules: []Rule{
		{Name: "backend", Paths: []string{"svc/**", "*.go"}, Reviewers: []string{"@acme/backend"}, Count: 1},
		{Name: "security", Paths: []string{"auth/**"}, Reviewers: []string{"@acme/tech-leads", "carol"}, RequiredApprovals: 1},
	}}
	if !reflect.DeepEqual(p.Reviewers, wantReviewers) {
		t.Errorf("reviewers = %+v, want %+v", p.Reviewers, wantReviewers)
	}

	if len(p.People) != 2 || p.People["bob"].Location.String() != "America/New_York" || !p.People["bob"].Away ||
		p.People["alice"].Location.String() != "Europe/Berlin" || p.People["alice"].Away {
		t.Errorf("people = %+v", p.People)
	}

	s := p.SLA
	if s.FirstReview != 24*time.Hour || s.RemindBefore != 4*time.Hour {
		t.Errorf("first review %v, remind %v", s.FirstReview, s.RemindBefore)
	}
	wh := s.WorkingHours
	weekdays := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	if wh.Location.String() != "Europe/Berlin" || wh.Start != 9*time.Hour || wh.End != 17*time.Hour ||
		!reflect.DeepEqual(wh.Days, weekdays) {
		t.Errorf("working hours = %+v", wh)
	}
	if !reflect.DeepEqual(s.Holidays, []Date{{2026, time.December, 25}}) ||
		!reflect.DeepEqual(s.EscalateTo, []string{"@acme/tech-leads"}) {
		t.Errorf("holidays %v, escalate %v", s.Holidays, s.EscalateTo)
	}
	if p.Enforcement != (Enforcement{ModeBlock, ModeBlock, ModeWarn}) {
		t.Errorf("enforcement = %+v", p.Enforcement)
	}
}

func TestParseDefaults(t *testing.T) {
	t.Parallel()
	p, err := Parse("p.yml", []byte("version: 1\ntemplate:\n  ticket: {pattern: 'X-[0-9]+'}\nreviewers: {}\nsla: {remind_before: 1h}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Template.Checklist != ChecklistNone || !reflect.DeepEqual(p.Template.Ticket.In, []string{"title", "body", "branch"}) {
		t.Errorf("template = %+v, ticket %+v", p.Template, p.Template.Ticket)
	}
	if p.Reviewers.Strategy != StrategyLoadBalance || p.Reviewers.Count != 1 {
		t.Errorf("reviewers = %+v", p.Reviewers)
	}
	if p.SLA.FirstReview != 24*time.Hour || p.SLA.WorkingHours != nil {
		t.Errorf("sla = %+v", p.SLA)
	}
	if p.Enforcement != (Enforcement{Template: ModeBlock, Reviewers: ModeBlock, SLA: ModeWarn}) {
		t.Errorf("enforcement = %+v", p.Enforcement)
	}
	if p.People != nil {
		t.Errorf("people = %v, want nil", p.People)
	}

	p, err = Parse("p.yml", []byte("version: 1\nsla: {working_hours: {start: '08:00', end: '16:30'}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	wh := p.SLA.WorkingHours
	if wh.Location != time.UTC || wh.Timezone != "UTC" || len(wh.Days) != 5 || wh.Days[0] != time.Monday ||
		wh.End != 16*time.Hour+30*time.Minute {
		t.Errorf("working hours defaults = %+v", wh)
	}
	if p.Template != nil || p.Reviewers != nil {
		t.Error("areas the file does not mention must stay nil")
	}
}

func TestParseNormalisesNames(t *testing.T) {
	t.Parallel()
	p, err := Parse("p.yml", []byte(`version: 1
reviewers:
  rules: [{name: r, paths: [a], reviewers: ["@Alice", "@acme/Team_1"]}]
people:
  "@Bob": {away: true}
template:
  skip: {authors: ["@renovate[bot]"]}
`))
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Reviewers.Rules[0].Reviewers; !reflect.DeepEqual(got, []string{"Alice", "@acme/Team_1"}) {
		t.Errorf("reviewers = %v: users lose their @, teams keep it", got)
	}
	if _, ok := p.People["bob"]; !ok {
		t.Errorf("people = %v, want key bob", p.People)
	}
	if got := p.Template.Skip.Authors; !reflect.DeepEqual(got, []string{"renovate[bot]"}) {
		t.Errorf("skip authors = %v", got)
	}
}

// TestParseErrors pins the exact position and text of each kind of problem.
func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     []string // "line:col: msg" (col omitted when unknown)
	}{
		{"empty", "", []string{`1:1: empty policy file; start it with "version: 1"`}},
		{"scalar document", "hello\n", []string{"1:1: a policy file must be a mapping of keys such as version, template and reviewers, got a string"}},
		{"missing version", "sla: {}\n", []string{`1:1: missing version: add "version: 1" as the first line`}},
		{"syntax", "version: 1\nsla:\n  first_review: [8h\n", []string{"3: invalid YAML: did not find expected ',' or ']'"}},
		{"tab", "version: 1\nsla:\n\tfirst_review: 8h\n", []string{"3: invalid YAML: found character that cannot start any token"}},
		{"unknown anchor", "version: 1\nsla: *x\n", []string{"2: invalid YAML: unknown anchor 'x' referenced"}},
		{"two documents", "version: 1\n---\nversion: 1\n", []string{"2:1: a policy file holds one YAML document; remove the second one (after ---)"}},
		{"unknown key", "version: 1\ntemplates: {}\n", []string{`2:1: unknown key "templates"; did you mean template?`}},
		{"unknown key no hint", "version: 1\ncolour: red\n", []string{`2:1: unknown key "colour"`}},
		{"key case", "Version: 1\n", []string{
			`1:1: unknown key "Version"; did you mean version?`,
			`1:1: missing version: add "version: 1" as the first line`}},
		{"duplicate key", "version: 1\nversion: 1\n", []string{"2:1: duplicate key version (first set on line 1)"}},
		{"non-string key", "version: 1\n1: x\n", []string{"2:1: keys must be strings, got an integer"}},
		{"list of strings got mapping", "version: 1\nsla: {escalate_to: {a: b}}\n",
			[]string{"2:20: sla.escalate_to: expected a list of user or team names, got a mapping"}},
		{"list element type", "version: 1\ntemplate: {skip: {labels: [a, [b]]}}\n",
			[]string{"2:31: template.skip.labels: expected a list of labels, got a list in it"}},
		{"area not a mapping", "version: 1\nreviewers: [a]\n",
			[]string{"2:12: reviewers: expected a mapping with keys strategy, count, codeowners, rules, expertise, max_open_requests, reassign_after, got a list"}},
		{"regex", "version: 1\ntemplate: {ticket: {pattern: 'a(b'}}\n",
			[]string{"2:30: template.ticket.pattern: invalid regular expression: error parsing regexp: missing closing ): 'a(b'"}},
		{"ticket without pattern", "version: 1\ntemplate: {ticket: {in: [title]}}\n",
			[]string{"2:20: template.ticket: missing pattern (a regular expression such as '[A-Z]+-[0-9]+')"}},
		{"empty ticket.in", "version: 1\ntemplate: {ticket: {pattern: x, in: []}}\n",
			[]string{"2:37: template.ticket.in: list must not be empty"}},
		{"glob", "version: 1\ntemplate: {sections: [{heading: A, when: {paths: ['a/{b']}}]}\n",
			[]string{`2:51: template.sections[0].when.paths[0]: invalid glob "a/{b": unclosed "{"`}},
		{"blank heading", "version: 1\ntemplate: {sections: [{heading: ' '}]}\n",
			[]string{"2:33: template.sections[0].heading: must not be empty"}},
		{"negative min_words", "version: 1\ntemplate: {sections: [{heading: A, min_words: -1}]}\n",
			[]string{"2:47: template.sections[0].min_words: must be at least 0, got -1"}},
		{"integer overflow", "version: 1\nreviewers: {count: 99999999999999999999}\n",
			[]string{"2:20: reviewers.count: expected an integer, got a number"}},
		{"rule count zero", "version: 1\nreviewers: {rules: [{name: a, paths: [x], reviewers: [b], count: 0}]}\n",
			[]string{"2:66: reviewers.rules[0].count: must be at least 1, got 0"}},
		{"rule without anything", "version: 1\nreviewers: {rules: [{}]}\n", []string{
			"2:21: reviewers.rules[0]: rule missing name",
			"2:21: reviewers.rules[0]: rule missing paths",
			"2:21: reviewers.rules[0]: rule missing reviewers"}},
		{"rule empty lists", "version: 1\nreviewers: {rules: [{name: a, paths: [], reviewers: []}]}\n", []string{
			"2:38: reviewers.rules[0].paths: list must not be empty",
			"2:53: reviewers.rules[0].reviewers: list must not be empty"}},
		{"team slug", "version: 1\nsla: {escalate_to: ['@acme/te am']}\n",
			[]string{`2:21: sla.escalate_to[0]: team "@acme/te am": "te am" is not a valid team slug (letters, digits, - and _)`}},
		{"team org", "version: 1\nsla: {escalate_to: ['@-acme/team']}\n",
			[]string{`2:21: sla.escalate_to[0]: team "@-acme/team": "-acme" is not a valid organisation name`}},
		{"bot name", "version: 1\ntemplate: {skip: {authors: ['[bot]']}}\n",
			[]string{`2:29: template.skip.authors[0]: "[bot]" is not a valid bot name (want name[bot])`}},
		{"bot as person", "version: 1\npeople: {'x[bot]': {}}\n",
			[]string{`2:10: people: "x[bot]" is a bot; bots cannot be used here`}},
		{"people not a mapping", "version: 1\npeople: [alice]\n",
			[]string{"2:9: people: expected a mapping of user names to settings, got a list"}},
		{"person null", "version: 1\npeople: {alice: }\n",
			[]string{"2:17: people.alice: expected a mapping with keys timezone, away, got nothing (null)"}},
		{"end 24:01", "version: 1\nsla: {working_hours: {start: '09:00', end: '24:01'}}\n",
			[]string{`2:44: sla.working_hours.end: invalid time "24:01" (want HH:MM, 24-hour clock, e.g. 09:00)`}},
		{"end equals start", "version: 1\nsla: {working_hours: {start: '09:00', end: '09:00'}}\n",
			[]string{"2:44: sla.working_hours.end: 09:00 must be after start 09:00 (windows across midnight are not supported)"}},
		{"missing start and end", "version: 1\nsla: {working_hours: {days: [sat]}}\n", []string{
			`2:22: sla.working_hours: missing start (e.g. start: "09:00")`,
			`2:22: sla.working_hours: missing end (e.g. end: "17:00")`}},
		{"no days", "version: 1\nsla: {working_hours: {days: [], start: '09:00', end: '17:00'}}\n",
			[]string{"2:29: sla.working_hours.days: list must not be empty"}},
		{"holiday as number", "version: 1\nsla: {holidays: [20261225]}\n",
			[]string{"2:18: sla.holidays[0]: expected a date such as 2026-12-25, got an integer"}},
		{"holiday twice", "version: 1\nsla: {holidays: [2026-12-25, '2026-12-25']}\n",
			[]string{"2:30: sla.holidays[1]: 2026-12-25 is listed twice (first on line 2)"}},
		{"remind before longer", "version: 1\nsla: {remind_before: 2d}\n",
			[]string{"2:22: sla.remind_before: 48h must be shorter than first_review (24h)"}},
		{"duration with sign", "version: 1\nsla: {first_review: +1h}\n",
			[]string{`2:21: sla.first_review: invalid duration "+1h" (want e.g. 24h, 90m, 2d)`}},
		{"extends not a string", "version: 1\nextends: true\n",
			[]string{"2:10: extends: expected a string, got a boolean"}},
		{"enforcement null", "version: 1\nenforcement:\n",
			[]string{"2:13: enforcement: expected a mapping with keys template, reviewers, sla, got nothing (null)"}},
		{"alias reports where it is used", "version: 1\nx: &bad nope\nreviewers: {strategy: *bad}\n", []string{
			`2:1: unknown key "x"`,
			`3:23: reviewers.strategy: unknown value "nope" (want load-balance, round-robin, random, expertise)`}},
		{"recursive alias", "version: 1\nsla: &a {escalate_to: [*a]}\n",
			[]string{"2:24: document is too large or too deep here: more than 262144 values, 2097152 bytes of text or 64 levels (an alias counts its value each time it is used)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("p.yml", []byte(tt.in))
			var got []string
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("Parse(%q) = %v, want an ErrorList", tt.in, err)
			}
			for _, e := range list {
				if e.File != "p.yml" {
					t.Errorf("File = %q", e.File)
				}
				got = append(got, strings.TrimPrefix(e.Error(), "p.yml:"))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%q) errors:\n%s\nwant:\n%s", tt.in, strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestParseTooLarge(t *testing.T) {
	t.Parallel()
	data := []byte("version: 1\n# " + strings.Repeat("x", MaxFileSize) + "\n")
	_, err := Parse("big.yml", data)
	want := fmt.Sprintf("big.yml: file is %d bytes; a policy file may be at most 1048576 (1 MiB)", len(data))
	if err == nil || err.Error() != want {
		t.Errorf("Parse = %v, want %q", err, want)
	}
}

// TestParseAliasBomb: nine levels of ten aliases each would expand to a
// billion strings; Parse must refuse quickly instead.
func TestParseAliasBomb(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("version: 1\nx0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 9; i++ {
		fmt.Fprintf(&b, "x%d: &a%d [", i, i)
		for j := 0; j < 10; j++ {
			fmt.Fprintf(&b, "*a%d, ", i-1)
		}
		b.WriteString("]\n")
	}
	b.WriteString("reviewers: {rules: [{name: r, paths: *a8, reviewers: [a]}]}\n")
	_, err := Parse("bomb.yml", []byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "more than 262144 values") {
		t.Errorf("Parse = %v, want the alias limit", err)
	}
}

func TestParseCollectsAndCapsErrors(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("version: 1\nsla:\n  escalate_to:\n")
	for i := 0; i < 2*maxErrors; i++ {
		b.WriteString("    - -bad\n")
	}
	_, err := Parse("p.yml", []byte(b.String()))
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("Parse = %v", err)
	}
	if len(list) != maxErrors+1 || list[maxErrors].Msg != "and 100 more errors; fix these first" {
		t.Fatalf("got %d errors, last %v; want %d and a final note", len(list), list[len(list)-1], maxErrors+1)
	}
	for i, e := range list[:maxErrors] {
		if e.Line != 4+i || e.Column != 7 {
			t.Fatalf("error %d at %d:%d, want %d:7", i, e.Line, e.Column, 4+i)
		}
	}
}

func TestErrorFormat(t *testing.T) {
	t.Parallel()
	list := ErrorList{
		{File: "f.yml", Line: 3, Column: 2, Msg: "c"},
		{File: "f.yml", Line: 1, Column: 9, Msg: "b"},
		{File: "f.yml", Line: 1, Column: 0, Msg: "a"},
		{File: "f.yml", Msg: "whole file"},
	}
	list.sort()
	want := "f.yml: whole file\nf.yml:1: a\nf.yml:1:9: b\nf.yml:3:2: c"
	if got := list.Error(); got != want {
		t.Errorf("Error() =\n%s\nwant\n%s", got, want)
	}
	var e *Error
	if !errors.As(error(list), &e) || e.Msg != "whole file" {
		t.Errorf("errors.As found %v, want the first error", e)
	}
}
