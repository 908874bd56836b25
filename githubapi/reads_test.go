package githubapi

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reviewpolicy/reviewpolicy/internal/githubfake"
)

// TestFilesPaginatesAndCachesPerHead: every page of a long list is read,
// once per head SHA; a push (a new head) is read again.
func TestFilesPaginatesAndCachesPerHead(t *testing.T) {
	t.Parallel()
	s := newSetup(t, nil)
	var files []string
	for i := range 250 {
		files = append(files, fmt.Sprintf("src/f%03d.go", i))
	}
	s.fake.AddPullRequest("acme", "app", githubfake.PullRequest{Number: 1, HeadRef: "feat", HeadSHA: headSHA, Author: "alice", Files: files})
	ctx := context.Background()
	for range 3 {
		got, err := s.newRepo(t).Files(ctx, 1, "main", headSHA)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, files) {
			t.Fatalf("got %d files, want %d", len(got), len(files))
		}
	}
	if n := s.fake.CountCalls(http.MethodGet, "/repos/acme/app/pulls/1/files"); n != 3 {
		t.Errorf("%d requests, want 3 pages once", n)
	}
	next := strings.Repeat("b", 40)
	s.fake.EditPullRequest("acme", "app", 1, func(p *githubfake.PullRequest) { p.HeadSHA, p.Files = next, files[:1] })
	if got, err := s.repo.Files(ctx, 1, "main", next); err != nil || !slices.Equal(got, files[:1]) {
		t.Errorf("after a push: %q, %v", got, err)
	}
}

// TestFilesOfOneHeadUnderTwoPullRequests: one commit heads two pull
// requests into different bases, which change different files; neither is
// answered with the other's list.
func TestFilesOfOneHeadUnderTwoPullRequests(t *testing.T) {
	t.Parallel()
	s := newSetup(t, nil)
	s.fake.AddPullRequest("acme", "app", githubfake.PullRequest{Number: 1, HeadRef: "feat", HeadSHA: headSHA, Author: "alice",
		Files: []string{"a.go"}})
	s.fake.AddPullRequest("acme", "app", githubfake.PullRequest{Number: 2, HeadRef: "feat", HeadSHA: headSHA, Author: "alice",
		BaseRef: "release", Files: []string{"a.go", "old/b.go"}})
	ctx := context.Background()
	for range 2 {
		if got, err := s.repo.Files(ctx, 1, "main", headSHA); err != nil || !slices.Equal(got, []string{"a.go"}) {
			t.Errorf("pull request 1: %q, %v", got, err)
		}
		if got, err := s.repo.Files(ctx, 2, "release", headSHA); err != nil || !slices.Equal(got, []string{"a.go", "old/b.go"}) {
			t.Errorf("pull request 2: %q, %v", got, err)
		}
	}
	if n := s.fake.CountCalls(http.MethodGet, "/repos/acme/app/pulls/2/files"); n != 1 {
		t.Errorf("pull request 2's files read %d times, want once", n)
	}
}

// TestListingsStopWhenTheCallerDoes: a caller that has enough after the
// first page pays for no second one; one that reads on gets them all.
func TestListingsStopWhenTheCallerDoes(t *testing.T) {
	t.Parallel()
	s := newSetup(t, nil)
	for n := 1; n <= 150; n++ {
		s.fake.AddPullRequest("acme", "app", githubfake.PullRequest{Number: n, HeadRef: fmt.Sprint("b", n),
			HeadSHA: fmt.Sprintf("%040x", n), Author: "alice"})
	}
	ctx := context.Background()
	read := 0
	for prs, err := range s.repo.OpenPulls(ctx, "") {
		if err != nil || len(prs) != 100 {
			t.Fatalf("first page: %d, %v", len(prs), err)
		}
		if read++; read == 1 {
			break // enough
		}
	}
	if n := s.fake.CountCalls(http.MethodGet, "/repos/acme/app/pulls"); n != 1 {
		t.Errorf("%d requests for one page, want 1", n)
	}
	seen := 0
	for prs, err := range s.repo.OpenPulls(ctx, "main") {
		if err != nil {
			t.Fatal(err)
		}
		seen += len(prs)
	}
	if seen != 150 {
		t.Errorf("read %d open pull requests, want 150", seen)
	}
	s.fake.FailNext(http.MethodGet, "/repos/acme/app/pulls", http.StatusBadGateway, nil)
	for _, err := range s.repo.OpenPulls(ctx, "") {
		if err == nil || !strings.Contains(err.Error(), "acme/app") {
			t.Errorf("a failed page gave %v", err)
		}
	}
}

