package check

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/reviewpolicy/reviewpolicy/policy"
	"github.com/reviewpolicy/reviewpolicy/policy/reviewers"
	"github.com/reviewpolicy/reviewpolicy/policy/sla"
	"github.com/reviewpolicy/reviewpolicy/policy/template"
)

const source = "`.github/review-policy.yml` on `main`"

func withModes(tmpl, rev, s policy.Mode) *policy.Policy {
	return &policy.Policy{Version: 1, Enforcement: policy.Enforcement{Template: tmpl, Reviewers: rev, SLA: s}}
}

func blocking() *policy.Policy { return withModes(policy.ModeBlock, policy.ModeBlock, policy.ModeWarn) }

// incomplete has one item of each kind that is not met, and one that is.
func incomplete() *template.Result {
	return &template.Result{Items: []template.Item{
		{Kind: "section", Name: "Summary", Status: template.Met, Detail: "42 words"},
		{Kind: "section", Name: "Testing", Status: template.Missing},
		{Kind: "section", Name: "Motivation", Status: template.Placeholder},
		{Kind: "section", Name: "Risk", Status: template.TooShort, Detail: "3 of 10 words"},
		{Kind: "ticket", Name: "ticket", Status: template.Missing, Detail: "e.g. ABC-123"},
		{Kind: "checklist", Name: "checklist", Status: template.Missing, Detail: "2 unticked"},
	}}
}

func complete() *template.Result {
	return &template.Result{Items: []template.Item{
		{Kind: "section", Name: "Summary", Status: template.Met},
		{Kind: "ticket", Name: "ticket", Status: template.Met, Detail: "ABC-123"},
	}}
}

// want checks the fields every test cares about.
func want(t *testing.T, r Report, conclusion, title string, needsComment bool) {
	t.Helper()
	if r.Conclusion != conclusion {
		t.Errorf("Conclusion = %q, want %q", r.Conclusion, conclusion)
	}
	if r.Title != title {
		t.Errorf("Title = %q, want %q", r.Title, title)
	}
	if r.NeedsComment != needsComment {
		t.Errorf("NeedsComment = %v, want %v", r.NeedsComment, needsComment)
	}
	if !strings.HasPrefix(r.Comment, Marker+"\n") {
		t.Errorf("Comment does not start with the marker: %q", r.Comment)
	}
}

func contains(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s lacks %q:\n%s", what, sub, s)
		}
	}
}

func lacks(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			t.Errorf("%s has %q:\n%s", what, sub, s)
		}
	}
}

func TestNoPolicy(t *testing.T) {
	t.Parallel()
	// Areas without a policy are not judged, even if handed in.
	r := Build(Input{Template: incomplete()})
	want(t, r, Success, "No review policy", false)
	contains(t, "summary", r.Summary, "No review policy found")
	lacks(t, "summary", r.Summary, "## Description")
	if len(r.Annotations) != 0 {
		t.Errorf("Annotations = %v, want none", r.Annotations)
	}
}

func TestPolicyInvalid(t *testing.T) {
	t.Parallel()
	err := errors.New(".github/review-policy.yml:3:5: unknown key \"templat\"")
	r := Build(Input{PolicySource: source, PolicyErr: err})
	want(t, r, Failure, "The review policy is invalid", true)
	contains(t, "summary", r.Summary, source, err.Error(), "is invalid", "reviewpolicy validate")
	contains(t, "comment", r.Comment, "a lead must fix it")
}

