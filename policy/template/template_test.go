package template

import (
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/reviewpolicy/reviewpolicy/policy"
)

// repoTemplate is a typical .github/pull_request_template.md.
const repoTemplate = `## Description
<!-- Describe your changes in detail. What problem does it solve? -->

## Ticket
<!-- Link the Jira ticket. -->
Example: PROJ-123

## Type of change
<!-- Keep the one that applies. -->
- Bug fix
- New feature
- Breaking change

## How has this been tested?
<!--
Please describe the tests that you ran to verify your changes.
Provide instructions so we can reproduce.
-->
Describe your test setup here.

## Migration plan
<!-- Only for database changes: how do we roll back? -->

## Checklist
- [ ] My code follows the style guidelines of this project
- [ ] I have performed a self-review of my own code
- [ ] I have added tests that prove my fix is effective or that my feature works
`

// filledBody is repoTemplate as a diligent developer fills it in.
const filledBody = `## Description
<!-- Describe your changes in detail. What problem does it solve? -->
Retries the payment webhook with exponential backoff so that short outages
of the provider no longer drop events.

## Ticket
<!-- Link the Jira ticket. -->
Closes PAY-481

## Type of change
<!-- Keep the one that applies. -->
- Bug fix

## How has this been tested?
<!--
Please describe the tests that you ran to verify your changes.
Provide instructions so we can reproduce.
-->
Unit tests for the backoff schedule; replayed a day of production webhooks.

## Checklist
- [x] My code follows the style guidelines of this project
- [x] I have performed a self-review of my own code
- [x] I have added tests that prove my fix is effective or that my feature works
`

var ticketRE = regexp.MustCompile(`[A-Z][A-Z0-9]+-[0-9]+`)

// fullPolicy uses every feature of the template area.
func fullPolicy() *policy.TemplatePolicy {
	return &policy.TemplatePolicy{
		Sections: []policy.Section{
			{Heading: "Description", MinWords: 10},
			{Heading: "How has this been tested?"},
			{Heading: "Migration plan", When: &policy.Condition{Paths: []string{"migrations/**"}}},
		},
		Ticket:    &policy.Ticket{Pattern: ticketRE.String(), Regexp: ticketRE, In: []string{"title", "body", "branch"}},
		Checklist: policy.ChecklistAll,
	}
}

// want is the expected outcome of one item; detail is a substring of Detail.
type want struct {
	status Status
	detail string
}

// check compares r with the expected items by name; items not in w must be absent.
func check(t *testing.T, r Result, w map[string]want) {
	t.Helper()
	if r.Skipped != "" {
		t.Fatalf("skipped: %s", r.Skipped)
	}
	got := make(map[string]Item, len(r.Items))
	for _, it := range r.Items {
		got[it.Name] = it
	}
	for name, exp := range w {
		it, ok := got[name]
		if !ok {
			t.Errorf("%s: no item; items %+v", name, r.Items)
			continue
		}
		if it.Status != exp.status || !strings.Contains(it.Detail, exp.detail) {
			t.Errorf("%s = %s (%q), want %s (%q)", name, it.Status, it.Detail, exp.status, exp.detail)
		}
	}
	for name, it := range got {
		if _, ok := w[name]; !ok {
			t.Errorf("unexpected item %s: %+v", name, it)
		}
	}
	allMet := true
	for _, exp := range w {
		allMet = allMet && exp.status == Met
	}
	if r.OK() != allMet {
		t.Errorf("OK() = %v, want %v", r.OK(), allMet)
	}
}

