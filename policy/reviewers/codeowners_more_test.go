package reviewers

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reviewpolicy/reviewpolicy/policy"
)

func TestCodeownersOwnerKinds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		owner string
		ok    bool
	}{
		{"@octocat", true},
		{"@octocat_acme", true},     // Enterprise Managed User
		{"@mona-lisa_acme-1", true}, // EMU with hyphens
		{"@acme/backend", true},     // team
		{"@acme_emu/team_x.y", true},
		{"docs@example.com", true}, // e-mail
		{"first.last+tag@sub.example.org", true},
		{"octocat", false},         // no "@"
		{"@-octocat", false},       // starts with a hyphen
		{"@octo cat", false},       // split: "cat" is not an owner
		{"@acme/", false},          // empty team
		{"@acme/back/end", false},  // two slashes
		{"@", false},               // nobody
		{"docs@", false},           // no domain
		{"<b>@example.com", false}, // markup is not an address
		{"@" + strings.Repeat("a", 101), false},
	}
	for _, tt := range tests {
		co, errs := ParseCodeowners("*.go " + tt.owner)
		if got := len(errs) == 0; got != tt.ok {
			t.Errorf("owner %q accepted = %v, want %v (%v)", tt.owner, got, tt.ok, errs)
			continue
		}
		if tt.ok && !slices.Equal(co.Owners("a.go"), []string{tt.owner}) {
			t.Errorf("owner %q: Owners = %q", tt.owner, co.Owners("a.go"))
		}
	}
}

func TestCodeownersNamesTeamsUsersEmails(t *testing.T) {
	t.Parallel()
	co, errs := ParseCodeowners(strings.Join([]string{
		"*        @acme/Backend @octocat_acme docs@example.com",
		"*.md     @ACME/backend @mona",
		"/web/    @acme/web ops@example.com @Octocat_Acme",
		"/legacy/ # un-owned",
	}, "\n"))
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	if got := co.Teams(); !slices.Equal(got, []string{"@acme/Backend", "@acme/web"}) {
		t.Errorf("Teams = %q", got)
	}
	if got := co.Users(); !slices.Equal(got, []string{"octocat_acme", "mona"}) {
		t.Errorf("Users = %q", got)
	}
	if got := co.Emails(); !slices.Equal(got, []string{"docs@example.com", "ops@example.com"}) {
		t.Errorf("Emails = %q", got)
	}
	if got := co.Owners("legacy/x.md"); got != nil {
		t.Errorf("un-owned path owned by %q", got)
	}
}

func TestCodeownersSyntaxGitHubDoesNotSupport(t *testing.T) {
	t.Parallel()
	co, errs := ParseCodeowners(strings.Join([]string{
		`\#notes.md @nobody`,            // 1: escaping "#" does not work
		`#not-a-pattern @nobody`,        // 2: a comment
		`my\ file.log @spacey`,          // 3: escaped space
		`*.txt @texter # and a comment`, // 4: inline comment
		"*.md\t@tabbed\r",               // 5: tabs and CRLF
		`[ab].go @nobody`,               // 6
		`!x @nobody`,                    // 7
	}, "\n"))
	if len(errs) != 3 {
		t.Fatalf("errors %v, want lines 1, 6, 7", errs)
	}
	for i, want := range []string{"line 1: ", "line 6: ", "line 7: "} {
		if !strings.Contains(errs[i].Error(), want) {
			t.Errorf("error %d = %v, want %s", i, errs[i], want)
		}
	}
	for path, want := range map[string][]string{
		"my file.log":    {"@spacey"},
		"other.txt":      {"@texter"},
		"#notes.md":      {"@tabbed"},
		"#not-a-pattern": nil,
	} {
		if got := co.Owners(path); !slices.Equal(got, want) {
			t.Errorf("Owners(%q) = %q, want %q", path, got, want)
		}
	}
	if _, n := co.Skipped(); n != 3 {
		t.Errorf("Skipped count %d, want 3", n)
	}
}

