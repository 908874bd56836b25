// Package decide is the one evaluation of a pull request: facts in, decision
// out, no I/O. The server's workers and the offline `check` command both
// call Decide, so they cannot drift apart.
package decide

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/reviewpolicy/reviewpolicy/policy"
	"github.com/reviewpolicy/reviewpolicy/policy/check"
	"github.com/reviewpolicy/reviewpolicy/policy/expertise"
	"github.com/reviewpolicy/reviewpolicy/policy/reviewers"
	"github.com/reviewpolicy/reviewpolicy/policy/sla"
	"github.com/reviewpolicy/reviewpolicy/policy/template"
)

// Facts is everything known about one pull request when it is evaluated.
// Maps keyed by login use lower case.
type Facts struct {
	Policy       *policy.Policy // nil: no policy anywhere, or PolicyErr
	PolicySource string
	PolicyErr    error
	Repo         string // "owner/name"

	PR     policy.PullRequest
	Closed bool
	// Template is the base branch's pull-request template ("" none).
	Template string
	// Proposed is the validation of a policy file the pull request changes.
	Proposed *check.Proposed

	CodeOwners     string                // the base branch's CODEOWNERS text ("" none)
	Codeowners     *reviewers.Codeowners // the same, parsed (wins over CodeOwners)
	Reviews        []policy.Review
	Requested      []string // users requested now, by anyone
	RequestedTeams []string // "@org/slug" teams requested now
	Removed        []string // users a person removed; never asked again
	// Withdrawn: users whose request the app withdrew, never asked again,
	// to why ("withdrawn after 8h without a response").
	Withdrawn    map[string]string
	Teams        map[string][]string
	Load         map[string]reviewers.Load
	Busy         map[string]bool
	CannotReview map[string]bool
	DoneRules    []string       // rules covered by an earlier evaluation
	Rotation     map[string]int // round-robin counters as stored
	// Expertise is the repository's history for the expertise strategy.
	Expertise *expertise.History

	// Commands given in comments (package command) that were allowed:
	// Explain names who last asked for an explanation ("" nobody);
	// TemplateSkip is a lead's skip of the template area for the current
	// head; Snoozes are every snooze, oldest first.
	Explain      string
	TemplateSkip *Given
	Snoozes      []Snooze
	// Prefer: people named with "/reviewpolicy reassign @login".
	Prefer []string
	// Reassigned says, one line each, which requests of the app were
	// withdrawn and why (reviewers.reassign_after or a command).
	Reassigned []string

	// Clock is the SLA clock as stored; ClockFound is false before the first.
	Clock      sla.Clock
	ClockFound bool
}

// Given is who gave a command and why.
type Given struct{ By, Reason string }

// Snooze is one "/reviewpolicy snooze": the SLA clock does not count the
// working time from At for For.
type Snooze struct {
	Given
	At  time.Time
	For time.Duration
}

// Decision is what the evaluation decided.
type Decision struct {
	Report check.Report
	// Template is the template area's result; nil when the area is off.
	Template *template.Result
	// Reviewers is nil when the area is off; Reviewers.Request are the
	// people to ask now (none for drafts).
	Reviewers *reviewers.Output
	// SLA says what happens to the clock; nil when the area is off.
	SLA *Clock
}

// Clock is the SLA part of a decision.
type Clock struct {
	Clock sla.Clock
	// Changed: the clock must be stored; Restarted: its timers must be
	// scheduled (a new generation, or the first clock).
	Changed, Restarted bool
	// Reviewed is set when this evaluation saw the first review come in:
	// the time it took, for the time-to-first-review metric.
	Reviewed *time.Duration
}

// Decide evaluates the pull request at now.
func Decide(f Facts, now time.Time) Decision {
	d, _ := DecideContext(context.Background(), f, now)
	return d
}