func TestEvaluate_againstRepositoryTemplate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		title string
		body  string
		files []string
		want  map[string]want
	}{
		{
			name: "filled in",
			body: filledBody,
			want: map[string]want{
				"Description":               {Met, "18 words"},
				"How has this been tested?": {Met, "12 words"},
				"ticket":                    {Met, "PAY-481 in body"},
				"checklist":                 {Met, "all 3 items ticked"},
			},
		},
		{
			name: "filled in with CRLF line endings",
			body: strings.ReplaceAll(filledBody, "\n", "\r\n"),
			want: map[string]want{
				"Description":               {Met, "18 words"},
				"How has this been tested?": {Met, "12 words"},
				"ticket":                    {Met, "PAY-481 in body"},
				"checklist":                 {Met, "all 3 items ticked"},
			},
		},
		{
			name: "filled in with old Mac CR line endings",
			body: strings.ReplaceAll(filledBody, "\n", "\r"),
			want: map[string]want{
				"Description":               {Met, "18 words"},
				"How has this been tested?": {Met, "12 words"},
				"ticket":                    {Met, "PAY-481 in body"},
				"checklist":                 {Met, "all 3 items ticked"},
			},
		},
		{
			name: "template submitted untouched",
			body: repoTemplate,
			want: map[string]want{
				"Description":               {Placeholder, "placeholder"},
				"How has this been tested?": {Placeholder, "placeholder"},
				"ticket":                    {Missing, "no match for [A-Z][A-Z0-9]+-[0-9]+ in title, body or branch"},
				"checklist":                 {Missing, "3 of 3 items unticked"},
			},
		},
		{
			name: "template untouched with CRLF",
			body: strings.ReplaceAll(repoTemplate, "\n", "\r\n"),
			want: map[string]want{
				"Description":               {Placeholder, ""},
				"How has this been tested?": {Placeholder, ""},
				"ticket":                    {Missing, ""},
				"checklist":                 {Missing, "3 of 3"},
			},
		},
		{
			name: "empty body",
			body: "",
			want: map[string]want{
				"Description":               {Missing, `no "Description" heading`},
				"How has this been tested?": {Missing, `no "How has this been tested?" heading`},
				"ticket":                    {Missing, "no match"},
				"checklist":                 {Missing, `3 of the template's 3 items missing (deleted, hidden or no longer a checkbox): "My code follows`},
			},
		},
		{
			name:  "ticket in title, short description, comments removed",
			title: "PAY-481: retry webhooks",
			body: "## Description\nRetry webhooks. <!-- please write at least ten words here, really -->\n" +
				"## How has this been tested?\n\n\n## Checklist\n- [x] done",
			want: map[string]want{
				"Description":               {TooShort, "2 words; needs at least 10"},
				"How has this been tested?": {Empty, "nothing written"},
				"ticket":                    {Met, "PAY-481 in title"},
				"checklist":                 {Missing, "3 of the template's 3 items missing"},
			},
		},
		{
			name:  "migration section required by changed files",
			title: "DB-7 add index",
			body:  filledBody,
			files: []string{"cmd/main.go", "migrations/0042_index.sql"},
			want: map[string]want{
				"Description":               {Met, ""},
				"How has this been tested?": {Met, ""},
				"Migration plan":            {Missing, `no "Migration plan" heading`},
				"ticket":                    {Met, "DB-7 in title"},
				"checklist":                 {Met, ""},
			},
		},
		{
			name:  "migration section left as the template's comment",
			title: "DB-7 add index",
			body:  filledBody + "\n## Migration plan\n<!-- Only for database changes: how do we roll back? -->\n",
			files: []string{"migrations/0042_index.sql"},
			want: map[string]want{
				"Description":               {Met, ""},
				"How has this been tested?": {Met, ""},
				"Migration plan":            {Placeholder, ""},
				"ticket":                    {Met, ""},
				"checklist":                 {Met, ""},
			},
		},
		{
			name: "placeholder line kept next to real text",
			body: strings.Replace(filledBody, "Unit tests for the backoff",
				"Describe your test setup here.\nUnit tests for the backoff", 1),
			want: map[string]want{
				"Description":               {Met, ""},
				"How has this been tested?": {Met, "12 words"},
				"ticket":                    {Met, ""},
				"checklist":                 {Met, ""},
			},
		},
		{
			name: "ticket only in the template's example and a comment",
			body: strings.Replace(filledBody, "Closes PAY-481", "Example: PROJ-123\n<!-- PAY-481 -->", 1),
			want: map[string]want{
				"Description":               {Met, ""},
				"How has this been tested?": {Met, ""},
				"ticket":                    {Missing, "no match"},
				"checklist":                 {Met, ""},
			},
		},
		{
			name: "checklist deleted",
			body: filledBody[:strings.Index(filledBody, "## Checklist")],
			want: map[string]want{
				"Description":               {Met, ""},
				"How has this been tested?": {Met, ""},
				"ticket":                    {Met, ""},
				"checklist":                 {Missing, "3 of the template's 3 items missing"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pr := policy.PullRequest{Title: tt.title, Body: tt.body, Branch: "main-fix", Files: tt.files}
			check(t, Evaluate(fullPolicy(), pr, repoTemplate), tt.want)
		})
	}
}

