package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/reviewpolicy/reviewpolicy/notify"
	"github.com/reviewpolicy/reviewpolicy/policy"
	"github.com/reviewpolicy/reviewpolicy/policy/check"
	"github.com/reviewpolicy/reviewpolicy/policy/decide"
	"github.com/reviewpolicy/reviewpolicy/policy/sla"
	"github.com/reviewpolicy/reviewpolicy/store"
)

// Notifications connects evaluations and SLA timers to the outbox
// (package notify). Nil on App: nothing is notified.
type Notifications struct {
	Planner notify.Planner
	Metrics *notify.Metrics
	// Wake tells the local sender that messages are due (nil: it polls).
	Wake func()
}

// prInfo is what messages say about a pull request.
func prInfo(r repoRef, pr *github.PullRequest) notify.PR {
	return notify.PR{Installation: r.Installation, RepoID: r.RepoID, Owner: r.Owner, Repo: r.Repo, Number: r.Number,
		Title: pr.GetTitle(), Author: pr.GetUser().GetLogin(), URL: pr.GetHTMLURL(),
		Files: pr.GetChangedFiles(), Additions: pr.GetAdditions(), Deletions: pr.GetDeletions()}
}

// planRequested DMs everyone asked to review the open, ready pull request:
// by the app now, or by a person (GitHub lists them as requested). Each
// request is told once: the key's generation is the person's request
// generation (store.NoteRequests), not the clock's, which moves on at a
// review or a draft and would tell the reviewers still requested again. A
// person asked again after they reviewed or were removed is a new request.
func (a *App) planRequested(ctx context.Context, r repoRef, g *gathered, d decide.Decision, outbox []store.OutboxMessage,
	now time.Time) (notify.Plan, error) {
	pol := g.facts.Policy
	if a.Notify == nil || pol == nil || g.facts.PR.Draft || g.facts.Closed {
		return notify.Plan{}, nil
	}
	logins := requestedLogins(g, d)
	gens, err := a.Store.NoteRequests(ctx, r.RepoID, r.Number, logins)
	if err != nil {
		return notify.Plan{}, err
	}
	// escalate_to were asked by the escalation and told by the breach's
	// DM: no second message.
	logins = slices.DeleteFunc(logins, func(l string) bool {
		return slices.ContainsFunc(outbox, func(m store.OutboxMessage) bool {
			return m.Kind == notify.KindBreach && strings.EqualFold(m.Person, l)
		})
	})
	var deadline time.Time
	if d.SLA != nil && pol.SLA != nil {
		_, deadline = sla.Timers(pol.SLA, d.SLA.Clock)
	}
	var p notify.Plan
	for _, l := range logins {
		one := a.Notify.Planner.ReviewRequested(prInfo(r, g.pr), pol, []string{l}, gens[strings.ToLower(l)], deadline, now)
		p.Messages, p.Problems = append(p.Messages, one.Messages...), append(p.Problems, one.Problems...)
	}
	return p, nil
}

// requestedLogins are the people asked to review: by the app now, or
// before (GitHub lists them).
func requestedLogins(g *gathered, d decide.Decision) []string {
	logins := slices.Clone(g.facts.Requested)
	if d.Reviewers != nil {
		logins = append(logins, d.Reviewers.Request...)
	}
	slices.SortFunc(logins, func(x, y string) int { return strings.Compare(strings.ToLower(x), strings.ToLower(y)) })
	return slices.CompactFunc(logins, strings.EqualFold)
}

// snapshot records what the digests need of the pull request (store
// notify_prs): who is asked, whether it waits, its deadline, and the
// policy's people and digest settings.
func (a *App) snapshot(ctx context.Context, r repoRef, g *gathered, d decide.Decision, now time.Time) error {
	pol := g.facts.Policy
	if a.Notify == nil || pol == nil || !pol.Notify.On(policy.EventDigest) {
		return nil
	}
	requested := requestedLogins(g, d)
	waiting := !g.facts.PR.Draft && len(requested) > 0
	var deadline time.Time
	rec := store.NotifyPR{InstallationID: r.Installation, RepoID: r.RepoID, Number: r.Number, Open: true, UpdatedAt: now}
	if d.SLA != nil && pol.SLA != nil {
		waiting = d.SLA.Clock.State == sla.Running
		_, deadline = sla.Timers(pol.SLA, d.SLA.Clock)
		if d.SLA.Reviewed != nil {
			rec.ReviewedAt, rec.ReviewedAfter = now, *d.SLA.Reviewed
		}
	}
	body, err := json.Marshal(notify.NewSnapshot(prInfo(r, g.pr), pol, requested, waiting, deadline))
	if err != nil {
		return err
	}
	rec.Snapshot = body
	return a.Store.PutNotifyPR(ctx, rec)
}

// enqueue writes a plan to the outbox and wakes the sender. Problems are
// stored as failed messages: each is counted once, however many
// evaluations see it.
func (a *App) enqueue(ctx context.Context, p notify.Plan) error {
	if a.Notify == nil || len(p.Messages) == 0 {
		return nil
	}
	var send []store.OutboxMessage
	for _, m := range p.Messages {
		if m.State != store.OutboxFailed {
			send = append(send, m)
			continue
		}
		added, err := a.Store.EnqueueOutbox(ctx, []store.OutboxMessage{m}, a.Now())
		if err != nil {
			return err
		}
		if added == 1 {
			a.Notify.Metrics.Problem(m.Kind, notify.ReasonNoSlackID)
		}
	}
	added, err := a.Store.EnqueueOutbox(ctx, send, a.Now())
	if err != nil {
		return err
	}
	if added > 0 && a.Notify.Wake != nil {
		a.Notify.Wake()
	}
	return nil
}

