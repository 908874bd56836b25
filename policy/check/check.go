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
	Policy       *policy.Policy // nil: no policy anywhere, or PolicyErr
	PolicySource string         // e.g. "acme/api .github/review-policy.yml on main"
	PolicyErr    error          // the policy in force is invalid

	Template  *template.Result  // nil: area off or not evaluated
	Reviewers *reviewers.Output // nil: area off or not evaluated
	SLA       *sla.Status       // nil: area off or clock never started

	// Proposed is set when the pull request changes the policy file.
	Proposed *Proposed

	// Reminder and Breach add the SLA's call to people to the comment.
	Mentions []string // logins and @org/team, already with "@"
	Notice   string   // e.g. "⏰ 4h left for a first review"
}

// Proposed is the validation of a policy file the pull request changes.
type Proposed struct {
	Path     string
	Err      error     // parse errors (policy.ErrorList gives annotations)
	Changes  []string  // plain-language differences from the policy in force
	Findings []Finding // what parses but would not work in this repository
}

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
		fmt.Fprintf(&b, "## Policy\n❌ The policy in force (%s) is invalid, so nothing else was checked:\n\n```\n%s\n```\n"+
			"Fix the file on the base branch; `reviewpolicy validate FILE` shows the same errors offline.\n\n",
			in.PolicySource, in.PolicyErr)
		todo = append(todo, "The review policy of this repository is invalid; a lead must fix it (see the check run).")
	case in.Policy == nil:
		b.WriteString("## Policy\nNo review policy found (no `.github/review-policy.yml` here and no organisation default), so there is nothing to enforce.\n\n")
	default:
		fmt.Fprintf(&b, "## Policy\nUsing %s.\n\n", in.PolicySource)
	}

	if p := in.Proposed; p != nil {
		b.WriteString("### Proposed policy change\n")
		if p.Err != nil {
			worst = Failure
			fmt.Fprintf(&b, "❌ `%s` as changed here is invalid:\n\n```\n%s\n```\n\n", p.Path, p.Err)
			todo = append(todo, fmt.Sprintf("`%s` as changed here is invalid: see the annotations on the check run.", p.Path))
			var list policy.ErrorList
			if errors.As(p.Err, &list) {
				for _, e := range list {
					r.Annotations = append(r.Annotations, Annotation{Path: p.Path, StartLine: max(e.Line, 1),
						EndLine: max(e.Line, 1), Column: e.Column, Level: LevelFailure, Message: e.Msg})
				}
			}
		} else if len(p.Findings) > 0 {
			b.WriteString("The file parses, but against this repository:\n")
			for _, f := range p.Findings {
				level, icon := LevelWarning, "⚠️"
				if f.Blocking {
					level, icon, worst = LevelFailure, "❌", Failure
				}
				fmt.Fprintf(&b, "- %s line %d: %s\n", icon, f.Line, f.Msg)
				r.Annotations = append(r.Annotations, Annotation{Path: p.Path, StartLine: max(f.Line, 1),
					EndLine: max(f.Line, 1), Column: f.Column, Level: level, Message: f.Msg})
			}
			b.WriteString("\n")
		}
		if p.Err == nil && len(p.Changes) == 0 {
			b.WriteString("✅ Valid; no change in effect.\n\n")
		} else if p.Err == nil {
			b.WriteString("✅ Valid. Once merged:\n")
			for _, c := range p.Changes {
				fmt.Fprintf(&b, "- %s\n", c)
			}
			b.WriteString("\n")
		}
	}

	if in.Policy != nil {
		enf := in.Policy.Enforcement
		if in.Template != nil && enf.Template != policy.ModeOff {
			ok := in.Template.OK()
			raise(enf.Template, ok)
			lines := templateSection(&b, *in.Template, enf.Template)
			todo = append(todo, lines...)
		}
		if in.Reviewers != nil && enf.Reviewers != policy.ModeOff {
			ok := in.Reviewers.OK()
			raise(enf.Reviewers, ok)
			reviewersSection(&b, *in.Reviewers, enf.Reviewers)
		}
		if in.SLA != nil && enf.SLA != policy.ModeOff {
			raise(enf.SLA, in.SLA.OK())
			fmt.Fprintf(&b, "## Review SLA%s\n%s %s\n\n", modeNote(enf.SLA), mark(in.SLA.OK()), in.SLA.Summary)
		}
	}

	r.Conclusion = worst
	r.Title = title(worst, in)
	r.Summary = truncate(b.String(), 60000)
	r.NeedsComment = len(todo) > 0 || in.Notice != ""
	r.Comment = comment(todo, in)
	return r
}

