// Package check turns the areas' decisions into what the developer sees: the
// review-policy check run (conclusion, title, summary, annotations) and the
// sticky comment. It is pure: the same inputs always render the same text,
// so a re-delivered event rewrites nothing.
package check

import (
	"errors"
	"fmt"
	"strings"

	"github.com/reviewpolicy/reviewpolicy/policy"
	"github.com/reviewpolicy/reviewpolicy/policy/reviewers"
	"github.com/reviewpolicy/reviewpolicy/policy/sla"
	"github.com/reviewpolicy/reviewpolicy/policy/template"
)

// Name is the check run's name.
const Name = "review-policy"

// Marker is hidden in the sticky comment so it can be found again.
const Marker = "<!-- reviewpolicy:sticky -->"

// Conclusions, as GitHub names them.
const (
	Success = "success"
	Neutral = "neutral"
	Failure = "failure"
)

// Input is everything one evaluation decided.
type Input struct {
	Policy *policy.Policy // nil: no policy anywhere, or PolicyErr
	// PolicySource is markdown written by the app, e.g. "`.github/review-policy.yml`
	// on `main`"; its user parts (branch, owner, path) must come through Code.
	PolicySource string
	PolicyErr    error // the policy in force is invalid

	Template  *template.Result  // nil: area off or not evaluated
	Reviewers *reviewers.Output // nil: area off or not evaluated
	SLA       *sla.Status       // nil: area off or clock never started

	// Proposed is set when the pull request changes the policy file.
	Proposed *Proposed

	// Reminder and Breach add the SLA's call to people to the comment.
	// Only what looks like a login or a team is mentioned; anything else
	// is shown inert.
	Mentions []string // logins and @org/team, already with "@"
	Notice   string   // the app's own markdown, e.g. "⏰ 4h left for a first review"

	// ExplainedFor names who asked "/reviewpolicy explain": the sticky
	// comment then carries the whole decision with its reasons.
	ExplainedFor string
	// Reassigned are the app's withdrawn requests, one line each: shown in
	// the check and the sticky comment.
	Reassigned []string
}

// Proposed is the validation of a policy file the pull request changes.
type Proposed struct {
	Path     string
	Err      error     // parse errors (policy.ErrorList gives annotations)
	Changes  []string  // plain-language differences from the policy in force
	Findings []Finding // what parses but would not work in this repository
	// WhatIf is the app's own markdown (its user parts already inert): the
	// proposed policy replayed over recent pull requests, or a line saying
	// that follows. Shown when the file is valid, at most maxWhatIf bytes.
	WhatIf string
}

// maxWhatIf bounds the what-if section within the summary.
const maxWhatIf = 16 << 10

// Finding is a problem in a valid policy file found against the repository:
// a team that does not exist, a user who cannot review, a rule matching no
// file. Blocking findings fail the check like a syntax error.
type Finding struct {
	Line, Column int
	Msg          string
	Blocking     bool
}

// Annotation levels, as GitHub names them.
const (
	LevelFailure = "failure"
	LevelWarning = "warning"
)

// Annotation marks a line of a file in the pull request.
type Annotation struct {
	Path      string
	StartLine int
	EndLine   int
	Column    int
	Level     string
	Message   string
}

// Report is what the handlers write to GitHub.
type Report struct {
	Conclusion  string
	Title       string
	Summary     string
	Annotations []Annotation
	// Comment is the sticky comment's body, Marker included. Empty when
	// there is nothing to tell and no comment exists yet (see NeedsComment).
	Comment string
	// NeedsComment is true when the author must act (or is being reminded);
	// otherwise an existing comment is updated to say all is well.
	NeedsComment bool
}

// Budgets for user text, in bytes: a name or heading, a sentence, an error
// listing. They keep one item from crowding out the rest of the summary.
const (
	maxName    = 200
	maxText    = 1000
	maxError   = 16 << 10
	maxMessage = 4 << 10 // an annotation's message; GitHub takes 64 KB
	maxListed  = 25      // mentions in one notice
)

