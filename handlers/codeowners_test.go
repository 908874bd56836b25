package handlers

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/reviewpolicy/reviewpolicy/internal/githubfake"
	"github.com/reviewpolicy/reviewpolicy/policy"
	"github.com/reviewpolicy/reviewpolicy/policy/reviewers"
)

// codeownersOf sets up a repository whose main branch holds files, and
// loads its CODEOWNERS as an evaluation would.
type codeownersSetup struct {
	app  *App
	fake *githubfake.Fake
	c    *github.Client
	ref  repoRef
}

func newCodeownersSetup(t *testing.T, files map[string]string) *codeownersSetup {
	t.Helper()
	fake := githubfake.New(t)
	fake.AddRepo("acme", "app", 4711, "main")
	fake.AddInstallation(99, "acme")
	for path, text := range files {
		fake.SetFile("acme", "app", "main", path, text)
	}
	app := newTestApp(t, fake, time.Now)
	c, err := app.Clients.NewInstallationClient(99)
	if err != nil {
		t.Fatal(err)
	}
	return &codeownersSetup{app: app, fake: fake, c: c, ref: repoRef{Installation: 99, RepoID: 4711, Owner: "acme", Repo: "app", Number: 1}}
}

func (s *codeownersSetup) load(t *testing.T) *reviewers.Codeowners {
	t.Helper()
	ctx := context.Background()
	base, err := s.app.listGitHubDir(ctx, s.c, s.ref, "main")
	if err != nil {
		t.Fatal(err)
	}
	co, err := s.app.codeowners(ctx, s.c, s.ref, "main", base)
	if err != nil {
		t.Fatal(err)
	}
	return co
}

// padded is a CODEOWNERS text of exactly n bytes owning everything.
func padded(n int) string {
	head := "* @acme/backend @octocat_acme\n"
	return head + strings.Repeat("#", n-len(head))
}

func TestCodeownersLoadedOncePerBlob(t *testing.T) {
	t.Parallel()
	s := newCodeownersSetup(t, map[string]string{
		".github/CODEOWNERS": "* @acme/backend\n/docs/ @octocat_acme\n",
		"CODEOWNERS":         "* @ignored\n", // .github/ comes first, as on GitHub
	})
	for range 3 {
		co := s.load(t)
		if got := co.Owners("docs/a.md"); !slices.Equal(got, []string{"@octocat_acme"}) {
			t.Fatalf("Owners = %q", got)
		}
	}
	if n := s.fake.CountCalls(http.MethodGet, "/repos/acme/app/contents/.github/CODEOWNERS"); n != 1 {
		t.Errorf("CODEOWNERS read %d times for one blob, want 1", n)
	}
	// A new version is a new blob: read and parsed again.
	s.fake.SetFile("acme", "app", "main", ".github/CODEOWNERS", "* @acme/web\n")
	if got := s.load(t).Owners("x"); !slices.Equal(got, []string{"@acme/web"}) {
		t.Errorf("after an edit: Owners = %q", got)
	}
}

func TestCodeownersFoundAtRootOrDocs(t *testing.T) {
	t.Parallel()
	for _, path := range []string{"CODEOWNERS", "docs/CODEOWNERS"} {
		s := newCodeownersSetup(t, map[string]string{path: "*.go @gopher\n"})
		if got := s.load(t).Owners("a/b.go"); !slices.Equal(got, []string{"@gopher"}) {
			t.Errorf("%s: Owners = %q", path, got)
		}
	}
	if co := newCodeownersSetup(t, nil).load(t); co != nil {
		t.Errorf("no CODEOWNERS anywhere gave %+v", co)
	}
}