// maxNotifyLines bounds the check run's notification section.
const maxNotifyLines = 10

// notifyLines adds to the check run what kept a notification from going
// out: people without a Slack ID, channels Slack does not know, webhooks
// the server lacks. The problems of this evaluation come with those the
// outbox recorded for the pull request.
func notifyLines(rep *check.Report, pol *policy.Policy, msgs []store.OutboxMessage, problems []string) {
	lines := make([]string, 0, len(problems))
	for _, p := range problems {
		lines = append(lines, check.Inert(p, 300))
	}
	for _, m := range msgs {
		if m.State != store.OutboxFailed {
			continue
		}
		if m.Dest == notify.DestNone && pol != nil && pol.People[strings.ToLower(m.Person)].Slack != "" {
			continue // the policy has their Slack ID now
		}
		lines = append(lines, failedLine(m))
	}
	slices.Sort(lines)
	lines = slices.Compact(lines)
	if len(lines) == 0 {
		return
	}
	var b strings.Builder
	b.WriteString("\n\n### Notifications\n\n")
	for i, l := range lines {
		if i == maxNotifyLines {
			fmt.Fprintf(&b, "- and %d more\n", len(lines)-i)
			break
		}
		b.WriteString("- " + l + "\n")
	}
	if len(rep.Summary)+b.Len() <= check.MaxSummary {
		rep.Summary += b.String()
	}
}

// planNotify reads what the outbox holds for the pull request, plans the
// review-request DMs, and adds the notification problems to the report
// (before it is published).
func (a *App) planNotify(ctx context.Context, r repoRef, g *gathered, d *decide.Decision, now time.Time) (notify.Plan, error) {
	if a.Notify == nil {
		return notify.Plan{}, nil
	}
	outbox, err := a.Store.OutboxOf(ctx, r.RepoID, r.Number)
	if err != nil {
		return notify.Plan{}, err
	}
	p, err := a.planRequested(ctx, r, g, *d, outbox, now)
	if err != nil {
		return notify.Plan{}, err
	}
	notifyLines(&d.Report, g.facts.Policy, outbox, p.Problems)
	return p, nil
}

// failedLine says in the check run which message failed and why, e.g.
// "the review request DM to carol failed: `channel_not_found`".
func failedLine(m store.OutboxMessage) string {
	if m.Dest == notify.DestNone {
		return check.Inert(m.LastError, 300)
	}
	what := map[string]string{notify.KindReviewRequested: "review request", notify.KindReminder: "reminder",
		notify.KindBreach: "breach", notify.KindReviewed: "review update"}[m.Kind]
	to := "post to " + strings.TrimPrefix(strings.TrimPrefix(m.Dest, "slack:"), "teams:")
	if m.Person != "" {
		to = "DM to " + m.Person
	}
	return fmt.Sprintf("the %s %s failed: %s", what, check.Inert(to, 100), check.Code(m.LastError, 200))
}

// notifyTimer tells people of a reminder or a breach: DMs to the pending
// reviewers (reminder), or the leads' channel and escalate_to (breach).
func (a *App) notifyTimer(ctx context.Context, f slaFacts, t slaTimerArgs, clock sla.Clock) error {
	if a.Notify == nil || f.policy == nil {
		return nil
	}
	var pending []string
	for _, u := range f.pr.RequestedReviewers {
		pending = append(pending, u.GetLogin())
	}
	pr, now := prInfo(f.ref, f.pr), a.Now()
	var p notify.Plan
	if t.Event == "remind" {
		_, deadline := sla.Timers(f.policy.SLA, clock)
		p = a.Notify.Planner.Reminder(pr, f.policy, pending, t.Generation, deadline, now)
	} else {
		p = a.Notify.Planner.Breach(pr, f.policy, pending, t.Generation, now)
	}
	return a.enqueue(ctx, p)
}

// notifyReviewed edits the messages sent for the pull request to say who
// reviewed it, and drops reminders and breach DMs still waiting for
// someone's morning: they would arrive after the fact.
func (a *App) notifyReviewed(ctx context.Context, r repoRef, g *gathered, c sla.Clock, took time.Duration) error {
	if a.Notify == nil || g.facts.Policy == nil {
		return nil
	}
	if _, err := a.Store.DropOutbox(ctx, r.RepoID, r.Number, a.Now(), notify.KindReminder, notify.KindBreach); err != nil {
		return err
	}
	return a.enqueue(ctx, a.Notify.Planner.Reviewed(prInfo(r, g.pr), g.facts.Policy, c.Reviewer, took, c.Generation, a.Now()))
}

// notifyClosed drops what a closed pull request still had waiting.
func (a *App) notifyClosed(ctx context.Context, r repoRef) error {
	if a.Notify == nil {
		return nil
	}
	if _, err := a.Store.DropOutbox(ctx, r.RepoID, r.Number, a.Now()); err != nil {
		return err
	}
	return a.Store.CloseNotifyPR(ctx, r.RepoID, r.Number)
}

// NotifyFailed is the Sender's OnFailure: a refused message is shown in
// the pull request's check run by evaluating it again.
func (a *App) NotifyFailed(ctx context.Context, m store.OutboxMessage, _ string) {
	r := repoRef{Installation: m.InstallationID, RepoID: m.RepoID, Owner: m.Owner, Repo: m.Repo, Number: m.Number}
	if err := a.requestEvaluation(ctx, r); err != nil {
		a.Logger.Warn("notify: asking for an evaluation after a refusal", "pr", r.String(), "err", err)
	}
}
