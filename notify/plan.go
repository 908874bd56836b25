package notify

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/reviewpolicy/reviewpolicy/policy"
	"github.com/reviewpolicy/reviewpolicy/policy/sla"
	"github.com/reviewpolicy/reviewpolicy/store"
)

// maxNamed bounds the people one channel post names.
const maxNamed = 25

// DestUpdate is the destination of a "reviewed" message: it edits the
// messages already sent for its pull request.
const DestUpdate = "update"

// Planner turns what happened to a pull request into outbox messages. It
// knows which transports the server has, so a policy naming one that is
// not configured gets a problem line rather than messages nobody sends.
type Planner struct {
	Slack bool            // a bot token is configured
	Teams map[string]bool // configured webhook names
}

// Plan is the outcome of one event: messages to enqueue, and problems to
// show in the check run ("alice has no Slack ID in people").
type Plan struct {
	Messages []store.OutboxMessage
	Problems []string
}

func (pl Planner) on(pol *policy.Policy, event string) bool {
	return pol != nil && pol.Notify.On(event) && (pl.Slack || len(pl.Teams) > 0)
}

// ReviewRequested DMs each requested reviewer. gen is the SLA clock's
// generation (0 without an SLA), deadline its breach time (zero: none).
func (pl Planner) ReviewRequested(pr PR, pol *policy.Policy, logins []string, gen int, deadline, now time.Time) Plan {
	return pl.dms(KindReviewRequested, pr, pol, logins, gen, deadline, now)
}

// Reminder DMs each reviewer still pending.
func (pl Planner) Reminder(pr PR, pol *policy.Policy, pending []string, gen int, deadline, now time.Time) Plan {
	return pl.dms(KindReminder, pr, pol, pending, gen, deadline, now)
}

func (pl Planner) dms(kind string, pr PR, pol *policy.Policy, logins []string, gen int, deadline, now time.Time) Plan {
	var p Plan
	if !pl.on(pol, kind) || !pl.Slack {
		return p
	}
	for _, login := range logins {
		who := lookup(pol, login)
		if who.Slack == "" {
			p.noSlackID(pr, kind, login, gen, now)
			continue
		}
		pay := Payload{Kind: kind, PR: pr, Deadline: deadline, Zone: zoneOf(pol, login)}
		p.Messages = append(p.Messages, message(pr, kind, who.Login, "slack:"+who.Slack, gen, pay, quietUntil(pol, login, now)))
	}
	return p
}

// Breach posts to the leads' channel (Slack and Teams) at once, naming the
// pending reviewers and escalate_to, and DMs the people of escalate_to
// within their working hours.
func (pl Planner) Breach(pr PR, pol *policy.Policy, pending []string, gen int, now time.Time) Plan {
	var p Plan
	if !pl.on(pol, KindBreach) {
		return p
	}
	pay := Payload{Kind: KindBreach, PR: pr}
	for _, login := range pending[:min(len(pending), maxNamed)] {
		pay.Reviewers = append(pay.Reviewers, lookup(pol, login))
	}
	var escalateLogins []string
	var escalateTo []string
	if pol.SLA != nil {
		escalateTo = pol.SLA.EscalateTo
	}
	for _, ref := range escalateTo[:min(len(escalateTo), maxNamed)] {
		login := strings.TrimPrefix(ref, "@")
		if strings.Contains(login, "/") { // a team: named, not messaged
			pay.Escalate = append(pay.Escalate, Person{Login: ref})
			continue
		}
		pay.Escalate = append(pay.Escalate, lookup(pol, login))
		escalateLogins = append(escalateLogins, login)
	}
	n := pol.Notify
	if ch := n.SlackChannel; ch != "" && pl.Slack {
		p.Messages = append(p.Messages, message(pr, KindBreach, "", "slack:"+ch, gen, pay, now))
	}
	if n.Teams != "" {
		if pl.Teams[n.Teams] {
			p.Messages = append(p.Messages, message(pr, KindBreach, "", "teams:"+n.Teams, gen, pay, now))
		} else {
			p.Problems = append(p.Problems, fmt.Sprintf("the Teams webhook %s is not in the server's configuration", n.Teams))
		}
	}
	if !pl.Slack {
		return p
	}
	for _, login := range escalateLogins {
		who := lookup(pol, login)
		if who.Slack == "" {
			p.noSlackID(pr, KindBreach, login, gen, now)
			continue
		}
		dm := pay
		dm.Zone = zoneOf(pol, login)
		p.Messages = append(p.Messages, message(pr, KindBreach, who.Login, "slack:"+who.Slack, gen, dm, quietUntil(pol, login, now)))
	}
	return p
}

