package check

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/reviewpolicy/reviewpolicy/policy"
	"github.com/reviewpolicy/reviewpolicy/policy/reviewers"
	"github.com/reviewpolicy/reviewpolicy/policy/sla"
	"github.com/reviewpolicy/reviewpolicy/policy/template"
)

// attack is what an author puts in every field they control, big is the
// same a megabyte long.
const attack = "@acme/everyone <img src=x onerror=alert(1)> </details>\n## Injected\n```\n[x](https://evil.example) #1"

var big = strings.Repeat(attack+" ", (1<<20)/len(attack))

// hostileInput puts s in every user-controlled field of an evaluation.
func hostileInput(s string) Input {
	return Input{
		Policy: blocking(), PolicySource: "`.github/review-policy.yml` on " + Code(s, 100),
		Template: &template.Result{Items: []template.Item{
			{Kind: "section", Name: s, Status: template.Missing, Detail: s},
			{Kind: "checklist", Name: "checklist", Status: template.Missing, Detail: s},
		}},
		Reviewers: &reviewers.Output{Rules: []reviewers.RuleResult{{Name: s, State: reviewers.StateWaiting, Why: s,
			Assigned: []reviewers.Assignment{{Login: "carol", Reason: s}}}}, Notes: []string{s}},
		SLA: &sla.Status{State: sla.Running, Summary: s},
		Proposed: &Proposed{Path: policy.FileName, Changes: []string{s},
			Findings: []Finding{{Line: 2, Msg: s, Blocking: true}}},
		Notice:   "⏰ **Review reminder**: " + s,
		Mentions: []string{"@alice", "@acme/reviewers", s, "@evil <img src=x>", "@x\n## h"},
	}
}

// wantBlocks checks that a rendered document has exactly the app's block
// structure (headings by level) and nothing GitHub would make live.
func wantInert(t *testing.T, what, md string, headings []string, mentions []string) {
	t.Helper()
	h := render(t, md)
	var got []string
	for _, tg := range tags(h) {
		switch tg {
		case "h1", "h2", "h3", "h4", "h5", "h6":
			got = append(got, tg)
		case "img", "a", "details", "summary", "script", "table", "blockquote", "input":
			t.Errorf("%s has a live <%s>:\n%s", what, tg, h)
		}
	}
	if !slices.Equal(got, headings) {
		t.Errorf("%s has headings %v, want %v:\n%s", what, got, headings, md)
	}
	// GitHub makes nothing live inside code.
	shown := text(regexp.MustCompile(`(?s)<code>.*?</code>`).ReplaceAllString(h, ""))
	var seen []string
	for _, m := range regexp.MustCompile(`(^|[^A-Za-z0-9_])(@[A-Za-z0-9][A-Za-z0-9/_-]*)`).FindAllStringSubmatch(shown, -1) {
		seen = append(seen, m[2])
	}
	if !slices.Equal(seen, mentions) {
		t.Errorf("%s mentions %v, want %v", what, seen, mentions)
	}
	if l := live.FindAllString(shown, -1); len(l) > len(mentions) {
		t.Errorf("%s leaves %q live", what, l)
	}
}

func TestSummaryInert(t *testing.T) {
	t.Parallel()
	for _, s := range []string{attack, big} {
		r := Build(hostileInput(s))
		if len(r.Summary) > MaxSummary || !utf8.ValidString(r.Summary) {
			t.Errorf("summary is %d bytes", len(r.Summary))
		}
		wantInert(t, "summary", r.Summary, []string{"h2", "h3", "h2", "h2", "h2"}, nil)
		contains(t, "summary", r.Summary, "❌ **@\u200dacme/everyone &lt;img src=x", Truncated[:0])
	}
}

func TestCommentInert(t *testing.T) {
	t.Parallel()
	for _, s := range []string{attack, big} {
		r := Build(hostileInput(s))
		if len(r.Comment) > MaxComment || !utf8.ValidString(r.Comment) {
			t.Errorf("comment is %d bytes", len(r.Comment))
		}
		// Only the requested reviewer and team are called.
		wantInert(t, "comment", r.Comment, nil, []string{"@alice", "@acme/reviewers"})
		contains(t, "comment", r.Comment, Marker+"\n⏰ **Review reminder**: ", "Add a **@\u200dacme/everyone")
	}
}

