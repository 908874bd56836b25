package simulate

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/reviewpolicy/reviewpolicy/policy"
)

// Report is what the replay found, per area, as counts and differences.
// Every number comes with the pull requests behind it.
type Report struct {
	Repo     string         `json:"repo"`
	Current  string         `json:"current"`  // where the policy in force came from
	Proposed string         `json:"proposed"` // where the proposed policy came from
	PRs      int            `json:"pull_requests"`
	Merged   int            `json:"merged"`
	From     time.Time      `json:"from"` // earliest opening replayed
	To       time.Time      `json:"to"`   // latest close replayed
	Files    int            `json:"files_changed"`
	Lines    int            `json:"lines_changed"` // additions + deletions
	Links    map[int]string `json:"links"`         // pull request number -> page

	Template    []Group  `json:"template_failures"` // keyed by reason
	Load        []Group  `json:"reviewer_load"`     // keyed by login
	Spread      [2]Load  `json:"load_spread"`       // current, proposed
	NoCandidate []Group  `json:"rules_without_candidate"`
	Blocked     []Group  `json:"approval_blocks"` // merged without the approvals the rule requires
	SLA         SLA      `json:"sla"`
	Unknown     []string `json:"unknown"` // facts that could not be known, and what was assumed
}

// Group is one thing counted under both policies, e.g. one template
// failure reason, one reviewer, one rule. Lists hold pull request numbers.
type Group struct {
	Key      string `json:"key"`
	Current  []int  `json:"current"`
	Proposed []int  `json:"proposed"`
	Added    []int  `json:"added"`   // under the proposed policy only
	Removed  []int  `json:"removed"` // under the policy in force only
}

// Changed reports whether the group differs between the policies.
func (g Group) Changed() bool { return len(g.Added) > 0 || len(g.Removed) > 0 }

// Delta is the proposed count minus the current count.
func (g Group) Delta() int { return len(g.Proposed) - len(g.Current) }

// Load is the spread of review requests over people under one policy.
type Load struct {
	Requests int      `json:"requests"`
	People   int      `json:"people"` // people asked at least once
	Max      int      `json:"max"`
	Median   float64  `json:"median"` // over every candidate, those asked none included
	None     []string `json:"none"`   // candidates who would be asked nothing
}

// SLA compares first-review breaches under each policy's clock.
type SLA struct {
	Breached Group `json:"breached"`
	// Clocked counts the pull requests whose clock started, per policy.
	Clocked [2]int `json:"clocked"`
	// MedianWorking is the median working time to the first review under
	// each policy's clock (working hours and holidays); 0 with no SLA.
	MedianWorking [2]time.Duration `json:"median_working_to_first_review_ns"`
	// MedianFirstReview is the wall-clock time from the first request (or
	// the opening) to the first review, as it was; Reviewed is how many had one.
	MedianFirstReview time.Duration `json:"median_first_review_ns"`
	Reviewed          int           `json:"reviewed"`
}

// Replay replays h under the policy in force and the proposed one. Nil
// policies replay as "no policy". current and proposed name their sources.
func Replay(h History, current, proposed *policy.Policy, currentSource, proposedSource string) Report {
	r, _ := ReplayContext(context.Background(), h, current, proposed, currentSource, proposedSource)
	return r
}

// ReplayContext is Replay that gives up, with ctx's error, when ctx ends.
func ReplayContext(ctx context.Context, h History, current, proposed *policy.Policy, currentSource, proposedSource string) (Report, error) {
	order := openingOrder(&h)
	before, err := run(ctx, current, &h, order)
	if err != nil {
		return Report{}, err
	}
	after, err := run(ctx, proposed, &h, order)
	if err != nil {
		return Report{}, err
	}
	rep := Report{Repo: h.Repo, Current: currentSource, Proposed: proposedSource, PRs: len(h.PRs), Links: map[int]string{}}
	for _, pr := range h.PRs {
		rep.Links[pr.Number] = pr.URL
		if pr.Merged() {
			rep.Merged++
		}
		if rep.From.IsZero() || pr.CreatedAt.Before(rep.From) {
			rep.From = pr.CreatedAt
		}
		if pr.ClosedAt.After(rep.To) {
			rep.To = pr.ClosedAt
		}
		rep.Files += len(pr.Files)
		rep.Lines += pr.Additions + pr.Deletions
	}
	pick := func(f func(outcome) []string) []Group { return groups(h.PRs, before, after, f) }
	rep.Template = pick(func(o outcome) []string { return o.templateFails })
	rep.Load = pick(func(o outcome) []string { return lower(o.requested) })
	rep.NoCandidate = pick(func(o outcome) []string { return o.noCandidate })
	rep.Blocked = pick(func(o outcome) []string { return o.blocked })
	rep.Spread = [2]Load{spread(before), spread(after)}
	rep.SLA = slaOf(h.PRs, before, after)
	rep.Unknown = unknowns(h)
	return rep, nil
}