func TestTemplateIncomplete(t *testing.T) {
	t.Parallel()
	todo := []string{
		"- Add a **Testing** section.\n",
		"- Replace the template's placeholder text in **Motivation**.\n",
		"- Fill in the **Risk** section (3 of 10 words).\n",
		"- Reference a ticket (e.g. ABC-123).\n",
		"- Tick every checklist item (2 unticked).\n",
	}

	t.Run("block", func(t *testing.T) {
		t.Parallel()
		r := Build(Input{Policy: blocking(), PolicySource: source, Template: incomplete()})
		want(t, r, Failure, "Review policy not yet satisfied", true)
		contains(t, "summary", r.Summary, "Using "+source, "## Description\n",
			"- ✅ **Summary**: met — 42 words\n", "- ❌ **Testing**: missing\n",
			"- ❌ **Motivation**: placeholder\n", "- ❌ **Risk**: too-short — 3 of 10 words\n")
		contains(t, "comment", r.Comment, todo...)
		contains(t, "comment", r.Comment, "please:", "Edit the description")
		lacks(t, "comment", r.Comment, "Summary", "Thank you")
		// The list keeps the policy's order.
		if i, j := strings.Index(r.Comment, "**Testing**"), strings.Index(r.Comment, "Reference a ticket"); i > j {
			t.Errorf("comment items out of order:\n%s", r.Comment)
		}
	})
	t.Run("warn", func(t *testing.T) {
		t.Parallel()
		r := Build(Input{Policy: withModes(policy.ModeWarn, policy.ModeBlock, policy.ModeWarn), PolicySource: source, Template: incomplete()})
		want(t, r, Neutral, "Review policy: warnings", true)
		contains(t, "summary", r.Summary, "## Description (warning only)\n")
		contains(t, "comment", r.Comment, todo...)
	})
	t.Run("off", func(t *testing.T) {
		t.Parallel()
		// The handlers pass no result for an area that is off; should one
		// arrive anyway, it must be ignored entirely, not half-applied.
		r := Build(Input{Policy: withModes(policy.ModeOff, policy.ModeBlock, policy.ModeWarn), PolicySource: source, Template: incomplete()})
		want(t, r, Success, "Review policy satisfied", false)
		lacks(t, "summary", r.Summary, "## Description")
		lacks(t, "comment", r.Comment, "Testing", "Reference a ticket")
	})
}

func TestTemplateComplete(t *testing.T) {
	t.Parallel()
	r := Build(Input{Policy: blocking(), PolicySource: source, Template: complete()})
	want(t, r, Success, "Review policy satisfied", false)
	contains(t, "summary", r.Summary, "- ✅ **Summary**: met\n", "- ✅ **ticket**: met — ABC-123\n")
	contains(t, "comment", r.Comment, "✅ **Review policy**", "Thank you")
	lacks(t, "comment", r.Comment, "please")
}

func TestTemplateSkippedOrEmpty(t *testing.T) {
	t.Parallel()
	r := Build(Input{Policy: blocking(), PolicySource: source, Template: &template.Result{Skipped: "the pull request is a draft"}})
	want(t, r, Success, "Review policy satisfied", false)
	contains(t, "summary", r.Summary, "⏭️ Not checked: the pull request is a draft.")

	r = Build(Input{Policy: blocking(), PolicySource: source, Template: &template.Result{}})
	want(t, r, Success, "Review policy satisfied", false)
	contains(t, "summary", r.Summary, "## Description\nNothing required.\n")
}

func waitingRules() *reviewers.Output {
	return &reviewers.Output{Rules: []reviewers.RuleResult{
		{Name: "security", State: reviewers.StateWaiting, Required: 2, Approvals: []string{"alice"},
			Why: "1 more approval needed from @acme/security",
			Assigned: []reviewers.Assignment{
				{Login: "carol", Reason: "carol: rule security matched auth/token.go; least loaded (1 open review)"},
				{Login: "alice", Reason: "alice: approved"},
			}},
		{Name: "docs", State: reviewers.StateNotMatched, Why: "no changed file under docs/"},
		{Name: "backend", State: reviewers.StateRequested,
			Assigned: []reviewers.Assignment{{Login: "bob", Reason: "bob: rule backend matched api/server.go"}}},
	}}
}

func TestReviewersWaiting(t *testing.T) {
	t.Parallel()
	r := Build(Input{Policy: blocking(), PolicySource: source, Template: complete(), Reviewers: waitingRules()})
	// Waiting for reviewers is nothing the author can fix in the description.
	want(t, r, Failure, "Review policy not yet satisfied", false)
	contains(t, "summary", r.Summary, "## Reviewers\n",
		"- ❌ rule **security**: waiting (1 of 2 approvals) — 1 more approval needed from @\u200dacme/security\n",
		"  - carol: rule security matched auth/token.go; least loaded (1 open review)\n",
		"  - alice: approved\n",
		"- ✅ rule **backend**: requested\n  - bob: rule backend matched api/server.go\n")
	lacks(t, "summary", r.Summary, "docs", "No rule matches")
}

