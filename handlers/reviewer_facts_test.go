package handlers

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reviewpolicy/reviewpolicy/githubapi"
	"github.com/reviewpolicy/reviewpolicy/internal/githubfake"
	"github.com/reviewpolicy/reviewpolicy/policy"
	"github.com/reviewpolicy/reviewpolicy/policy/reviewers"
)

// repoSetup is a repository acme/app (main branch holding files) of
// installation 99 in the fake GitHub, an App on a fresh store, and the
// adapter an evaluation of acme/app#1 would use.
type repoSetup struct {
	app  *App
	fake *githubfake.Fake
	gh   *githubapi.Repo
	ref  repoRef
}

func newRepoSetup(t *testing.T, files map[string]string) *repoSetup {
	t.Helper()
	fake := githubfake.New(t)
	fake.AddRepo("acme", "app", 4711, "main")
	fake.AddInstallation(99, "acme")
	for path, text := range files {
		fake.SetFile("acme", "app", "main", path, text)
	}
	app := newTestApp(t, fake, time.Now)
	r := repoRef{Installation: 99, RepoID: 4711, Owner: "acme", Repo: "app", Number: 1}
	gh, err := app.repo(r)
	if err != nil {
		t.Fatal(err)
	}
	return &repoSetup{app: app, fake: fake, gh: gh, ref: r}
}

// TestReviewerFactsExpandCodeownersTeams: a team named only in CODEOWNERS
// is fetched and expanded like a rule's team, its members and CODEOWNERS'
// people are candidates, and a rule that matches no file costs no fetch.
func TestReviewerFactsExpandCodeownersTeams(t *testing.T) {
	t.Parallel()
	s := newRepoSetup(t, map[string]string{
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
	base, err := s.gh.GitHubDir(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	f, err := s.app.gatherReviewerFacts(ctx, s.gh, "main", base, p, files)
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
	s := newRepoSetup(t, nil)
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
