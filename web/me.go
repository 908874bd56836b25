package web

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/reviewpolicy/reviewpolicy/analytics"
	"github.com/reviewpolicy/reviewpolicy/store"
)

// LoadPeriod is the window of "my review load".
const LoadPeriod = 28 * 24 * time.Hour

// MeQuery selects a developer's page: their login, the owners they see
// through the app, and which repositories of those they may read.
type MeQuery struct {
	Login   string
	Owners  []string
	Loc     *time.Location
	Now     time.Time
	Visible func(owner, repo string) bool
}

// Me is the developer's page.
type Me struct {
	Login    string
	Load     analytics.Load
	Sections []Section
}

// waiting is a review request waiting on the viewer.
type waiting struct {
	owner string
	pr    analytics.PR
	since time.Time
}

// BuildMe reads the history of every owner the viewer sees.
func BuildMe(ctx context.Context, st *store.Store, q MeQuery) (*Me, error) {
	login := strings.ToLower(q.Login)
	var waits []waiting
	var mine []store.PRSummary
	var reviews []analytics.Event
	for _, owner := range q.Owners {
		sums, err := st.PRSummaries(ctx, store.SummaryQuery{Owner: owner, ClosedSince: q.Now, Involving: login, WithSnapshot: true})
		if err != nil {
			return nil, err
		}
		// The viewer's requests (when each began), and everyone's reviews of
		// the load period (the team's median).
		mineReq, err := st.OwnerEvents(ctx, store.EventQuery{Owner: owner, Actor: login, Kinds: []string{store.EventRequested},
			Since: q.Now.Add(-historyKeep)})
		if err != nil {
			return nil, err
		}
		reviewed, err := st.OwnerEvents(ctx, store.EventQuery{Owner: owner, Kinds: []string{store.EventReviewed},
			Since: q.Now.Add(-LoadPeriod)})
		if err != nil {
			return nil, err
		}
		requestedAt := map[string]time.Time{}
		for _, e := range mineReq {
			if q.Visible(e.Owner, e.Repo) {
				requestedAt[e.Repo+"#"+strconv.Itoa(e.Number)] = e.At // the latest request
			}
		}
		for _, e := range reviewed {
			if q.Visible(e.Owner, e.Repo) {
				reviews = append(reviews, analytics.Event{Kind: e.Kind, Actor: e.Actor, At: e.At})
			}
		}
		for _, s := range sums {
			if s.State != "open" || !q.Visible(s.Owner, s.Repo) {
				continue
			}
			if slices.Contains(s.Requested, login) {
				since := requestedAt[s.Repo+"#"+strconv.Itoa(s.Number)]
				if since.IsZero() {
					since = s.StartedAt
				}
				waits = append(waits, waiting{owner: owner, pr: toPR(s), since: since})
			}
			if s.Author == login {
				mine = append(mine, s)
			}
		}
	}
	m := &Me{Login: q.Login, Load: analytics.ReviewLoad(reviews, login, q.Now.Add(-LoadPeriod))}
	m.Sections = finish([]Section{waitingSection(waits, q), mineSection(mine, q), loadSection(m.Load, q.Login)})
	return m, nil
}

func waitingSection(waits []waiting, q MeQuery) Section {
	slices.SortFunc(waits, func(a, b waiting) int { return a.since.Compare(b.since) })
	t := Table{Caption: "Review requests waiting on you, oldest first",
		Header: []string{"Pull request", "Title", "Author", "Requested", "SLA", "Deadline"}}
	for _, w := range waits {
		state := analytics.SLAState(w.pr, q.Now)
		deadline, stateText := "–", "no deadline"
		if !w.pr.DeadlineAt.IsZero() {
			deadline = w.pr.DeadlineAt.In(q.Loc).Format("Mon 2 Jan 15:04 MST")
		}
		if state != analytics.NoSLA {
			stateText = state
		}
		requested := "–"
		if ago := q.Now.Sub(w.since); !w.since.IsZero() && ago >= time.Minute {
			requested = analytics.FormatDuration(ago) + " ago"
		} else if !w.since.IsZero() {
			requested = "just now"
		}
		t.Rows = append(t.Rows, []Cell{
			{Text: w.owner + "/" + w.pr.Repo + "#" + strconv.Itoa(w.pr.Number), Href: prPath(w.owner, w.pr.Repo, w.pr.Number)},
			text(w.pr.Title), text(w.pr.Author), text(requested), {Text: stateText, Tag: stateTag(state)}, text(deadline)})
	}
	return Section{ID: "waiting", Heading: "Waiting on you", Table: t, Empty: "No review request is waiting on you."}
}