// Build renders a report.
func Build(in Input) Report {
	var b strings.Builder
	var r Report
	worst := Success
	raise := func(mode policy.Mode, ok bool) {
		if ok || mode == policy.ModeOff {
			return
		}
		switch {
		case mode == policy.ModeBlock:
			worst = Failure
		case worst == Success:
			worst = Neutral
		}
	}
	var todo []string // lines for the comment

	switch {
	case in.PolicyErr != nil:
		worst = Failure
		fmt.Fprintf(&b, "## Policy\n❌ The policy in force (%s) is invalid, so nothing else was checked:\n\n%s"+
			"Fix the file on the base branch; `reviewpolicy validate FILE` shows the same errors offline.\n\n",
			oneLine(in.PolicySource, maxText), Fence(errorText(in.PolicyErr, maxError), maxError))
		todo = append(todo, "The review policy of this repository is invalid; a lead must fix it (see the check run).")
	case in.Policy == nil:
		b.WriteString("## Policy\nNo review policy found (no `.github/review-policy.yml` here and no organisation default), so there is nothing to enforce.\n\n")
	default:
		fmt.Fprintf(&b, "## Policy\nUsing %s.\n\n", oneLine(in.PolicySource, maxText))
	}

	if p := in.Proposed; p != nil {
		var blocking bool
		todo, blocking = proposedSection(&b, &r, *p, todo)
		if blocking {
			worst = Failure
		}
	}

	if in.Policy != nil {
		enf := in.Policy.Enforcement
		if in.Template != nil && enf.Template != policy.ModeOff {
			raise(enf.Template, in.Template.OK())
			todo = append(todo, templateSection(&b, *in.Template, enf.Template)...)
		}
		if in.Reviewers != nil && enf.Reviewers != policy.ModeOff {
			raise(enf.Reviewers, in.Reviewers.OK())
			reviewersSection(&b, *in.Reviewers, enf.Reviewers)
		}
		if in.SLA != nil && enf.SLA != policy.ModeOff {
			raise(enf.SLA, in.SLA.OK())
			fmt.Fprintf(&b, "## Review SLA%s\n%s %s\n\n", modeNote(enf.SLA), mark(in.SLA.OK()), Inert(in.SLA.Summary, maxText))
		}
	}

	r.Conclusion = worst
	r.Title = title(worst, in)
	r.Summary = Clip(b.String(), MaxSummary)
	if len(in.Reassigned) > 0 {
		reassignedSection(&b, in.Reassigned)
		r.Summary = Clip(b.String(), MaxSummary)
	}
	r.NeedsComment = len(todo) > 0 || in.Notice != "" || in.ExplainedFor != "" || len(in.Reassigned) > 0
	r.Comment = comment(todo, in)
	if in.ExplainedFor != "" {
		r.Comment = explained(r.Comment, r.Summary, in.ExplainedFor)
	}
	return r
}

// proposedSection renders the validation of a proposed policy file and its
// annotations, and reports whether it blocks the pull request.
func proposedSection(b *strings.Builder, r *Report, p Proposed, todo []string) ([]string, bool) {
	b.WriteString("### Proposed policy change\n")
	path := Code(p.Path, maxName)
	blocking := false
	annotate := func(line, col int, level, msg string) {
		if len(r.Annotations) < MaxAnnotations {
			r.Annotations = append(r.Annotations, Annotation{Path: p.Path, StartLine: max(line, 1),
				EndLine: max(line, 1), Column: col, Level: level, Message: Plain(msg, maxMessage)})
		}
	}
	if p.Err != nil {
		blocking = true
		fmt.Fprintf(b, "❌ %s as changed here is invalid:\n\n%s\n", path, Fence(errorText(p.Err, maxError), maxError))
		todo = append(todo, path+" as changed here is invalid: see the annotations on the check run.")
		var list policy.ErrorList
		if errors.As(p.Err, &list) {
			for _, e := range list {
				annotate(e.Line, e.Column, LevelFailure, e.Msg)
			}
			annotatedNote(b, len(list))
		}
	} else if len(p.Findings) > 0 {
		b.WriteString("The file parses, but against this repository:\n")
		for _, f := range p.Findings {
			level, icon := LevelWarning, "⚠️"
			if f.Blocking {
				level, icon, blocking = LevelFailure, "❌", true
			}
			fmt.Fprintf(b, "- %s line %d: %s\n", icon, f.Line, Inert(f.Msg, maxText))
			annotate(f.Line, f.Column, level, f.Msg)
		}
		annotatedNote(b, len(p.Findings))
		b.WriteString("\n")
	}
	if p.Err == nil && len(p.Changes) == 0 {
		b.WriteString("✅ Valid; no change in effect.\n\n")
	} else if p.Err == nil {
		b.WriteString("✅ Valid. Once merged:\n")
		for _, c := range p.Changes {
			fmt.Fprintf(b, "- %s\n", Inert(c, maxText))
		}
		b.WriteString("\n")
	}
	if p.Err == nil && p.WhatIf != "" {
		b.WriteString(Clip(p.WhatIf, maxWhatIf) + "\n")
	}
	return todo, blocking
}

