// Package template judges a pull request's description against the
// "template" area of the review policy: required sections, a ticket
// reference and a fully ticked checklist. It does no I/O.
//
// The description is read as GitHub renders it (CommonMark with GitHub's
// extensions, see markdown.go), and only what a reader sees counts. Choices
// a policy author may want to know:
//
//   - Headings are matched by name, ignoring case, level, emphasis, links
//     and surrounding punctuation or emoji. A section runs from its heading
//     to the next heading of the same or a higher level, so sub-headings and
//     their text belong to it. A top-level line that is entirely bold
//     ("**Testing**") is a heading of the lowest level.
//   - Words are letter and number runs of the visible text; each Han,
//     Hiragana or Katakana character is a word. HTML comments and tags, link
//     destinations, "[//]: # (…)" comments, entities such as &nbsp;, list
//     bullets and task boxes are not words, and neither is a line still
//     identical (trimmed) to a line of the same section of the repository
//     template. Code counts.
//   - When a required name appears under several headings, the best of them
//     counts.
//   - A conditional section whose condition does not hold is left out of
//     Result.Items.
//   - The ticket pattern runs on the title, the branch and each visible body
//     line (so ^ and $ mean line start and end) and link target, skipping
//     code blocks, comments and lines copied from the template.
//   - With checklist "all", every box of the repository template must be in
//     the description and ticked, and so must every box the author added.
//     A template box counts as present when a box has its text, or its text
//     followed by a note. Deleting a box, hiding it in a comment or code, or
//     turning it into a plain bullet fails and names the box.
package template

import (
	"context"
	"fmt"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"unicode"
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
	r, _ := EvaluateContext(context.Background(), tp, pr, repoTemplate)
	return r
}

// EvaluateContext is Evaluate that stops with ctx's error when ctx ends
// while sections' paths are matched against the changed files.
func EvaluateContext(ctx context.Context, tp *policy.TemplatePolicy, pr policy.PullRequest, repoTemplate string) (Result, error) {
	if tp == nil {
		return Result{}, nil
	}
	if why := skipReason(tp.Skip, pr); why != "" {
		return Result{Skipped: why}, nil
	}
	body, tmpl := parse(pr.Body), parse(repoTemplate)
	var items []Item
	for _, s := range tp.Sections {
		req, err := required(ctx, s.When, pr)
		if err != nil {
			return Result{}, err
		}
		if req {
			items = append(items, evalSection(s, &body, &tmpl))
		}
	}
	if tp.Ticket != nil {
		items = append(items, evalTicket(tp.Ticket, pr, &body, &tmpl))
	}
	if tp.Checklist == policy.ChecklistAll {
		items = append(items, evalChecklist(&body, &tmpl))
	}
	return Result{Items: items}, nil
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
// Paths are matched here, where the context can stop a long list; the
// rest of the condition (labels, sizes, authors) is policy.Condition's.
func required(ctx context.Context, c *policy.Condition, pr policy.PullRequest) (bool, error) {
	if c == nil {
		return true, nil
	}
	if len(c.Paths) > 0 {
		hit, err := anyFileMatches(ctx, c.Paths, pr.Files)
		if !hit || err != nil {
			return false, err
		}
	}
	rest := *c
	rest.Paths = nil
	return rest.Holds(pr), nil
}

// checkEvery is how many files are matched between looks at the context.
const checkEvery = 256

func anyFileMatches(ctx context.Context, globs, files []string) (bool, error) {
	for i, f := range files {
		if i%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return false, err
			}
		}
		if policy.MatchAny(globs, f) {
			return true, nil
		}
	}
	return false, nil
}

// templateLines returns the keys of the visible lines of the template
// sections named name.
func templateLines(tmpl *document, name string) map[string]struct{} {
	set := make(map[string]struct{})
	for h, hd := range tmpl.headings {
		if strings.EqualFold(hd.name, name) {
			addLines(set, tmpl.section(h))
		}
	}
	return set
}