// TestCommitPulls lists the pull requests whose head is the commit.
func TestCommitPulls(t *testing.T) {
	t.Parallel()
	s := newSetup(t, nil)
	s.fake.AddPullRequest("acme", "app", githubfake.PullRequest{Number: 1, HeadRef: "feat", HeadSHA: headSHA, Author: "alice"})
	s.fake.AddPullRequest("acme", "app", githubfake.PullRequest{Number: 2, HeadRef: "feat", HeadSHA: headSHA, BaseRef: "release", Author: "alice"})
	s.fake.AddPullRequest("acme", "app", githubfake.PullRequest{Number: 3, HeadRef: "other", HeadSHA: strings.Repeat("c", 40), Author: "bob"})
	prs, err := s.repo.CommitPulls(context.Background(), headSHA)
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for _, pr := range prs.Pulls {
		if !pr.Open || pr.HeadSHA != headSHA {
			t.Errorf("pull request %+v: want open, head %s", pr, headSHA)
		}
		got = append(got, pr.Number)
	}
	if slices.Sort(got); !slices.Equal(got, []int{1, 2}) {
		t.Errorf("pull requests on the commit: %v", got)
	}
}

// TestTemplateFromListingOrProbe: a template in .github is read through
// the listing, once per blob; one at the root is found by probing; none
// anywhere is "".
func TestTemplateFromListingOrProbe(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newSetup(t, map[string]string{".github/pull_request_template.md": "## Why\n"})
	for range 3 {
		r := s.newRepo(t)
		base, err := r.GitHubDir(ctx, "main")
		if err != nil {
			t.Fatal(err)
		}
		if text, err := r.FirstOf(ctx, "main", base, TemplatePaths); err != nil || text != "## Why\n" {
			t.Fatalf("FirstOf = %q, %v", text, err)
		}
	}
	if n := s.fake.CountCalls(http.MethodGet, "/repos/acme/app/contents/.github/pull_request_template.md"); n != 1 {
		t.Errorf("template read %d times for one blob, want 1", n)
	}

	s = newSetup(t, map[string]string{"docs/pull_request_template.md": "## Risk\n"})
	base, err := s.repo.GitHubDir(ctx, "main")
	if err != nil || len(base) != 0 {
		t.Fatalf("no .github: %v, %v", base, err)
	}
	if text, err := s.repo.FirstOf(ctx, "main", base, TemplatePaths); err != nil || text != "## Risk\n" {
		t.Errorf("docs/ template: %q, %v", text, err)
	}
	if text, err := newSetup(t, nil).repo.FirstOf(ctx, "main", nil, TemplatePaths); err != nil || text != "" {
		t.Errorf("no template: %q, %v", text, err)
	}
}

// TestUnableToReviewTrustsAnAnswerForAnHour: who cannot review is asked
// of GitHub once per person and repository, again after collaboratorTTL.
func TestUnableToReviewTrustsAnAnswerForAnHour(t *testing.T) {
	t.Parallel()
	s := newSetup(t, nil)
	s.fake.SetCollaborators("acme", "app", "carol", "dave")
	ctx := context.Background()
	ask := func() []string {
		t.Helper()
		bad, err := s.newRepo(t).UnableToReview(ctx, []string{"carol", "Mallory", "dave"})
		if err != nil {
			t.Fatal(err)
		}
		return bad
	}
	for range 3 {
		if bad := ask(); !slices.Equal(bad, []string{"Mallory"}) {
			t.Fatalf("cannot review: %q", bad)
		}
	}
	if n := s.fake.CountCalls(http.MethodGet, "/repos/acme/app/collaborators/"); n != 3 {
		t.Errorf("%d checks, want one per person", n)
	}
	s.fake.SetCollaborators("acme", "app", "carol", "dave", "mallory")
	s.now = s.now.Add(collaboratorTTL - time.Minute)
	if bad := ask(); len(bad) != 1 {
		t.Errorf("within the hour: %q", bad)
	}
	s.now = s.now.Add(2 * time.Minute)
	if bad := ask(); len(bad) != 0 {
		t.Errorf("after the hour: %q", bad)
	}
}

