package template

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/reviewpolicy/reviewpolicy/policy"
)

// The templates and bodies in testdata/projects are written for these tests
// in the shape of well-known projects' pull-request templates (Kubernetes,
// React, Django, Grafana): HTML-comment instructions, bold-line headings,
// release-note fences, example tickets and checklists.

func readProject(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/projects/" + name + ".md")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func ticket(pattern string) *policy.Ticket {
	return &policy.Ticket{Pattern: pattern, Regexp: regexp.MustCompile(pattern), In: []string{"body"}}
}

// projectCase is one description judged against a project's template.
type projectCase struct {
	name string
	body string
	want map[string]want
}

func runProject(t *testing.T, project string, tp *policy.TemplatePolicy, cases func(tmpl, body string) []projectCase) {
	t.Helper()
	tmpl, body := readProject(t, project+"-template"), readProject(t, project+"-body")
	for _, tt := range cases(tmpl, body) {
		t.Run(project+"/"+tt.name, func(t *testing.T) {
			t.Parallel()
			check(t, Evaluate(tp, policy.PullRequest{Body: tt.body}, tmpl), tt.want)
		})
	}
}

// replace is strings.Replace that fails the test when old is absent, so a
// case cannot silently test the unchanged body.
func replace(t *testing.T, s, old, new string) string {
	t.Helper()
	if !strings.Contains(s, old) {
		t.Fatalf("%q not found", old)
	}
	return strings.Replace(s, old, new, 1)
}

func TestProject_kubernetes(t *testing.T) {
	t.Parallel()
	tp := &policy.TemplatePolicy{
		Sections: []policy.Section{
			{Heading: "What this PR does / why we need it", MinWords: 15},
			{Heading: "Does this PR introduce a user-facing change?"},
		},
		Ticket: ticket(`#[0-9]+`),
	}
	const what, change = "What this PR does / why we need it", "Does this PR introduce a user-facing change?"
	runProject(t, "kubernetes", tp, func(tmpl, body string) []projectCase {
		return []projectCase{
			{"filled in", body, map[string]want{what: {Met, "37 words"}, change: {Met, "16 words"}, "ticket": {Met, "#118204 in body"}}},
			{"template untouched", tmpl, map[string]want{what: {Empty, ""}, change: {Placeholder, ""}, "ticket": {Missing, ""}}},
			{"release note left empty", replace(t, body, "Fixed a scheduler hang when a pod's PVC is deleted while the pod is being bound.\n", "\n"),
				map[string]want{what: {Met, ""}, change: {Placeholder, ""}, "ticket": {Met, ""}}},
			{"release note NONE", replace(t, body, "Fixed a scheduler hang when a pod's PVC is deleted while the pod is being bound.", "NONE"),
				map[string]want{what: {Met, ""}, change: {Met, "1 word"}, "ticket": {Met, ""}}},
			{"issue only in a comment", replace(t, body, "Fixes #118204", "<!-- Fixes #118204 -->"),
				map[string]want{what: {Met, ""}, change: {Met, ""}, "ticket": {Missing, "no match for #[0-9]+ in body"}}},
			{"slash command is not the description", replace(t, body, "The scheduler's volume binding plugin retried a failed PreBind forever when the\nclaim had been deleted meanwhile. It now gives up and reports the pod as\nunschedulable, so the pod is requeued with the usual back-off.\n", "/kind bug\n"),
				map[string]want{what: {TooShort, "2 words; needs at least 15"}, change: {Met, ""}, "ticket": {Met, ""}}},
		}
	})
}

func TestProject_react(t *testing.T) {
	t.Parallel()
	tp := &policy.TemplatePolicy{Sections: []policy.Section{
		{Heading: "Summary", MinWords: 15}, {Heading: "How did you test this change?", MinWords: 5},
	}}
	const summary, tested = "Summary", "How did you test this change?"
	runProject(t, "react", tp, func(tmpl, body string) []projectCase {
		return []projectCase{
			{"filled in", body, map[string]want{summary: {Met, "31 words"}, tested: {Met, "28 words"}}},
			{"template untouched", tmpl, map[string]want{summary: {Placeholder, ""}, tested: {Placeholder, ""}}},
			{"summary mentions an unclosed comment in code", replace(t, body, "`useDeferredValue` returned", "Fixes the lexer on `<!--`: `useDeferredValue` returned"),
				map[string]want{summary: {Met, "35 words"}, tested: {Met, "28 words"}}},
			{"testing only a screenshot tag", body[:strings.Index(body, "Added a regression")] + `<img width="600" alt="" src="https://example.com/shot.png">` + "\n",
				map[string]want{summary: {Met, ""}, tested: {Empty, ""}}},
		}
	})
}

