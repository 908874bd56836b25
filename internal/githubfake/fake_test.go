package githubfake

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/google/go-github/v60/github"
)

const (
	owner  = "acme"
	name   = "widgets"
	instID = 77
)

// setup returns a fake with one repository, one installation and an
// authenticated go-github client.
func setup(t *testing.T) (*Fake, *github.Client) {
	t.Helper()
	f := New(t)
	seed(f)
	return f, clientFor(t, f, f.IssueToken(instID))
}

func seed(f *Fake) {
	f.AddRepo(owner, name, 1, "main")
	f.AddInstallation(instID, owner)
	f.AddPullRequest(owner, name, PullRequest{
		Number: 7, Title: "PROJ-1 Add widgets", Body: "## Summary\nadds", HeadRef: "feature", HeadSHA: "abc123",
		Author: "alice", Labels: []string{"backend"}, Files: []string{"a.go", "b.go"},
	})
}

func clientFor(t *testing.T, f *Fake, token string) *github.Client {
	t.Helper()
	c := github.NewClient(nil).WithAuthToken(token)
	u, err := url.Parse(f.URL)
	if err != nil {
		t.Fatalf("parse fake URL: %v", err)
	}
	c.BaseURL = u
	return c
}

// recorder collects reported violations for tests that send invalid
// requests on purpose.
type recorder struct {
	mu   sync.Mutex
	msgs []string
}

func (r *recorder) report(m string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, m)
}

func (r *recorder) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.msgs...)
}

func statusOf(t *testing.T, resp *github.Response, err error) int {
	t.Helper()
	if resp == nil {
		t.Fatalf("no response: %v", err)
	}
	return resp.StatusCode
}

func TestInstallationTokenViaGhinstallation(t *testing.T) {
	t.Parallel()
	f := New(t)
	seed(f)
	base := strings.TrimSuffix(f.URL, "/")

	atr, err := ghinstallation.NewAppsTransport(http.DefaultTransport, f.AppID(), f.PrivateKeyPEM())
	if err != nil {
		t.Fatalf("apps transport: %v", err)
	}
	atr.BaseURL = base
	appClient := github.NewClient(&http.Client{Transport: atr})
	appClient.BaseURL, _ = url.Parse(f.URL)
	insts, _, err := appClient.Apps.ListInstallations(context.Background(), nil)
	if err != nil || len(insts) != 1 || insts[0].GetID() != instID || insts[0].GetAccount().GetLogin() != owner {
		t.Fatalf("ListInstallations = %v, %v; want installation %d of %s", insts, err, instID, owner)
	}

	itr := ghinstallation.NewFromAppsTransport(atr, instID)
	itr.BaseURL = base
	c := github.NewClient(&http.Client{Transport: itr})
	c.BaseURL, _ = url.Parse(f.URL)
	repo, _, err := c.Repositories.Get(context.Background(), owner, name)
	if err != nil || repo.GetDefaultBranch() != "main" || repo.GetID() != 1 {
		t.Fatalf("Get repo with installation token = %v, %v", repo, err)
	}
	if n := f.CountCalls(http.MethodPost, "/app/installations/"); n != 1 {
		t.Errorf("token exchanges = %d, want 1", n)
	}
}

