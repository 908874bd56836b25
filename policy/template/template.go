// Package template judges a pull request's description against the
// "template" area of the review policy: required sections, a ticket
// reference and a fully ticked checklist. It does no I/O.
//
// Choices a policy author may want to know:
//
//   - Headings are matched by name, ignoring case, level, emphasis and
//     surrounding punctuation or emoji. A section runs from its heading to
//     the next heading of the same or a higher level, so sub-headings and
//     their text belong to it. A line that is entirely bold ("**Testing**")
//     is a heading of the lowest level.
//   - Words are letter and number runs; each Han, Hiragana or Katakana
//     character is a word. HTML comments and tags, list bullets and task
//     boxes are not words, and neither is a line still identical (trimmed)
//     to a line of the same section of the repository template.
//   - When a required name appears under several headings, the best of them
//     counts.
//   - A conditional section whose condition does not hold is left out of
//     Result.Items.
//   - The ticket pattern runs on the title, the branch and each body line
//     (so ^ and $ mean line start and end), skipping comments and lines
//     copied from the template.
//   - With checklist "all", a description with no task items at all fails
//     when the repository template has some: deleting the checklist is not
//     a way to pass it.
package template

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/reviewpolicy/reviewpolicy/policy"
)

// Status is the outcome for one requirement.
type Status string

// Statuses, from best to worst.
const (
	Met         Status = "met"
	TooShort    Status = "too-short"   // fewer words than min_words
	Placeholder Status = "placeholder" // only the repository template's text (or HTML comments) remains
	Empty       Status = "empty"       // heading present, nothing written
	Missing     Status = "missing"     // heading absent / no ticket found / unticked items
)

// rank orders statuses from best (0) to worst.
func (s Status) rank() int {
	switch s {
	case Met:
		return 0
	case TooShort:
		return 1
	case Placeholder:
		return 2
	case Empty:
		return 3
	}
	return 4
}

// Item is the outcome for one requirement of the template area.
type Item struct {
	Kind   string // "section", "ticket", "checklist"
	Name   string // the section heading as the policy writes it, "ticket", "checklist"
	Status Status
	Detail string // what the developer needs to know to fix it (also set when Met)
}

// Result is the template area's outcome for one pull request.
type Result struct {
	Skipped string // non-empty: why the area was skipped
	Items   []Item
}

// OK reports whether the area passes: it was skipped or every item is met.
func (r Result) OK() bool {
	if r.Skipped != "" {
		return true
	}
	for _, it := range r.Items {
		if it.Status != Met {
			return false
		}
	}
	return true
}

// Evaluate judges pr against tp. repoTemplate is the repository's
// pull-request template (as read from the base branch), "" when it has none.
// A nil tp means the policy has no template area: the result is OK.
func Evaluate(tp *policy.TemplatePolicy, pr policy.PullRequest, repoTemplate string) Result {
	if tp == nil {
		return Result{}
	}
	if why := skipReason(tp.Skip, pr); why != "" {
		return Result{Skipped: why}
	}
	body, tmpl := parse(pr.Body), parse(repoTemplate)
	var items []Item
	for _, s := range tp.Sections {
		if required(s.When, pr) {
			items = append(items, evalSection(s, &body, &tmpl))
		}
	}
	if tp.Ticket != nil {
		items = append(items, evalTicket(tp.Ticket, pr, &body, &tmpl))
	}
	if tp.Checklist == policy.ChecklistAll {
		items = append(items, evalChecklist(&body, &tmpl))
	}
	return Result{Items: items}
}

// skipReason says why the area does not judge pr, or "".
func skipReason(s policy.Skip, pr policy.PullRequest) string {
	if s.Drafts && pr.Draft {
		return "draft pull request"
	}
	for _, a := range s.Authors {
		// GitHub shows bots as "dependabot[bot]"; accept "dependabot" for them too.
		if strings.EqualFold(a, pr.Author) ||
			(pr.AuthorBot && strings.EqualFold(a+"[bot]", pr.Author)) {
			return fmt.Sprintf("author %s is skipped", pr.Author)
		}
	}
	for _, l := range pr.Labels {
		if containsFold(s.Labels, l) {
			return "label " + l
		}
	}
	return ""
}