// errorText lists err in about n bytes, one problem a line, each cut to
// maxText, without building the whole text of a long list first.
func errorText(err error, n int) string {
	var list policy.ErrorList
	if !errors.As(err, &list) {
		return err.Error()
	}
	var b strings.Builder
	for i, e := range list {
		if b.Len() >= n {
			fmt.Fprintf(&b, "… and %d more", len(list)-i)
			break
		}
		short := policy.Error{File: clean(e.File, maxName, code), Line: e.Line, Column: e.Column, Msg: clean(e.Msg, maxText, code)}
		b.WriteString(short.Error() + "\n")
	}
	return b.String()
}

// annotatedNote says when GitHub's cap left problems without an annotation.
func annotatedNote(b *strings.Builder, n int) {
	if n > MaxAnnotations {
		fmt.Fprintf(b, "Only the first %d of these %d problems are annotated.\n", MaxAnnotations, n)
	}
}

func templateSection(b *strings.Builder, res template.Result, mode policy.Mode) []string {
	fmt.Fprintf(b, "## Description%s\n", modeNote(mode))
	if res.Skipped != "" {
		fmt.Fprintf(b, "⏭️ Not checked: %s.\n\n", Inert(res.Skipped, maxText))
		return nil
	}
	var todo []string
	for _, it := range res.Items {
		if it.Status != template.Met {
			todo = append(todo, describeItem(it))
		}
	}
	// Said first: a long list may be cut to fit.
	if len(todo) > 0 && len(res.Items) > 1 {
		fmt.Fprintf(b, "%d of %d requirements not met.\n", len(todo), len(res.Items))
	}
	for _, it := range res.Items {
		line := fmt.Sprintf("%s **%s**: %s", mark(it.Status == template.Met), Inert(it.Name, maxName), it.Status)
		if it.Detail != "" {
			line += " — " + Inert(it.Detail, maxText)
		}
		fmt.Fprintf(b, "- %s\n", line)
	}
	if len(res.Items) == 0 {
		b.WriteString("Nothing required.\n")
	}
	b.WriteString("\n")
	return todo
}

// describeItem says what to do, not what went wrong.
func describeItem(it template.Item) string {
	var s string
	name := Inert(it.Name, maxName)
	switch it.Kind {
	case "ticket":
		s = "Reference a ticket"
	case "checklist":
		s = "Tick every checklist item"
	default:
		switch it.Status {
		case template.Missing:
			s = fmt.Sprintf("Add a **%s** section", name)
		case template.Placeholder:
			s = fmt.Sprintf("Replace the template's placeholder text in **%s**", name)
		default:
			s = fmt.Sprintf("Fill in the **%s** section", name)
		}
	}
	if it.Detail != "" {
		s += " (" + Inert(it.Detail, maxText) + ")"
	}
	return s + "."
}