// signJWT signs claims with RS256, to forge JWTs the fake must refuse.
func signJWT(t *testing.T, key *rsa.PrivateKey, claims map[string]any) string {
	t.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	unsigned := enc(map[string]string{"alg": "RS256", "typ": "JWT"}) + "." + enc(claims)
	digest := sha256.Sum256([]byte(unsigned))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	return unsigned + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func TestAccessTokenRejectsBadJWT(t *testing.T) {
	t.Parallel()
	f := New(t)
	seed(f)
	appKey, _ := privateKey()
	otherKey, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Unix()
	good := map[string]any{"iss": fmt.Sprint(f.AppID()), "iat": now - 30, "exp": now + 540}
	tests := []struct {
		name   string
		auth   string
		status int
	}{
		{"valid", "Bearer " + signJWT(t, appKey, good), http.StatusCreated},
		{"numeric iss", "Bearer " + signJWT(t, appKey, map[string]any{"iss": f.AppID(), "exp": now + 60}), http.StatusCreated},
		{"other key", "Bearer " + signJWT(t, otherKey, good), http.StatusUnauthorized},
		{"wrong iss", "Bearer " + signJWT(t, appKey, map[string]any{"iss": "1", "exp": now + 60}), http.StatusUnauthorized},
		{"expired", "Bearer " + signJWT(t, appKey, map[string]any{"iss": fmt.Sprint(f.AppID()), "exp": now - 1}), http.StatusUnauthorized},
		{"installation token", "token " + f.IssueToken(instID), http.StatusUnauthorized},
		{"none", "", http.StatusUnauthorized},
	}
	for _, tc := range tests {
		req, _ := http.NewRequest(http.MethodPost, f.URL+"app/installations/77/access_tokens", nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var body struct {
			Token     string    `json:"token"`
			ExpiresAt time.Time `json:"expires_at"`
		}
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, resp.StatusCode, tc.status)
		}
		if tc.status == http.StatusCreated {
			if !strings.HasPrefix(body.Token, "ghs_") || time.Until(body.ExpiresAt) < 59*time.Minute {
				t.Errorf("%s: token %q expiring %v, want ghs_ token for an hour", tc.name, body.Token, body.ExpiresAt)
			}
		}
	}
}

func TestAuthRequired(t *testing.T) {
	t.Parallel()
	f := New(t)
	seed(f)
	f.AddRepo("other", "secret", 2, "main")
	ctx := context.Background()

	_, resp, err := clientFor(t, f, "ghs_unknown").Repositories.Get(ctx, owner, name)
	if got := statusOf(t, resp, err); got != http.StatusUnauthorized {
		t.Errorf("unknown token: status %d, want 401", got)
	}
	// The installation covers acme's repositories only; GitHub hides others.
	_, resp, err = clientFor(t, f, f.IssueToken(instID)).Repositories.Get(ctx, "other", "secret")
	if got := statusOf(t, resp, err); got != http.StatusNotFound {
		t.Errorf("repository outside installation: status %d, want 404", got)
	}
	repos, _, err := clientFor(t, f, f.IssueToken(instID)).Apps.ListRepos(ctx, nil)
	if err != nil || repos.GetTotalCount() != 1 || repos.Repositories[0].GetFullName() != owner+"/"+name {
		t.Errorf("ListRepos = %+v, %v; want only %s/%s", repos, err, owner, name)
	}
}

func TestContents(t *testing.T) {
	t.Parallel()
	f, c := setup(t)
	ctx := context.Background()
	policy := strings.Repeat("version: 1\n", 20) // long enough to wrap base64 lines
	f.SetFile(owner, name, "", ".github/review-policy.yml", policy)
	f.SetFile(owner, name, "feature", ".github/review-policy.yml", "version: 2\n")
	f.SetFile(owner, name, "", "hello.txt", "hello\n")

	file, _, _, err := c.Repositories.GetContents(ctx, owner, name, ".github/review-policy.yml", nil)
	if err != nil {
		t.Fatalf("GetContents: %v", err)
	}
	if got, err := file.GetContent(); err != nil || got != policy {
		t.Errorf("content = %q, %v; want %q", got, err, policy)
	}
	if file.GetSHA() != blobSHA(policy) || file.GetPath() != ".github/review-policy.yml" {
		t.Errorf("sha %s path %s", file.GetSHA(), file.GetPath())
	}

	hello, _, _, err := c.Repositories.GetContents(ctx, owner, name, "hello.txt", nil)
	if err != nil || hello.GetSHA() != "ce013625030ba8dba906f756967f9e9ca394464a" { // git hash-object of "hello\n"
		t.Errorf("hello.txt sha = %s, %v; want git's blob id", hello.GetSHA(), err)
	}

	// The head SHA resolves to the pull request's branch.
	onBranch, _, _, err := c.Repositories.GetContents(ctx, owner, name, ".github/review-policy.yml", &github.RepositoryContentGetOptions{Ref: "abc123"})
	if got, _ := onBranch.GetContent(); err != nil || got != "version: 2\n" {
		t.Errorf("content at head = %q, %v", got, err)
	}

	_, dir, _, err := c.Repositories.GetContents(ctx, owner, name, ".github", nil)
	if err != nil || len(dir) != 1 || dir[0].GetName() != "review-policy.yml" {
		t.Errorf("directory listing = %v, %v", dir, err)
	}

	_, _, resp, err := c.Repositories.GetContents(ctx, owner, name, "missing/file.yml", nil)
	var ghErr *github.ErrorResponse
	if got := statusOf(t, resp, err); got != http.StatusNotFound || !errors.As(err, &ghErr) || ghErr.Message != "Not Found" {
		t.Errorf("missing file: status %d err %v; want 404 Not Found", got, err)
	}
}