// groups collects, per key, the pull requests each policy puts under it,
// sorted by largest difference first, then key.
func groups(prs []PR, before, after []outcome, keys func(outcome) []string) []Group {
	byKey := map[string]*Group{}
	get := func(k string) *Group {
		if byKey[k] == nil {
			byKey[k] = &Group{Key: k}
		}
		return byKey[k]
	}
	for i, pr := range prs {
		b, a := set(keys(before[i])), set(keys(after[i]))
		for k := range b {
			g := get(k)
			g.Current = append(g.Current, pr.Number)
			if !a[k] {
				g.Removed = append(g.Removed, pr.Number)
			}
		}
		for k := range a {
			g := get(k)
			g.Proposed = append(g.Proposed, pr.Number)
			if !b[k] {
				g.Added = append(g.Added, pr.Number)
			}
		}
	}
	out := make([]Group, 0, len(byKey))
	for _, g := range byKey {
		for _, l := range []*[]int{&g.Current, &g.Proposed, &g.Added, &g.Removed} {
			sort.Ints(*l)
		}
		out = append(out, *g)
	}
	slices.SortFunc(out, func(x, y Group) int {
		return cmp.Or(cmp.Compare(abs(y.Delta()), abs(x.Delta())),
			cmp.Compare(len(y.Added)+len(y.Removed), len(x.Added)+len(x.Removed)), strings.Compare(x.Key, y.Key))
	})
	return out
}

// spread is how the requests fall on people under one policy: every
// candidate the policy named for any pull request counts, so the people
// it would never ask show in the median and in None.
func spread(outs []outcome) Load {
	count := map[string]int{}
	for _, o := range outs {
		for _, c := range o.candidates {
			count[strings.ToLower(c)] += 0
		}
		for _, login := range o.requested {
			count[strings.ToLower(login)]++
		}
	}
	var l Load
	var ns []int
	for login, n := range count {
		ns = append(ns, n)
		l.Requests += n
		l.Max = max(l.Max, n)
		if n == 0 {
			l.None = append(l.None, login)
		} else {
			l.People++
		}
	}
	sort.Strings(l.None)
	l.Median = median(ns)
	return l
}

func slaOf(prs []PR, before, after []outcome) SLA {
	var s SLA
	breach := func(o outcome) []string {
		if o.sla.breached {
			return []string{"breached"}
		}
		return nil
	}
	if g := groups(prs, before, after, breach); len(g) > 0 {
		s.Breached = g[0]
	}
	s.Breached.Key = "breached"
	var took [2][]time.Duration
	for i := range prs {
		for side, o := range [2]outcome{before[i], after[i]} {
			if o.sla.clocked {
				s.Clocked[side]++
			}
			if o.sla.reviewed {
				took[side] = append(took[side], o.sla.took)
			}
		}
	}
	s.MedianWorking = [2]time.Duration{medianDuration(took[0]), medianDuration(took[1])}
	s.MedianFirstReview, s.Reviewed = firstReviews(prs)
	return s
}

// firstReviews is the median wall-clock time to the first review as it
// was: from the first request (the opening when nobody was asked) to the
// first review that counts, over the pull requests that had one.
func firstReviews(prs []PR) (time.Duration, int) {
	var ds []time.Duration
	for _, pr := range prs {
		first, ok := firstCounting(pr)
		if !ok {
			continue
		}
		start, asked := pr.firstRequest()
		if !asked || start.After(first) {
			start = pr.CreatedAt
		}
		ds = append(ds, max(0, first.Sub(start)))
	}
	return medianDuration(ds), len(ds)
}

func unknowns(h History) []string {
	out := []string{
		"A reviewer's busy status then is unknown: everyone was taken as available.",
		"A reviewer's access then is unknown: everyone named was taken as able to review.",
		"Open review load then is unknown: each policy's load is what it would itself have asked on the replayed pull requests still open.",
	}
	if len(h.Teams) > 0 || len(h.MissingTeams) > 0 {
		when := "today"
		if !h.TeamsAt.IsZero() {
			when = h.TeamsAt.UTC().Format("2006-01-02 15:04 MST")
		}
		out = append(out, "A team's membership then is unknown: today's membership (read "+when+") was used.")
	}
	for _, t := range h.MissingTeams {
		out = append(out, "Team "+t+" could not be read: it counted as having no members.")
	}
	for _, t := range h.UnreadTeams {
		out = append(out, "Team "+t+" was not read within the request budget: it counted as having no members.")
	}
	if h.Unread > 0 {
		out = append(out, fmt.Sprintf("%d of the %d closed pull requests listed were not read within the request budget and are not replayed; a later run reads them.",
			h.Unread, h.Listed))
	}
	return out
}