// containsFold reports whether list holds s, ignoring case as GitHub does for
// label names.
func containsFold(list []string, s string) bool {
	return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, s) })
}

// required reports whether a section with condition c applies to pr.
func required(c *policy.Condition, pr policy.PullRequest) bool {
	if c == nil {
		return true
	}
	if len(c.Paths) > 0 && !slices.ContainsFunc(pr.Files, func(f string) bool { return policy.MatchAny(c.Paths, f) }) {
		return false
	}
	if len(c.Labels) > 0 && !slices.ContainsFunc(pr.Labels, func(l string) bool { return containsFold(c.Labels, l) }) {
		return false
	}
	return true
}

// templateLines returns the trimmed, non-empty visible lines of the template
// sections named name.
func templateLines(tmpl *document, name string) map[string]struct{} {
	set := make(map[string]struct{})
	for h, hd := range tmpl.headings {
		if strings.EqualFold(hd.name, name) {
			addLines(set, tmpl.lines[hd.last+1:tmpl.sectionEnd(h)])
		}
	}
	return set
}

// addLines adds the trimmed, non-empty visible lines to set.
func addLines(set map[string]struct{}, lines []line) {
	for _, l := range lines {
		if t := strings.TrimSpace(l.text); t != "" {
			set[t] = struct{}{}
		}
	}
}

// evalSection judges one required section.
func evalSection(s policy.Section, body, tmpl *document) Item {
	name := normalizeName(s.Heading)
	best := Item{Kind: "section", Name: s.Heading, Status: Missing,
		Detail: fmt.Sprintf("no %q heading", s.Heading)}
	var placeholders map[string]struct{} // built on the first match only
	for h, hd := range body.headings {
		if !strings.EqualFold(hd.name, name) {
			continue
		}
		if placeholders == nil {
			placeholders = templateLines(tmpl, name)
		}
		it := judgeSection(s, body.lines[hd.last+1:body.sectionEnd(h)], placeholders)
		if it.Status.rank() < best.Status.rank() {
			best = it
		}
		if best.Status == Met {
			break
		}
	}
	return best
}

// judgeSection counts the words of a section's lines, leaving out HTML
// comments and lines the template already had.
func judgeSection(s policy.Section, lines []line, placeholders map[string]struct{}) Item {
	it := Item{Kind: "section", Name: s.Heading}
	words, leftovers := 0, false
	for _, l := range lines {
		leftovers = leftovers || l.comment
		t := strings.TrimSpace(l.text)
		if t == "" || l.fence {
			continue
		}
		if _, ok := placeholders[t]; ok {
			leftovers = true
			continue
		}
		if l.code {
			words += countWords(t)
		} else {
			words += countWords(content(t))
		}
	}
	minWords := max(s.MinWords, 1)
	switch {
	case words == 0 && leftovers:
		it.Status, it.Detail = Placeholder, "only the template's placeholder text or comments; write your own"
	case words == 0:
		it.Status, it.Detail = Empty, "nothing written under the heading"
	case words < minWords:
		it.Status, it.Detail = TooShort, fmt.Sprintf("%s; needs at least %d", plural(words, "word"), minWords)
	default:
		it.Status, it.Detail = Met, plural(words, "word")
	}
	return it
}