func TestCodeownersLastMatchWinsAndUnsets(t *testing.T) {
	t.Parallel()
	co, _ := ParseCodeowners(strings.Join([]string{
		"*                @everyone",
		"/services/       @acme/services",
		"/services/api/   @acme/api",
		"*.md             @docs",
		"/services/api/vendored/",
		"/services/api/vendored/keep.go @keeper",
	}, "\n"))
	for path, want := range map[string][]string{
		"main.go":                         {"@everyone"},
		"services/x.go":                   {"@acme/services"},
		"services/api/x.go":               {"@acme/api"},
		"services/api/README.md":          {"@docs"}, // later floating rule beats earlier anchored one
		"services/api/vendored/lib.go":    nil,       // unset by a pattern without owners
		"services/api/vendored/README.md": nil,       // the unset line comes after *.md
		"services/api/vendored/keep.go":   {"@keeper"},
		"other/services/api/x.go":         {"@everyone"}, // anchored patterns do not float
		"services/apiary/x.go":            {"@acme/services"},
	} {
		if got := co.Owners(path); !slices.Equal(got, want) {
			t.Errorf("Owners(%q) = %q, want %q", path, got, want)
		}
	}
}

// sized returns a CODEOWNERS text of exactly n bytes whose first line
// owns every file.
func sized(t *testing.T, n int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("* @alice\n")
	line := "# " + strings.Repeat("x", 77) + "\n" // 80 bytes
	for b.Len()+len(line) <= n {
		b.WriteString(line)
	}
	b.WriteString(strings.Repeat("#", n-b.Len()))
	if b.Len() != n {
		t.Fatalf("built %d bytes, want %d", b.Len(), n)
	}
	return b.String()
}

func TestCodeownersSizeLimit(t *testing.T) {
	t.Parallel()
	if MaxCodeownersSize != 3*1024*1024 {
		t.Fatalf("MaxCodeownersSize = %d", MaxCodeownersSize)
	}
	under, _ := ParseCodeowners(sized(t, MaxCodeownersSize-1))
	if under.Ignored() != "" || !slices.Equal(under.Owners("a.go"), []string{"@alice"}) {
		t.Errorf("a file one byte under 3 MiB: ignored %q, owners %q", under.Ignored(), under.Owners("a.go"))
	}
	for _, n := range []int{MaxCodeownersSize, MaxCodeownersSize + 1, 4 << 20} {
		co, errs := ParseCodeowners(sized(t, n))
		if why := co.Ignored(); !strings.Contains(why, "3 MiB or more") || !strings.Contains(why, fmt.Sprint(n)) || len(errs) != 0 {
			t.Errorf("%d bytes: Ignored() = %q, errs %v", n, why, errs)
		}
		if got := co.Owners("a.go"); got != nil {
			t.Errorf("%d bytes: ignored file still owns a.go: %q", n, got)
		}
		if len(co.Teams())+len(co.Users()) != 0 {
			t.Errorf("%d bytes: ignored file names owners", n)
		}
	}
}

// naiveOwners is the specification of matching: every rule, last first.
func naiveOwners(rules []*ownerRule, path string) []string {
	for i := len(rules) - 1; i >= 0; i-- {
		if regexp.MustCompile(rules[i].pattern.Source()).MatchString(path) {
			return rules[i].owners
		}
	}
	return nil
}

