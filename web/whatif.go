package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/reviewpolicy/reviewpolicy/analytics"
	"github.com/reviewpolicy/reviewpolicy/simulate"
)

// The what-if of a pull request that edits the policy: the full report the
// what-if job kept for the head the page shows (package simulate), laid
// out here. Every pull request a difference lists links to its page here.

// WhatIf is the what-if section of a pull request's page.
type WhatIf struct {
	Head              string // short SHA of the replayed head
	PRs, Merged       int
	From, To          string
	Current, Proposed string
	Areas             []WhatIfArea
	Spread            []SpreadRow
	SLA               simulate.SLA
	MedianWorking     [2]string
	MedianFirstReview string
	Unknown           []string
}

// WhatIfArea is one area's table; Rows only holds keys some pull request
// falls under.
type WhatIfArea struct {
	ID, Title, Unit string
	Rows            []WhatIfRow
}

// WhatIfRow is one key of an area under both policies.
type WhatIfRow struct {
	Key               string
	Current, Proposed int
	Change            string
	Added, Removed    []PRLink
}

// PRLink is a pull request listed by a difference.
type PRLink struct {
	Number int
	Href   string
}

// SpreadRow is the spread of review requests under one policy.
type SpreadRow struct {
	Policy                string
	Requests, People, Max int
	Median, None          string
}

// loadWhatIf reads the report kept for the page's head; nil without one. A
// report that does not decode is logged and left out: the rest of the page
// still shows.
func (s *Server) loadWhatIf(ctx context.Context, owner, repo string, repoID int64, number int, snap analytics.Snapshot) (*WhatIf, error) {
	if snap.HeadSHA == "" {
		return nil, nil
	}
	data, found, err := s.opt.Store.Answer(ctx, simulate.StoredKey(repoID, number, snap.HeadSHA))
	if err != nil || !found {
		return nil, err
	}
	var st simulate.Stored
	if err := json.Unmarshal(data, &st); err != nil {
		s.log.Warn("stored what-if does not decode", "repo", owner+"/"+repo, "number", number, "err", err)
		return nil, nil
	}
	return buildWhatIf(owner, repo, st), nil
}

func buildWhatIf(owner, repo string, st simulate.Stored) *WhatIf {
	r := st.Report
	w := &WhatIf{Head: shortSHA(st.Head), PRs: r.PRs, Merged: r.Merged, From: dayText(r.From),
		To: dayText(r.To), Current: r.Current, Proposed: r.Proposed, SLA: r.SLA,
		MedianWorking:     [2]string{durText(r.SLA.MedianWorking[0]), durText(r.SLA.MedianWorking[1])},
		MedianFirstReview: durText(r.SLA.MedianFirstReview), Unknown: r.Unknown}
	links := func(ns []int) []PRLink {
		out := make([]PRLink, len(ns))
		for i, n := range ns {
			out[i] = PRLink{Number: n, Href: "/" + url.PathEscape(owner) + "/" + url.PathEscape(repo) + "/pull/" + strconv.Itoa(n)}
		}
		return out
	}
	for i, a := range r.Areas() {
		wa := WhatIfArea{ID: "whatif-" + strconv.Itoa(i+1), Title: a.Title, Unit: a.Unit}
		for _, g := range a.Groups {
			if len(g.Current)+len(g.Proposed) == 0 {
				continue
			}
			wa.Rows = append(wa.Rows, WhatIfRow{Key: g.Key, Current: len(g.Current), Proposed: len(g.Proposed),
				Change: fmt.Sprintf("%+d", g.Delta()), Added: links(g.Added), Removed: links(g.Removed)})
		}
		w.Areas = append(w.Areas, wa)
	}
	for i, l := range r.Spread {
		w.Spread = append(w.Spread, SpreadRow{Policy: [2]string{"In force", "Proposed"}[i], Requests: l.Requests, People: l.People,
			Max: l.Max, Median: strconv.FormatFloat(l.Median, 'f', 1, 64), None: joinOrDash(l.None)})
	}
	return w
}

// dayText is a date of the replayed window, in UTC like the other formats.
func dayText(t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	return t.UTC().Format("2006-01-02")
}

// durText is a median; 0 means there was none (no SLA, no review).
func durText(d time.Duration) string {
	if d == 0 {
		return "–"
	}
	return analytics.FormatDuration(d)
}

func joinOrDash(s []string) string {
	if len(s) == 0 {
		return "–"
	}
	return strings.Join(s, ", ")
}

func shortSHA(s string) string {
	if len(s) > 7 {
		return s[:7]
	}
	return s
}