// addLines adds the keys of the non-empty lines to set.
func addLines(set map[string]struct{}, lines []line) {
	for _, l := range lines {
		if k := l.key(); k != "" {
			set[k] = struct{}{}
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
		it := judgeSection(s, body.section(h), placeholders)
		if it.Status.rank() < best.Status.rank() {
			best = it
		}
		if best.Status == Met {
			break
		}
	}
	return best
}

// judgeSection counts the words of a section's lines, leaving out lines the
// template already had. Comments are not in the lines' text; they only mark
// a section whose sole content they are as a placeholder.
func judgeSection(s policy.Section, lines []line, placeholders map[string]struct{}) Item {
	it := Item{Kind: "section", Name: s.Heading}
	words, leftovers := 0, false
	for _, l := range lines {
		leftovers = leftovers || l.comment
		k := l.key()
		if k == "" {
			continue
		}
		if _, ok := placeholders[k]; ok {
			leftovers = true
			continue
		}
		words += countWords(l.text)
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

// evalTicket looks for the ticket reference. The body is searched in its
// visible text and link targets, without code blocks and without lines the
// template has, so an example ticket in the template or a pasted log does not
// count.
func evalTicket(t *policy.Ticket, pr policy.PullRequest, body, tmpl *document) Item {
	it := Item{Kind: "ticket", Name: "ticket", Status: Missing}
	re := t.Regexp
	if re == nil {
		var err error
		if re, err = regexp.Compile(t.Pattern); err != nil {
			it.Detail = fmt.Sprintf("invalid ticket pattern %q: %v", truncate(t.Pattern, maxItemText), err)
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
		it.Status, it.Detail = Met, fmt.Sprintf("%s in %s", truncate(text[loc[0]:loc[1]], maxItemText), where)
		return true
	}
	// The short places first: the body is only read when they have nothing.
	if slices.Contains(places, "title") && found("title", pr.Title) ||
		slices.Contains(places, "branch") && found("branch", pr.Branch) {
		return it
	}
	if slices.Contains(places, "body") && ticketInBody(body, tmpl, requiredLiteral(re), found) {
		return it
	}
	it.Detail = fmt.Sprintf("no match for %s in %s", truncate(re.String(), maxItemText), orList(places))
	return it
}

// ticketInBody runs found on each visible body line and link target that
// could match (holds lit) and is not also in the template.
func ticketInBody(body, tmpl *document, lit string, found func(where, text string) bool) bool {
	seen := make(map[string]struct{})
	for _, l := range tmpl.lines {
		seen[strings.TrimSpace(l.text)] = struct{}{}
	}
	for _, l := range tmpl.links {
		seen[l] = struct{}{}
	}
	try := func(text string) bool {
		if text == "" || !strings.Contains(text, lit) {
			return false
		}
		if _, ok := seen[text]; ok {
			return false
		}
		// Line by line: Go's regexp uses its fast backtracker on short
		// inputs, tickets do not span lines, and ^ means a line start.
		return found("body", text)
	}
	for _, l := range body.lines {
		if !l.code && try(strings.TrimSpace(l.text)) {
			return true
		}
	}
	return slices.ContainsFunc(body.links, try)
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

// maxListed and maxItemText bound the checklist detail shown to developers:
// box texts are the author's words, so few and short.
const (
	maxListed   = 5
	maxItemText = 60
)

// evalChecklist requires every box of the repository template to be in the
// description and ticked, and every box the author added to be ticked. A box
// deleted, hidden in a comment or code, or turned into a plain bullet is
// missing, so none of these is a way around the checklist.
func evalChecklist(body, tmpl *document) Item {
	it := Item{Kind: "checklist", Name: "checklist", Status: Missing}
	missing, unticked := matchBoxes(tmpl.boxes, body.boxes)
	var parts []string
	if len(missing) > 0 {
		parts = append(parts, fmt.Sprintf("%d of the template's %s missing (deleted, hidden or no longer a checkbox): %s",
			len(missing), plural(len(tmpl.boxes), "item"), quoteList(missing)))
	}
	if len(unticked) > 0 {
		parts = append(parts, fmt.Sprintf("%d of %s unticked: %s",
			len(unticked), plural(len(body.boxes), "item"), quoteList(unticked)))
	}
	switch {
	case len(parts) > 0:
		it.Detail = strings.Join(parts, "; ")
	case len(body.boxes) == 0:
		it.Status, it.Detail = Met, "no checklist items"
	default:
		it.Status, it.Detail = Met, fmt.Sprintf("all %s ticked", plural(len(body.boxes), "item"))
	}
	return it
}

// matchBoxes pairs each template box with a body box of the same text (case
// aside), or failing that one whose text starts with it and adds a note
// ("I added tests: none needed, docs only"). It returns the template boxes
// without a partner and the unticked body boxes, matched or not.
func matchBoxes(tmpl, body []box) (missing, unticked []string) {
	want := make(map[string]int, len(tmpl)) // lower-cased name → boxes still unmatched
	longest := 0
	for _, t := range tmpl {
		k := strings.ToLower(t.name)
		want[k]++
		longest = max(longest, len(k))
	}
	matched := make([]bool, len(body))
	take := func(k string) bool {
		if want[k] > 0 {
			want[k]--
			return true
		}
		return false
	}
	for i, b := range body {
		matched[i] = take(strings.ToLower(b.name))
	}
	for i, b := range body {
		if !matched[i] {
			matched[i] = takePrefix(strings.ToLower(b.name), longest, take)
		}
	}
	for _, t := range tmpl {
		if k := strings.ToLower(t.name); want[k] > 0 {
			want[k]--
			missing = append(missing, t.name)
		}
	}
	for _, b := range body {
		if !b.ticked {
			unticked = append(unticked, b.name)
		}
	}
	return missing, unticked
}

// takePrefix offers take the prefixes of k that end before a space, up to
// longest bytes (plus trailing punctuation), trimmed of trailing punctuation; it stops at the first taken.
func takePrefix(k string, longest int, take func(string) bool) bool {
	for i := 0; i < len(k) && i <= longest+8; i++ { // +8: room for punctuation such as " —"
		if k[i] != ' ' {
			continue
		}
		p := strings.TrimRightFunc(k[:i], func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) })
		if p != "" && take(p) {
			return true
		}
	}
	return false
}

// quoteList quotes the first maxListed names, each cut to maxItemText
// characters, and counts the rest.
func quoteList(names []string) string {
	quoted := make([]string, 0, maxListed+1)
	for _, n := range names[:min(len(names), maxListed)] {
		if n == "" {
			n = "(no text)"
		}
		quoted = append(quoted, fmt.Sprintf("%q", truncate(n, maxItemText)))
	}
	if len(names) > maxListed {
		quoted = append(quoted, fmt.Sprintf("and %d more", len(names)-maxListed))
	}
	return strings.Join(quoted, ", ")
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
