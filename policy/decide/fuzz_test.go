package decide

import (
	"flag"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/reviewpolicy/reviewpolicy/policy"
	"github.com/reviewpolicy/reviewpolicy/policy/check"
	"github.com/reviewpolicy/reviewpolicy/policy/reviewers"
	"github.com/reviewpolicy/reviewpolicy/policy/sla"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/text"
)

// Per-input bounds of FuzzDecide. Inputs are capped by the fuzz engine (a
// few KiB each), so an evaluation that allocates more than maxAlloc, or
// runs longer than maxWall while fuzzing, has found a blow-up, not noise.
const (
	maxAlloc  = 64 << 20
	maxWall   = 2 * time.Second
	maxFiles  = 3000 // GitHub lists at most this many files of a pull request
	zwjMarker = "\u200d"
)

// fuzzBase is the policy in force when the fuzzed text plays a proposed
// policy file instead.
const fuzzBase = `version: 1
template:
  sections: [{heading: Summary, min_words: 3}, {heading: Testing}]
  checklist: all
reviewers:
  rules: [{name: all, paths: ["**"], reviewers: [alice, "@acme/core"], count: 1}]
sla: {first_review: 1h, remind_before: 30m, escalate_to: ["@acme/leads"]}
`

// FuzzDecide runs the whole evaluation on random policies, descriptions,
// file lists, CODEOWNERS and reviews:
//
//	go test -run XXX -fuzz FuzzDecide -fuzztime 60s ./policy/decide/
//
// It asserts no panic, bounded allocation (and, only while fuzzing, time)
// per input, outputs within GitHub's sizes, and no mention the policy or
// the facts did not ask for.
func FuzzDecide(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s.policy, s.body, s.files, s.codeowners, s.reviews, s.template, s.flags)
	}
	fuzzing := flag.Lookup("test.fuzz") != nil && flag.Lookup("test.fuzz").Value.String() != ""
	f.Fuzz(func(t *testing.T, pol, body, files, codeowners, reviews, tmpl string, flags byte) {
		fs := fuzzFacts(pol, body, files, codeowners, reviews, tmpl, flags)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		d := Decide(fs, now)
		took := time.Since(start)
		runtime.ReadMemStats(&after)
		if a := after.TotalAlloc - before.TotalAlloc; a > maxAlloc {
			t.Fatalf("one evaluation allocated %d MiB", a>>20)
		}
		if fuzzing && took > maxWall {
			t.Fatalf("one evaluation took %s", took)
		}
		checkBounded(t, d.Report)
		allowed := allowedMentions(fs, d)
		checkMentions(t, "summary", d.Report.Summary, allowed)
		checkMentions(t, "comment", d.Report.Comment, allowed)
		checkInert(t, "title", d.Report.Title)
		for _, a := range d.Report.Annotations {
			checkInert(t, "annotation", a.Message)
		}
	})
}

// fuzzFacts builds the facts of one input. flags: bit 0 draft, bit 1 the
// text is a proposed policy against fuzzBase, bits 2-3 the SLA clock (none,
// just started, breached), bit 4 the parsed CODEOWNERS is passed, bit 5 the
// text is the values of a fixed policy (see fuzzFields).
func fuzzFacts(pol, body, files, codeowners, reviews, tmpl string, flags byte) Facts {
	if flags&32 != 0 {
		pol = fuzzFields(pol)
	}
	p, err := policy.Parse("p.yml", []byte(pol))
	f := Facts{Policy: p, PolicyErr: err, PolicySource: "`.github/review-policy.yml`", Repo: "o/r",
		Template: tmpl, CodeOwners: codeowners, Rotation: map[string]int{},
		Teams: map[string][]string{"@acme/core": {"dave", "erin"}, "@acme/leads": {"frank"}}}
	if err != nil {
		f.Policy = nil
	}
	if flags&2 != 0 {
		base, _ := policy.Parse("base.yml", []byte(fuzzBase))
		f.Policy, f.PolicyErr = base, nil
		f.Proposed = &check.Proposed{Path: policy.FileName, Err: err}
		if err == nil {
			f.Proposed.Changes = policy.Describe(base, p)
		}
	}
	f.PR = policy.PullRequest{Number: 7, Title: firstLine(body), Body: body, Branch: "feature/" + firstLine(files),
		Author: "carol", Draft: flags&1 != 0, Labels: strings.Fields(firstLine(reviews))}
	for l := range strings.Lines(files) {
		if len(f.PR.Files) == maxFiles {
			break
		}
		f.PR.Files = append(f.PR.Files, strings.TrimSuffix(l, "\n"))
	}
	f.Reviews, f.Requested, f.RequestedTeams = fuzzReviews(reviews)
	switch flags >> 2 & 3 {
	case 1:
		f.Clock, _ = sla.Clock{}.Start(now.Add(-time.Minute))
		f.ClockFound = true
	case 2, 3:
		f.Clock, _ = sla.Clock{}.Start(now.Add(-30 * 24 * time.Hour))
		f.ClockFound = true
	}
	if flags&16 != 0 {
		f.Codeowners, _ = reviewers.ParseCodeowners(codeowners)
	}
	return f
}