func mineSection(mine []store.PRSummary, q MeQuery) Section {
	t := Table{Caption: "Your open pull requests and what each waits for",
		Header: []string{"Pull request", "Title", "Check", "Waits for"}}
	for _, s := range mine {
		var snap analytics.Snapshot
		_ = json.Unmarshal(s.Snapshot, &snap) // an unreadable snapshot shows as waiting for nothing known
		t.Rows = append(t.Rows, []Cell{
			{Text: s.Owner + "/" + s.Repo + "#" + strconv.Itoa(s.Number), Href: prPath(s.Owner, s.Repo, s.Number)},
			text(s.Title), {Text: conclusionText(s.Conclusion), Tag: conclusionTag(s.Conclusion)},
			text(strings.Join(waitsFor(s, snap), "; "))})
	}
	return Section{ID: "mine", Heading: "Your pull requests", Table: t, Empty: "You have no open pull request."}
}

// waitsFor says what a pull request needs next: template items to fix,
// reviewers to review, approvals to come.
func waitsFor(s store.PRSummary, snap analytics.Snapshot) []string {
	var out []string
	if s.Draft {
		out = append(out, "you: marked ready for review")
	}
	if a := snap.Template; a != nil {
		for _, it := range a.Items {
			if it.Status != "met" {
				out = append(out, fmt.Sprintf("you: %s %q (%s)", it.Kind, it.Name, it.Status))
			}
		}
	}
	if len(s.Requested) > 0 {
		out = append(out, "review by "+strings.Join(s.Requested, ", "))
	}
	if a := snap.Reviewers; a != nil {
		for _, r := range a.Rules {
			if r.State == "waiting" && r.Required > len(r.Approvals) {
				out = append(out, fmt.Sprintf("%d more approval(s) for %s", r.Required-len(r.Approvals), r.Name))
			}
		}
	}
	if len(out) == 0 {
		out = append(out, "nothing: ready to merge as far as the policy goes")
	}
	return out
}

func conclusionText(c string) string {
	switch c {
	case "success":
		return "passing"
	case "failure":
		return "failing"
	case "neutral":
		return "warning"
	case "":
		return "pending"
	}
	return c
}

func conclusionTag(c string) string {
	switch c {
	case "success":
		return "ok"
	case "failure":
		return "late"
	}
	return "soon"
}

func loadSection(l analytics.Load, login string) Section {
	median := trimFloat(l.TeamMedian)
	t := Table{Caption: "Reviews in the last 4 weeks", Header: []string{"Who", "Reviews"}, Numeric: []bool{false, true},
		Rows: [][]Cell{{text("You (" + login + ")"), text(strconv.Itoa(l.Mine))},
			{text(fmt.Sprintf("Team median (%d reviewers)", l.Reviewers)), text(median)}}}
	bars := []bar{{Label: "You", Value: float64(l.Mine), Text: strconv.Itoa(l.Mine)},
		{Label: "Team median", Value: l.TeamMedian, Text: median}}
	return Section{ID: "load", Heading: "Your review load",
		Intro: fmt.Sprintf("You reviewed %d times in the last 4 weeks; the median reviewer %s times.", l.Mine, median),
		Chart: barsSVG("chart-load", "Your reviews in the last 4 weeks against the team median", bars), Table: t}
}