// TestCodeownersSizes: GitHub's contents answer carries no content over
// 1 MB, so such a file is read as a blob; from 3 MiB it is not read at all.
func TestCodeownersSizes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		size    int
		ignored bool
		blob    bool
	}{
		{100, false, false},
		{2 << 20, false, true},
		{reviewers.MaxCodeownersSize - 1, false, true},
		{reviewers.MaxCodeownersSize, true, false},
	}
	for _, tt := range tests {
		s := newCodeownersSetup(t, map[string]string{".github/CODEOWNERS": padded(tt.size)})
		co := s.load(t)
		if got := co.Ignored() != ""; got != tt.ignored {
			t.Errorf("%d bytes: ignored = %v (%q), want %v", tt.size, got, co.Ignored(), tt.ignored)
		}
		if !tt.ignored && !slices.Equal(co.Owners("x.go"), []string{"@acme/backend", "@octocat_acme"}) {
			t.Errorf("%d bytes: Owners = %q", tt.size, co.Owners("x.go"))
		}
		if got := s.fake.CountCalls(http.MethodGet, "/repos/acme/app/git/blobs/") == 1; got != tt.blob {
			t.Errorf("%d bytes: read as a blob = %v, want %v", tt.size, got, tt.blob)
		}
	}
}

// TestReviewerFactsExpandCodeownersTeams: a team named only in CODEOWNERS
// is fetched and expanded like a rule's team, its members and CODEOWNERS'
// people are candidates, and a rule that matches no file costs no fetch.
func TestReviewerFactsExpandCodeownersTeams(t *testing.T) {
	t.Parallel()
	s := newCodeownersSetup(t, map[string]string{
		".github/CODEOWNERS": "* @acme/backend @octocat_acme\n/docs/ docs@example.com\n",
	})
	s.fake.AddTeam("acme", "backend", "bea", "Bo")
	s.fake.AddTeam("acme", "api", "ann")
	s.fake.AddTeam("acme", "web", "wes")
	p, err := policy.Parse("test", []byte(`version: 1
reviewers:
  codeowners: true
  count: 1
  rules:
    - {name: api, paths: ["api/**"], reviewers: ["@acme/api"]}
    - {name: web, paths: ["web/**"], reviewers: ["@acme/web"]}
`))
	if err != nil {
		t.Fatal(err)
	}
	files := []string{"api/x.go", "docs/y.md"}
	ctx := context.Background()
	base, err := s.app.listGitHubDir(ctx, s.c, s.ref, "main")
	if err != nil {
		t.Fatal(err)
	}
	f, err := s.app.gatherReviewerFacts(ctx, s.c, s.ref, "main", base, p, files)
	if err != nil {
		t.Fatal(err)
	}
	if got := slices.Sorted(maps.Keys(f.teams)); !slices.Equal(got, []string{"@acme/api", "@acme/backend"}) {
		t.Errorf("teams fetched: %q", got)
	}
	if n := s.fake.CountCalls(http.MethodGet, "/orgs/acme/teams/web/"); n != 0 {
		t.Errorf("the team of a rule matching nothing was fetched %d times", n)
	}
	if !slices.Equal(f.candidates, []string{"ann", "bea", "bo", "octocat_acme"}) {
		t.Errorf("candidates %q", f.candidates)
	}

	out := reviewers.Select(reviewers.Input{Policy: p, Repo: "acme/app", Now: time.Now(), Teams: f.teams,
		ParsedCodeowners: f.codeowners, PR: policy.PullRequest{Number: 1, Author: "alice", Files: files}})
	for _, rr := range out.Rules {
		if rr.Name == reviewers.CodeownersRule {
			if len(rr.Assigned) != 1 || strings.Contains(rr.Why, "unknown") {
				t.Errorf("codeowners rule: %+v", rr)
			}
		}
	}
	if !strings.Contains(strings.Join(out.Notes, "\n"), "docs@example.com") {
		t.Errorf("the e-mail owner is not reported: %q", out.Notes)
	}
}

func TestLoadsOfCandidates(t *testing.T) {
	t.Parallel()
	s := newCodeownersSetup(t, nil)
	ctx := context.Background()
	at := time.Date(2025, 3, 5, 10, 0, 0, 0, time.UTC)
	for _, pr := range []int{1, 2} {
		if err := s.app.Store.AddReviewRequest(ctx, 99, 4711, pr, "octocat_acme", at); err != nil {
			t.Fatal(err)
		}
	}
	loads, err := s.app.loadsOf(ctx, 99, []string{"bea", "octocat_acme"})
	if err != nil {
		t.Fatal(err)
	}
	if got := loads["octocat_acme"]; got.Open != 2 || !got.LastRequested.Equal(at) {
		t.Errorf("octocat_acme: %+v", got)
	}
	if got := loads["bea"]; got.Open != 0 {
		t.Errorf("bea: %+v", got)
	}
}