func TestEvaluate_headingStyles(t *testing.T) {
	t.Parallel()
	tp := &policy.TemplatePolicy{Sections: []policy.Section{{Heading: "Testing", MinWords: 3}}}
	tests := []struct {
		name string
		body string
		want want
	}{
		{"atx", "## Testing\nRan the unit tests.", want{Met, "4 words"}},
		{"atx closed and deeper", "#### testing ####\nRan the unit tests.", want{Met, "4 words"}},
		{"emoji and colon", "## 🧪 Testing:\nRan the unit tests.", want{Met, "4 words"}},
		{"setext", "Testing\n-------\nRan the unit tests.", want{Met, "4 words"}},
		{"bold line", "**Testing**\nRan the unit tests.\n**Notes**\nNone at all here.", want{Met, "4 words"}},
		{"bold with colon", "__Testing:__\nRan the unit tests.", want{Met, "4 words"}},
		{"only in a code fence", "```md\n## Testing\nRan the unit tests.\n```", want{Missing, "no \"Testing\""}},
		{"only in a tilde fence", "~~~~\n## Testing\n~~~~\nRan the unit tests.", want{Missing, ""}},
		{"only in a comment", "<!-- ## Testing -->\nRan the unit tests.", want{Missing, ""}},
		{"sub-headings belong to the section", "## Testing\n### Unit\ngo test ./...\n### Manual\nclicked\n## Notes\nmany more words here",
			want{Met, "5 words"}},
		{"section ends at same level", "## Testing\n## Notes\nmany more words here", want{Empty, ""}},
		{"section ends at higher level", "### Testing\nok\n# Notes\nmany more words here", want{TooShort, "1 word; needs at least 3"}},
		{"bold answer does not end the section", "## Testing\n**Not needed**: docs only change.", want{Met, "5 words"}},
		{"best of repeated headings", "## Testing\n\n## Testing\nRan the unit tests.", want{Met, "4 words"}},
		{"task markers are not words", "## Testing\n- [x] a\n- [ ] b", want{TooShort, "2 words"}},
		{"code counts, fences do not", "## Testing\n```go\ngo test ./...\n```", want{TooShort, "2 words"}},
		{"comment only", "## Testing\n<!-- describe -->", want{Placeholder, ""}},
		{"nested lists", "## Testing\n- unit\n  - parser\n    1. edge cases", want{Met, "4 words"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			check(t, Evaluate(tp, policy.PullRequest{Body: tt.body}, ""), map[string]want{"Testing": tt.want})
		})
	}
}

func TestEvaluate_languages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		heading  string
		minWords int
		tmpl     string
		body     string
		want     want
	}{
		{
			name: "German", heading: "Beschreibung", minWords: 5,
			tmpl: "## 📝 Beschreibung\nBitte hier beschreiben.\n",
			body: "## 📝 Beschreibung\nBitte hier beschreiben.\nÄndert die Größe der Übersicht für schmale Bildschirme.\n",
			want: want{Met, "8 words"},
		},
		{
			name: "German placeholder", heading: "beschreibung",
			tmpl: "## Beschreibung\nBitte hier beschreiben.\n",
			body: "## BESCHREIBUNG\r\n   Bitte hier beschreiben.   \r\n",
			want: want{Placeholder, ""},
		},
		{
			name: "Japanese", heading: "テスト方法", minWords: 5,
			tmpl: "## テスト方法\n<!-- テストの手順を書いてください -->\n",
			body: "## テスト方法\n<!-- テストの手順を書いてください -->\n単体テストを追加しました。\n",
			want: want{Met, "12 words"},
		},
		{
			name: "Japanese too short", heading: "概要", minWords: 5,
			body: "### 概要\n修正\n",
			want: want{TooShort, "2 words; needs at least 5"},
		},
		{
			name: "Cyrillic setext", heading: "Описание", minWords: 3,
			body: "ОПИСАНИЕ\n========\nИсправлена ошибка входа через SSO.\n",
			want: want{Met, "5 words"},
		},
		{
			name: "Cyrillic placeholder list", heading: "Проверка",
			tmpl: "## Проверка\n- [ ] Юнит-тесты\n",
			body: "## Проверка\n- [ ] Юнит-тесты\n",
			want: want{Placeholder, ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tp := &policy.TemplatePolicy{Sections: []policy.Section{{Heading: tt.heading, MinWords: tt.minWords}}}
			check(t, Evaluate(tp, policy.PullRequest{Body: tt.body}, tt.tmpl), map[string]want{tt.heading: tt.want})
		})
	}
}

