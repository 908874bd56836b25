package web

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/reviewpolicy/reviewpolicy/analytics"
	"github.com/reviewpolicy/reviewpolicy/store"
)

// PRPage is one pull request's page.
type PRPage struct {
	Owner, Repo       string
	Number            int
	Title, Author     string
	State, Conclusion string
	ConclusionText    string
	ConclusionTag     string
	Snap              analytics.Snapshot
	Timeline          []Step
	Deadline          string // in the viewer's zone; "" without one
	Left              string // "5h 20m left", "2h over"
	Sections          []Section
	WhatIf            *WhatIf // the policy change's what-if; nil without one
}

// Step is one point of the SLA timeline.
type Step struct {
	What, When, Tag string
}

const timeFormat = "Mon 2 Jan 2006 15:04 MST"

func buildPRPage(owner, repo string, s store.PRSummary, snap analytics.Snapshot, evs []store.PREvent, loc *time.Location, now time.Time) *PRPage {
	p := &PRPage{Owner: owner, Repo: repo, Number: s.Number, Title: s.Title, Author: s.Author, State: s.State,
		Conclusion: s.Conclusion, ConclusionText: conclusionText(s.Conclusion), ConclusionTag: conclusionTag(s.Conclusion), Snap: snap}
	if v := snap.SLA; v != nil && !v.Deadline.IsZero() && v.State == "running" {
		p.Deadline = v.Deadline.In(loc).Format(timeFormat)
		if left := v.Deadline.Sub(now); left >= 0 {
			p.Left = analytics.FormatDuration(left) + " left"
		} else {
			p.Left = analytics.FormatDuration(-left) + " over"
		}
	}
	p.Timeline = timeline(s, snap, evs, loc, now)
	p.Sections = finish([]Section{eventsSection(evs, loc), templateTable(snap), reviewersTable(snap)})
	return p
}

// timeline lays out the SLA: ready, requested, reminded, then reviewed or
// breached, each at most once (the first), and the deadline still ahead.
func timeline(s store.PRSummary, snap analytics.Snapshot, evs []store.PREvent, loc *time.Location, now time.Time) []Step {
	var out []Step
	add := func(what string, at time.Time, tag string) {
		if !at.IsZero() {
			out = append(out, Step{What: what, When: at.In(loc).Format(timeFormat), Tag: tag})
		}
	}
	first := func(kind string) (store.PREvent, bool) {
		i := slices.IndexFunc(evs, func(e store.PREvent) bool { return e.Kind == kind })
		if i < 0 {
			return store.PREvent{}, false
		}
		return evs[i], true
	}
	if e, ok := first(store.EventReady); ok {
		add("Ready for review", e.At, "")
	}
	person, okPerson := first(store.EventRequested)
	team, okTeam := first(store.EventTeamRequested)
	switch {
	case okTeam && (!okPerson || team.At.Before(person.At)):
		add("Review requested from team "+team.Detail, team.At, "")
	case okPerson:
		add("Review requested from "+person.Actor, person.At, "")
	default:
		add("Review requested (clock started)", s.StartedAt, "")
	}
	if e, ok := first(store.EventReminded); ok {
		add("Reminder sent", e.At, "soon")
	}
	if e, ok := first(store.EventBreached); ok {
		add("Deadline passed (breached)", e.At, "late")
	} else if !s.BreachedAt.IsZero() {
		add("Deadline passed (breached)", s.BreachedAt, "late")
	}
	if !s.FirstReviewAt.IsZero() {
		who := ""
		if snap.SLA != nil && snap.SLA.Reviewer != "" {
			who = " by " + snap.SLA.Reviewer
		}
		add("First review"+who, s.FirstReviewAt, "ok")
	} else if v := snap.SLA; v != nil && v.State == "running" && !v.Deadline.IsZero() {
		tag := "ok"
		if now.After(v.Deadline) {
			tag = "late"
		} else if v.Deadline.Sub(now) <= analytics.DueSoonWithin {
			tag = "soon"
		}
		add("First review due", v.Deadline, tag)
	}
	return out
}

var eventNames = map[string]string{
	store.EventReady: "ready for review", store.EventRequested: "review requested", store.EventUnrequested: "request removed",
	store.EventTeamRequested: "team review requested", store.EventTeamUnrequested: "team request removed",
	store.EventReviewed: "reviewed", store.EventReminded: "reminder sent", store.EventBreached: "SLA breached",
	store.EventTemplate: "template checked", store.EventMerged: "merged", store.EventClosed: "closed",
}

func eventsSection(evs []store.PREvent, loc *time.Location) Section {
	t := Table{Caption: "What the app recorded for this pull request, oldest first", Header: []string{"Time", "Event", "Who", "Detail"}}
	for _, e := range evs {
		detail := e.Detail
		if e.Kind == store.EventTemplate {
			detail = templateDetail(e.Key)
		}
		if e.Kind == store.EventReviewed && !e.Inside {
			detail = strings.TrimSpace(detail + " (outside working hours)")
		}
		who := e.Actor
		if e.Kind == store.EventTeamRequested || e.Kind == store.EventTeamUnrequested {
			who, detail = e.Detail, ""
		}
		name := eventNames[e.Kind]
		if name == "" {
			name = e.Kind
		}
		t.Rows = append(t.Rows, []Cell{text(e.At.In(loc).Format(timeFormat)), text(name), text(who), text(detail)})
	}
	return Section{ID: "events", Heading: "Events", Table: t, Empty: "No events recorded yet."}
}

// templateDetail reads the failing kinds from a template event's key
// ("template:<sha>:<kinds>").
func templateDetail(key string) string {
	parts := strings.SplitN(key, ":", 3)
	if len(parts) < 3 || parts[2] == "" {
		return "all requirements met"
	}
	return "failing: " + strings.ReplaceAll(parts[2], ",", ", ")
}

// templateTable and reviewersTable are the page's area tables as CSV
// (?csv=template-items, ?csv=reviewer-rules); the page lays them out itself.
func templateTable(snap analytics.Snapshot) Section {
	t := Table{Header: []string{"Kind", "Requirement", "Status", "What to do"}}
	if a := snap.Template; a != nil {
		for _, it := range a.Items {
			t.Rows = append(t.Rows, []Cell{text(it.Kind), text(it.Name), text(it.Status), text(it.Detail)})
		}
	}
	return Section{ID: "template-items", Table: t, CSVOnly: true}
}

func reviewersTable(snap analytics.Snapshot) Section {
	t := Table{Header: []string{"Rule", "State", "Why", "Reviewer", "Reason", "Approvals", "Required"}}
	if a := snap.Reviewers; a != nil {
		for _, r := range a.Rules {
			row := func(login, reason string) []Cell {
				return []Cell{text(r.Name), text(r.State), text(r.Why), text(login), text(reason),
					text(strings.Join(r.Approvals, " ")), text(strconv.Itoa(r.Required))}
			}
			if len(r.Assigned) == 0 {
				t.Rows = append(t.Rows, row("", ""))
			}
			for _, as := range r.Assigned {
				t.Rows = append(t.Rows, row(as.Login, as.Reason))
			}
			for _, c := range r.Considered {
				login, _, _ := strings.Cut(c, ":")
				t.Rows = append(t.Rows, row(login, "considered: "+c))
			}
		}
	}
	return Section{ID: "reviewer-rules", Table: t, CSVOnly: true}
}
