package simulate

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/reviewpolicy/reviewpolicy/policy"
)

// BenchmarkReplay100 replays 100 pull requests (20 files, 3 reviews and 2
// requests each, a 1 KiB description and template, a CODEOWNERS) under two
// policies that use every area. It is the replay's share of
// `reviewpolicy simulate --last 100`; see BENCHMARKS.md.
func BenchmarkReplay100(b *testing.B) {
	current := parse(b, `version: 1
template: {sections: [{heading: Summary, min_words: 3}], ticket: {pattern: "[A-Z]+-[0-9]+", in: [title, body]}, checklist: all}
reviewers:
  codeowners: true
  rules:
    - {name: core, paths: ["src/**"], reviewers: ["@o/core", alice], count: 2, required_approvals: 1}
    - {name: docs, paths: ["**/*.md"], reviewers: [dave, erin]}
sla: {first_review: 24h}
`)
	proposed := parse(b, `version: 1
template: {sections: [{heading: Summary, min_words: 3}, {heading: Testing}], checklist: all}
reviewers:
  strategy: round-robin
  codeowners: true
  rules:
    - {name: core, paths: ["src/**"], reviewers: ["@o/core"], count: 2, required_approvals: 2}
sla:
  first_review: 8h
  working_hours: {timezone: Europe/Berlin, days: [mon, tue, wed, thu, fri], start: "09:00", end: "17:30"}
  holidays: ["2026-12-24", "2026-12-25"]
`)
	h := benchHistory()
	b.ReportAllocs()
	for b.Loop() {
		if r := Replay(h, current, proposed, "a", "b"); r.PRs != 100 {
			b.Fatal(r.PRs)
		}
	}
}

func benchHistory() History {
	h := History{Repo: "o/r", Teams: map[string][]string{"@o/core": {"bob", "carol", "frank", "grace"}}}
	tmpl := "## Summary\n<!-- what and why -->\n\n## Testing\n\n- [ ] tests added\n"
	for n := 1; n <= 100; n++ {
		p := pr(n, at(n%5, 9).Add(time.Duration(n)*7*24*time.Hour), fmt.Sprintf(
			"## Summary\nthis change %d makes the widget parser accept tabs ABC-%d\n\n## Testing\nunit tests\n\n- [x] tests added\n%s",
			n, n, strings.Repeat("more words ", 70)))
		for f := range 20 {
			p.Files = append(p.Files, fmt.Sprintf("src/pkg%d/file%d.go", f%4, f))
		}
		p.Files = append(p.Files, "docs/readme.md")
		p.Template, p.CodeOwners = tmpl, "src/pkg1/ @o/core\n*.md @dave\n"
		p.Requests = []Request{{At: p.CreatedAt.Add(time.Minute), Reviewer: "bob"}, {At: p.CreatedAt.Add(time.Hour), Reviewer: "@o/core"}}
		p.Reviews = []policy.Review{review("bob", "COMMENTED", p.CreatedAt.Add(5*time.Hour)),
			review("carol", "APPROVED", p.CreatedAt.Add(30*time.Hour)), review("mallory", "APPROVED", p.CreatedAt.Add(31*time.Hour))}
		h.PRs = append(h.PRs, p)
	}
	return h
}
