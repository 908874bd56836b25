package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"
)

// TestFakeGitHubSpeaksGoGitHub drives the fake through go-github, the
// client the server uses, so a reply go-github cannot decode fails here.
func TestFakeGitHubSpeaksGoGitHub(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var mu sync.Mutex
	seen := map[string]time.Time{}
	fake := newFakeGitHub(func() time.Time { return now }, func(sha string, at time.Time) {
		mu.Lock()
		seen[sha] = at
		mu.Unlock()
	})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	c, err := github.NewClient(srv.Client()).WithEnterpriseURLs(srv.URL+"/", srv.URL+"/")
	if err != nil {
		t.Fatal(err)
	}
	c.BaseURL.Path = "/" // the fake serves at the root, as api.github.com does
	ctx := context.Background()

	_, _, resp, err := c.Repositories.GetContents(ctx, "o", "r", ".github/reviewpolicy.yml", nil)
	if resp == nil || resp.StatusCode != http.StatusNotFound || err == nil {
		t.Errorf("contents: status %v, err %v; want 404", resp, err)
	}
	files, _, err := c.PullRequests.ListFiles(ctx, "o", "r", 3, nil)
	if err != nil || len(files) != 0 {
		t.Errorf("files = %v, %v; want none", files, err)
	}
	pr, _, err := c.PullRequests.Get(ctx, "o", "r", 3)
	if err != nil || pr.GetNumber() != 3 || pr.GetState() != "open" || pr.GetHead().GetSHA() == "" ||
		pr.GetBase().GetRef() != fixtureBase || pr.GetUser().GetLogin() == "" {
		t.Errorf("pull request = %+v, %v", pr, err)
	}
	runs, _, err := c.Checks.ListCheckRunsForRef(ctx, "o", "r", "abc", nil)
	if err != nil || runs.GetTotal() != 0 {
		t.Errorf("check runs = %+v, %v", runs, err)
	}
	run, _, err := c.Checks.CreateCheckRun(ctx, "o", "r", github.CreateCheckRunOptions{Name: "review-policy", HeadSHA: "abc"})
	if err != nil || run.GetID() == 0 {
		t.Fatalf("create check run = %+v, %v", run, err)
	}
	upd, _, err := c.Checks.UpdateCheckRun(ctx, "o", "r", run.GetID(), github.UpdateCheckRunOptions{Name: "review-policy"})
	if err != nil || upd.GetID() != run.GetID() {
		t.Errorf("update check run = %+v, %v", upd, err)
	}
	onCommit, _, err := c.PullRequests.ListPullRequestsWithCommit(ctx, "o", "r", "abc", nil)
	if err != nil || len(onCommit) != 0 {
		t.Errorf("pull requests on the commit = %v, %v; want none", onCommit, err)
	}
	comments, _, err := c.Issues.ListComments(ctx, "o", "r", 3, nil)
	if err != nil || len(comments) != 0 {
		t.Errorf("comments = %v, %v", comments, err)
	}
	mu.Lock()
	at, ok := seen["abc"]
	mu.Unlock()
	if !ok || !at.Equal(now) {
		t.Errorf("check run on abc reported at %v (%v), want %v", at, ok, now)
	}

	routes, unmatched := fake.counts()
	if unmatched != 0 {
		t.Errorf("unmatched calls = %d", unmatched)
	}
	if len(routes) != 8 || fake.total() != 8 {
		t.Errorf("routes = %v (total %d), want 8 routes called once each", routes, fake.total())
	}
}

func TestFakeGitHubToken(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	fake := newFakeGitHub(func() time.Time { return now }, nil)
	rec := httptest.NewRecorder()
	fake.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/app/installations/957387/access_tokens", nil))
	if rec.Code != http.StatusCreated || !strings.Contains(rec.Body.String(), `"expires_at":"2026-01-02T04:04:05Z"`) {
		t.Errorf("token: %d %s", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	fake.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/app", nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"slug":"loadgen"`) {
		t.Errorf("app: %d %s", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	fake.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/nowhere", nil))
	routes, unmatched := fake.counts()
	if rec.Code != http.StatusNotFound || unmatched != 1 {
		t.Errorf("unknown route: %d, unmatched %d", rec.Code, unmatched)
	}
	if len(routes) != 3 || routes[2].Route != "unmatched: GET /nowhere" || routes[2].Calls != 1 {
		t.Errorf("routes = %v, want the token and app routes and the unmatched GET /nowhere", routes)
	}
}

// TestFakeGitHubHeadFacts: the server's one GraphQL query is answered as
// its REST routes are (no files, no other pull request, the head the last
// delivery carried, the fixtures' base); any other query is refused and
// counted.
func TestFakeGitHubHeadFacts(t *testing.T) {
	t.Parallel()
	fake := newFakeGitHub(time.Now, nil)
	fake.sentPull(pullState{Owner: "o", Repo: "r", Number: 3, Head: strings.Repeat("ab", 20), State: "open"})
	post := func(body string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		fake.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body)))
		return rec
	}
	rec := post(`{"query":"query HeadFacts($owner: String!) { repository }","operationName":"HeadFacts","variables":{"owner":"o","name":"r","number":3,"oid":"x"}}`)
	var got struct {
		Data struct {
			Repository struct {
				PullRequest struct {
					HeadRefOid  string
					BaseRefName string
					Files       struct{ Nodes []any }
				}
				Object struct{ AssociatedPullRequests struct{ Nodes []any } }
			}
		}
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &got); rec.Code != http.StatusOK || err != nil {
		t.Fatalf("head facts: %d %s (%v)", rec.Code, rec.Body, err)
	}
	repo := got.Data.Repository
	if repo.PullRequest.HeadRefOid != strings.Repeat("ab", 20) || repo.PullRequest.BaseRefName != fixtureBase ||
		repo.PullRequest.Files.Nodes == nil || len(repo.PullRequest.Files.Nodes) != 0 ||
		repo.Object.AssociatedPullRequests.Nodes == nil || len(repo.Object.AssociatedPullRequests.Nodes) != 0 {
		t.Errorf("head facts = %s", rec.Body)
	}
	if rec := post(`{"query":"query { viewer { login } }"}`); rec.Code != http.StatusBadRequest {
		t.Errorf("another query: %d %s, want 400", rec.Code, rec.Body)
	}
	if routes, _ := fake.counts(); len(routes) != 1 || routes[0] != (routeCount{"POST /graphql", 2}) {
		t.Errorf("routes = %v, want POST /graphql twice", routes)
	}
}

// TestFixturesBaseIsTheFakes: the fake answers every pull request with the
// fixtures' base branch. Another base makes the server distrust the head
// query's files and list them again over REST, a call per evaluation that
// GitHub would not cost.
func TestFixturesBaseIsTheFakes(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(defaultPayloads(), "pull_request*", "*.json"))
	if err != nil || len(files) < 13 {
		t.Fatalf("fixtures: %d, %v", len(files), err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var p struct {
			PullRequest *struct {
				Base struct{ Ref string }
			} `json:"pull_request"`
		}
		if err := json.Unmarshal(data, &p); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if p.PullRequest != nil && p.PullRequest.Base.Ref != fixtureBase {
			t.Errorf("%s: base %q, the fake answers %q", f, p.PullRequest.Base.Ref, fixtureBase)
		}
	}
}