func TestEvaluate_conditions(t *testing.T) {
	t.Parallel()
	when := func(paths, labels []string) *policy.TemplatePolicy {
		return &policy.TemplatePolicy{Sections: []policy.Section{
			{Heading: "Rollback", When: &policy.Condition{Paths: paths, Labels: labels}},
		}}
	}
	tests := []struct {
		name     string
		tp       *policy.TemplatePolicy
		files    []string
		labels   []string
		required bool
	}{
		{"path matches", when([]string{"migrations/**"}, nil), []string{"migrations/1.sql"}, nil, true},
		{"base-name glob matches at depth", when([]string{"*.sql"}, nil), []string{"db/x/1.sql"}, nil, true},
		{"no path matches", when([]string{"migrations/**"}, nil), []string{"main.go"}, nil, false},
		{"no files", when([]string{"migrations/**"}, nil), nil, nil, false},
		{"label matches, case-insensitive", when(nil, []string{"database"}), nil, []string{"Database"}, true},
		{"label absent", when(nil, []string{"database"}), nil, []string{"docs"}, false},
		{"both hold", when([]string{"*.sql"}, []string{"db"}), []string{"1.sql"}, []string{"db"}, true},
		{"only path holds", when([]string{"*.sql"}, []string{"db"}), []string{"1.sql"}, nil, false},
		{"only label holds", when([]string{"*.sql"}, []string{"db"}), []string{"a.go"}, []string{"db"}, false},
		{"empty condition always holds", when(nil, nil), nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := Evaluate(tt.tp, policy.PullRequest{Body: "## Notes\ntext", Files: tt.files, Labels: tt.labels}, "")
			w := map[string]want{}
			if tt.required {
				w["Rollback"] = want{Missing, ""}
			}
			check(t, r, w)
		})
	}
}

func TestEvaluate_ticket(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		in     []string
		title  string
		body   string
		branch string
		want   want
	}{
		{"title", []string{"title"}, "ABC-12 fix", "", "", want{Met, "ABC-12 in title"}},
		{"branch", []string{"branch"}, "", "", "feature/ABC-12-fix", want{Met, "ABC-12 in branch"}},
		{"body", []string{"body"}, "", "Fixes ABC-12.", "", want{Met, "ABC-12 in body"}},
		{"body in code does not count", []string{"body"}, "", "```\nABC-12\n```", "", want{Missing, "in body"}},
		{"body in an indented code block does not count", []string{"body"}, "", "    ABC-12\n", "", want{Missing, "in body"}},
		{"body in inline code counts", []string{"body"}, "", "Fixes `ABC-12`.", "", want{Met, "ABC-12 in body"}},
		{"body in a link target counts", []string{"body"}, "", "Fixes [the bug](https://jira.example.com/browse/ABC-12).", "", want{Met, "ABC-12 in body"}},
		{"body in an unclosed comment does not count", []string{"body"}, "", "Text\n\n<!-- ABC-12\nmore", "", want{Missing, "in body"}},
		{"body only when asked", []string{"title", "branch"}, "fix", "Fixes ABC-12.", "abc-12", want{Missing, "no match for [A-Z][A-Z0-9]+-[0-9]+ in title or branch"}},
		{"comment does not count", []string{"body"}, "", "<!-- e.g. ABC-12 -->", "", want{Missing, "in body"}},
		{"template example does not count", []string{"body"}, "", "  Ticket: XYZ-1  \n", "", want{Missing, ""}},
		{"edited template line counts", []string{"body"}, "", "Ticket: XYZ-2\n", "", want{Met, "XYZ-2 in body"}},
		{"default places", nil, "", "", "ABC-9", want{Met, "ABC-9 in branch"}},
		{"nowhere", nil, "fix", "text", "main", want{Missing, "in title, body or branch"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tp := &policy.TemplatePolicy{Ticket: &policy.Ticket{Regexp: ticketRE, In: tt.in}}
			pr := policy.PullRequest{Title: tt.title, Body: tt.body, Branch: tt.branch}
			check(t, Evaluate(tp, pr, "Ticket: XYZ-1\n"), map[string]want{"ticket": tt.want})
		})
	}
}