func TestPullRequests(t *testing.T) {
	t.Parallel()
	f, c := setup(t)
	ctx := context.Background()
	f.AddPullRequest(owner, name, PullRequest{Number: 8, Title: "closed", State: "closed", Author: "bob"})

	open, _, err := c.PullRequests.List(ctx, owner, name, &github.PullRequestListOptions{State: "open"})
	if err != nil || len(open) != 1 || open[0].GetNumber() != 7 {
		t.Fatalf("open pulls = %v, %v; want #7", open, err)
	}
	all, _, err := c.PullRequests.List(ctx, owner, name, &github.PullRequestListOptions{State: "all"})
	if err != nil || len(all) != 2 || all[0].GetNumber() != 8 {
		t.Errorf("all pulls = %v, %v; want #8, #7", all, err)
	}
	pr, _, err := c.PullRequests.Get(ctx, owner, name, 7)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if pr.GetHead().GetSHA() != "abc123" || pr.GetHead().GetRef() != "feature" || pr.GetBase().GetRef() != "main" ||
		pr.GetUser().GetLogin() != "alice" || len(pr.Labels) != 1 || pr.Labels[0].GetName() != "backend" || pr.GetBody() != "## Summary\nadds" {
		t.Errorf("pull request = %+v", pr)
	}
	_, resp, err := c.PullRequests.Get(ctx, owner, name, 99)
	if got := statusOf(t, resp, err); got != http.StatusNotFound {
		t.Errorf("missing pull: status %d, want 404", got)
	}
}

func TestPullFilesPagination(t *testing.T) {
	t.Parallel()
	f, c := setup(t)
	ctx := context.Background()
	files := make([]string, 3100) // GitHub lists only the first 3000
	for i := range files {
		files[i] = fmt.Sprintf("dir/file%04d.go", i)
	}
	f.AddPullRequest(owner, name, PullRequest{Number: 9, HeadSHA: "def", HeadRef: "big", Author: "bob", Files: files})

	opts := &github.ListOptions{PerPage: 100}
	var got []string
	for pages := 0; ; pages++ {
		page, resp, err := c.PullRequests.ListFiles(ctx, owner, name, 9, opts)
		if err != nil {
			t.Fatalf("ListFiles page %d: %v", opts.Page, err)
		}
		if pages == 0 && (resp.NextPage != 2 || resp.LastPage != 30) {
			t.Errorf("first page links next=%d last=%d, want 2 and 30 (Link: %s)", resp.NextPage, resp.LastPage, resp.Header.Get("Link"))
		}
		for _, file := range page {
			got = append(got, file.GetFilename())
		}
		if resp.NextPage == 0 {
			if resp.PrevPage != 29 || resp.FirstPage != 1 {
				t.Errorf("last page links prev=%d first=%d", resp.PrevPage, resp.FirstPage)
			}
			break
		}
		opts.Page = resp.NextPage
	}
	if len(got) != 3000 || got[0] != files[0] || got[2999] != files[2999] {
		t.Errorf("listed %d files, want the first 3000 in order", len(got))
	}

	small, resp, err := c.PullRequests.ListFiles(ctx, owner, name, 7, nil)
	if err != nil || len(small) != 2 || resp.Header.Get("Link") != "" {
		t.Errorf("single page: %d files, Link %q, %v; want 2 files and no Link", len(small), resp.Header.Get("Link"), err)
	}
}

