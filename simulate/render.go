package simulate

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"

	"github.com/reviewpolicy/reviewpolicy/policy/sla"
)

// Formats the report renders to.
const (
	FormatText = "text"
	FormatJSON = "json"
	FormatHTML = "html"
)

// maxKey bounds a key (a heading, a rule name, a login) as shown: they
// come from policy files and pull requests, which anyone may write.
const maxKey = 200

// Write renders r in format to w.
func Write(w io.Writer, r Report, format string) error {
	switch format {
	case FormatText, "":
		return writeText(w, r)
	case FormatJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case FormatHTML:
		return writeHTML(w, r)
	}
	return fmt.Errorf("unknown format %q (text, json or html)", format)
}

// area is one section of the report as the renderers walk it.
type area struct {
	Title, Unit string
	Groups      []Group
}

func (r Report) areas() []area {
	return []area{
		{"Template failures, by reason", "pull requests failing", r.Template},
		{"Reviewers who would be requested", "review requests", r.Load},
		{"Rules with no candidate", "pull requests", r.NoCandidate},
		{"Merged without the approvals the policy requires", "merged pull requests", r.Blocked},
		{"First-review SLA breaches", "pull requests", []Group{r.SLA.Breached}},
	}
}

func writeText(w io.Writer, r Report) error {
	tw := &errWriter{w: w}
	tw.printf("What-if for %s: %d closed pull requests (%d merged), opened from %s, closed by %s; %d files, %d lines changed.\n",
		clean(r.Repo), r.PRs, r.Merged, day(r.From), day(r.To), r.Files, r.Lines)
	tw.printf("Policy in force: %s\nProposed policy: %s\n", clean(r.Current), clean(r.Proposed))
	for _, a := range r.areas() {
		tw.printf("\n%s (%s: in force -> proposed)\n", a.Title, a.Unit)
		if len(a.Groups) == 0 || len(a.Groups) == 1 && len(a.Groups[0].Current)+len(a.Groups[0].Proposed) == 0 {
			tw.printf("  none under either policy\n")
		}
		for _, g := range a.Groups {
			if len(g.Current)+len(g.Proposed) == 0 {
				continue
			}
			tw.printf("  %s: %d -> %d (%+d)\n", clean(g.Key), len(g.Current), len(g.Proposed), g.Delta())
			tw.prs("    only proposed:", g.Added, r.Links)
			tw.prs("    only in force:", g.Removed, r.Links)
		}
		if a.Unit == "review requests" {
			tw.spread(r.Spread)
		}
	}
	tw.printf("  clocks started: %d -> %d; median working time to first review: %s -> %s\n",
		r.SLA.Clocked[0], r.SLA.Clocked[1], dur(r.SLA.MedianWorking[0]), dur(r.SLA.MedianWorking[1]))
	tw.printf("  median time to first review as it was: %s (%d reviewed)\n", dur(r.SLA.MedianFirstReview), r.SLA.Reviewed)
	tw.printf("\nUnknown\n")
	for _, u := range r.Unknown {
		tw.printf("  - %s\n", clean(u))
	}
	return tw.err
}

func (tw *errWriter) spread(s [2]Load) {
	for i, name := range []string{"in force", "proposed"} {
		l := s[i]
		tw.printf("  spread %s: %d requests over %d people, max %d, median %.1f", name, l.Requests, l.People, l.Max, l.Median)
		if len(l.None) > 0 {
			tw.printf("; would get none: %s", clean(strings.Join(l.None, ", ")))
		}
		tw.printf("\n")
	}
}

func (tw *errWriter) prs(label string, ns []int, links map[int]string) {
	if len(ns) == 0 {
		return
	}
	tw.printf("%s", label)
	for _, n := range ns {
		tw.printf(" #%d", n)
	}
	tw.printf("\n")
	for _, n := range ns {
		if u := links[n]; u != "" {
			tw.printf("      %s\n", clean(u))
		}
	}
}

// errWriter keeps the first write error, so rendering reads straight.
type errWriter struct {
	w   io.Writer
	err error
}

func (tw *errWriter) printf(format string, args ...any) {
	if tw.err == nil {
		_, tw.err = fmt.Fprintf(tw.w, format, args...)
	}
}

// clean makes user text safe for a terminal: control characters (escape
// sequences, new lines) become spaces, and it is cut to maxKey bytes.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return ' '
		}
		return r
	}, s)
	if len(s) > maxKey {
		cut := maxKey
		for cut > 0 && s[cut]&0xC0 == 0x80 {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

func day(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02")
}

func dur(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return sla.FormatDuration(d)
}