func TestEvaluate_ticketPatternWithoutRegexp(t *testing.T) {
	t.Parallel()
	ok := &policy.TemplatePolicy{Ticket: &policy.Ticket{Pattern: `#[0-9]+`}}
	check(t, Evaluate(ok, policy.PullRequest{Body: "Fixes #42"}, ""), map[string]want{"ticket": {Met, "#42 in body"}})
	anchored := &policy.TemplatePolicy{Ticket: &policy.Ticket{Pattern: `^Ticket: [A-Z]+-\d+$`, In: []string{"body"}}}
	check(t, Evaluate(anchored, policy.PullRequest{Body: "Intro Ticket: AB-0\n  Ticket: AB-1  \r\n"}, ""),
		map[string]want{"ticket": {Met, "Ticket: AB-1 in body"}})
	bad := &policy.TemplatePolicy{Ticket: &policy.Ticket{Pattern: `(`}}
	check(t, Evaluate(bad, policy.PullRequest{Title: "("}, ""), map[string]want{"ticket": {Missing, "invalid ticket pattern"}})
}

func TestRequiredLiteral(t *testing.T) {
	t.Parallel()
	tests := []struct{ pattern, want string }{
		{`[A-Z]+-[0-9]+`, "-"},
		{`PROJ-\d+`, "PROJ-"},
		{`(?:JIRA|OPS)-\d{2,}`, "-"},
		{`#(\d+)`, "#"},
		{`(?i)proj-\d+`, ""},
		{`[A-Z]+-?[0-9]+`, ""},
		{`ABC-\d+|#\d+`, ""},
		{`(?:x-y)+\d`, "x-y"},
		{`(?:x-y){0,3}\d`, ""},
	}
	for _, tt := range tests {
		re := regexp.MustCompile(tt.pattern)
		if got := requiredLiteral(re); got != tt.want {
			t.Errorf("requiredLiteral(%s) = %q, want %q", tt.pattern, got, tt.want)
		}
	}
}