// Reviewed is the edit of every message sent for the pull request: who
// reviewed, after how long. gen is the reviewed clock's generation.
func (pl Planner) Reviewed(pr PR, pol *policy.Policy, by string, after time.Duration, gen int, now time.Time) Plan {
	if !pl.on(pol, KindReviewed) {
		return Plan{}
	}
	pay := Payload{Kind: KindReviewed, PR: pr, ReviewedBy: by, After: after}
	return Plan{Messages: []store.OutboxMessage{message(pr, KindReviewed, "", DestUpdate, gen, pay, now)}}
}

// DestNone is the destination of a message that could not be made; it is
// stored failed, so that it is reported once (metric, check run).
const DestNone = "none"

// ReasonNoSlackID is the metric's reason for a person without a Slack ID.
const ReasonNoSlackID = "no_slack_id"

func (p *Plan) noSlackID(pr PR, kind, login string, gen int, now time.Time) {
	why := fmt.Sprintf("%s has no Slack ID in people", login)
	p.Problems = append(p.Problems, why)
	m := message(pr, kind, login, DestNone, gen, Payload{Kind: kind, PR: pr}, now)
	m.State, m.LastError = store.OutboxFailed, why
	p.Messages = append(p.Messages, m)
}

func message(pr PR, kind, person, dest string, gen int, pay Payload, due time.Time) store.OutboxMessage {
	body, _ := json.Marshal(pay) // plain data: cannot fail
	who := person
	if who == "" {
		who = "-"
	}
	return store.OutboxMessage{
		Key:            fmt.Sprintf("%d#%d/%s/%s/%s/g%d", pr.RepoID, pr.Number, kind, who, dest, gen),
		InstallationID: pr.Installation, RepoID: pr.RepoID, Owner: pr.Owner, Repo: pr.Repo, Number: pr.Number,
		Kind: kind, Person: person, Dest: dest, Payload: body, DueAt: due,
	}
}

func lookup(pol *policy.Policy, login string) Person {
	return Person{Login: login, Slack: pol.People[strings.ToLower(login)].Slack}
}

// zoneOf is the time zone a person reads times in: their own, else the
// SLA's working hours', else UTC.
func zoneOf(pol *policy.Policy, login string) string {
	if tz := pol.People[strings.ToLower(login)].Timezone; tz != "" {
		return tz
	}
	if pol.SLA != nil && pol.SLA.WorkingHours != nil {
		return pol.SLA.WorkingHours.Timezone
	}
	return "UTC"
}

// quietUntil is when a direct message to login may go: now inside their
// working hours (the SLA's working_hours days and times, in the person's
// own time zone), else when their next window opens. Without working
// hours, now.
func quietUntil(pol *policy.Policy, login string, now time.Time) time.Time {
	if pol.SLA == nil || pol.SLA.WorkingHours == nil {
		return now
	}
	wh := *pol.SLA.WorkingHours
	if p := pol.People[strings.ToLower(login)]; p.Location != nil {
		wh.Timezone, wh.Location = p.Timezone, p.Location
	}
	// The instant one nanosecond of working time has passed, less that
	// nanosecond: the opening of the window now is in, or of the next.
	return sla.Deadline(now, time.Nanosecond, &wh, pol.SLA.Holidays).Add(-time.Nanosecond)
}