func TestReviewsAndReviewers(t *testing.T) {
	t.Parallel()
	f, c := setup(t)
	ctx := context.Background()
	f.AddTeam(owner, "core", "carol", "dave")
	f.SetCollaborators(owner, name, "alice", "bob", "carol", "dave")

	pr, resp, err := c.PullRequests.RequestReviewers(ctx, owner, name, 7, github.ReviewersRequest{Reviewers: []string{"bob"}, TeamReviewers: []string{"core"}})
	if err != nil || resp.StatusCode != http.StatusCreated || len(pr.RequestedReviewers) != 1 || len(pr.RequestedTeams) != 1 {
		t.Fatalf("RequestReviewers = %+v, %v", pr, err)
	}
	reviewers, _, err := c.PullRequests.ListReviewers(ctx, owner, name, 7, nil)
	if err != nil || len(reviewers.Users) != 1 || reviewers.Users[0].GetLogin() != "bob" || reviewers.Teams[0].GetSlug() != "core" {
		t.Errorf("ListReviewers = %+v, %v", reviewers, err)
	}

	for _, tc := range []struct{ login, want string }{
		{"alice", "author"},
		{"mallory", "collaborator"},
	} {
		_, resp, err := c.PullRequests.RequestReviewers(ctx, owner, name, 7, github.ReviewersRequest{Reviewers: []string{tc.login}})
		if got := statusOf(t, resp, err); got != http.StatusUnprocessableEntity || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("request %s: status %d, %v; want 422 mentioning %q", tc.login, got, err, tc.want)
		}
	}

	f.AddReview(owner, name, 7, "bob", "APPROVED")
	reviews, _, err := c.PullRequests.ListReviews(ctx, owner, name, 7, nil)
	if err != nil || len(reviews) != 1 || reviews[0].GetState() != "APPROVED" || reviews[0].GetUser().GetLogin() != "bob" {
		t.Errorf("ListReviews = %v, %v", reviews, err)
	}
	if users, teams := f.RequestedReviewers(owner, name, 7); len(users) != 0 || len(teams) != 1 {
		t.Errorf("after bob's review: users %v teams %v; want bob's request gone", users, teams)
	}

	if _, err := c.PullRequests.RemoveReviewers(ctx, owner, name, 7, github.ReviewersRequest{Reviewers: []string{"nobody"}, TeamReviewers: []string{"core"}}); err != nil {
		t.Fatalf("RemoveReviewers: %v", err)
	}
	if users, teams := f.RequestedReviewers(owner, name, 7); len(users)+len(teams) != 0 {
		t.Errorf("after removal: users %v teams %v", users, teams)
	}

	members, _, err := c.Teams.ListTeamMembersBySlug(ctx, owner, "core", nil)
	if err != nil || len(members) != 2 || members[0].GetLogin() != "carol" {
		t.Errorf("team members = %v, %v", members, err)
	}
	_, resp, err = c.Teams.ListTeamMembersBySlug(ctx, owner, "ghosts", nil)
	if got := statusOf(t, resp, err); got != http.StatusNotFound {
		t.Errorf("unknown team: status %d", got)
	}

	if ok, _, err := c.Repositories.IsCollaborator(ctx, owner, name, "carol"); err != nil || !ok {
		t.Errorf("carol collaborator = %v, %v", ok, err)
	}
	if ok, _, err := c.Repositories.IsCollaborator(ctx, owner, name, "mallory"); err != nil || ok {
		t.Errorf("mallory collaborator = %v, %v; want false", ok, err)
	}
}

