package web

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/reviewpolicy/reviewpolicy/analytics"
	"github.com/reviewpolicy/reviewpolicy/store"
)

// OverviewWeeks is how far back the overview's weekly figures go.
const OverviewWeeks = 12

// OverviewQuery selects an overview: an owner's, or one repository's
// (Repo), optionally one team's (Team: its members' pull requests and
// reviews), as Visible allows.
type OverviewQuery struct {
	Owner, Repo, Team string
	Loc               *time.Location
	Now               time.Time
	// Visible reports whether the viewer may see a repository (by its
	// lower-cased name); nil: all. VisibleKey names that set (equal sets,
	// equal keys), for the cache of computed overviews.
	Visible    func(repo string) bool
	VisibleKey string
}

// Overview is the leads' page.
type Overview struct {
	Owner, Repo, Team string
	Repos, Teams      []string // for the filters
	Sections          []Section
}

// BuildOverview computes the overview from the owner's history as the
// cache has it (up to date with the store).
func (s *Server) BuildOverview(ctx context.Context, q OverviewQuery) (*Overview, error) {
	weeks := analytics.Weeks(q.Now, q.Loc, OverviewWeeks)
	owner := strings.ToLower(q.Owner)
	sums, evs, version, err := s.history.history(ctx, owner, q.Now)
	if err != nil {
		return nil, err
	}
	// The same view within the same minute of unchanged data is the same page.
	key := strings.Join([]string{q.Owner, q.Repo, q.Team, q.Loc.String(), q.VisibleKey,
		q.Now.Truncate(time.Minute).Format(time.RFC3339)}, "\x00")
	if o := s.history.computed(owner, version, key); o != nil {
		return o, nil
	}
	if q.Repo != "" {
		repo := strings.ToLower(q.Repo)
		evs = slices.DeleteFunc(slices.Clone(evs), func(e store.PREvent) bool { return e.Repo != repo })
	}
	teams, err := s.opt.Store.Teams(ctx, q.Owner)
	if err != nil {
		return nil, err
	}
	o := &Overview{Owner: q.Owner, Repo: q.Repo, Team: strings.ToLower(q.Team)}
	for t := range teams {
		o.Teams = append(o.Teams, t)
	}
	slices.Sort(o.Teams)
	in := memberFilter(teams, o.Team)
	prs := o.selectPRs(sums, q, in, weeks[0])
	events := selectEvents(evs, q.Visible, in)
	o.Sections = finish(overviewSections(q, weeks, prs, events))
	s.history.keep(owner, version, key, o)
	return o, nil
}

// memberFilter is nil (everyone) without a team.
func memberFilter(teams map[string][]string, team string) func(string) bool {
	if team == "" {
		return nil
	}
	members := teams[team]
	return func(login string) bool { return slices.Contains(members, login) }
}

// selectPRs keeps what the viewer may see and the filters select, and
// lists the repositories for the filter.
func (o *Overview) selectPRs(sums []store.PRSummary, q OverviewQuery, in func(string) bool, since time.Time) []analytics.PR {
	out := make([]analytics.PR, 0, len(sums))
	seen := map[string]bool{}
	for _, s := range sums {
		if (q.Visible != nil && !q.Visible(s.Repo)) || (s.State != "open" && s.ClosedAt.Before(since)) {
			continue
		}
		if !seen[s.Repo] {
			seen[s.Repo] = true
			o.Repos = append(o.Repos, s.Repo)
		}
		if q.Repo != "" && !strings.EqualFold(s.Repo, q.Repo) {
			continue
		}
		if in != nil && !in(s.Author) && !slices.ContainsFunc(s.Requested, in) && !slices.Contains(s.RequestedTeams, o.Team) {
			continue
		}
		p := toPR(s)
		if in != nil {
			p.Requested = slices.DeleteFunc(slices.Clone(p.Requested), func(l string) bool { return !in(l) })
			p.RequestedTeams = slices.DeleteFunc(slices.Clone(p.RequestedTeams), func(t string) bool { return t != o.Team })
		}
		out = append(out, p)
	}
	return out
}

func toPR(s store.PRSummary) analytics.PR {
	return analytics.PR{Repo: s.Repo, Number: s.Number, Title: s.Title, Author: s.Author, State: s.State,
		Draft: s.Draft, Requested: s.Requested, RequestedTeams: s.RequestedTeams, TemplateFailures: s.TemplateFailures, StartedAt: s.StartedAt,
		FirstReviewAt: s.FirstReviewAt, DeadlineAt: s.DeadlineAt, BreachedAt: s.BreachedAt}
}