func TestReviewersStates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		mode  policy.Mode
		rules []reviewers.RuleResult
		conc  string
		sub   string
	}{
		{"nothing matched", policy.ModeBlock,
			[]reviewers.RuleResult{{Name: "docs", State: reviewers.StateNotMatched}},
			Success, "No rule matches the changed files.\n"},
		{"approved", policy.ModeBlock,
			[]reviewers.RuleResult{{Name: "security", State: reviewers.StateApproved, Required: 1, Approvals: []string{"dave"}}},
			Success, "- ✅ rule **security**: approved (1 of 1 approvals)\n"},
		{"no candidate under warn", policy.ModeWarn,
			[]reviewers.RuleResult{{Name: "infra", State: reviewers.StateNoCandidate, Why: "everyone is away"}},
			Neutral, "## Reviewers (warning only)\n- ❌ rule **infra**: no-candidate — everyone is away\n"},
		{"no candidate under block", policy.ModeBlock,
			[]reviewers.RuleResult{{Name: "infra", State: reviewers.StateNoCandidate}},
			Failure, "- ❌ rule **infra**: no-candidate\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := withModes(policy.ModeBlock, tt.mode, policy.ModeWarn)
			r := Build(Input{Policy: p, PolicySource: source, Reviewers: &reviewers.Output{Rules: tt.rules}})
			if r.Conclusion != tt.conc {
				t.Errorf("Conclusion = %q, want %q", r.Conclusion, tt.conc)
			}
			contains(t, "summary", r.Summary, tt.sub)
		})
	}
}

func TestSLA(t *testing.T) {
	t.Parallel()
	breached := &sla.Status{State: sla.Running, Breached: true, Summary: "First review overdue by 2h (due Mon 17:00)."}

	r := Build(Input{Policy: blocking(), PolicySource: source, SLA: breached})
	want(t, r, Neutral, "Review policy: warnings", false)
	contains(t, "summary", r.Summary, "## Review SLA (warning only)\n❌ First review overdue by 2h (due Mon 17:00).\n")

	r = Build(Input{Policy: withModes(policy.ModeBlock, policy.ModeBlock, policy.ModeBlock), PolicySource: source, SLA: breached})
	want(t, r, Failure, "Review policy not yet satisfied", false)

	r = Build(Input{Policy: blocking(), PolicySource: source, SLA: &sla.Status{State: sla.Running, Summary: "4h left."}})
	want(t, r, Success, "Review policy satisfied", false)
	contains(t, "summary", r.Summary, "## Review SLA (warning only)\n✅ 4h left.\n")
}

// A warning never softens a failure, whichever area comes first.
func TestWorstWins(t *testing.T) {
	t.Parallel()
	r := Build(Input{Policy: blocking(), PolicySource: source, Template: incomplete(), Reviewers: waitingRules(),
		SLA: &sla.Status{Breached: true, Summary: "late"}})
	want(t, r, Failure, "Review policy not yet satisfied", true)

	p := withModes(policy.ModeWarn, policy.ModeBlock, policy.ModeWarn)
	r = Build(Input{Policy: p, PolicySource: source, Template: incomplete(), Reviewers: waitingRules()})
	want(t, r, Failure, "Review policy not yet satisfied", true)
}

