package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reviewpolicy/reviewpolicy/analytics"
	"github.com/reviewpolicy/reviewpolicy/internal/githubfake"
	"github.com/reviewpolicy/reviewpolicy/store"
)

const (
	org      = "Acme"
	instID   = 42
	seenRepo = "web"
	hidden   = "vault"
)

// env is a front end wired to a fake GitHub and a seeded SQLite store.
type env struct {
	fake  *githubfake.Fake
	store *store.Store
	srv   *httptest.Server
	web   *Server
	logs  *syncBuffer
	clock *clock
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// testNow is a Wednesday afternoon in UTC.
var testNow = time.Date(2026, 11, 18, 15, 0, 0, 0, time.UTC)

func newEnv(t *testing.T, publicURL string) *env {
	t.Helper()
	e := &env{fake: githubfake.New(t), logs: &syncBuffer{}, clock: &clock{t: testNow}}
	e.fake.AddRepo(org, seenRepo, 1, "main")
	e.fake.AddRepo(org, hidden, 2, "main")
	e.fake.AddInstallation(instID, org)
	st, err := store.Open(context.Background(), "sqlite://"+filepath.Join(t.TempDir(), "web.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e.store = st
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	e.web, err = New(Options{Store: st, PublicURL: publicURL, WebURL: e.fake.URL, APIURL: e.fake.URL,
		ClientID: githubfake.OAuthClientID, ClientSecret: githubfake.OAuthClientSecret, SessionKey: key, AppSlug: "review-policy",
		Logger: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})), Now: e.clock.now})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(e.web.Handler())
	t.Cleanup(e.srv.Close)
	seedHistory(t, st)
	return e
}