func reviewersSection(b *strings.Builder, out reviewers.Output, mode policy.Mode) {
	fmt.Fprintf(b, "## Reviewers%s\n", modeNote(mode))
	shown := 0
	for _, rule := range out.Rules {
		if rule.State == "not-matched" {
			if rule.Unmet != "" { // its paths matched but its `when` did not hold
				fmt.Fprintf(b, "- rule **%s**: not applied — condition not met: %s\n", Inert(rule.Name, maxName), Inert(rule.Unmet, maxText))
			}
			continue
		}
		shown++
		state := Inert(rule.State, maxName)
		if rule.Required > 0 {
			state = fmt.Sprintf("%s (%d of %d approvals)", state, len(rule.Approvals), rule.Required)
		}
		fmt.Fprintf(b, "- %s rule **%s**: %s", mark(rule.State != "no-candidate" && !strings.HasPrefix(rule.State, "waiting")),
			Inert(rule.Name, maxName), state)
		if rule.Why != "" {
			fmt.Fprintf(b, " — %s", Inert(rule.Why, maxText))
		}
		b.WriteString("\n")
		for _, a := range rule.Assigned {
			fmt.Fprintf(b, "  - %s\n", Inert(a.Reason, maxText))
		}
		for _, c := range rule.Considered {
			fmt.Fprintf(b, "  - considered: %s\n", Inert(c, maxText))
		}
	}
	if shown == 0 {
		b.WriteString("No rule matches the changed files.\n")
	}
	for _, n := range out.Notes {
		fmt.Fprintf(b, "- ⚠️ %s\n", Inert(n, maxText))
	}
	b.WriteString("\n")
}

func modeNote(m policy.Mode) string {
	if m == policy.ModeWarn {
		return " (warning only)"
	}
	return ""
}

func mark(ok bool) string {
	if ok {
		return "✅"
	}
	return "❌"
}

// title is built from the app's words only: GitHub shows it as plain text,
// in lists where user text would pass for the app's own verdict.
func title(conclusion string, in Input) string {
	switch {
	case in.PolicyErr != nil:
		return "The review policy is invalid"
	case in.Proposed != nil && in.Proposed.Err != nil:
		return "The proposed review policy is invalid"
	case in.Policy == nil:
		return "No review policy"
	case conclusion == Success:
		return "Review policy satisfied"
	case conclusion == Neutral:
		return "Review policy: warnings"
	}
	return "Review policy not yet satisfied"
}

// commentFooter ends a comment with a to-do list.
const commentFooter = "\nEdit the description; this comment and the `review-policy` check update by themselves.\n"

// reassignedSection lists the app's withdrawn review requests.
func reassignedSection(b *strings.Builder, lines []string) {
	b.WriteString("## Reassigned\n")
	for _, l := range lines {
		fmt.Fprintf(b, "- 🔁 %s\n", Inert(l, maxText))
	}
	b.WriteString("\n")
}

// explained adds the whole decision to the sticky comment, as asked with
// "/reviewpolicy explain"; the check's summary is already inert.
func explained(comment, summary, by string) string {
	var b strings.Builder
	b.WriteString(comment)
	fmt.Fprintf(&b, "\n<details open><summary>The current decision and its reasons (asked by %s)</summary>\n\n",
		Inert(by, maxName))
	b.WriteString(summary)
	b.WriteString("\n</details>\n")
	return Clip(b.String(), MaxComment)
}

func comment(todo []string, in Input) string {
	var b strings.Builder
	b.WriteString(Marker + "\n")
	if in.Notice != "" {
		b.WriteString(clean(in.Notice, maxText, notice))
		if ms := mentions(in.Mentions); ms != "" {
			b.WriteString(" " + ms)
		}
		b.WriteString("\n\n")
	}
	for _, l := range in.Reassigned {
		fmt.Fprintf(&b, "🔁 %s\n\n", Inert(l, maxText))
	}
	if len(todo) == 0 {
		b.WriteString("✅ **Review policy**: the description has everything it needs. Thank you!\n")
		return b.String()
	}
	b.WriteString("**Review policy**: before this pull request can be reviewed, please:\n\n")
	// Room for the footer and the line saying what was left out.
	room := MaxComment - len(commentFooter) - 200
	for i, t := range todo {
		if b.Len()+len(t)+3 > room {
			fmt.Fprintf(&b, "- …and %d more (truncated); the `review-policy` check lists them.\n", len(todo)-i)
			break
		}
		fmt.Fprintf(&b, "- %s\n", t)
	}
	b.WriteString(commentFooter)
	return Clip(b.String(), MaxComment)
}