// TestCodeownersIndexAgreesWithNaive checks the trie and the literal
// pre-check against trying every rule, on random patterns and paths.
func TestCodeownersIndexAgreesWithNaive(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	names := []string{"a", "b", "src", "docs", "x.go", "y.md", "*", "**", "*.go", "a*", "?", "b?c", `\*`}
	word := func() string { return names[r.IntN(len(names))] }
	for round := range 200 {
		var lines []string
		for i := range 1 + r.IntN(12) {
			segs := make([]string, 1+r.IntN(3))
			for j := range segs {
				segs[j] = word()
			}
			p := strings.Join(segs, "/")
			switch r.IntN(3) {
			case 0:
				p = "/" + p
			case 1:
				p += "/"
			}
			lines = append(lines, fmt.Sprintf("%s @o%d", p, i))
		}
		co, _ := ParseCodeowners(strings.Join(lines, "\n"))
		for range 30 {
			segs := make([]string, 1+r.IntN(4))
			for j := range segs {
				segs[j] = strings.NewReplacer("*", "s", "?", "q", `\`, "").Replace(word())
			}
			path := strings.Join(segs, "/")
			if got, want := co.Owners(path), naiveOwners(co.rules, path); !slices.Equal(got, want) {
				t.Fatalf("round %d: Owners(%q) = %q, naive %q\n%s", round, path, got, want, strings.Join(lines, "\n"))
			}
		}
	}
}

// TestCodeownersHostileFilesBounded feeds files built to be slow: a
// pattern as long as allowed, every line a pattern that can match
// anywhere, and deep anchored trees. Each parses and matches 3,000 paths
// within the work bound, answering or saying it would take too long. The
// bound is counted in units of work, not read off a clock (times are
// logged): the benchmarks in policy/decide measure the time.
func TestCodeownersHostileFilesBounded(t *testing.T) {
	t.Parallel()
	var paths []string
	for i := range 3000 {
		// Each path holds every literal of the hostile patterns ("a", "z"), so
		// that no pre-check rules them out.
		paths = append(paths, fmt.Sprintf("dir%d/sub/%s/file%d.zip", i%50, strings.Repeat("a", 60), i))
	}
	star := strings.Repeat("*a", maxPatternLen/2-1) + "*z"
	size := MaxCodeownersSize
	if raceEnabled {
		size = 1 << 20 // still far over the bound for the floating and long ones
	}
	var floating, anchored, longLine strings.Builder
	for i := 0; floating.Len() < size-100; i++ {
		fmt.Fprintf(&floating, "*a*%d*b @u%d\n", i, i)
	}
	for i := 0; anchored.Len() < size-100; i++ {
		fmt.Fprintf(&anchored, "/dir%d/sub/*/file%d.md @u%d\n", i%50, i, i)
	}
	for longLine.Len() < size-maxPatternLen-100 {
		longLine.WriteString(star + " @u\n")
	}
	tests := []struct {
		name    string
		text    string
		tooSlow bool // matching must give up rather than answer
	}{
		{"floating", floating.String(), true},
		{"anchored", anchored.String(), false},
		{"long patterns", longLine.String(), true},
		{"over-long pattern", strings.Repeat("a", maxPatternLen+1) + " @u\n* @v", false},
	}
	for _, tt := range tests {
		start := time.Now()
		co, _ := ParseCodeowners(tt.text)
		parsed := time.Since(start)
		owners, err := co.Match(paths)
		took := time.Since(start)
		t.Logf("%s: %d rules, parsed in %v, matched in %v, err %v", tt.name, len(co.rules), parsed, took-parsed, err)
		if gaveUp := errors.Is(err, ErrCodeownersTooCostly); gaveUp != tt.tooSlow {
			t.Errorf("%s: err = %v, want giving up = %v", tt.name, err, tt.tooSlow)
		}
		if !tt.tooSlow && err == nil && len(owners) != len(paths) {
			t.Errorf("%s: %d answers for %d paths", tt.name, len(owners), len(paths))
		}
	}
}

func TestCodeownersInSelect(t *testing.T) {
	t.Parallel()
	p := newPolicy("", backend)
	p.Reviewers.Codeowners = true
	text := strings.Join([]string{
		"*            @acme/backend",
		"/web/        @octocat_acme web@example.com",
		"/mail/       only@example.com",
		"[bad].go     @x",
	}, "\n")
	co, _ := ParseCodeowners(text)
	in := newInput(p, "api/main.go", "web/app.js", "mail/send.go")
	in.ParsedCodeowners = co
	in.Teams = map[string][]string{"@acme/backend": {"bea", "author"}}
	out := Select(in)
	res := rule(t, out, CodeownersRule)
	// The team named only in CODEOWNERS is expanded from in.Teams; the
	// EMU login is a candidate; the file owned by e-mail only is left out.
	if !slices.Equal(res.Matched, []string{"api/main.go", "web/app.js"}) {
		t.Errorf("matched %q", res.Matched)
	}
	if got := logins(res.Assigned); !slices.Equal(got, []string{"bea"}) {
		t.Errorf("assigned %q", got)
	}
	if strings.Contains(res.Why, "unknown") {
		t.Errorf("team reported unknown: %s", res.Why)
	}
	notes := strings.Join(out.Notes, "\n")
	for _, want := range []string{"web@example.com", "only@example.com", "cannot be requested", "1 CODEOWNERS line skipped"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
	if !out.OK() {
		t.Errorf("e-mail owners failed the check: %+v", out.Rules)
	}

	// The count is the area's (1); with 2, both the team member and the
	// EMU login are asked.
	p.Reviewers.Count = 2
	if got := Select(in).Request; !slices.Equal(got, []string{"bea", "octocat_acme"}) {
		t.Errorf("count 2 requested %q", got)
	}

	// The raw text gives the same result as the parsed file.
	in.ParsedCodeowners, in.CodeOwners = nil, text
	if got := Select(in).Request; !slices.Equal(got, []string{"bea", "octocat_acme"}) {
		t.Errorf("from text requested %q", got)
	}
}

func TestCodeownersIgnoredInSelect(t *testing.T) {
	t.Parallel()
	p := newPolicy("", backend)
	p.Reviewers.Codeowners = true
	in := newInput(p, "api/main.go")
	in.CodeOwners = sized(t, MaxCodeownersSize)
	out := Select(in)
	if res := rule(t, out, CodeownersRule); res.State != StateNotMatched || len(out.Request) != 0 {
		t.Errorf("ignored file: state %s, requests %q", res.State, out.Request)
	}
	if len(out.Notes) != 1 || !strings.Contains(out.Notes[0], "GitHub ignores CODEOWNERS files of 3 MiB or more") {
		t.Errorf("notes %q", out.Notes)
	}
}

func TestTeamsAndCandidates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	must := func(out []string, err error) []string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	p := newPolicy("",
		policy.Rule{Name: "api", Paths: []string{"api/**"}, Reviewers: []string{"@acme/api", "Dora"}},
		policy.Rule{Name: "web", Paths: []string{"web/**"}, Reviewers: []string{"@acme/web", "wes"}},
	)
	co, _ := ParseCodeowners("* @acme/Backend @octocat_acme\n/docs/ docs@example.com @acme/docs\n")
	files := []string{"api/a.go", "README.md"}

	// CODEOWNERS off: only the matching rule's references.
	if got := must(Teams(ctx, p, co, files)); !slices.Equal(got, []string{"@acme/api"}) {
		t.Errorf("codeowners off: Teams = %q", got)
	}
	p.Reviewers.Codeowners = true
	if got := must(Teams(ctx, p, co, files)); !slices.Equal(got, []string{"@acme/api", "@acme/backend"}) {
		t.Errorf("Teams = %q", got)
	}
	teams := map[string][]string{"@acme/api": {"Ann", "bob"}, "@acme/backend": {"bob", "Cy"}}
	if got := must(Candidates(ctx, p, co, files, teams)); !slices.Equal(got, []string{"ann", "bob", "cy", "dora", "octocat_acme"}) {
		t.Errorf("Candidates = %q", got)
	}
	if got := must(Teams(ctx, nil, co, files)); got != nil {
		t.Errorf("no policy: Teams = %q", got)
	}
}

// FuzzCodeowners: any text parses without panicking, matching agrees with
// trying every rule, and what is echoed (owners) is one of the accepted
// owner forms, so nothing hostile reaches the check run.
func FuzzCodeowners(f *testing.F) {
	f.Add(githubExample, "docs/a/b.md")
	f.Add("*.go @a\n/x/ @b/c e@x.io\n/x/y\n", "x/y/z.go")
	f.Add(`my\ file @a # c`, "my file")
	f.Add("**/logs/** @o\n/*/a? @p", "q/logs/a")
	f.Fuzz(func(t *testing.T, text, path string) {
		if len(text) > 1<<16 {
			return
		}
		co, _ := ParseCodeowners(text)
		owners, err := co.Match([]string{path})
		if errors.Is(err, ErrCodeownersTooCostly) {
			return
		}
		got := owners[0]
		if want := naiveOwners(co.rules, strings.TrimPrefix(path, "/")); !slices.Equal(got, want) {
			t.Fatalf("Owners(%q) = %q, naive %q", path, got, want)
		}
		for _, o := range append(co.Teams(), append(co.Users(), co.Emails()...)...) {
			if strings.ContainsAny(o, "<>`[]()\n\r\t *") && !isEmail(o) {
				t.Fatalf("owner %q carries markup", o)
			}
		}
	})
}