// seedHistory: #1 in web waits on ann (due soon), #2 in web by ann, #3 in
// the hidden repository with a hostile title.
func seedHistory(t *testing.T, st *store.Store) {
	t.Helper()
	ctx := context.Background()
	snap, _ := json.Marshal(analytics.Snapshot{Conclusion: "failure",
		Template: &analytics.Area{Mode: "block", Items: []analytics.Item{{Kind: "section", Name: "Why", Status: "empty", Detail: "write why"}}},
		Reviewers: &analytics.Reviewers{Mode: "block", OK: true, Rules: []analytics.RuleView{{Name: "docs", State: "requested",
			Assigned:   []analytics.Assignment{{Login: "ann", Reason: "ann: rule docs matched README.md; least loaded"}},
			Considered: []string{"bob: 3 reviews and 1 change in docs in 90 days, score 0.41, 2 open requests, 0.14; not chosen <b>x</b>"}}}},
		SLA: &analytics.SLAView{Mode: "warn", State: "running", StartedAt: testNow.Add(-21 * time.Hour),
			Deadline: testNow.Add(3 * time.Hour), Summary: "first review due"}})
	for _, p := range []store.PRSummary{
		{InstallationID: instID, RepoID: 1, Owner: org, Repo: seenRepo, Number: 1, Title: "=cmd|calc <b>bold</b>", Author: "bob",
			State: "open", Conclusion: "failure", Requested: []string{"ann"}, TemplateFailures: []string{"section"},
			StartedAt: testNow.Add(-21 * time.Hour), DeadlineAt: testNow.Add(3 * time.Hour), Snapshot: snap, UpdatedAt: testNow},
		{InstallationID: instID, RepoID: 1, Owner: org, Repo: seenRepo, Number: 2, Title: "Ann's change", Author: "ann",
			State: "open", Conclusion: "success", StartedAt: testNow.Add(-50 * time.Hour), FirstReviewAt: testNow.Add(-40 * time.Hour),
			Snapshot: []byte(`{}`), UpdatedAt: testNow},
		{InstallationID: instID, RepoID: 2, Owner: org, Repo: hidden, Number: 3, Title: "<script>alert(1)</script>", Author: "eve",
			State: "open", Requested: []string{"ann"}, UpdatedAt: testNow},
	} {
		if err := st.PutPRSummary(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range []store.PREvent{
		{RepoID: 1, Owner: org, Repo: seenRepo, Number: 1, Key: "requested:ann:d1", Kind: store.EventRequested, Actor: "ann", At: testNow.Add(-21 * time.Hour)},
		{RepoID: 1, Owner: org, Repo: seenRepo, Number: 2, Key: "reviewed:bob:1", Kind: store.EventReviewed, Actor: "bob", Inside: true, At: testNow.Add(-40 * time.Hour)},
		{RepoID: 1, Owner: org, Repo: seenRepo, Number: 2, Key: "reviewed:ann:1", Kind: store.EventReviewed, Actor: "ann", At: testNow.Add(-30 * time.Hour)},
	} {
		if _, err := st.AddPREvent(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
}

// browser is an HTTP client with cookies that follows redirects, as a
// person's browser does.
func (e *env) browser(t *testing.T) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar}
}

// signIn runs the whole web flow through the fake GitHub as login.
func (e *env) signIn(t *testing.T, login string) *http.Client {
	t.Helper()
	e.fake.SignInAs(login)
	c := e.browser(t)
	res, err := c.Get(e.srv.URL + "/login?next=/me")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Request.URL.Path != "/me" {
		t.Fatalf("sign-in ended at %s with %d:\n%s", res.Request.URL, res.StatusCode, body)
	}
	return c
}

func get(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	res, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestSignInShowsPagesAndHidesWhatTheUserCannotSee(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	e.fake.GrantUser("ann", instID, org+"/"+seenRepo)
	c := e.signIn(t, "ann")

	code, body := get(t, c, e.srv.URL+"/me")
	for _, want := range []string{"Signed in as <strong>ann</strong>", "acme/web#1", "due soon", "Ann&#39;s change",
		"=cmd|calc &lt;b&gt;bold&lt;/b&gt;"} {
		if !strings.Contains(body, want) {
			t.Errorf("/me lacks %q", want)
		}
	}
	if code != 200 || strings.Contains(body, "alert(1)") || strings.Contains(body, "vault") {
		t.Errorf("/me (%d) shows the hidden repository's pull request", code)
	}
	code, body = get(t, c, e.srv.URL+"/Acme/web/pull/1")
	for _, want := range []string{"write why", "ann: rule docs matched README.md; least loaded", "First review due", "review requested"} {
		if !strings.Contains(body, want) {
			t.Errorf("pull page (%d) lacks %q", code, want)
		}
	}
	code, body = get(t, c, e.srv.URL+"/acme")
	if code != 200 || !strings.Contains(body, "1 on time") && !strings.Contains(body, "0 on time, 1 due") {
		t.Errorf("overview (%d) lacks the SLA counts", code)
	}
	if strings.Contains(body, "alert") {
		t.Error("the owner's overview counts the hidden repository")
	}
	notFound, _ := get(t, c, e.srv.URL+"/Acme/nope/pull/1")
	for _, u := range []string{"/Acme/vault/pull/3", "/Acme/vault", "/Other", "/Acme/web/pull/99", "/Acme/web/pull/x"} {
		code, body := get(t, c, e.srv.URL+u)
		if code != http.StatusNotFound || strings.Contains(body, "alert") {
			t.Errorf("%s = %d, want 404", u, code)
		}
	}
	if notFound != http.StatusNotFound {
		t.Errorf("unknown repository = %d", notFound)
	}
}

func TestSignedOutPagesSendToSignInAndFrontPageIsPublic(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	c := e.browser(t)
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	for _, u := range []string{"/me", "/Acme", "/Acme/web/pull/1"} {
		res, err := c.Get(e.srv.URL + u)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if loc := res.Header.Get("Location"); res.StatusCode != http.StatusFound || loc != "/login?next="+url.QueryEscape(u) {
			t.Errorf("%s signed out = %d to %q", u, res.StatusCode, loc)
		}
	}
	code, body := get(t, e.browser(t), e.srv.URL+"/")
	if code != 200 || !strings.Contains(body, "Sign in with GitHub") || !strings.Contains(body, "/apps/review-policy/installations/new") {
		t.Errorf("front page (%d) lacks sign-in or install link", code)
	}
}

func TestOAuthStateAndCookieFlags(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "https://rp.example.com")
	c := e.browser(t)
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := c.Get(e.srv.URL + "/login?next=//evil.example/x")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	auth, _ := url.Parse(res.Header.Get("Location"))
	q := auth.Query()
	if !strings.HasPrefix(auth.String(), e.fake.URL+"login/oauth/authorize") || q.Get("state") == "" ||
		q.Get("redirect_uri") != "https://rp.example.com/oauth/callback" || q.Get("client_id") != githubfake.OAuthClientID {
		t.Fatalf("authorize URL %s", auth)
	}
	var state *http.Cookie
	for _, ck := range res.Cookies() {
		if ck.Name == stateCookie {
			state = ck
		}
	}
	if state == nil || !state.HttpOnly || !state.Secure || state.SameSite != http.SameSiteLaxMode || state.MaxAge <= 0 {
		t.Fatalf("state cookie %+v", state)
	}
	// A callback with another state is refused, and nothing is exchanged.
	code, _ := get(t, c, e.srv.URL+"/oauth/callback?code=abc&state=forged")
	if code != http.StatusBadRequest || e.fake.CountCalls("POST", "/login/oauth/access_token") != 0 {
		t.Fatalf("forged state = %d, exchanges %d", code, e.fake.CountCalls("POST", "/login/oauth/access_token"))
	}
	// A tampered session cookie is no session.
	e.srv.Client()
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/me", nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: "MTIzNDU2Nzg5MA=="})
	res, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound {
		t.Errorf("tampered session = %d, want a redirect to sign in", res.StatusCode)
	}
	if localPath("//evil.example/x") != "/me" || localPath("/\\evil") != "/me" || localPath("https://x/y") != "/me" || localPath("/Acme?x=1") != "/Acme?x=1" {
		t.Error("localPath lets a foreign return address through")
	}
}

func TestSessionCookieCSRFAndLogout(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	e.fake.GrantUser("ann", instID)
	c := e.signIn(t, "ann")
	u, _ := url.Parse(e.srv.URL)
	var sess *http.Cookie
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == sessionCookie {
			sess = ck
		}
	}
	if sess == nil || strings.Contains(sess.Value, "ghu_") {
		t.Fatalf("session cookie %v carries the token in the clear", sess)
	}
	res, err := c.PostForm(e.srv.URL+"/logout", url.Values{"csrf": {"forged"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("logout without the CSRF token = %d, want 403", res.StatusCode)
	}
	_, page := get(t, c, e.srv.URL+"/me")
	i := strings.Index(page, `name="csrf" value="`)
	if i < 0 {
		t.Fatal("no CSRF field on the page")
	}
	token := page[i+len(`name="csrf" value="`):]
	token = token[:strings.Index(token, `"`)]
	res, err = c.PostForm(e.srv.URL+"/logout", url.Values{"csrf": {token}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if code, body := get(t, c, e.srv.URL+"/"); code != 200 || strings.Contains(body, "Signed in as") {
		t.Error("still signed in after logout")
	}
	if strings.Contains(e.logs.String(), "ghu_") || strings.Contains(e.logs.String(), githubfake.OAuthClientSecret) {
		t.Errorf("logs carry a token or the secret:\n%s", e.logs.String())
	}
}

func TestAccessIsCachedBrieflyPerSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	e.fake.GrantUser("ann", instID, org+"/"+seenRepo)
	c := e.signIn(t, "ann") // one listing for the sign-in's landing page
	for range 3 {
		if code, _ := get(t, c, e.srv.URL+"/Acme/web/pull/1"); code != 200 {
			t.Fatalf("pull page = %d", code)
		}
	}
	if n := e.fake.CountCalls("GET", "/user/installations"); n != 2 { // the installations and their repositories
		t.Fatalf("%d access calls within the cache's life, want 2", n)
	}
	// Access withdrawn on GitHub shows once the cache expires.
	e.fake.GrantUser("ann", instID, org+"/"+hidden)
	e.clock.add(2 * time.Minute)
	if code, _ := get(t, c, e.srv.URL+"/Acme/web/pull/1"); code != http.StatusNotFound {
		t.Fatalf("after losing access = %d, want 404", code)
	}
	// A revoked token ends the session.
	e.fake.RevokeUserTokens("ann")
	e.clock.add(2 * time.Minute)
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := c.Get(e.srv.URL + "/me")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound {
		t.Fatalf("revoked token = %d, want a redirect to sign in", res.StatusCode)
	}
}

func TestCSVExportIsInert(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	e.fake.GrantUser("ann", instID)
	c := e.signIn(t, "ann")
	res, err := c.Get(e.srv.URL + "/Acme?csv=sla&repo=web")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") || !strings.Contains(string(b), "Pull request,Title") {
		t.Fatalf("csv %s:\n%s", ct, b)
	}
	if !strings.Contains(string(b), `web#1,'=cmd|calc <b>bold</b>`) {
		t.Errorf("a formula-like title is not neutralised:\n%s", b)
	}
	if code, _ := get(t, c, e.srv.URL+"/Acme?csv=nope"); code != http.StatusNotFound {
		t.Errorf("unknown table = %d", code)
	}
}

// Two replicas with the same session key share sessions; a replica with
// another key sees no session.
func TestReplicasShareSessionsThroughTheKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	e.fake.GrantUser("ann", instID)
	c := e.signIn(t, "ann")
	other := func(key []byte) int {
		s, err := New(Options{Store: e.store, WebURL: e.fake.URL, APIURL: e.fake.URL, ClientID: "x", ClientSecret: "y",
			SessionKey: key, Now: e.clock.now})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(s.Handler())
		defer srv.Close()
		u, _ := url.Parse(e.srv.URL)
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/me", nil)
		for _, ck := range c.Jar.Cookies(u) {
			req.AddCookie(ck)
		}
		res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if code := other(e.web.opt.SessionKey); code != http.StatusOK {
		t.Errorf("replica with the same key: %d, want 200", code)
	}
	if code := other(bytes.Repeat([]byte{7}, 32)); code != http.StatusFound {
		t.Errorf("replica with another key: %d, want a redirect to sign in", code)
	}
	if _, err := New(Options{Store: e.store, ClientID: "x", ClientSecret: "y", SessionKey: []byte("short")}); err == nil {
		t.Error("a short session key was accepted")
	}
}

// The overview keeps the history in memory but shows every write made
// before the view, and the same view of unchanged data is computed once.
func TestOverviewSeesEveryWriteBeforeTheView(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	e.fake.GrantUser("ann", instID)
	c := e.signIn(t, "ann")
	_, body := get(t, c, e.srv.URL+"/Acme")
	if strings.Contains(body, "Brand new") {
		t.Fatal("seeded data already has the new pull request")
	}
	ctx := context.Background()
	if err := e.store.PutPRSummary(ctx, store.PRSummary{InstallationID: instID, RepoID: 1, Owner: org, Repo: seenRepo, Number: 9,
		Title: "Brand new", Author: "carl", State: "open", Requested: []string{"dora"}, StartedAt: testNow.Add(-time.Hour),
		DeadlineAt: testNow.Add(-time.Minute), UpdatedAt: testNow}); err != nil {
		t.Fatal(err)
	}
	_, body = get(t, c, e.srv.URL+"/Acme")
	if !strings.Contains(body, "Brand new") || !strings.Contains(body, "dora") {
		t.Fatal("a pull request written after the first view is missing from the next")
	}
	// Closing it takes it off the list at the next view too.
	if err := e.store.MarkPRState(ctx, 1, 9, "merged", testNow); err != nil {
		t.Fatal(err)
	}
	if _, body = get(t, c, e.srv.URL+"/Acme"); strings.Contains(body, "Brand new") {
		t.Fatal("a merged pull request is still listed as waiting")
	}
	h := e.web.history.entry("acme")
	h.mu.Lock()
	version, kept := h.version, len(h.computed)
	h.mu.Unlock()
	get(t, c, e.srv.URL+"/Acme")
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.version != version || len(h.computed) != kept || kept == 0 {
		t.Errorf("an unchanged view changed the cache: version %d→%d, computed %d→%d", version, h.version, kept, len(h.computed))
	}
}

func TestPullRequestAreasExportAsCSV(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	e.fake.GrantUser("ann", instID)
	c := e.signIn(t, "ann")
	for _, tc := range []struct{ id, want string }{
		{"template-items", "section,Why,empty,write why"},
		{"reviewer-rules", "docs,requested,,ann,ann: rule docs matched README.md; least loaded,,0"},
		{"reviewer-rules", `docs,requested,,bob,"considered: bob: 3 reviews and 1 change in docs in 90 days, score 0.41`},
		{"events", "review requested,ann"},
	} {
		id, want := tc.id, tc.want
		code, body := get(t, c, e.srv.URL+"/Acme/web/pull/1?csv="+id)
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("csv %s = %d:\n%s\nwant a line with %q", id, code, body, want)
		}
	}
	_, page := get(t, c, e.srv.URL+"/Acme/web/pull/1")
	// The expertise numbers of those not chosen are on the page, inert.
	if !strings.Contains(page, "<li>Considered: bob: 3 reviews and 1 change in docs in 90 days, score 0.41, 2 open requests, 0.14; not chosen &lt;b&gt;x&lt;/b&gt;</li>") {
		t.Errorf("the page does not show who was considered and why not chosen:\n%s", page)
	}
	if !strings.Contains(page, "csv=template-items") || !strings.Contains(page, "csv=reviewer-rules") || strings.Count(page, "<section") != 4 {
		t.Errorf("the page lacks its export links or shows the CSV-only tables")
	}
}

// GitHub failing the access check for a passing reason keeps the session:
// recent access stands in, then a 503 page says when to try again; only a
// refused token (401) signs the person out.
func TestAccessCheckFailuresKeepTheSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	e.fake.GrantUser("ann", instID, org+"/"+seenRepo)
	c := e.signIn(t, "ann")
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	// Past the cache's minute, a 502 falls back on the access read 2 minutes ago.
	e.clock.add(2 * time.Minute)
	e.fake.FailNext(http.MethodGet, "/user/installations", http.StatusBadGateway, nil)
	if code, body := get(t, c, e.srv.URL+"/Acme/web/pull/1"); code != http.StatusOK || !strings.Contains(body, "Sign out") {
		t.Fatalf("502 with recent access = %d, want the page", code)
	}
	// Rate limited with access 11 minutes old: 503, a retry link, the session kept.
	e.clock.add(9 * time.Minute)
	reset := testNow.Add(time.Hour).Unix()
	e.fake.FailNext(http.MethodGet, "/user/installations", http.StatusForbidden,
		http.Header{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Limit": {"5000"}, "X-Ratelimit-Reset": {fmt.Sprint(reset)}})
	res, err := c.Get(e.srv.URL + "/Acme/web/pull/1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" ||
		!strings.Contains(string(body), `href="/Acme/web/pull/1"`) || !strings.Contains(string(body), "still signed in") {
		t.Fatalf("rate limited = %d, Retry-After %q:\n%s", res.StatusCode, res.Header.Get("Retry-After"), body)
	}
	if n, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || n < 5 || n > 3600 {
		t.Errorf("Retry-After = %q, want seconds within an hour", res.Header.Get("Retry-After"))
	}
	for _, ck := range res.Cookies() {
		if ck.Name == sessionCookie && ck.MaxAge < 0 {
			t.Fatal("a passing failure cleared the session cookie")
		}
	}
	// A 5xx on the repositories' listing, then GitHub answers again: the same session reads the page.
	e.fake.FailNext(http.MethodGet, "/user/installations/", http.StatusInternalServerError, nil)
	if code, _ := get(t, c, e.srv.URL+"/me"); code != http.StatusServiceUnavailable {
		t.Fatalf("500 without recent access = %d, want 503", code)
	}
	if code, _ := get(t, c, e.srv.URL+"/Acme/web/pull/1"); code != http.StatusOK {
		t.Fatalf("after GitHub recovered = %d, want 200 in the same session", code)
	}
	// A revoked token ends the session even with access cached moments ago.
	e.fake.RevokeUserTokens("ann")
	e.clock.add(2 * time.Minute)
	if code, _ := get(t, c, e.srv.URL+"/me"); code != http.StatusFound {
		t.Fatalf("revoked token = %d, want a redirect to sign in", code)
	}
	u, _ := url.Parse(e.srv.URL)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == sessionCookie {
			t.Fatal("the session cookie outlived a revoked token")
		}
	}
}

// An organisation named like a fixed route ("me" is no reserved name on
// GitHub) has its overview at /orgs/{owner}, which the pages link to;
// /orgs/{owner} and /orgs/{owner}/{repo} serve every owner, as access allows.
func TestOrgsRouteReachesOrganisationsNamedLikeRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	e.fake.AddRepo("me", "tools", 7, "main")
	e.fake.AddInstallation(43, "me")
	e.fake.GrantUser("ann", instID, org+"/"+seenRepo)
	e.fake.GrantUser("ann", 43)
	if err := e.store.PutPRSummary(context.Background(), store.PRSummary{InstallationID: 43, RepoID: 7, Owner: "me", Repo: "tools",
		Number: 5, Title: "Tool change", Author: "carl", State: "open", Requested: []string{"dora"}, StartedAt: testNow.Add(-time.Hour),
		DeadlineAt: testNow.Add(-time.Minute), UpdatedAt: testNow}); err != nil {
		t.Fatal(err)
	}
	c := e.signIn(t, "ann")
	code, body := get(t, c, e.srv.URL+"/me")
	if code != 200 || !strings.Contains(body, `href="/orgs/me"`) || !strings.Contains(body, `href="/acme"`) {
		t.Fatalf("/me (%d) does not link the organisation me to /orgs/me and acme to /acme", code)
	}
	code, body = get(t, c, e.srv.URL+"/orgs/me")
	if code != 200 || !strings.Contains(body, "Review health of me") || !strings.Contains(body, "Tool change") ||
		!strings.Contains(body, `id="f-repo"`) {
		t.Fatalf("/orgs/me = %d, want the overview of me with its repository filter", code)
	}
	code, body = get(t, c, e.srv.URL+"/orgs/me/tools")
	if code != 200 || !strings.Contains(body, "Review health of me/tools") || strings.Contains(body, `id="f-repo"`) {
		t.Fatalf("/orgs/me/tools = %d, want the repository's overview", code)
	}
	if code, body := get(t, c, e.srv.URL+"/orgs/Acme"); code != 200 || !strings.Contains(body, "Review health of Acme") {
		t.Fatalf("/orgs/Acme = %d", code)
	}
	for _, u := range []string{"/orgs/Acme/vault", "/orgs/Other", "/orgs/Other/web"} {
		if code, _ := get(t, c, e.srv.URL+u); code != http.StatusNotFound {
			t.Errorf("%s = %d, want 404", u, code)
		}
	}
}

// A review requested from a team counts as the team's open request on the
// overview (and under its filter) and shows on the pull request's page.
func TestTeamRequestsOnOverviewAndPullPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	e.fake.GrantUser("ann", instID, org+"/"+seenRepo)
	ctx := context.Background()
	if err := e.store.PutTeam(ctx, org, "core", []string{"zed"}); err != nil {
		t.Fatal(err)
	}
	if err := e.store.PutPRSummary(ctx, store.PRSummary{InstallationID: instID, RepoID: 1, Owner: org, Repo: seenRepo, Number: 4,
		Title: "Team change", Author: "carl", State: "open", RequestedTeams: []string{"core"}, StartedAt: testNow.Add(-2 * time.Hour),
		DeadlineAt: testNow.Add(20 * time.Hour), Snapshot: []byte(`{}`), UpdatedAt: testNow}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.AddPREvent(ctx, store.PREvent{RepoID: 1, Owner: org, Repo: seenRepo, Number: 4, Key: "team_requested:core:d9",
		Kind: store.EventTeamRequested, Actor: "core", Detail: "@acme/core", At: testNow.Add(-2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	c := e.signIn(t, "ann")
	code, body := get(t, c, e.srv.URL+"/Acme?csv=team-requests")
	if code != 200 || !strings.Contains(body, "@Acme/core,1") {
		t.Fatalf("team requests CSV (%d):\n%s", code, body)
	}
	// zed is core's only member and has no request of their own: the team's request keeps the pull request in.
	code, body = get(t, c, e.srv.URL+"/Acme?team=core")
	if code != 200 || !strings.Contains(body, "Team change") || !strings.Contains(body, "@Acme/core") {
		t.Fatalf("overview filtered by core (%d) lacks the team's request", code)
	}
	code, body = get(t, c, e.srv.URL+"/Acme/web/pull/4")
	if code != 200 || !strings.Contains(body, "Review requested from team @acme/core") || !strings.Contains(body, "team review requested") {
		t.Fatalf("pull page (%d) lacks the team's request in its timeline and events", code)
	}
}