func TestProject_django(t *testing.T) {
	t.Parallel()
	tp := &policy.TemplatePolicy{
		Sections:  []policy.Section{{Heading: "Branch description", MinWords: 10}},
		Ticket:    ticket(`ticket-[0-9]+`),
		Checklist: policy.ChecklistAll,
	}
	const branch = "Branch description"
	runProject(t, "django", tp, func(tmpl, body string) []projectCase {
		lastTwo := "- [x] I have added or updated relevant docs, including release notes if applicable.\n" +
			"- [x] I have attached screenshots in both light and dark modes for any UI changes. (No UI change.)\n"
		return []projectCase{
			{"filled in, a box ticked with a note", body, map[string]want{branch: {Met, "28 words"}, "ticket": {Met, "ticket-35012 in body"}, "checklist": {Met, "all 6 items ticked"}}},
			{"template untouched", tmpl, map[string]want{branch: {Placeholder, ""}, "ticket": {Missing, ""}, "checklist": {Missing, "6 of 6 items unticked"}}},
			{"box deleted", replace(t, body, "- [x] I have added or updated relevant tests.\n", ""),
				map[string]want{branch: {Met, ""}, "ticket": {Met, ""}, "checklist": {Missing, `1 of the template's 6 items missing (deleted, hidden or no longer a checkbox): "I have added or updated relevant tests"`}}},
			{"boxes hidden in a comment", replace(t, body, lastTwo, "<!--\n"+strings.ReplaceAll(lastTwo, "[x]", "[ ]")+"-->\n"),
				map[string]want{branch: {Met, ""}, "ticket": {Met, ""}, "checklist": {Missing, `2 of the template's 6 items missing`}}},
			{"box reworded", replace(t, body, "relevant tests.", "tests where needed."),
				map[string]want{branch: {Met, ""}, "ticket": {Met, ""}, "checklist": {Missing, `missing (deleted, hidden or no longer a checkbox): "I have added or updated relevant tests"`}}},
			{"ticket only in a fence", replace(t, body, "ticket-35012\n", "```\nticket-35012\n```\n"),
				map[string]want{branch: {Met, ""}, "ticket": {Missing, ""}, "checklist": {Met, ""}}},
		}
	})
}

func TestProject_grafana(t *testing.T) {
	t.Parallel()
	tp := &policy.TemplatePolicy{
		Sections: []policy.Section{
			{Heading: "What is this feature?", MinWords: 5}, {Heading: "Why do we need this feature?", MinWords: 5},
			{Heading: "Who is this feature for?"},
		},
		Ticket:    ticket(`#[0-9]+`),
		Checklist: policy.ChecklistAll,
	}
	const what, why, who = "What is this feature?", "Why do we need this feature?", "Who is this feature for?"
	runProject(t, "grafana", tp, func(tmpl, body string) []projectCase {
		return []projectCase{
			{"filled in", body, map[string]want{what: {Met, "23 words"}, why: {Met, "13 words"}, who: {Met, "6 words"},
				"ticket": {Met, "#80412 in body"}, "checklist": {Met, "all 3 items ticked"}}},
			{"template untouched", tmpl, map[string]want{what: {Placeholder, ""}, why: {Placeholder, ""}, who: {Placeholder, ""},
				"ticket": {Missing, ""}, "checklist": {Missing, "3 of 3 items unticked"}}},
			{"boxes turned into bullets", strings.ReplaceAll(body, "- [x] ", "- "),
				map[string]want{what: {Met, ""}, why: {Met, ""}, who: {Met, ""}, "ticket": {Met, ""},
					"checklist": {Missing, `3 of the template's 3 items missing (deleted, hidden or no longer a checkbox): "It works as expected from a user's perspective"`}}},
			{"placeholder kept under one heading", replace(t, body, "Dashboard authors and on-call engineers.", "[Add information on what kind of user the feature is for.]"),
				map[string]want{what: {Met, ""}, why: {Met, ""}, who: {Placeholder, ""}, "ticket": {Met, ""}, "checklist": {Met, ""}}},
		}
	})
}
