// Package notify reaches people where they work: direct messages and
// channel posts in Slack, posts to Microsoft Teams through a Workflows
// webhook. Handlers describe what happened (plan.go) and write it to the
// store's outbox in the same breath as the rest of an evaluation; a Sender
// (sender.go) in every replica leases due messages, sends them and records
// where they landed, so that each message goes out once, late rather than
// never, and "reviewed" can edit the earlier ones in place.
package notify

import (
	"fmt"
	"strings"
	"time"

	"github.com/reviewpolicy/reviewpolicy/policy/check"
	"github.com/reviewpolicy/reviewpolicy/policy/sla"
)

// Kinds of message, as the policy's notify.events names the events.
const (
	KindReviewRequested = "review_requested"
	KindReminder        = "reminder"
	KindBreach          = "breach"
	KindReviewed        = "reviewed" // edits the earlier Slack messages in place; a Teams breach gets a follow-up
)

// PR is what a message says about a pull request. Title and Author come
// from GitHub users and are rendered inert.
type PR struct {
	Installation int64
	RepoID       int64
	Owner, Repo  string
	Number       int
	Title        string
	Author       string
	URL          string
	Files        int
	Additions    int
	Deletions    int
}

// Person is someone a message names: their login and, when the policy
// knows it, their Slack member ID.
type Person struct {
	Login string `json:"login"`
	Slack string `json:"slack,omitempty"`
}

// Payload is a message as stored in the outbox: facts, rendered when sent,
// so that an edit can re-render the original with what changed.
type Payload struct {
	Kind      string    `json:"kind"`
	PR        PR        `json:"pr"`
	Deadline  time.Time `json:"deadline,omitzero"`
	Zone      string    `json:"zone,omitempty"` // the reader's time zone, for the deadline
	Reviewers []Person  `json:"reviewers,omitempty"`
	Escalate  []Person  `json:"escalate,omitempty"`
	// Set when the pull request was reviewed (the edit).
	ReviewedBy string        `json:"reviewed_by,omitempty"`
	After      time.Duration `json:"after,omitempty"`
	// Digests (digest.go): a person's, or a channel's (Channel).
	Waiting      []DigestItem  `json:"waiting,omitempty"`
	Mine         []DigestItem  `json:"mine,omitempty"`
	Channel      bool          `json:"channel,omitempty"`
	WaitingCount int           `json:"waiting_count,omitempty"`
	Breached     []DigestItem  `json:"breached,omitempty"`
	AtRisk       []DigestItem  `json:"at_risk,omitempty"`
	Load         []Load        `json:"load,omitempty"`
	TTFR         time.Duration `json:"ttfr,omitempty"`
	Reviewed     int           `json:"reviewed,omitempty"`
}

// Bounds of user text in a message.
const (
	maxTitle = 200
	maxLogin = 64
)