func TestProposedInvalid(t *testing.T) {
	t.Parallel()
	errs := policy.ErrorList{
		{File: policy.FileName, Line: 3, Column: 5, Msg: `unknown key "templat"`},
		{File: policy.FileName, Line: 12, Msg: "mapping values are not allowed here"},
		{File: policy.FileName, Msg: "file is too large"},
	}
	r := Build(Input{Policy: blocking(), PolicySource: source, Template: complete(),
		Proposed: &Proposed{Path: policy.FileName, Err: errs}})
	want(t, r, Failure, "The proposed review policy is invalid", true)
	contains(t, "summary", r.Summary, "### Proposed policy change\n", "❌ `.github/review-policy.yml` as changed here is invalid",
		`.github/review-policy.yml:3:5: unknown key "templat"`, ".github/review-policy.yml:12: mapping values")
	contains(t, "comment", r.Comment, "`.github/review-policy.yml` as changed here is invalid: see the annotations")

	wantAnn := []Annotation{
		{Path: policy.FileName, StartLine: 3, EndLine: 3, Column: 5, Level: LevelFailure, Message: `unknown key "templat"`},
		{Path: policy.FileName, StartLine: 12, EndLine: 12, Level: LevelFailure, Message: "mapping values are not allowed here"},
		// A whole-file problem goes on the first line.
		{Path: policy.FileName, StartLine: 1, EndLine: 1, Level: LevelFailure, Message: "file is too large"},
	}
	if !reflect.DeepEqual(r.Annotations, wantAnn) {
		t.Errorf("Annotations =\n%+v\nwant\n%+v", r.Annotations, wantAnn)
	}
}

func TestProposedPlainError(t *testing.T) {
	t.Parallel()
	r := Build(Input{Policy: blocking(), PolicySource: source,
		Proposed: &Proposed{Path: policy.FileName, Err: errors.New("could not decode the file")}})
	want(t, r, Failure, "The proposed review policy is invalid", true)
	contains(t, "summary", r.Summary, "could not decode the file")
	if len(r.Annotations) != 0 {
		t.Errorf("Annotations = %v, want none without positions", r.Annotations)
	}
}

func TestProposedValid(t *testing.T) {
	t.Parallel()
	changes := []string{"template: section Risk becomes required", "sla: first review within 8h instead of 24h"}
	r := Build(Input{Policy: blocking(), PolicySource: source, Template: complete(),
		Proposed: &Proposed{Path: policy.FileName, Changes: changes}})
	want(t, r, Success, "Review policy satisfied", false)
	contains(t, "summary", r.Summary, "### Proposed policy change\n✅ Valid. Once merged:\n- "+changes[0]+"\n- "+changes[1]+"\n")

	r = Build(Input{Policy: blocking(), PolicySource: source, Proposed: &Proposed{Path: policy.FileName}})
	want(t, r, Success, "Review policy satisfied", false)
	contains(t, "summary", r.Summary, "✅ Valid; no change in effect.")

	// A new policy proposed where none is in force yet.
	r = Build(Input{Proposed: &Proposed{Path: policy.FileName, Changes: changes}})
	want(t, r, Success, "No review policy", false)
	contains(t, "summary", r.Summary, "Once merged:\n- "+changes[0])
}

func TestNoticeAndMentions(t *testing.T) {
	t.Parallel()
	in := Input{Policy: blocking(), PolicySource: source, Template: complete(),
		SLA:      &sla.Status{State: sla.Running, Summary: "4h left."},
		Notice:   "⏰ 4h left for a first review",
		Mentions: []string{"@alice", "@acme/reviewers"}}
	r := Build(in)
	// A reminder is a reason to comment even when the author has nothing to do.
	want(t, r, Success, "Review policy satisfied", true)
	contains(t, "comment", r.Comment, Marker+"\n⏰ 4h left for a first review @alice @acme/reviewers\n\n")

	in.Template = incomplete()
	r = Build(in)
	want(t, r, Failure, "Review policy not yet satisfied", true)
	contains(t, "comment", r.Comment, "@acme/reviewers", "Add a **Testing** section.")
	if strings.Index(r.Comment, "⏰") > strings.Index(r.Comment, "please:") {
		t.Errorf("the notice should come before the to-do list:\n%s", r.Comment)
	}

	in.Mentions = nil
	r = Build(in)
	contains(t, "comment", r.Comment, Marker+"\n⏰ 4h left for a first review\n\n")
}

func TestDeterministic(t *testing.T) {
	t.Parallel()
	in := Input{Policy: blocking(), PolicySource: source, Template: incomplete(), Reviewers: waitingRules(),
		SLA:      &sla.Status{Breached: true, Summary: "late"},
		Proposed: &Proposed{Path: policy.FileName, Err: policy.ErrorList{{File: policy.FileName, Line: 2, Msg: "bad"}}},
		Notice:   "⏰ overdue", Mentions: []string{"@lead"}}
	a, b := Build(in), Build(in)
	if !reflect.DeepEqual(a, b) {
		t.Errorf("Build is not deterministic:\n%+v\n%+v", a, b)
	}
}