func TestAnnotationMessagesInert(t *testing.T) {
	t.Parallel()
	var errs policy.ErrorList
	for i := range 2000 {
		errs = append(errs, &policy.Error{File: policy.FileName, Line: i + 1, Msg: big})
	}
	for _, p := range []*Proposed{
		{Path: policy.FileName, Err: errs},
		{Path: policy.FileName, Findings: []Finding{{Line: 1, Msg: big}, {Line: 2, Msg: attack, Blocking: true}}},
	} {
		r := Build(Input{Policy: blocking(), PolicySource: source, Proposed: p})
		if n := len(r.Annotations); n == 0 || n > MaxAnnotations {
			t.Errorf("%d annotations, want 1 to %d", n, MaxAnnotations)
		}
		for _, a := range r.Annotations {
			m := a.Message
			if len(m) > MaxAnnotationMessage || strings.ContainsAny(m, "\n\r") || strings.Contains(strings.ReplaceAll(m, "@"+zwj, ""), "@") {
				t.Fatalf("annotation message of %d bytes is not inert: %.200q", len(m), m)
			}
		}
		if len(r.Summary) > MaxSummary {
			t.Errorf("summary is %d bytes", len(r.Summary))
		}
	}
}

func TestTitleHasNoUserText(t *testing.T) {
	t.Parallel()
	titles := []string{"The review policy is invalid", "The proposed review policy is invalid", "No review policy",
		"Review policy satisfied", "Review policy: warnings", "Review policy not yet satisfied"}
	for _, in := range []Input{hostileInput(big), {PolicyErr: errors.New(big), PolicySource: big},
		{Policy: blocking(), Proposed: &Proposed{Path: big, Err: errors.New(big)}}} {
		if r := Build(in); !slices.Contains(titles, r.Title) {
			t.Errorf("title %.100q", r.Title)
		}
	}
}

// An invalid policy's error listing cannot escape its code block.
func TestPolicyErrorInert(t *testing.T) {
	t.Parallel()
	for _, s := range []string{attack, big, "x\n````\n" + attack} {
		r := Build(Input{PolicySource: source, PolicyErr: errors.New(s)})
		if len(r.Summary) > MaxSummary {
			t.Errorf("summary is %d bytes", len(r.Summary))
		}
		wantInert(t, "summary", r.Summary, []string{"h2"}, nil)
		r = Build(Input{Policy: blocking(), PolicySource: source, Proposed: &Proposed{Path: "a`b\n## c", Err: errors.New(s)}})
		wantInert(t, "summary", r.Summary, []string{"h2", "h3"}, nil)
		wantInert(t, "comment", r.Comment, nil, nil)
	}
}

// A base policy with 2,000 sections, none written: the comment fits and
// still says what to do, first things first.
func TestTwoThousandSections(t *testing.T) {
	t.Parallel()
	res := &template.Result{}
	for i := range 2000 {
		res.Items = append(res.Items, template.Item{Kind: "section", Name: fmt.Sprintf("Section number %d of the template", i),
			Status: template.Missing, Detail: fmt.Sprintf("no %q heading", fmt.Sprintf("Section number %d of the template", i))})
	}
	r := Build(Input{Policy: blocking(), PolicySource: source, Template: res})
	if len(r.Comment) > MaxComment || len(r.Summary) > MaxSummary {
		t.Fatalf("comment %d bytes, summary %d bytes", len(r.Comment), len(r.Summary))
	}
	contains(t, "comment", r.Comment, "- Add a **Section number 0 of the template** section", "more (truncated); the `review-policy` check lists them.",
		"Edit the description")
	contains(t, "summary", r.Summary, "2000 of 2000 requirements not met.\n", "- ❌ **Section number 0 of the template**: missing", Truncated)
	want(t, r, Failure, "Review policy not yet satisfied", true)
}