// slackText makes user text inert in Slack: one line without GitHub
// mentions (check.Plain), then Slack's three control characters escaped, so
// it cannot form <!channel>, <@U…> or a link. Formatting such as *bold*
// stays harmless text.
func slackText(s string, n int) string {
	s = defuseLinks(check.Plain(s, n))
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// zwsp is invisible; placed inside "://" and "www." it keeps Slack and
// Teams from turning a URL in user text into a link.
const zwsp = "\u200b"

func defuseLinks(s string) string {
	return strings.NewReplacer("://", ":"+zwsp+"//", "www.", "www"+zwsp+".", "WWW.", "WWW"+zwsp+".").Replace(s)
}

// slackMention names a person: a real mention when their Slack ID is known,
// their login otherwise.
func slackMention(p Person) string {
	if p.Slack != "" {
		return "<@" + p.Slack + ">"
	}
	return slackText(p.Login, maxLogin)
}

func mentionList(ps []Person) string {
	var out []string
	for _, p := range ps {
		out = append(out, slackMention(p))
	}
	return strings.Join(out, ", ")
}

// link is a Slack link to the pull request with an inert label.
func (p Payload) link() string {
	label := fmt.Sprintf("%s/%s#%d %s", p.PR.Owner, p.PR.Repo, p.PR.Number, p.PR.Title)
	return "<" + strings.NewReplacer("|", "%7C", ">", "%3E", "<", "%3C").Replace(p.PR.URL) + "|" +
		slackText(label, maxTitle) + ">"
}

// deadline renders the deadline in the reader's zone.
func (p Payload) deadline() string {
	if p.Deadline.IsZero() {
		return ""
	}
	loc := time.UTC
	if p.Zone != "" {
		if l, err := time.LoadLocation(p.Zone); err == nil {
			loc = l
		}
	}
	return p.Deadline.In(loc).Format("Mon 2 Jan 15:04 MST")
}

// SlackText renders the message as Slack mrkdwn: the first line says what
// happened, the rest the facts.
func (p Payload) SlackText() string {
	if p.Kind == KindDigest {
		return p.digestText()
	}
	var b strings.Builder
	switch p.Kind {
	case KindReviewRequested:
		fmt.Fprintf(&b, ":eyes: Review requested: %s\n", p.link())
		fmt.Fprintf(&b, "by %s · %d files, +%d −%d", slackText(p.PR.Author, maxLogin), p.PR.Files, p.PR.Additions, p.PR.Deletions)
		if d := p.deadline(); d != "" {
			fmt.Fprintf(&b, " · first review due %s", d)
		}
	case KindReminder:
		fmt.Fprintf(&b, ":hourglass_flowing_sand: Reminder: %s waits for your review", p.link())
		if d := p.deadline(); d != "" {
			fmt.Fprintf(&b, "\nfirst review due %s", d)
		}
	case KindBreach:
		fmt.Fprintf(&b, ":rotating_light: Review overdue: %s\n", p.link())
		fmt.Fprintf(&b, "waiting on %s", orNobody(mentionList(p.Reviewers)))
		if len(p.Escalate) > 0 {
			fmt.Fprintf(&b, " · escalated to %s", mentionList(p.Escalate))
		}
	}
	if p.ReviewedBy != "" {
		fmt.Fprintf(&b, "\n:white_check_mark: Reviewed by %s after %s", slackText(p.ReviewedBy, maxLogin),
			sla.FormatDuration(p.After))
	}
	return b.String()
}

func orNobody(s string) string {
	if s == "" {
		return "nobody requested"
	}
	return s
}

// TeamsCard renders a channel post as a Microsoft Teams message with one
// Adaptive Card, the body a Workflows webhook expects. Teams renders
// TextBlock and fact text as a small Markdown subset and no HTML; user
// text goes in with its Markdown characters escaped, and the only link is
// to the pull request.
func (p Payload) TeamsCard() map[string]any {
	title := map[string]string{KindBreach: "Review overdue", KindReminder: "Review reminder",
		KindReviewRequested: "Review requested"}[p.Kind]
	var logins []string
	for _, r := range p.Reviewers {
		logins = append(logins, teamsText(r.Login, maxLogin))
	}
	facts := []map[string]string{
		{"title": "Pull request", "value": teamsText(fmt.Sprintf("%s/%s#%d %s", p.PR.Owner, p.PR.Repo, p.PR.Number, p.PR.Title), maxTitle)},
		{"title": "Waiting on", "value": orNobody(strings.Join(logins, ", "))},
	}
	card := map[string]any{
		"type": "AdaptiveCard", "version": "1.4",
		"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
		"body": []any{
			map[string]any{"type": "TextBlock", "text": title, "weight": "Bolder", "size": "Medium", "wrap": true},
			map[string]any{"type": "FactSet", "facts": facts},
		},
		"actions": []any{map[string]any{"type": "Action.OpenUrl", "title": "Open the pull request", "url": p.PR.URL}},
	}
	if p.Kind == KindReviewed {
		// The follow-up to a breach post (Teams posts cannot be edited).
		card["body"] = []any{
			map[string]any{"type": "TextBlock", "text": "Overdue review done", "weight": "Bolder", "size": "Medium", "wrap": true},
			map[string]any{"type": "FactSet", "facts": []map[string]string{facts[0],
				{"title": "Reviewed by", "value": teamsText(p.ReviewedBy, maxLogin)},
				{"title": "After", "value": sla.FormatDuration(p.After) + "; it was overdue"}}},
		}
	}
	if p.Kind == KindDigest {
		card["body"] = p.digestCard()
		delete(card, "actions")
	}
	return map[string]any{"type": "message", "attachments": []any{map[string]any{
		"contentType": "application/vnd.microsoft.card.adaptive", "content": card}}}
}

func teamsText(s string, n int) string {
	s = defuseLinks(check.Plain(s, n))
	return strings.NewReplacer(`\`, `\\`, "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "`", "\\`").Replace(s)
}
