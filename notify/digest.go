package notify

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/reviewpolicy/reviewpolicy/policy"
	"github.com/reviewpolicy/reviewpolicy/policy/sla"
	"github.com/reviewpolicy/reviewpolicy/store"
)

// KindDigest is the daily digest, personal or for the leads' channel.
const KindDigest = "digest"

// Snapshot is what the digests know of a pull request, written by every
// evaluation (store.NotifyPR): enough to list it without asking GitHub.
type Snapshot struct {
	PR          PR                    `json:"pr"`
	Requested   []string              `json:"requested,omitempty"` // pending reviewers
	Waiting     bool                  `json:"waiting"`             // waits for its first review
	Deadline    time.Time             `json:"deadline,omitzero"`
	Channel     string                `json:"channel,omitempty"` // Slack channel for the channel digest
	Teams       string                `json:"teams,omitempty"`
	At          time.Duration         `json:"at"`
	ChannelAt   time.Duration         `json:"channel_at"`
	Zone        string                `json:"zone"` // the SLA's time zone
	Days        []time.Weekday        `json:"days,omitempty"`
	People      map[string]SnapPerson `json:"people,omitempty"` // of the people it names
	DigestOn    bool                  `json:"digest_on"`
	FirstReview time.Duration         `json:"first_review,omitempty"`
}

// SnapPerson is a person's Slack ID and time zone, from the policy.
type SnapPerson struct {
	Slack    string `json:"slack,omitempty"`
	Timezone string `json:"timezone,omitempty"`
}

// NewSnapshot is the snapshot of an evaluated pull request.
func NewSnapshot(pr PR, pol *policy.Policy, requested []string, waiting bool, deadline time.Time) Snapshot {
	s := Snapshot{PR: pr, Requested: requested, Waiting: waiting, Deadline: deadline, Zone: "UTC",
		At: policy.DefaultDigestAt, ChannelAt: policy.DefaultChannelDigestAt, People: map[string]SnapPerson{}}
	if n := pol.Notify; n != nil {
		s.Channel, s.Teams, s.DigestOn = n.SlackChannel, n.Teams, n.On(policy.EventDigest)
		s.At, s.ChannelAt = n.Digest.At, n.Digest.ChannelAt
	}
	if pol.SLA != nil {
		s.FirstReview = pol.SLA.FirstReview
		if wh := pol.SLA.WorkingHours; wh != nil {
			s.Zone, s.Days = wh.Timezone, wh.Days
		}
	}
	for _, login := range append(slices.Clone(requested), pr.Author) {
		if p, ok := pol.People[strings.ToLower(login)]; ok {
			s.People[strings.ToLower(login)] = SnapPerson{Slack: p.Slack, Timezone: p.Timezone}
		}
	}
	return s
}

// DigestItem is one pull request in a digest.
type DigestItem struct {
	PR       PR        `json:"pr"`
	Deadline time.Time `json:"deadline,omitzero"`
	Overdue  bool      `json:"overdue,omitempty"`
}

// Load is one person's open review requests.
type Load struct {
	Login string `json:"login"`
	Open  int    `json:"open"`
}

// DigestWindow is how long after its time a digest may still go (a
// process that was down at 09:00 sends it at 10:30, not at 17:00).
const DigestWindow = 2 * time.Hour

// atRisk: a pull request due within this is listed as at risk.
const atRisk = 4 * time.Hour

type snap struct {
	Snapshot
	reviewedAt time.Time
	after      time.Duration
	open       bool
	inst       int64
}

func decodeSnaps(rows []store.NotifyPR) []snap {
	var out []snap
	for _, r := range rows {
		var s Snapshot
		if json.Unmarshal(r.Snapshot, &s) != nil || !s.DigestOn {
			continue
		}
		out = append(out, snap{Snapshot: s, reviewedAt: r.ReviewedAt, after: r.ReviewedAfter, open: r.Open, inst: r.InstallationID})
	}
	return out
}

// due reports whether a digest at time of day at, in loc, on days, is due
// at now, and the local date it is for.
func due(now time.Time, loc *time.Location, at time.Duration, days []time.Weekday) (string, bool) {
	local := now.In(loc)
	if len(days) == 0 {
		days = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	}
	if !slices.Contains(days, local.Weekday()) {
		return "", false
	}
	midnight := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
	since := local.Sub(midnight.Add(at))
	return local.Format(time.DateOnly), since >= 0 && since < DigestWindow
}

func loadZone(name string) *time.Location {
	if loc, err := time.LoadLocation(name); err == nil && name != "" {
		return loc
	}
	return time.UTC
}