// evalTicket looks for the ticket reference. The body is searched without
// HTML comments and without lines copied from the template, so an example
// ticket in the template does not count.
func evalTicket(t *policy.Ticket, pr policy.PullRequest, body, tmpl *document) Item {
	it := Item{Kind: "ticket", Name: "ticket", Status: Missing}
	re := t.Regexp
	if re == nil {
		var err error
		if re, err = regexp.Compile(t.Pattern); err != nil {
			it.Detail = fmt.Sprintf("invalid ticket pattern %q: %v", t.Pattern, err)
			return it
		}
	}
	places := t.In
	if len(places) == 0 {
		places = []string{"title", "body", "branch"}
	}
	found := func(where, text string) bool {
		loc := re.FindStringIndex(text)
		if loc == nil {
			return false
		}
		it.Status, it.Detail = Met, fmt.Sprintf("%s in %s", text[loc[0]:loc[1]], where)
		return true
	}
	// The short places first: the body is only read when they have nothing.
	if slices.Contains(places, "title") && found("title", pr.Title) ||
		slices.Contains(places, "branch") && found("branch", pr.Branch) {
		return it
	}
	if slices.Contains(places, "body") {
		seen := make(map[string]struct{})
		addLines(seen, tmpl.lines)
		lit := requiredLiteral(re)
		for _, l := range body.lines {
			text := strings.TrimSpace(l.text)
			if text == "" || !strings.Contains(text, lit) {
				continue
			}
			if _, ok := seen[text]; ok {
				continue
			}
			// Line by line: Go's regexp uses its fast backtracker on short
			// inputs, tickets do not span lines, and ^ means a line start.
			if found("body", text) {
				return it
			}
		}
	}
	it.Detail = fmt.Sprintf("no match for %s in %s", re, orList(places))
	return it
}

// requiredLiteral returns a string that every match of re contains ("-" for
// [A-Z]+-[0-9]+), or "" when there is none. Lines without it cannot match, and
// strings.Contains rejects them far faster than the regexp engine could.
func requiredLiteral(re *regexp.Regexp) string {
	tree, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return ""
	}
	return mustContain(tree.Simplify())
}

// mustContain returns the longest literal found on every path through re.
func mustContain(re *syntax.Regexp) string {
	switch re.Op {
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase == 0 {
			return string(re.Rune)
		}
	case syntax.OpCapture, syntax.OpPlus:
		return mustContain(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min > 0 {
			return mustContain(re.Sub[0])
		}
	case syntax.OpConcat:
		best := ""
		for _, sub := range re.Sub {
			if s := mustContain(sub); len(s) > len(best) {
				best = s
			}
		}
		return best
	}
	return ""
}

// maxListed and maxItemText bound the checklist detail shown to developers.
const (
	maxListed   = 5
	maxItemText = 60
)

// evalChecklist requires every task-list item outside code and comments to be
// ticked.
func evalChecklist(body, tmpl *document) Item {
	it := Item{Kind: "checklist", Name: "checklist"}
	total, unticked := tasks(body)
	switch {
	case total == 0:
		if n, _ := tasks(tmpl); n > 0 {
			it.Status = Missing
			it.Detail = fmt.Sprintf("no checklist items; the repository template has %d", n)
			return it
		}
		it.Status, it.Detail = Met, "no checklist items"
	case len(unticked) == 0:
		it.Status, it.Detail = Met, fmt.Sprintf("all %s ticked", plural(total, "item"))
	default:
		quoted := make([]string, 0, maxListed+1)
		for _, u := range unticked[:min(len(unticked), maxListed)] {
			quoted = append(quoted, fmt.Sprintf("%q", truncate(u, maxItemText)))
		}
		if len(unticked) > maxListed {
			quoted = append(quoted, fmt.Sprintf("and %d more", len(unticked)-maxListed))
		}
		it.Status = Missing
		it.Detail = fmt.Sprintf("%d of %s unticked: %s", len(unticked), plural(total, "item"), strings.Join(quoted, ", "))
	}
	return it
}

// tasks returns the number of task-list items in d and the texts of the
// unticked ones.
func tasks(d *document) (total int, unticked []string) {
	for _, l := range d.lines {
		if l.code {
			continue
		}
		if text, ticked, ok := task(l.text); ok {
			total++
			if !ticked {
				if text == "" {
					text = "(no text)"
				}
				unticked = append(unticked, text)
			}
		}
	}
	return total, unticked
}

// truncate shortens s to at most n runes, marking the cut with "…".
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	runes := []rune(s)
	return strings.TrimSpace(string(runes[:n-1])) + "…"
}

// plural formats "1 word", "3 words".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// orList formats "title", "title or body", "title, body or branch".
func orList(xs []string) string {
	if len(xs) <= 1 {
		return strings.Join(xs, "")
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " or " + xs[len(xs)-1]
}