// fuzzFields puts the "|"-separated values of text into a policy that
// parses whenever the values are valid, so that the fuzzer reaches the
// evaluation with hostile headings, names, globs, patterns and logins
// rather than spending its time on YAML the parser refuses.
func fuzzFields(text string) string {
	v := strings.SplitN(text, "|", 8)
	for len(v) < 8 {
		v = append(v, "x")
	}
	q := make([]any, len(v))
	for i, s := range v {
		q[i] = yamlQuote(s)
	}
	return fmt.Sprintf(`version: 1
template:
  sections: [{heading: %s, min_words: 2}, {heading: %s, when: {paths: [%s]}}]
  ticket: {pattern: %s, in: [title, body, branch]}
  checklist: all
reviewers:
  strategy: round-robin
  codeowners: true
  rules:
    - {name: %s, paths: [%s, "**"], reviewers: [%s, "@acme/core"], count: 2}
sla: {first_review: 1h, remind_before: 30m, escalate_to: [%s, "@acme/sre"]}
`, q...)
}

// yamlQuote writes s as a YAML double-quoted scalar.
func yamlQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteString(`\` + string(r))
		case r < 0x20 || r == 0x7f || r == utf8.RuneError:
			fmt.Fprintf(&b, `\x%02x`, r&0xff)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// fuzzReviews reads lines "login STATE": REQUESTED asks the login (a team
// when it starts with "@"), anything else is a review in that state.
func fuzzReviews(text string) (reviews []policy.Review, users, teams []string) {
	for i, l := range strings.Split(text, "\n") {
		login, state, _ := strings.Cut(l, " ")
		switch {
		case state == "REQUESTED" && strings.HasPrefix(login, "@"):
			teams = append(teams, login)
		case state == "REQUESTED":
			users = append(users, login)
		default:
			reviews = append(reviews, policy.Review{Author: login, State: state, Association: "MEMBER",
				SubmittedAt: now.Add(time.Duration(i-1000) * time.Minute)})
		}
	}
	return reviews, users, teams
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// checkBounded: every text GitHub receives fits its limits and is UTF-8.
func checkBounded(t *testing.T, r check.Report) {
	t.Helper()
	if len(r.Summary) > check.MaxSummary || len(r.Comment) > check.MaxComment {
		t.Fatalf("summary %d bytes, comment %d bytes; GitHub takes %d", len(r.Summary), len(r.Comment), check.MaxSummary)
	}
	if len(r.Annotations) > check.MaxAnnotations {
		t.Fatalf("%d annotations", len(r.Annotations))
	}
	for _, a := range r.Annotations {
		if len(a.Message) > check.MaxAnnotationMessage {
			t.Fatalf("annotation message of %d bytes", len(a.Message))
		}
	}
	for name, s := range map[string]string{"title": r.Title, "summary": r.Summary, "comment": r.Comment} {
		if !utf8.ValidString(s) {
			t.Fatalf("%s is not UTF-8", name)
		}
	}
}

// allowedMentions are the people and teams the evaluation may call: those
// asked now, those it asks, and the policy's escalation, each as GitHub
// would read them.
func allowedMentions(f Facts, d Decision) map[string]bool {
	ok := map[string]bool{}
	add := func(m string) {
		if check.IsMention(m) {
			ok[strings.ToLower(m)] = true
		}
	}
	for _, u := range f.Requested {
		add("@" + u)
	}
	for _, team := range f.RequestedTeams {
		add(team)
	}
	if d.Reviewers != nil {
		for _, u := range d.Reviewers.Request {
			add("@" + u)
		}
	}
	if f.Policy != nil && f.Policy.SLA != nil {
		for _, ref := range f.Policy.SLA.EscalateTo {
			add("@" + strings.TrimPrefix(ref, "@"))
		}
	}
	return ok
}

// checkMentions: every "@" in doc outside code (where GitHub mentions
// nobody) is made inert by a zero-width joiner, or starts an allowed mention
// that ends at a space or line end.
func checkMentions(t *testing.T, sink, doc string, allowed map[string]bool) {
	t.Helper()
	doc = outsideCode(doc)
	for i := strings.IndexByte(doc, '@'); i >= 0; i = nextAt(doc, i) {
		if strings.HasPrefix(doc[i+1:], zwjMarker) {
			continue
		}
		end := strings.IndexAny(doc[i:], " \n")
		if end < 0 {
			end = len(doc) - i
		}
		if m := doc[i : i+end]; !allowed[strings.ToLower(m)] {
			t.Fatalf("%s mentions %q, not asked for; around it: %q", sink, m, doc[max(0, i-80):min(len(doc), i+80)])
		}
	}
}

// checkInert: plain text (a title, an annotation) has no "@" without a
// zero-width joiner, and is one line.
func checkInert(t *testing.T, sink, s string) {
	t.Helper()
	for i := strings.IndexByte(s, '@'); i >= 0; i = nextAt(s, i) {
		if !strings.HasPrefix(s[i+1:], zwjMarker) {
			t.Fatalf("%s mentions: %q", sink, s)
		}
	}
	if strings.ContainsAny(s, "\n\r") {
		t.Fatalf("%s is not one line: %q", sink, s)
	}
}

var gfm = goldmark.New(goldmark.WithExtensions(extension.GFM))

// outsideCode returns doc with every "@" inside a code span or code block,
// as GitHub's CommonMark reads them, replaced by a space.
func outsideCode(doc string) string {
	src := []byte(doc)
	blank := func(seg text.Segment) {
		for i := seg.Start; i < seg.Stop; i++ {
			if src[i] == '@' {
				src[i] = ' '
			}
		}
	}
	root := gfm.Parser().Parse(text.NewReader([]byte(doc)))
	_ = ast.Walk(root, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n.Kind() {
		case ast.KindCodeSpan:
			for c := n.FirstChild(); c != nil; c = c.NextSibling() {
				if t, ok := c.(*ast.Text); ok {
					blank(t.Segment)
				}
			}
			return ast.WalkSkipChildren, nil
		case ast.KindFencedCodeBlock, ast.KindCodeBlock:
			lines := n.Lines()
			for i := range lines.Len() {
				blank(lines.At(i))
			}
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	return string(src)
}

func nextAt(doc string, i int) int {
	j := strings.IndexByte(doc[i+1:], '@')
	if j < 0 {
		return -1
	}
	return i + 1 + j
}

type fuzzSeed struct {
	policy, body, files, codeowners, reviews, template string
	flags                                              byte
}

// fuzzSeeds are realistic and hostile inputs. They run under plain
// `go test` in CI, so each stays small and fast.
func fuzzSeeds() []fuzzSeed {
	body := "## Summary\nFixes the lexer on `<!--` for real now.\n\n## Testing\nunit tests\n\n- [x] tests\n- [ ] docs @acme/everyone <img src=x> </details>\n"
	tmpl := "## Summary\n\n## Testing\n\n- [ ] tests\n- [ ] docs\n"
	codeowners := "* @acme/core\n/docs/ alice @acme/docs\n*.go @acme/backend bob\n"
	files := "README.md\ndocs/a.md\nsvc/main.go\nauth/token.go\nmigrations/001.sql"
	reviews := "alice REQUESTED\n@acme/core REQUESTED\nbob APPROVED\nmallory COMMENTED\n@acme/everyone CHANGES_REQUESTED"
	nested := "{a,b}/"
	for range 4 {
		nested = "{" + nested + ",x/}" + nested
	}
	var many strings.Builder
	many.WriteString("version: 1\nreviewers:\n  rules:\n")
	for i := range 60 {
		fmt.Fprintf(&many, "    - {name: \"r%d @acme/all\", paths: [\"**/*%d*\"], reviewers: [u%d]}\n", i, i, i)
	}
	hostile := []string{
		"version: 1\nsla: {first_review: 1h, escalate_to: [&x \"@everyone\\n`b\", *x, *x, \"@acme/leads\"]}\n",
		"version: 1\nreviewers: {rules: [{name: r, reviewers: [a], paths: ['" + nested + "']}]}\n",
		"version: 1\nsla: &a {escalate_to: [*a]}\n",
		"version: 1\ntemplate: {sections: [{heading: \"Testing\\n## @acme/x <b>\"}], ticket: {pattern: '[A-Z]+-[0-9]+', in: [body]}}\n",
		many.String(),
	}
	seeds := []fuzzSeed{
		{testPolicy, body, files, codeowners, reviews, tmpl, 4},
		{fuzzBase, body, files, codeowners, reviews, tmpl, 8},
		{fuzzBase, "", "", "", "", "", 1},
		{"version: 1\nreviewers: {codeowners: true, count: 2}\nsla: {first_review: 1h}\n", body, files, codeowners, reviews, tmpl, 8 | 16},
		{hostile[0], body, files, codeowners, reviews, tmpl, 2},
		{"not: [yaml", body, files, codeowners, reviews, tmpl, 0},
		{"not: [yaml", body, files, codeowners, reviews, tmpl, 2},
		{"Summary|Rollback|migrations/**|[A-Z]+-[0-9]+|backend|svc/**|alice|@acme/leads", body, files, codeowners, reviews, tmpl, 32 | 8},
		{"Summary\n## @acme/x|<!--|{a,{b,c}}/**|(a+)+$|r @team|" + nested + "|bob|@everyone", body, files, codeowners, reviews, tmpl, 32 | 16 | 8 | 2},
	}
	for _, h := range hostile {
		seeds = append(seeds, fuzzSeed{h, body, files, codeowners, reviews, tmpl, 8})
	}
	return seeds
}