func TestHugeSummaryTruncated(t *testing.T) {
	t.Parallel()
	res := &template.Result{}
	for i := range 3000 {
		res.Items = append(res.Items, template.Item{Kind: "section", Name: fmt.Sprintf("Section %d ✍️", i),
			Status: template.Empty, Detail: strings.Repeat("é", 20)})
	}
	r := Build(Input{Policy: blocking(), PolicySource: source, Template: res,
		Reviewers: &reviewers.Output{Rules: []reviewers.RuleResult{{Name: "x", State: reviewers.StateWaiting}}}})
	if n := utf8.RuneCountInString(r.Summary); n > 65535 {
		t.Errorf("summary has %d characters, GitHub allows 65535", n)
	}
	if len(r.Summary) > 65535 {
		t.Errorf("summary has %d bytes, want at most 65535", len(r.Summary))
	}
	if !utf8.ValidString(r.Summary) {
		t.Error("truncation split a character")
	}
	if !strings.HasSuffix(r.Summary, "\n\n…(truncated)\n") {
		t.Errorf("summary does not say it was truncated: …%q", r.Summary[max(0, len(r.Summary)-80):])
	}
	// Cut at a line end: the last kept line is a whole item.
	kept := strings.TrimSuffix(r.Summary, "\n\n…(truncated)\n")
	if last := kept[strings.LastIndex(kept, "\n")+1:]; !strings.HasSuffix(last, strings.Repeat("é", 20)) {
		t.Errorf("last kept line is cut short: %q", last)
	}
	want(t, r, Failure, "Review policy not yet satisfied", true)
}

func TestTruncate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s    string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"line one\nline two is longer\n", 27, "line one\n\n…(truncated)\n"},
		{"no newline at all, and more", 24, "no newl\n\n…(truncated)\n"},
	}
	for _, tt := range tests {
		if got := Clip(tt.s, tt.n); got != tt.want {
			t.Errorf("Clip(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
		}
	}
}

func TestProposedFindings(t *testing.T) {
	t.Parallel()
	warnOnly := Build(Input{Policy: blocking(), PolicySource: source, Proposed: &Proposed{Path: policy.FileName,
		Findings: []Finding{{Line: 4, Column: 7, Msg: "rule infra: its paths (tf/**) match no file"}}}})
	if warnOnly.Conclusion != Success {
		t.Errorf("a warning alone must not fail the check: %s", warnOnly.Conclusion)
	}
	if len(warnOnly.Annotations) != 1 || warnOnly.Annotations[0].Level != LevelWarning || warnOnly.Annotations[0].StartLine != 4 {
		t.Errorf("annotations = %+v", warnOnly.Annotations)
	}
	blockingFinding := Build(Input{Policy: blocking(), PolicySource: source, Proposed: &Proposed{Path: policy.FileName,
		Findings: []Finding{{Line: 5, Msg: "team @acme/ghosts does not exist", Blocking: true}}}})
	if blockingFinding.Conclusion != Failure || blockingFinding.Annotations[0].Level != LevelFailure {
		t.Errorf("blocking finding: %s %+v", blockingFinding.Conclusion, blockingFinding.Annotations)
	}
	contains(t, "summary", blockingFinding.Summary, "❌ line 5: team @\u200dacme/ghosts does not exist")
}

func TestReviewersNotesShown(t *testing.T) {
	t.Parallel()
	out := &reviewers.Output{
		Rules: []reviewers.RuleResult{{Name: "codeowners", State: reviewers.StateNotMatched}},
		Notes: []string{"CODEOWNERS is 3.0 MiB (3145728 bytes); GitHub ignores CODEOWNERS files of 3 MiB or more, and so does this check"},
	}
	r := Build(Input{Policy: blocking(), PolicySource: source, Reviewers: out})
	want(t, r, Success, "Review policy satisfied", false)
	contains(t, "summary", r.Summary, "No rule matches the changed files.\n- ⚠️ CODEOWNERS is 3.0 MiB (3145728 bytes); GitHub ignores")
}