// PlanDigests makes the digests due at now from the pull requests' rows:
// each person's (what waits on them, and their own pull requests waiting),
// at their digest time in their time zone on working days, and each
// channel's. Keys hold the local date, so each goes once a day whichever
// replica plans it. Empty digests are not made.
func (pl Planner) PlanDigests(rows []store.NotifyPR, now time.Time) []store.OutboxMessage {
	snaps := decodeSnaps(rows)
	var out []store.OutboxMessage
	if pl.Slack {
		out = append(out, personalDigests(snaps, now)...)
	}
	return append(out, pl.channelDigests(snaps, now)...)
}

func personalDigests(snaps []snap, now time.Time) []store.OutboxMessage {
	people := map[string]struct {
		p    SnapPerson
		s    snap
		wait []DigestItem
		mine []DigestItem
	}{}
	for _, s := range snaps {
		if !s.open {
			continue
		}
		for _, login := range s.Requested {
			l := strings.ToLower(login)
			e := people[l]
			e.p, e.s = knownPerson(e.p, e.s, s, l)
			e.wait = append(e.wait, itemAt(s, now))
			people[l] = e
		}
		if a := strings.ToLower(s.PR.Author); s.Waiting && a != "" {
			e := people[a]
			e.p, e.s = knownPerson(e.p, e.s, s, a)
			e.mine = append(e.mine, itemAt(s, now))
			people[a] = e
		}
	}
	var out []store.OutboxMessage
	for login, e := range people {
		if e.p.Slack == "" || len(e.wait)+len(e.mine) == 0 {
			continue
		}
		zone := e.p.Timezone
		if zone == "" {
			zone = e.s.Zone
		}
		date, ok := due(now, loadZone(zone), e.s.At, e.s.Days)
		if !ok {
			continue
		}
		sortItems(e.wait)
		sortItems(e.mine)
		pay := Payload{Kind: KindDigest, Zone: zone, Waiting: e.wait, Mine: e.mine}
		out = append(out, digestMessage(e.s, "person/"+login+"/"+date, login, "slack:"+e.p.Slack, pay, now))
	}
	return out
}

// knownPerson keeps the first policy that knows the person's Slack ID: a
// person in several repositories gets one digest, with that policy's
// digest time and working days (usually the organisation's).
func knownPerson(p SnapPerson, had, s snap, login string) (SnapPerson, snap) {
	if p.Slack != "" {
		return p, had
	}
	return s.People[login], s
}

func itemAt(s snap, now time.Time) DigestItem {
	return DigestItem{PR: s.PR, Deadline: s.Deadline, Overdue: !s.Deadline.IsZero() && !now.Before(s.Deadline)}
}

func sortItems(items []DigestItem) {
	sort.SliceStable(items, func(i, j int) bool {
		a, b := items[i].Deadline, items[j].Deadline
		if a.IsZero() != b.IsZero() {
			return !a.IsZero()
		}
		return a.Before(b)
	})
}

func (pl Planner) channelDigests(snaps []snap, now time.Time) []store.OutboxMessage {
	groups := map[string][]snap{}
	for _, s := range snaps {
		if s.Channel != "" && pl.Slack {
			groups["slack:"+s.Channel] = append(groups["slack:"+s.Channel], s)
		}
		if s.Teams != "" && pl.Teams[s.Teams] {
			groups["teams:"+s.Teams] = append(groups["teams:"+s.Teams], s)
		}
	}
	var out []store.OutboxMessage
	for dest, ss := range groups {
		pay, ok := channelPayload(ss, now)
		if !ok {
			continue
		}
		date, ok := due(now, loadZone(ss[0].Zone), ss[0].ChannelAt, ss[0].Days)
		if !ok {
			continue
		}
		pay.Zone = ss[0].Zone
		out = append(out, digestMessage(ss[0], "channel/"+date, "", dest, pay, now))
	}
	return out
}

