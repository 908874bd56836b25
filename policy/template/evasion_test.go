package template

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/reviewpolicy/reviewpolicy/policy"
)

// These tests come from issue 14: each evasion passed the hand-written
// reader, and each false failure failed it.

// checklistTemplate is a template whose boxes an author may try to dodge.
const checklistTemplate = `## Summary
<!-- What does this change and why? -->

## Checklist
- [ ] Tests added or updated
- [ ] Documentation updated
- [ ] Changelog entry added
`

func TestEvaluate_checklistCannotBeDodged(t *testing.T) {
	t.Parallel()
	const head = "## Summary\nMakes the exporter retry on timeouts.\n\n## Checklist\n- [x] Tests added or updated\n"
	tests := []struct {
		name string
		body string
		want want
	}{
		{"all ticked", head + "- [x] Documentation updated\n- [x] Changelog entry added\n", want{Met, "all 3 items ticked"}},
		{"ticked with a note, extra box ticked", head + "- [x] Documentation updated: none needed, internal only\n" +
			"- [X] **Changelog entry added**\n- [x] Benchmarks run\n", want{Met, "all 4 items ticked"}},
		{"order and case do not matter", "- [x] changelog entry added\n- [x] DOCUMENTATION UPDATED\n- [x] Tests added or updated\n",
			want{Met, "all 3 items ticked"}},
		{"unticked boxes deleted", head, want{Missing,
			`2 of the template's 3 items missing (deleted, hidden or no longer a checkbox): "Documentation updated", "Changelog entry added"`}},
		{"unticked boxes hidden in a comment", head + "<!--\n- [ ] Documentation updated\n- [ ] Changelog entry added\n-->\n",
			want{Missing, `"Documentation updated", "Changelog entry added"`}},
		{"unticked boxes hidden in a fence", head + "```\n- [ ] Documentation updated\n- [ ] Changelog entry added\n```\n",
			want{Missing, `2 of the template's 3 items missing`}},
		{"unticked boxes hidden in an indented code block", head + "\nNotes:\n\n    - [ ] Documentation updated\n    - [ ] Changelog entry added\n",
			want{Missing, `2 of the template's 3 items missing`}},
		{"boxes turned into plain bullets", head + "- Documentation updated\n- Changelog entry added\n",
			want{Missing, `2 of the template's 3 items missing`}},
		{"box turned into text", head + "- [x] Documentation updated\n\\[ ] Changelog entry added\n",
			want{Missing, `1 of the template's 3 items missing (deleted, hidden or no longer a checkbox): "Changelog entry added"`}},
		{"a template box twice needs two", strings.Replace(head, "- [x] Tests", "- [x] Tests added or updated\n- [x] Tests", 1) +
			"- [x] Documentation updated\n", want{Missing, `"Changelog entry added"`}},
		{"unticked template box", head + "- [ ] Documentation updated\n- [x] Changelog entry added\n",
			want{Missing, `1 of 3 items unticked: "Documentation updated"`}},
		{"unticked extra box", head + "- [x] Documentation updated\n- [x] Changelog entry added\n- [ ] Follow-up filed\n",
			want{Missing, `1 of 4 items unticked: "Follow-up filed"`}},
		{"missing and unticked both named", head + "- [ ] Documentation updated\n",
			want{Missing, `missing (deleted, hidden or no longer a checkbox): "Changelog entry added"; 1 of 2 items unticked: "Documentation updated"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tp := &policy.TemplatePolicy{Checklist: policy.ChecklistAll}
			check(t, Evaluate(tp, policy.PullRequest{Body: tt.body}, checklistTemplate), map[string]want{"checklist": tt.want})
		})
	}
}

// A box's text is the author's (or the template author's) and is echoed in
// the detail: it must come back short, whatever its length.
func TestEvaluate_checklistNamesBoxesBriefly(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("@acme/everyone ", 2000)
	tmpl := "- [ ] " + long + "\n- [ ] second\n"
	tp := &policy.TemplatePolicy{Checklist: policy.ChecklistAll}
	for _, body := range []string{"", "- [ ] " + long + "\n- [x] second\n"} {
		it := Evaluate(tp, policy.PullRequest{Body: body}, tmpl).Items[0]
		if it.Status != Missing || !strings.Contains(it.Detail, `"acme/everyone @acme/everyone`) || !strings.Contains(it.Detail, "…") {
			t.Errorf("body %.20q: item %+v, want the long box named and cut", body, it)
		}
		if n := utf8.RuneCountInString(it.Detail); n > 300 {
			t.Errorf("body %.20q: detail of %d characters, want at most 300", body, n)
		}
	}
	many := strings.Repeat("- [ ] x\n", 10000)
	it := Evaluate(tp, policy.PullRequest{Body: many}, many).Items[0]
	if !strings.Contains(it.Detail, "and 9995 more") || len(it.Detail) > 300 {
		t.Errorf("10,000 unticked boxes: detail %q, want five named and the rest counted", it.Detail)
	}
}

func TestEvaluate_invisibleTextIsNotWords(t *testing.T) {
	t.Parallel()
	tp := &policy.TemplatePolicy{Sections: []policy.Section{{Heading: "Testing", MinWords: 3}}}
	tests := []struct {
		name string
		body string
		want want
	}{
		{"non-breaking spaces", "## Testing\n&nbsp;\n&nbsp;&nbsp;&nbsp;\n", want{Empty, ""}},
		{"link-reference comments", "## Testing\n[//]: # (I ran every test there is and more)\n[comment]: <> (hidden words here)\n", want{Empty, ""}},
		{"link destinations", "## Testing\n[ok](https://example.com/ran/all/the/tests)\n", want{TooShort, "1 word"}},
		{"html comment", "## Testing\n<!-- ran all the tests -->\n", want{Placeholder, ""}},
		{"html tags", "## Testing\n<img src=\"https://example.com/ran/all/the/tests.png\">\n", want{Empty, ""}},
		{"entities are one character", "## Testing\nR&amp;D&#39;s rig&colon; ok\n", want{Met, "4 words"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			check(t, Evaluate(tp, policy.PullRequest{Body: tt.body}, ""), map[string]want{"Testing": tt.want})
		})
	}
}

func TestEvaluate_ticketMustBeVisible(t *testing.T) {
	t.Parallel()
	tp := &policy.TemplatePolicy{Ticket: &policy.Ticket{Regexp: ticketRE, In: []string{"body"}}}
	for _, body := range []string{
		"Fixes it.\n```\nPAY-481\n```\n",
		"Fixes it.\n~~~text\nsee PAY-481\n~~~\n",
		"Fixes it.\n\n    PAY-481\n",
		"Fixes it.\n<!-- PAY-481 -->\n",
		"Fixes it. <!--\nPAY-481\n-->\n",
		"Fixes it.\n\n[//]: # (PAY-481)\n",
	} {
		if it := Evaluate(tp, policy.PullRequest{Body: body}, "").Items[0]; it.Status != Missing {
			t.Errorf("ticket only hidden in %q: %+v, want missing", body, it)
		}
	}
}

func TestEvaluate_noFalseFailures(t *testing.T) {
	t.Parallel()
	tp := &policy.TemplatePolicy{Sections: []policy.Section{
		{Heading: "Summary", MinWords: 3}, {Heading: "Testing"}, {Heading: "Q&A"},
	}}
	const rest = "\n## Testing\nRan the lexer tests.\n## Q&amp;A\nNone.\n"
	tests := []struct{ name, body string }{
		{"unclosed comment in inline code", "## Summary\nFixes the lexer on `<!--`." + rest},
		{"unclosed comment in a code block", "## Summary\nFixes the lexer on this input:\n```\n<!--\n```" + rest},
		{"unclosed comment mid-paragraph", "## Summary\nA lone <!-- in text is shown as text." + rest},
		{"linked heading", "## Summary\nFixes the lexer here.\n## [Testing](https://example.com/testing)\nRan the lexer tests.\n## Q&A\nNone.\n"},
		{"headings in emphasis and code", "## *Summary*\nFixes the lexer here.\n## `Testing`\nRan them.\n### **Q&A**\nNone.\n"},
		{"heading in a block quote", "> ## Summary\n> Fixes the lexer here.\n" + rest},
		{"heading with escaped characters", "## Summary\nFixes the lexer here.\n## Testing\\!\nRan them.\n## Q\\&A\nNone.\n"},
		{"tab before heading text", "##\tSummary\nFixes the lexer here." + rest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := Evaluate(tp, policy.PullRequest{Body: tt.body}, "")
			if !r.OK() {
				t.Errorf("%+v", r.Items)
			}
		})
	}
}