func TestEvaluate_checklist(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("very long item text ", 10)
	tests := []struct {
		name string
		body string
		want want
	}{
		{"all ticked, every marker", "- [x] a\n* [X] b\n+ [x] c\n1. [x] d\n2) [X] e", want{Met, "all 5 items ticked"}},
		{"nested unticked", "- [x] parent\n  - [ ] child one\n    * [ ] grandchild", want{Missing, `2 of 3 items unticked: "child one", "grandchild"`}},
		{"numbered unticked", "1. [ ] first\n2. [x] second", want{Missing, `1 of 2 items unticked: "first"`}},
		{"in a block quote", "> - [ ] quoted", want{Missing, `"quoted"`}},
		{"in a code fence ignored", "- [x] real\n```\n- [ ] example\n```", want{Met, "all 1 item ticked"}},
		{"in a comment ignored", "- [x] real\n<!--\n- [ ] hidden\n-->", want{Met, "all 1 item ticked"}},
		{"no items anywhere", "Just text.", want{Met, "no checklist items"}},
		{"empty item", "- [ ]", want{Missing, `"(no text)"`}},
		{"long text truncated", "- [ ] " + long, want{Missing, `"very long item text very long item text very long item text…"`}},
		{"many unticked", "- [ ] 1\n- [ ] 2\n- [ ] 3\n- [ ] 4\n- [ ] 5\n- [ ] 6\n- [ ] 7",
			want{Missing, `7 of 7 items unticked: "1", "2", "3", "4", "5", and 2 more`}},
		{"CRLF", "- [x] a\r\n- [ ] b\r\n", want{Missing, `1 of 2 items unticked: "b"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tp := &policy.TemplatePolicy{Checklist: policy.ChecklistAll}
			check(t, Evaluate(tp, policy.PullRequest{Body: tt.body}, ""), map[string]want{"checklist": tt.want})
		})
	}
}

func TestEvaluate_checklistNoneIgnoresTasks(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"", policy.ChecklistNone} {
		tp := &policy.TemplatePolicy{Checklist: mode}
		check(t, Evaluate(tp, policy.PullRequest{Body: "- [ ] open"}, ""), map[string]want{})
	}
}

func TestEvaluate_skips(t *testing.T) {
	t.Parallel()
	tp := fullPolicy()
	tp.Skip = policy.Skip{Authors: []string{"Dependabot[bot]", "renovate"}, Labels: []string{"no-template"}, Drafts: true}
	tests := []struct {
		name string
		pr   policy.PullRequest
		want string
	}{
		{"draft", policy.PullRequest{Draft: true}, "draft pull request"},
		{"author case-insensitive", policy.PullRequest{Author: "dependabot[bot]"}, "author dependabot[bot] is skipped"},
		{"bot without suffix in policy", policy.PullRequest{Author: "renovate[bot]", AuthorBot: true}, "author renovate[bot] is skipped"},
		{"label case-insensitive", policy.PullRequest{Labels: []string{"docs", "No-Template"}}, "label No-Template"},
		{"not skipped", policy.PullRequest{Author: "renovate-fan", Labels: []string{"docs"}}, ""},
		{"human named like a bot", policy.PullRequest{Author: "renovate[bot]"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := Evaluate(tp, tt.pr, repoTemplate)
			if r.Skipped != tt.want {
				t.Fatalf("Skipped = %q, want %q", r.Skipped, tt.want)
			}
			if tt.want != "" && (len(r.Items) != 0 || !r.OK()) {
				t.Errorf("skipped result = %+v, want no items and OK", r)
			}
			if tt.want == "" && (len(r.Items) == 0 || r.OK()) {
				t.Errorf("empty pull request passed: %+v", r)
			}
		})
	}
	if tp2 := fullPolicy(); Evaluate(tp2, policy.PullRequest{Draft: true}, "").Skipped != "" {
		t.Error("draft skipped although skip.drafts is off")
	}
}

func TestEvaluate_nilPolicy(t *testing.T) {
	t.Parallel()
	r := Evaluate(nil, policy.PullRequest{Body: "anything"}, repoTemplate)
	if !r.OK() || r.Skipped != "" || len(r.Items) != 0 {
		t.Errorf("Evaluate(nil) = %+v, want an empty OK result", r)
	}
}

func TestResultOK(t *testing.T) {
	t.Parallel()
	if !(Result{Skipped: "draft pull request", Items: []Item{{Status: Missing}}}).OK() {
		t.Error("skipped result should be OK")
	}
	if (Result{Items: []Item{{Status: Met}, {Status: TooShort}}}).OK() {
		t.Error("result with a too-short item should not be OK")
	}
}

func TestEvaluate_largeBody(t *testing.T) {
	t.Parallel()
	body := largeBody(1 << 20)
	r := Evaluate(fullPolicy(), policy.PullRequest{Body: body}, repoTemplate)
	check(t, r, map[string]want{
		"Description":               {Met, ""},
		"How has this been tested?": {Met, ""},
		"ticket":                    {Met, "PAY-481 in body"},
		"checklist":                 {Met, ""},
	})
}

// largeBody is filledBody followed by realistic filler up to size bytes: text,
// code fences, comments, ticked tasks, sub-headings.
func largeBody(size int) string {
	var b strings.Builder
	b.WriteString(filledBody)
	chunk := "\n### Details\nThe retry loop now honours the provider's Retry-After header and caps the delay.\n" +
		"<!-- reviewer note: check the cap -->\n```go\nfor attempt := 0; attempt < max; attempt++ {\n\tsleep(backoff(attempt))\n}\n```\n" +
		"- [x] benchmarked\n  - [x] nested detail\n"
	for b.Len() < size {
		b.WriteString(chunk)
	}
	return b.String()
}

func BenchmarkEvaluate64KiB(b *testing.B) {
	tp := fullPolicy()
	pr := policy.PullRequest{Title: "PAY-481 retry webhooks", Body: largeBody(64 << 10), Files: []string{"migrations/1.sql"}}
	benchEvaluate(b, tp, pr)
}

// BenchmarkEvaluate256KiB judges the largest description parse reads.
func BenchmarkEvaluate256KiB(b *testing.B) {
	tp := fullPolicy()
	pr := policy.PullRequest{Title: "PAY-481 retry webhooks", Body: largeBody(maxDocBytes), Files: []string{"migrations/1.sql"}}
	benchEvaluate(b, tp, pr)
}

// BenchmarkEvaluate64KiBNoTicket is the worst case for the ticket search: no
// match anywhere, so every body line is searched.
func BenchmarkEvaluate64KiBNoTicket(b *testing.B) {
	tp := fullPolicy()
	body := strings.ReplaceAll(largeBody(64<<10), "PAY-481", "the payments ticket")
	pr := policy.PullRequest{Title: "retry webhooks", Body: body}
	benchEvaluate(b, tp, pr)
}

func FuzzEvaluate(f *testing.F) {
	for _, s := range []string{filledBody, repoTemplate, "", "## A\r\n```\r\n## B", "<!--", "**x**\n---", "- [ ]"} {
		f.Add(s, repoTemplate)
	}
	tp := fullPolicy()
	tp.Sections = append(tp.Sections, policy.Section{Heading: "B"}, policy.Section{Heading: "x", MinWords: 2})
	f.Fuzz(func(t *testing.T, body, tmpl string) {
		pr := policy.PullRequest{Title: "t", Body: body, Files: []string{"migrations/1"}}
		r := Evaluate(tp, pr, tmpl)
		// Line endings must not change the outcome.
		crlf := pr
		crlf.Body = strings.ReplaceAll(normalizeNewlines(body), "\n", "\r\n")
		if r2 := Evaluate(tp, crlf, strings.ReplaceAll(normalizeNewlines(tmpl), "\n", "\r\n")); !reflect.DeepEqual(r, r2) {
			t.Fatalf("CRLF changed the result:\n LF %+v\n CRLF %+v", r, r2)
		}
		if len(r.Items) != len(tp.Sections)+2 {
			t.Fatalf("got %d items, want %d", len(r.Items), len(tp.Sections)+2)
		}
		for _, it := range r.Items {
			switch it.Status {
			case Met, TooShort, Placeholder, Empty, Missing:
			default:
				t.Fatalf("unknown status in %+v", it)
			}
			if it.Status != Met && it.Detail == "" {
				t.Fatalf("bad item %+v", it)
			}
		}
	})
}

func TestEvaluate_sizeAndAuthorConditions(t *testing.T) {
	t.Parallel()
	tp := &policy.TemplatePolicy{Sections: []policy.Section{
		{Heading: "Rollout plan", When: &policy.Condition{LinesChanged: &policy.Comparison{Op: ">", N: 500}}},
		{Heading: "Onboarding", When: &policy.Condition{AuthorFirstTime: true, Authors: []string{"@acme/interns"}}},
	}}
	tests := []struct {
		name string
		pr   policy.PullRequest
		want map[string]want
	}{
		{"small change by a regular", policy.PullRequest{LinesChanged: 20}, map[string]want{}},
		{"600 lines", policy.PullRequest{LinesChanged: 600}, map[string]want{"Rollout plan": {Missing, ""}}},
		{"first-time author", policy.PullRequest{FirstTime: true}, map[string]want{"Onboarding": {Missing, ""}}},
		{"intern", policy.PullRequest{AuthorTeams: []string{"@acme/interns"}, LinesChanged: 501},
			map[string]want{"Onboarding": {Missing, ""}, "Rollout plan": {Missing, ""}}},
	}
	for _, tt := range tests {
		tt.pr.Body = "## Notes\ntext"
		check(t, Evaluate(tp, tt.pr, ""), tt.want)
	}
}

// benchEvaluate times Evaluate of pr under tp, per byte of its body.
func benchEvaluate(b *testing.B, tp *policy.TemplatePolicy, pr policy.PullRequest) {
	b.SetBytes(int64(len(pr.Body)))
	b.ReportAllocs()
	for b.Loop() {
		Evaluate(tp, pr, repoTemplate)
	}
}