// channelPayload is a channel's digest; ok is false when nothing waits.
func channelPayload(ss []snap, now time.Time) (Payload, bool) {
	pay := Payload{Kind: KindDigest, Channel: true}
	load := map[string]int{}
	var ttfr []time.Duration
	waiting := 0
	for _, s := range ss {
		if !s.reviewedAt.IsZero() && now.Sub(s.reviewedAt) <= 7*24*time.Hour {
			ttfr = append(ttfr, s.after)
		}
		if !s.open {
			continue
		}
		for _, l := range s.Requested {
			load[l]++
		}
		if !s.Waiting {
			continue
		}
		waiting++
		switch it := itemAt(s, now); {
		case it.Overdue:
			pay.Breached = append(pay.Breached, it)
		case !s.Deadline.IsZero() && s.Deadline.Sub(now) <= atRisk:
			pay.AtRisk = append(pay.AtRisk, it)
		}
	}
	if waiting == 0 {
		return pay, false
	}
	for l, n := range load {
		pay.Load = append(pay.Load, Load{Login: l, Open: n})
	}
	sort.Slice(pay.Load, func(i, j int) bool {
		if pay.Load[i].Open != pay.Load[j].Open {
			return pay.Load[i].Open > pay.Load[j].Open
		}
		return pay.Load[i].Login < pay.Load[j].Login
	})
	sortItems(pay.Breached)
	sortItems(pay.AtRisk)
	if len(ttfr) > 0 {
		slices.Sort(ttfr)
		pay.TTFR, pay.Reviewed = ttfr[len(ttfr)/2], len(ttfr)
	}
	pay.WaitingCount = waiting
	return pay, true
}

func digestMessage(s snap, key, person, dest string, pay Payload, now time.Time) store.OutboxMessage {
	body, _ := json.Marshal(pay)
	return store.OutboxMessage{Key: "digest/" + key + "/" + dest, InstallationID: s.inst, Kind: KindDigest,
		Person: person, Dest: dest, Payload: body, DueAt: now}
}

// maxDigestItems bounds each list of a digest.
const maxDigestItems = 15

func (p Payload) digestText() string {
	var b strings.Builder
	list := func(title string, items []DigestItem) {
		if len(items) == 0 {
			return
		}
		fmt.Fprintf(&b, "\n*%s*", title)
		for i, it := range items {
			if i == maxDigestItems {
				fmt.Fprintf(&b, "\n• and %d more", len(items)-i)
				break
			}
			fmt.Fprintf(&b, "\n• %s", Payload{PR: it.PR}.link())
			switch d := (Payload{Deadline: it.Deadline, Zone: p.Zone}).deadline(); {
			case it.Overdue:
				fmt.Fprintf(&b, " · overdue since %s", d)
			case d != "":
				fmt.Fprintf(&b, " · due %s", d)
			}
		}
	}
	if !p.Channel {
		b.WriteString(":sunrise: Your reviews today")
		list("Waiting on you (oldest first)", p.Waiting)
		list("Your pull requests waiting for a first review", p.Mine)
		return b.String()
	}
	fmt.Fprintf(&b, ":bar_chart: Review digest: %d pull requests wait for a first review", p.WaitingCount)
	list("Overdue", p.Breached)
	list("At risk (due within 4h)", p.AtRisk)
	if len(p.Load) > 0 {
		var parts []string
		for i, l := range p.Load {
			if i == maxDigestItems {
				parts = append(parts, fmt.Sprintf("and %d more", len(p.Load)-i))
				break
			}
			parts = append(parts, fmt.Sprintf("%s %d", slackText(l.Login, maxLogin), l.Open))
		}
		fmt.Fprintf(&b, "\n*Open review requests:* %s", strings.Join(parts, ", "))
	}
	if p.Reviewed > 0 {
		fmt.Fprintf(&b, "\n*Time to first review, last 7 days:* median %s over %d pull requests", sla.FormatDuration(p.TTFR), p.Reviewed)
	}
	return b.String()
}

// digestCard is the channel digest as a Teams card body.
func (p Payload) digestCard() []any {
	body := []any{map[string]any{"type": "TextBlock", "weight": "Bolder", "size": "Medium", "wrap": true,
		"text": fmt.Sprintf("Review digest: %d pull requests wait for a first review", p.WaitingCount)}}
	add := func(title string, items []DigestItem) {
		if len(items) == 0 {
			return
		}
		var facts []map[string]string
		for _, it := range items[:min(len(items), maxDigestItems)] {
			v := "due " + (Payload{Deadline: it.Deadline, Zone: p.Zone}).deadline()
			if it.Overdue {
				v = "overdue"
			}
			facts = append(facts, map[string]string{"title": teamsText(fmt.Sprintf("%s/%s#%d %s", it.PR.Owner, it.PR.Repo,
				it.PR.Number, it.PR.Title), maxTitle), "value": v})
		}
		body = append(body, map[string]any{"type": "TextBlock", "text": title, "weight": "Bolder", "wrap": true},
			map[string]any{"type": "FactSet", "facts": facts})
	}
	add("Overdue", p.Breached)
	add("At risk (due within 4h)", p.AtRisk)
	if p.Reviewed > 0 {
		body = append(body, map[string]any{"type": "TextBlock", "wrap": true, "text": fmt.Sprintf(
			"Time to first review, last 7 days: median %s over %d pull requests", sla.FormatDuration(p.TTFR), p.Reviewed)})
	}
	return body
}