func selectEvents(evs []store.PREvent, visible func(string) bool, in func(string) bool) []analytics.Event {
	out := make([]analytics.Event, 0, len(evs))
	for _, e := range evs {
		if visible != nil && !visible(e.Repo) {
			continue
		}
		if in != nil && e.Actor != "" && e.Kind != store.EventMerged && e.Kind != store.EventClosed && !in(e.Actor) {
			continue
		}
		out = append(out, analytics.Event{Repo: e.Repo, Number: e.Number, Kind: e.Kind, Actor: e.Actor, Inside: e.Inside, At: e.At})
	}
	return out
}

func overviewSections(q OverviewQuery, weeks []time.Time, prs []analytics.PR, evs []analytics.Event) []Section {
	labels := make([]string, len(weeks))
	for i, w := range weeks {
		labels[i] = w.Format("2 Jan")
	}
	return []Section{
		slaSection(q, prs),
		ttfrSection(analytics.TimeToFirstReview(prs, weeks), labels),
		openRequestsSection(analytics.OpenRequests(prs)),
		teamRequestsSection(q.Owner, analytics.OpenTeamRequests(prs)),
		requestsOverTimeSection(analytics.OpenRequestsOverTime(evs, weeks, q.Now, 8), labels),
		breachesSection(analytics.BreachesPerWeek(prs, weeks), labels),
		failuresSection(analytics.TemplateFailures(prs)),
		hoursSection(analytics.ReviewHours(evs)),
	}
}

// attentionLimit bounds the listed pull requests; the counts cover all.
const attentionLimit = 50

func slaSection(q OverviewQuery, prs []analytics.PR) Section {
	counts := analytics.StateCounts(prs, q.Now)
	var bars []bar
	for _, c := range counts {
		bars = append(bars, bar{Label: c.Name, Value: float64(c.Count), Text: strconv.Itoa(c.Count)})
	}
	// Only the attention list's rows are sorted whole; the rest by deadline alone.
	type waiting struct {
		deadline time.Time
		i        int
	}
	var late []waiting
	for i, p := range prs {
		if s := analytics.SLAState(p, q.Now); s != analytics.NoSLA {
			late = append(late, waiting{p.DeadlineAt, i})
		}
	}
	slices.SortFunc(late, func(a, b waiting) int { return cmp.Or(a.deadline.Compare(b.deadline), cmp.Compare(a.i, b.i)) })
	t := Table{Caption: "Open pull requests waiting for a first review, earliest deadline first",
		Header: []string{"Pull request", "Title", "Author", "SLA", "Deadline", "Waiting on"}}
	for _, w := range late[:min(len(late), attentionLimit)] {
		p := prs[w.i]
		state := analytics.SLAState(p, q.Now)
		t.Rows = append(t.Rows, []Cell{
			{Text: p.Repo + "#" + strconv.Itoa(p.Number), Href: prPath(q.Owner, p.Repo, p.Number)},
			text(p.Title), text(p.Author), {Text: state, Tag: stateTag(state)},
			text(p.DeadlineAt.In(q.Loc).Format("Mon 2 Jan 15:04 MST")), text(strings.Join(p.Requested, ", "))})
	}
	intro := fmt.Sprintf("%d on time, %d due within %s, %d breached.", counts[0].Count, counts[1].Count,
		analytics.FormatDuration(analytics.DueSoonWithin), counts[2].Count)
	if len(late) > attentionLimit {
		intro += fmt.Sprintf(" The table lists the %d with the earliest deadlines.", attentionLimit)
	}
	return Section{ID: "sla", Heading: "Open pull requests by SLA state", Intro: intro,
		Chart: barsSVG("chart-sla", "Open pull requests by SLA state", bars), Table: t,
		Empty: "No open pull request is waiting for a first review."}
}

func stateTag(s string) string {
	switch s {
	case analytics.Breached:
		return "late"
	case analytics.DueSoon:
		return "soon"
	}
	return "ok"
}

func prPath(owner, repo string, n int) string {
	return "/" + owner + "/" + repo + "/pull/" + strconv.Itoa(n)
}

func hours(d time.Duration) float64 { return d.Hours() }

func ttfrSection(ws []analytics.WeekTTFR, labels []string) Section {
	p50, p90 := line{Name: "p50 (median)"}, line{Name: "p90"}
	t := Table{Caption: "Time from review request to first review, by week of the review",
		Header: []string{"Week of", "Reviewed", "p50", "p90"}, Numeric: []bool{false, true, true, true}}
	for i, w := range ws {
		p50.Values, p90.Values = append(p50.Values, hours(w.P50)), append(p90.Values, hours(w.P90))
		t.Rows = append(t.Rows, []Cell{text(labels[i]), text(strconv.Itoa(w.Count)), text(durationOrDash(w.P50, w.Count)),
			text(durationOrDash(w.P90, w.Count))})
	}
	return Section{ID: "ttfr", Heading: "Time to first review, 12 weeks",
		Chart: linesSVG("chart-ttfr", "Time to first review per week, p50 and p90", "hours", labels, []line{p50, p90}), Table: t}
}