func TestCheckRuns(t *testing.T) {
	t.Parallel()
	f, c := setup(t)
	ctx := context.Background()
	run, resp, err := c.Checks.CreateCheckRun(ctx, owner, name, github.CreateCheckRunOptions{
		Name: "review-policy", HeadSHA: "abc123", Status: github.String("in_progress"),
	})
	if err != nil || resp.StatusCode != http.StatusCreated || run.GetStatus() != "in_progress" {
		t.Fatalf("CreateCheckRun = %+v, %v", run, err)
	}
	annotations := []*github.CheckRunAnnotation{{
		Path: github.String("a.go"), StartLine: github.Int(1), EndLine: github.Int(1),
		AnnotationLevel: github.String("warning"), Message: github.String("no reviewer"),
	}}
	updated, _, err := c.Checks.UpdateCheckRun(ctx, owner, name, run.GetID(), github.UpdateCheckRunOptions{
		Name: "review-policy", Conclusion: github.String("failure"),
		Output: &github.CheckRunOutput{Title: github.String("2 problems"), Summary: github.String("fix them"), Annotations: annotations},
	})
	if err != nil || updated.GetStatus() != "completed" || updated.GetConclusion() != "failure" || updated.GetOutput().GetAnnotationsCount() != 1 {
		t.Fatalf("UpdateCheckRun = %+v, %v", updated, err)
	}
	// A second run of the same name on the same commit supersedes the first.
	if _, _, err := c.Checks.CreateCheckRun(ctx, owner, name, github.CreateCheckRunOptions{Name: "review-policy", HeadSHA: "abc123"}); err != nil {
		t.Fatalf("second CreateCheckRun: %v", err)
	}

	latest, _, err := c.Checks.ListCheckRunsForRef(ctx, owner, name, "abc123", &github.ListCheckRunsOptions{CheckName: github.String("review-policy"), AppID: github.Int64(f.AppID())})
	if err != nil || latest.GetTotal() != 1 || latest.CheckRuns[0].GetStatus() != "queued" {
		t.Errorf("latest runs = %+v, %v; want the queued second run", latest, err)
	}
	all, _, err := c.Checks.ListCheckRunsForRef(ctx, owner, name, "feature", &github.ListCheckRunsOptions{Filter: github.String("all")})
	if err != nil || all.GetTotal() != 2 {
		t.Errorf("all runs by branch = %+v, %v; want 2", all, err)
	}

	stored := f.CheckRuns(owner, name)
	if len(stored) != 2 || stored[0].Conclusion != "failure" || stored[0].Title != "2 problems" || stored[0].Annotations != 1 {
		t.Errorf("stored runs = %+v", stored)
	}
}

func TestComments(t *testing.T) {
	t.Parallel()
	f, c := setup(t)
	ctx := context.Background()
	f.AddComment(owner, name, 7, "alice", "first!")
	made, resp, err := c.Issues.CreateComment(ctx, owner, name, 7, &github.IssueComment{Body: github.String("policy report")})
	if err != nil || resp.StatusCode != http.StatusCreated || made.GetUser().GetLogin() != f.BotLogin() || made.GetUser().GetType() != "Bot" {
		t.Fatalf("CreateComment = %+v, %v", made, err)
	}
	if _, _, err := c.Issues.EditComment(ctx, owner, name, made.GetID(), &github.IssueComment{Body: github.String("policy report v2")}); err != nil {
		t.Fatalf("EditComment: %v", err)
	}
	listed, _, err := c.Issues.ListComments(ctx, owner, name, 7, nil)
	if err != nil || len(listed) != 2 || listed[1].GetBody() != "policy report v2" {
		t.Errorf("ListComments = %v, %v", listed, err)
	}
	stored := f.Comments(owner, name, 7)
	if len(stored) != 2 || stored[0].Author != "alice" || stored[1].Body != "policy report v2" {
		t.Errorf("stored comments = %+v", stored)
	}
	_, resp, err = c.Issues.EditComment(ctx, owner, name, 1, &github.IssueComment{Body: github.String("x")})
	if got := statusOf(t, resp, err); got != http.StatusNotFound {
		t.Errorf("edit missing comment: status %d", got)
	}
}

func TestRateLimitAndETag(t *testing.T) {
	t.Parallel()
	f, c := setup(t)
	ctx := context.Background()
	_, first, err := c.Repositories.Get(ctx, owner, name)
	if err != nil {
		t.Fatal(err)
	}
	_, second, err := c.Repositories.Get(ctx, owner, name)
	if err != nil {
		t.Fatal(err)
	}
	if first.Rate.Limit != 5000 || second.Rate.Remaining != first.Rate.Remaining-1 || first.Rate.Reset.IsZero() {
		t.Errorf("rate %+v then %+v; want remaining to drop by one", first.Rate, second.Rate)
	}
	etag := second.Header.Get("ETag")
	if etag == "" || etag != first.Header.Get("ETag") {
		t.Fatalf("ETags %q and %q; want equal and set", first.Header.Get("ETag"), etag)
	}

	req, _ := http.NewRequest(http.MethodGet, f.URL+"repos/acme/widgets", nil)
	req.Header.Set("Authorization", "token "+f.IssueToken(instID))
	req.Header.Set("If-None-Match", etag)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotModified || len(body) != 0 || resp.Header.Get("X-RateLimit-Remaining") != fmt.Sprint(second.Rate.Remaining) {
		t.Errorf("conditional GET: %d, %d bytes, remaining %s; want 304, empty, %d", resp.StatusCode, len(body), resp.Header.Get("X-RateLimit-Remaining"), second.Rate.Remaining)
	}

	limits, _, err := c.RateLimit.Get(ctx)
	if err != nil || limits.GetCore().Remaining != second.Rate.Remaining {
		t.Errorf("rate_limit core = %+v, %v; want remaining %d", limits.GetCore(), err, second.Rate.Remaining)
	}
}