func templateSection(b *strings.Builder, res template.Result, mode policy.Mode) []string {
	fmt.Fprintf(b, "## Description%s\n", modeNote(mode))
	if res.Skipped != "" {
		fmt.Fprintf(b, "⏭️ Not checked: %s.\n\n", res.Skipped)
		return nil
	}
	var todo []string
	for _, it := range res.Items {
		line := fmt.Sprintf("%s **%s**: %s", mark(it.Status == template.Met), it.Name, it.Status)
		if it.Detail != "" {
			line += " — " + it.Detail
		}
		fmt.Fprintf(b, "- %s\n", line)
		if it.Status != template.Met {
			todo = append(todo, describeItem(it))
		}
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
	switch it.Kind {
	case "ticket":
		s = "Reference a ticket"
	case "checklist":
		s = "Tick every checklist item"
	default:
		switch it.Status {
		case template.Missing:
			s = fmt.Sprintf("Add a **%s** section", it.Name)
		case template.Placeholder:
			s = fmt.Sprintf("Replace the template's placeholder text in **%s**", it.Name)
		default:
			s = fmt.Sprintf("Fill in the **%s** section", it.Name)
		}
	}
	if it.Detail != "" {
		s += " (" + it.Detail + ")"
	}
	return s + "."
}

func reviewersSection(b *strings.Builder, out reviewers.Output, mode policy.Mode) {
	fmt.Fprintf(b, "## Reviewers%s\n", modeNote(mode))
	shown := 0
	for _, rule := range out.Rules {
		if rule.State == "not-matched" {
			continue
		}
		shown++
		state := rule.State
		if rule.Required > 0 {
			state = fmt.Sprintf("%s (%d of %d approvals)", state, len(rule.Approvals), rule.Required)
		}
		fmt.Fprintf(b, "- %s rule **%s**: %s", mark(rule.State != "no-candidate" && !strings.HasPrefix(rule.State, "waiting")), rule.Name, state)
		if rule.Why != "" {
			fmt.Fprintf(b, " — %s", rule.Why)
		}
		b.WriteString("\n")
		for _, a := range rule.Assigned {
			fmt.Fprintf(b, "  - %s\n", a.Reason)
		}
	}
	if shown == 0 {
		b.WriteString("No rule matches the changed files.\n")
	}
	for _, n := range out.Notes {
		fmt.Fprintf(b, "- ⚠️ %s\n", n)
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

func comment(todo []string, in Input) string {
	var b strings.Builder
	b.WriteString(Marker + "\n")
	if in.Notice != "" {
		b.WriteString(in.Notice)
		if len(in.Mentions) > 0 {
			b.WriteString(" " + strings.Join(in.Mentions, " "))
		}
		b.WriteString("\n\n")
	}
	if len(todo) == 0 {
		b.WriteString("✅ **Review policy**: the description has everything it needs. Thank you!\n")
		return b.String()
	}
	b.WriteString("**Review policy**: before this pull request can be reviewed, please:\n\n")
	for _, t := range todo {
		fmt.Fprintf(&b, "- %s\n", t)
	}
	b.WriteString("\nEdit the description; this comment and the `review-policy` check update by themselves.\n")
	return b.String()
}

// truncate keeps a summary inside GitHub's 65535-character limit.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := strings.LastIndex(s[:n], "\n")
	if cut < 0 {
		cut = n
	}
	return s[:cut] + "\n\n…(truncated)\n"
}