func durationOrDash(d time.Duration, n int) string {
	if n == 0 {
		return "–"
	}
	return analytics.FormatDuration(d)
}

func openRequestsSection(counts []analytics.NameCount) Section {
	var bars []bar
	t := Table{Caption: "Review requests open now, per person", Header: []string{"Person", "Open requests"},
		Numeric: []bool{false, true}}
	for _, c := range counts {
		bars = append(bars, bar{Label: c.Name, Value: float64(c.Count), Text: strconv.Itoa(c.Count)})
		t.Rows = append(t.Rows, []Cell{text(c.Name), text(strconv.Itoa(c.Count))})
	}
	return Section{ID: "requests", Heading: "Open review requests per person",
		Chart: barsSVG("chart-requests", "Open review requests per person now", bars[:min(len(bars), 15)]), Table: t,
		Empty: "Nobody has an open review request."}
}

// teamRequestsSection lists the requests made of whole teams (and not yet
// of a member): the per-person counts do not include them.
func teamRequestsSection(owner string, counts []analytics.NameCount) Section {
	t := Table{Caption: "Review requests open now, per team", Header: []string{"Team", "Open requests"},
		Numeric: []bool{false, true}}
	for _, c := range counts {
		t.Rows = append(t.Rows, []Cell{text("@" + owner + "/" + c.Name), text(strconv.Itoa(c.Count))})
	}
	return Section{ID: "team-requests", Heading: "Open review requests per team", Table: t,
		Empty: "No team has an open review request."}
}

func requestsOverTimeSection(series []analytics.Series, labels []string) Section {
	t := Table{Caption: "Review requests open at the end of each week, per person", Header: append([]string{"Person"}, labels...)}
	var lines []line
	for _, s := range series {
		row := []Cell{text(s.Name)}
		l := line{Name: s.Name}
		for _, c := range s.Counts {
			row = append(row, text(strconv.Itoa(c)))
			l.Values = append(l.Values, float64(c))
		}
		t.Rows = append(t.Rows, row)
		if len(lines) < 5 {
			lines = append(lines, l)
		}
	}
	return Section{ID: "requests-weekly", Heading: "Open review requests over time",
		Intro: "The people with the most open requests now; requests made before the 12 weeks are not counted.",
		Chart: linesSVG("chart-requests-weekly", "Open review requests per person at the end of each week", "open requests",
			labels, lines), Table: t, Empty: "No review requests in the last 12 weeks."}
}

func breachesSection(ws []analytics.WeekCount, labels []string) Section {
	t := Table{Caption: "Pull requests whose first-review deadline passed, by week", Header: []string{"Week of", "Breaches"},
		Numeric: []bool{false, true}}
	l := line{Name: "breaches"}
	for i, w := range ws {
		l.Values = append(l.Values, float64(w.Count))
		t.Rows = append(t.Rows, []Cell{text(labels[i]), text(strconv.Itoa(w.Count))})
	}
	return Section{ID: "breaches", Heading: "SLA breaches per week",
		Chart: linesSVG("chart-breaches", "SLA breaches per week", "breaches", labels, []line{l}), Table: t}
}

func failuresSection(counts []analytics.NameCount) Section {
	t := Table{Caption: "Open pull requests failing the description template, by kind of requirement",
		Header: []string{"Requirement", "Pull requests"}, Numeric: []bool{false, true}}
	var bars []bar
	for _, c := range counts {
		t.Rows = append(t.Rows, []Cell{text(c.Name), text(strconv.Itoa(c.Count))})
		bars = append(bars, bar{Label: c.Name, Value: float64(c.Count), Text: strconv.Itoa(c.Count)})
	}
	return Section{ID: "template", Heading: "Template failures by kind",
		Chart: barsSVG("chart-template", "Open pull requests failing the template, by kind", bars), Table: t,
		Empty: "No open pull request fails the template."}
}

func hoursSection(people []analytics.PersonHours) Section {
	t := Table{Caption: "Reviews in the last 12 weeks inside and outside each reviewer's working hours",
		Header: []string{"Reviewer", "Inside hours", "Outside hours", "Outside share"}, Numeric: []bool{false, true, true, true}}
	for _, p := range people {
		share := 100 * p.Outside / max(p.Inside+p.Outside, 1)
		t.Rows = append(t.Rows, []Cell{text(p.Name), text(strconv.Itoa(p.Inside)), text(strconv.Itoa(p.Outside)),
			{Text: strconv.Itoa(share) + "%", Tag: map[bool]string{true: "late", false: ""}[share >= 25]}})
	}
	return Section{ID: "hours", Heading: "Reviews inside and outside working hours",
		Intro: "Working hours are the policy's SLA hours (Monday to Friday, 9:00 to 17:00 without one) in the reviewer's own time zone when the policy names it.",
		Table: t, Empty: "No reviews in the last 12 weeks."}
}