// DecideContext is Decide that stops with ctx's error when ctx ends during
// the evaluation: a policy may pair many globs with many files, and the
// server's job_timeout must hold.
func DecideContext(ctx context.Context, f Facts, now time.Time) (Decision, error) {
	p := f.Policy
	if f.Closed {
		return Decision{SLA: clockOf(f, false, now)}, nil
	}
	in := check.Input{Policy: p, PolicySource: f.PolicySource, PolicyErr: f.PolicyErr, Proposed: f.Proposed}
	var d Decision
	if p != nil {
		if p.Template != nil && p.Enforcement.Template != policy.ModeOff {
			res, err := template.EvaluateContext(ctx, p.Template, f.PR, f.Template)
			if err != nil {
				return Decision{}, err
			}
			if g := f.TemplateSkip; g != nil {
				res = template.Result{Skipped: fmt.Sprintf("skipped for this head by %s (a lead): %s", g.By, g.Reason)}
			}
			d.Template, in.Template = &res, &res
		}
		if p.Reviewers != nil && p.Enforcement.Reviewers != policy.ModeOff {
			out, err := reviewers.SelectContext(ctx, ReviewersInput(f, now))
			if err != nil {
				return Decision{}, err
			}
			if f.PR.Draft {
				out.Request, out.Rotation = nil, nil // report what would happen, ask nobody yet
			}
			d.Reviewers, in.Reviewers = &out, &out
		}
		requesting := d.Reviewers != nil && len(d.Reviewers.Request) > 0
		if d.SLA = clockOf(f, requesting, now); d.SLA != nil && d.SLA.Clock.State != sla.Idle {
			st := sla.Evaluate(p.SLA, d.SLA.Clock, now)
			in.SLA = &st
			in.Notice, in.Mentions = notice(f, d, st, now)
		}
	}
	in.ExplainedFor, in.Reassigned = f.Explain, f.Reassigned
	d.Report = check.Build(in)
	return d, nil
}

// ReviewersInput is the reviewer selection's view of the facts.
func ReviewersInput(f Facts, now time.Time) reviewers.Input {
	return reviewers.Input{Policy: f.Policy, PR: f.PR, Repo: f.Repo, Teams: f.Teams, CodeOwners: f.CodeOwners, ParsedCodeowners: f.Codeowners,
		CannotReview: f.CannotReview, Busy: f.Busy, Load: f.Load, Rotation: f.Rotation, Requested: f.Requested,
		Removed: f.Removed, Withdrawn: f.Withdrawn, DoneRules: f.DoneRules, Reviews: f.Reviews, Now: now, Expertise: f.Expertise, Prefer: f.Prefer}
}

// clockOf derives the SLA clock from the pull request as it is now, so a
// missed or reordered event cannot leave it wrong. requesting: this
// decision asks reviewers, which starts the clock. Nil when the area is off.
func clockOf(f Facts, requesting bool, now time.Time) *Clock {
	p := f.Policy
	if p == nil || p.SLA == nil || p.Enforcement.SLA == policy.ModeOff {
		return nil
	}
	before := f.Clock
	c := before
	first, reviewed := sla.FirstReview(f.Reviews, f.PR.Author)
	switch {
	case f.Closed:
		c = c.Close(now)
	case reviewed:
		c = c.Review(first.SubmittedAt, first.Author)
	case f.PR.Draft:
		c, _ = c.Pause(now, p.SLA)
	case requesting || len(f.Requested) > 0 || len(f.RequestedTeams) > 0:
		c, _ = c.Start(now)
	}
	for _, s := range f.Snoozes[min(c.Snoozes, len(f.Snoozes)):] {
		c = c.Snooze(s.At, s.At.Add(s.For), p.SLA,
			fmt.Sprintf("snoozed %s by %s: %s", sla.FormatDuration(s.For), s.By, s.Reason))
	}
	out := &Clock{Clock: c, Changed: !f.ClockFound || c != before, Restarted: !f.ClockFound || c.Generation != before.Generation}
	if before.State != sla.Reviewed && c.State == sla.Reviewed && !c.StartedAt.IsZero() {
		took := sla.Evaluate(p.SLA, c, now).ReviewedAfter
		out.Reviewed = &took
	}
	return out
}

// notice is the SLA's line in the sticky comment, derived from the clock so
// every later evaluation renders the same words, and whom it calls.
func notice(f Facts, d Decision, st sla.Status, now time.Time) (string, []string) {
	if st.State != sla.Running {
		return "", nil
	}
	var mentions []string
	for _, u := range f.Requested {
		mentions = append(mentions, "@"+u)
	}
	mentions = append(mentions, f.RequestedTeams...)
	if d.Reviewers != nil {
		for _, u := range d.Reviewers.Request {
			mentions = append(mentions, "@"+u)
		}
	}
	if st.Breached {
		for _, ref := range f.Policy.SLA.EscalateTo {
			mentions = append(mentions, "@"+strings.TrimPrefix(ref, "@"))
		}
		return fmt.Sprintf("🚨 **First review overdue**: %s.", st.Summary), dedupe(mentions)
	}
	remindAt, _ := sla.Timers(f.Policy.SLA, d.SLA.Clock)
	if !remindAt.IsZero() && !now.Before(remindAt) {
		return fmt.Sprintf("⏰ **Review reminder**: %s.", st.Summary), dedupe(mentions)
	}
	return "", nil
}

func dedupe(xs []string) []string {
	seen := map[string]bool{}
	out := xs[:0]
	for _, x := range xs {
		if k := strings.ToLower(x); !seen[k] {
			seen[k] = true
			out = append(out, x)
		}
	}
	return out
}
