package simulate

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/reviewpolicy/reviewpolicy/policy/check"
)

// Bounds of the check run's what-if section: it shares the summary's
// 65,535 characters with everything else the check says.
const (
	// MaxMarkdown is the most the section takes.
	MaxMarkdown = 12 << 10
	// topDifferences is how many of the largest differences are listed.
	topDifferences = 6
	// linksPerDifference is how many pull requests one difference links;
	// the rest are counted.
	linksPerDifference = 10
)

// Markdown is the report as a section of a check run: totals per area and
// the largest differences with their pull requests. User text (reasons,
// logins, rule names) is inert: it cannot mention, reference or inject.
func Markdown(r Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### What-if: the last %d closed pull requests under this policy\n", r.PRs)
	if r.PRs == 0 {
		b.WriteString("No closed pull request to replay yet.\n")
		return b.String()
	}
	fmt.Fprintf(&b, "Replayed %d closed pull requests (%d merged, opened from %s) under the policy in force and the one proposed here, with the facts as they were.\n\n",
		r.PRs, r.Merged, day(r.From))
	b.WriteString("| | in force | proposed |\n|---|---:|---:|\n")
	for _, row := range r.totals() {
		fmt.Fprintf(&b, "| %s | %d | %d |\n", row.name, row.n[0], row.n[1])
	}
	fmt.Fprintf(&b, "| busiest reviewer's requests (median) | %d (%.1f) | %d (%.1f) |\n\n",
		r.Spread[0].Max, r.Spread[0].Median, r.Spread[1].Max, r.Spread[1].Median)
	diffs := r.largest(topDifferences)
	if len(diffs) > 0 {
		b.WriteString("Largest differences:\n")
		for _, d := range diffs {
			fmt.Fprintf(&b, "- %s %s: %d → %d%s%s\n", d.area, check.Inert(d.g.Key, maxKey), len(d.g.Current), len(d.g.Proposed),
				r.links(" (only proposed: ", d.g.Added), r.links(" (only in force: ", d.g.Removed))
		}
		b.WriteString("\n")
	} else {
		b.WriteString("No difference.\n\n")
	}
	b.WriteString("<details><summary>Unknown</summary>\n\n")
	for _, u := range r.Unknown {
		fmt.Fprintf(&b, "- %s\n", check.Inert(u, 400))
	}
	b.WriteString("\n</details>\n")
	return check.Clip(b.String(), MaxMarkdown)
}

type total struct {
	name string
	n    [2]int
}

// totals counts, per area and policy, the pull requests with any finding.
func (r Report) totals() []total {
	count := func(gs []Group) [2]int {
		var sets [2]map[int]bool
		for i := range sets {
			sets[i] = map[int]bool{}
		}
		for _, g := range gs {
			for _, n := range g.Current {
				sets[0][n] = true
			}
			for _, n := range g.Proposed {
				sets[1][n] = true
			}
		}
		return [2]int{len(sets[0]), len(sets[1])}
	}
	return []total{
		{"pull requests failing the template", count(r.Template)},
		{"review requests", [2]int{r.Spread[0].Requests, r.Spread[1].Requests}},
		{"pull requests with a rule that has no candidate", count(r.NoCandidate)},
		{"merged without the required approvals", count(r.Blocked)},
		{"first-review SLA breaches", [2]int{len(r.SLA.Breached.Current), len(r.SLA.Breached.Proposed)}},
	}
}

type difference struct {
	area string
	g    Group
}

// largest are the n groups of any area that differ most.
func (r Report) largest(n int) []difference {
	var all []difference
	for _, a := range []struct {
		name string
		gs   []Group
	}{{"template", r.Template}, {"reviewer", r.Load}, {"no candidate:", r.NoCandidate},
		{"approvals missing:", r.Blocked}, {"SLA", []Group{r.SLA.Breached}}} {
		for _, g := range a.gs {
			if g.Changed() {
				all = append(all, difference{a.name, g})
			}
		}
	}
	size := func(d difference) int { return len(d.g.Added) + len(d.g.Removed) }
	for i := 1; i < len(all); i++ { // stable insertion sort, largest first
		for j := i; j > 0 && size(all[j]) > size(all[j-1]); j-- {
			all[j], all[j-1] = all[j-1], all[j]
		}
	}
	return all[:min(n, len(all))]
}

// links lists pull requests as markdown links, the first few only.
func (r Report) links(prefix string, ns []int) string {
	if len(ns) == 0 {
		return ""
	}
	var parts []string
	for _, n := range ns[:min(len(ns), linksPerDifference)] {
		parts = append(parts, r.link(n))
	}
	if more := len(ns) - linksPerDifference; more > 0 {
		parts = append(parts, fmt.Sprintf("and %d more", more))
	}
	return prefix + strings.Join(parts, ", ") + ")"
}

// link is "[#n](page)" when the page is an https address that cannot break
// out of the link, else #n made inert.
func (r Report) link(n int) string {
	text := check.Inert(fmt.Sprintf("#%d", n), 20)
	u, err := url.Parse(r.Links[n])
	if err != nil || u.Scheme != "https" || u.Host == "" || strings.ContainsAny(r.Links[n], " ()<>[]\"'`\\") {
		return text
	}
	return "[" + text + "](" + u.String() + ")"
}