func TestFailNext(t *testing.T) {
	t.Parallel()
	f, c := setup(t)
	ctx := context.Background()
	reset := time.Now().Add(time.Hour).Unix()
	f.FailNext(http.MethodGet, "/repos/acme/widgets/pulls", http.StatusBadGateway, nil)
	f.FailNext("", "/repos/acme/widgets", http.StatusForbidden, http.Header{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {fmt.Sprint(reset)}})
	f.FailNext(http.MethodPost, "/repos/", http.StatusTooManyRequests, http.Header{"Retry-After": {"7"}})

	_, resp, err := c.PullRequests.Get(ctx, owner, name, 7)
	if got := statusOf(t, resp, err); got != http.StatusBadGateway {
		t.Errorf("first pulls call: %d, want 502", got)
	}
	if _, _, err := c.PullRequests.Get(ctx, owner, name, 7); err == nil {
		t.Errorf("second call should hit the queued 403")
	} else if rl := new(github.RateLimitError); !errors.As(err, &rl) || rl.Rate.Reset.Unix() != reset {
		t.Errorf("403 error = %T %v; want *github.RateLimitError resetting at %d", err, err, reset)
	}
	// go-github refuses further calls until the reset it saw; a fresh client
	// shows the fault was used up.
	c = clientFor(t, f, f.IssueToken(instID))
	if _, _, err := c.PullRequests.Get(ctx, owner, name, 7); err != nil {
		t.Errorf("faults are one-shot, third call: %v", err)
	}
	_, resp, err = c.Issues.CreateComment(ctx, owner, name, 7, &github.IssueComment{Body: github.String("x")})
	if got := statusOf(t, resp, err); got != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "7" {
		t.Errorf("comment: status %d Retry-After %q; want 429 after 7", got, resp.Header.Get("Retry-After"))
	}
	if len(f.Comments(owner, name, 7)) != 0 {
		t.Errorf("a failed call must not change state")
	}
	calls := f.Calls()
	if len(calls) != 4 || calls[0].Status != http.StatusBadGateway || calls[3].Method != http.MethodPost || string(calls[3].Body) == "" {
		t.Errorf("calls = %+v", calls)
	}
	f.ResetCalls()
	if n := f.CountCalls("", "/"); n != 0 {
		t.Errorf("after ResetCalls: %d calls", n)
	}
}