// TestTeamMembers: members of a team, and "not found" for one the app
// cannot see.
func TestTeamMembers(t *testing.T) {
	t.Parallel()
	s := newSetup(t, nil)
	s.fake.AddTeam("acme", "backend", "bea", "Bo")
	ctx := context.Background()
	if m, found, err := s.repo.TeamMembers(ctx, "acme", "backend"); err != nil || !found || !slices.Equal(m, []string{"bea", "Bo"}) {
		t.Errorf("backend: %q, %v, %v", m, found, err)
	}
	if m, found, err := s.repo.TeamMembers(ctx, "acme", "ghosts"); err != nil || found || m != nil {
		t.Errorf("unknown team: %q, %v, %v", m, found, err)
	}
}

// TestBusyAsksOnceForEveryone: one GraphQL query (valid against GitHub's
// schema, which the fake checks) for every distinct candidate; none
// without an endpoint; a failure is an error, not a guess.
func TestBusyAsksOnceForEveryone(t *testing.T) {
	t.Parallel()
	s := newSetup(t, nil)
	s.fake.SetBusy("Bea", true)
	ctx := context.Background()
	url := s.fake.URL + "graphql"
	busy, err := s.repo.Busy(ctx, url, []string{"carol", "Bea", "carol", `x") { id } evil: user(login: "y`})
	if err != nil {
		t.Fatal(err)
	}
	if got := slices.Sorted(maps.Keys(busy)); !slices.Equal(got, []string{"bea"}) {
		t.Errorf("busy: %q", got)
	}
	if n := s.fake.CountCalls(http.MethodPost, "/graphql"); n != 1 {
		t.Errorf("%d queries, want 1", n)
	}
	if busy, err := s.repo.Busy(ctx, "", []string{"bea"}); busy != nil || err != nil {
		t.Errorf("without an endpoint: %v, %v", busy, err)
	}
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
	}))
	defer down.Close()
	if busy, err := s.repo.Busy(ctx, down.URL, []string{"bea", "dan"}); err == nil || busy != nil {
		t.Errorf("a failed query gave %v, %v", busy, err)
	}
}

// TestBusyTrustedForAFewMinutes: a status read is used for statusTTL
// without a query (no webhook tells of a change); only people not asked
// about recently are queried; after the TTL a change shows.
func TestBusyTrustedForAFewMinutes(t *testing.T) {
	t.Parallel()
	s := newSetup(t, nil)
	s.fake.SetBusy("Bea", true)
	ctx := context.Background()
	url := s.fake.URL + "graphql"
	ask := func(logins ...string) []string {
		busy, err := s.repo.Busy(ctx, url, logins)
		if err != nil {
			t.Fatal(err)
		}
		return slices.Sorted(maps.Keys(busy))
	}
	ask("bea", "carol")
	s.fake.SetBusy("Bea", false)
	if got := ask("Bea", "carol"); !slices.Equal(got, []string{"bea"}) || s.fake.CountCalls(http.MethodPost, "/graphql") != 1 {
		t.Errorf("within the TTL: busy %q after %d queries, want bea after 1", got, s.fake.CountCalls(http.MethodPost, "/graphql"))
	}
	s.fake.SetBusy("dan", true)
	if got := ask("bea", "dan"); !slices.Equal(got, []string{"bea", "dan"}) || s.fake.CountCalls(http.MethodPost, "/graphql") != 2 {
		t.Errorf("a new person: busy %q", got)
	}
	s.now = s.now.Add(statusTTL)
	if got := ask("bea", "carol"); len(got) != 0 || s.fake.CountCalls(http.MethodPost, "/graphql") != 3 {
		t.Errorf("after the TTL: busy %q, want none", got)
	}
}