func TestInvalidRequestsAreRejected(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	f := NewWithReporter(t, rec.report)
	seed(f)
	token := f.IssueToken(instID)

	tests := []struct {
		name, method, path, body string
		status                   int
		rule                     string // part of the reported violation
	}{
		{"completed without conclusion", "POST", "repos/acme/widgets/check-runs", `{"name":"x","head_sha":"abc123","status":"completed"}`, 422, "conclusion"},
		{"update completed without conclusion", "PATCH", "repos/acme/widgets/check-runs/1", `{"status":"completed"}`, 422, "conclusion"},
		{"unknown check status", "POST", "repos/acme/widgets/check-runs", `{"name":"x","head_sha":"abc123","status":"done"}`, 422, "status"},
		{"no reviewers", "POST", "repos/acme/widgets/pulls/7/requested_reviewers", `{}`, 422, "reviewers"},
		{"per_page above 100", "GET", "repos/acme/widgets/pulls/7/files?per_page=101", "", 422, "per_page"},
		{"unknown enum value", "GET", "repos/acme/widgets/pulls?state=merged", "", 422, "state"},
		{"unknown query parameter", "GET", "repos/acme/widgets/pulls?colour=red", "", 422, "colour"},
		{"non-numeric pull number", "GET", "repos/acme/widgets/pulls/seven", "", 422, "pull_number"},
		{"comment without body", "POST", "repos/acme/widgets/issues/7/comments", `{}`, 422, "body"},
		{"no such endpoint", "GET", "repos/acme/widgets/pull/7", "", 404, "no endpoint"},
		{"wrong method", "PUT", "repos/acme/widgets/pulls/7", `{}`, 404, "no endpoint"},
		{"not served by the fake", "GET", "repos/acme/widgets/branches", "", 404, "not served"},
	}
	for _, tc := range tests {
		before := len(rec.all())
		req, _ := http.NewRequest(tc.method, f.URL+tc.path, strings.NewReader(tc.body))
		req.Header.Set("Authorization", "token "+token)
		if tc.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var body struct{ Message string }
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || body.Message == "" {
			t.Errorf("%s: status %d message %q; want %d with a message", tc.name, resp.StatusCode, body.Message, tc.status)
		}
		msgs := rec.all()
		if len(msgs) != before+1 || !strings.Contains(msgs[len(msgs)-1], tc.rule) {
			t.Errorf("%s: reported %q; want one report naming %q", tc.name, msgs[before:], tc.rule)
		}
	}
	if runs := f.CheckRuns(owner, name); len(runs) != 0 {
		t.Errorf("rejected requests created check runs: %+v", runs)
	}

	// Valid edge cases GitHub accepts must pass: no status, and completed
	// with a conclusion.
	c := clientFor(t, f, token)
	before := len(rec.all())
	for _, opts := range []github.CreateCheckRunOptions{
		{Name: "a", HeadSHA: "abc123"},
		{Name: "b", HeadSHA: "abc123", Status: github.String("completed"), Conclusion: github.String("success")},
	} {
		if _, _, err := c.Checks.CreateCheckRun(context.Background(), owner, name, opts); err != nil {
			t.Errorf("CreateCheckRun(%s): %v", opts.Name, err)
		}
	}
	if _, _, err := c.PullRequests.ListFiles(context.Background(), owner, name, 7, &github.ListOptions{PerPage: 100}); err != nil {
		t.Errorf("per_page=100: %v", err)
	}
	if msgs := rec.all(); len(msgs) != before {
		t.Errorf("valid requests reported: %q", msgs[before:])
	}
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	f, c := setup(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			body := fmt.Sprintf("comment %d", i)
			if _, _, err := c.Issues.CreateComment(context.Background(), owner, name, 7, &github.IssueComment{Body: &body}); err != nil {
				t.Errorf("CreateComment: %v", err)
			}
			f.Calls()
		})
	}
	wg.Wait()
	if got := len(f.Comments(owner, name, 7)); got != 8 {
		t.Errorf("comments = %d, want 8", got)
	}
	if n := f.CountCalls(http.MethodPost, "/repos/acme/widgets/issues/7/comments"); n != 8 {
		t.Errorf("recorded %d calls, want 8", n)
	}
}

// A test that waits for an effect and then counts the calls behind it must
// never see the effect without its call.
func TestCallIsRecordedBeforeItsEffect(t *testing.T) {
	t.Parallel()
	f, c := setup(t)
	const posts = 50
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range posts {
			body := fmt.Sprintf("comment %d", i)
			if _, _, err := c.Issues.CreateComment(context.Background(), owner, name, 7, &github.IssueComment{Body: &body}); err != nil {
				t.Errorf("CreateComment: %v", err)
				return
			}
		}
	}()
	// Comments are read before calls: the calls only grow, so any comment
	// seen must already have its POST in the log.
	for {
		select {
		case <-done:
			return
		default:
		}
		comments := len(f.Comments(owner, name, 7))
		if calls := f.CountCalls(http.MethodPost, "/repos/acme/widgets/issues/7/comments"); calls < comments {
			t.Errorf("saw %d comments but only %d POSTs", comments, calls)
			<-done
			return
		}
	}
}

func BenchmarkLoadSpec(b *testing.B) {
	for b.Loop() {
		if _, err := loadSpec(trimmedSpec, upstreamRules); err != nil {
			b.Fatal(err)
		}
	}
}
