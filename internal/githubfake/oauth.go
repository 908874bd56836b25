package githubfake

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// The web flow of a GitHub App (user-to-server tokens), as GitHub documents
// it ("Generating a user access token for a GitHub App"): the browser goes
// to /login/oauth/authorize with the app's client_id, a state and a
// redirect_uri; GitHub, once the person is signed in, redirects back with a
// code and the same state; the app's server exchanges the code, with its
// client secret, at POST /login/oauth/access_token. A code is good once,
// for ten minutes. The token then reaches /user and the /user/installations
// listings, limited to what the person can see of the app's installations.
// These endpoints are GitHub's web host's, not the REST API's, so they are
// not in the OpenAPI description and are checked here by hand.

// OAuthClientID and OAuthClientSecret are the app's client credentials the
// fake accepts.
const (
	OAuthClientID     = "Iv1.fake0client0id"
	OAuthClientSecret = "fake-oauth-client-secret"
)

const (
	oauthCodeTTL  = 10 * time.Minute
	userTokenTTL  = 8 * time.Hour
	userTokenPref = "ghu_"
)

type oauthState struct {
	signedIn string // who is signed in to GitHub in "the browser"
	codes    map[string]oauthCode
	tokens   map[string]userToken
	// access: lower-cased login -> installation -> repositories ("owner/name";
	// empty: every repository of the installation).
	access map[string]map[int64][]string
}

type oauthCode struct {
	login, redirectURI string
	expires            time.Time
}

type userToken struct {
	login   string
	expires time.Time
}

// SignInAs sets who is signed in to the fake GitHub: the authorize step
// issues codes for them. "" signs out (authorize then refuses).
func (f *Fake) SignInAs(login string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.st.oauth.signedIn = login
}

// GrantUser lets login see installation id through the app, limited to
// repos ("owner/name"; none: all of the installation's repositories).
func (f *Fake) GrantUser(login string, id int64, repos ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o := &f.st.oauth
	if o.access == nil {
		o.access = map[string]map[int64][]string{}
	}
	k := strings.ToLower(login)
	if o.access[k] == nil {
		o.access[k] = map[int64][]string{}
	}
	o.access[k][id] = repos
}

// RevokeUserTokens invalidates every user token of login, as revoking the
// app's authorization on GitHub does.
func (f *Fake) RevokeUserTokens(login string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for tok, u := range f.st.oauth.tokens {
		if strings.EqualFold(u.login, login) {
			delete(f.st.oauth.tokens, tok)
		}
	}
}

func (f *Fake) serveOAuth(w http.ResponseWriter, r *http.Request, call *Call) {
	status := http.StatusNotFound
	switch {
	case r.URL.Path == "/login/oauth/authorize" && r.Method == http.MethodGet:
		status = f.authorize(w, r)
	case r.URL.Path == "/login/oauth/access_token" && r.Method == http.MethodPost:
		status = f.accessToken(w, r, call.Body)
	default:
		f.report(fmt.Sprintf("githubfake: GitHub has no OAuth endpoint %s %s", r.Method, r.URL.Path))
		http.NotFound(w, r)
	}
	f.mu.Lock()
	call.Status = status
	f.mu.Unlock()
}

// authorize redirects to redirect_uri with a code for whoever is signed in.
func (f *Fake) authorize(w http.ResponseWriter, r *http.Request) int {
	q := r.URL.Query()
	if q.Get("client_id") != OAuthClientID {
		f.report("githubfake: authorize with an unknown client_id")
		http.Error(w, "The client_id is not valid.", http.StatusNotFound)
		return http.StatusNotFound
	}
	target, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || (target.Scheme != "http" && target.Scheme != "https") || target.Host == "" {
		f.report(fmt.Sprintf("githubfake: authorize without a usable redirect_uri %q", q.Get("redirect_uri")))
		http.Error(w, "The redirect_uri is not valid.", http.StatusBadRequest)
		return http.StatusBadRequest
	}
	f.mu.Lock()
	login := f.st.oauth.signedIn
	code := randomToken("")
	if login != "" {
		if f.st.oauth.codes == nil {
			f.st.oauth.codes = map[string]oauthCode{}
		}
		f.st.oauth.codes[code] = oauthCode{login: login, redirectURI: q.Get("redirect_uri"), expires: time.Now().Add(oauthCodeTTL)}
	}
	f.mu.Unlock()
	if login == "" {
		http.Error(w, "Sign in to GitHub to continue.", http.StatusForbidden)
		return http.StatusForbidden
	}
	back := target.Query()
	back.Set("code", code)
	if st := q.Get("state"); st != "" {
		back.Set("state", st)
	}
	target.RawQuery = back.Encode()
	http.Redirect(w, r, target.String(), http.StatusFound)
	return http.StatusFound
}

// accessToken exchanges a code for a user token. Like GitHub, it answers
// errors with 200 and an "error" field.
func (f *Fake) accessToken(w http.ResponseWriter, r *http.Request, body []byte) int {
	form, err := url.ParseQuery(string(body))
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var m map[string]string
		err = json.Unmarshal(body, &m)
		form = url.Values{}
		for k, v := range m {
			form.Set(k, v)
		}
	}
	if err != nil {
		http.Error(w, "bad body", http.StatusBadRequest)
		return http.StatusBadRequest
	}
	answer := f.exchange(form)
	if strings.Contains(r.Header.Get("Accept"), "application/json") {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_ = json.NewEncoder(w).Encode(answer)
		return http.StatusOK
	}
	v := url.Values{}
	for k, x := range answer {
		v.Set(k, fmt.Sprint(x))
	}
	w.Header().Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	_, _ = w.Write([]byte(v.Encode()))
	return http.StatusOK
}

func (f *Fake) exchange(form url.Values) map[string]any {
	fail := func(code, text string) map[string]any {
		f.report("githubfake: access_token refused: " + code)
		return map[string]any{"error": code, "error_description": text,
			"error_uri": "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors"}
	}
	if form.Get("client_id") != OAuthClientID || form.Get("client_secret") != OAuthClientSecret {
		return fail("incorrect_client_credentials", "The client_id and/or client_secret passed are incorrect.")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.st.oauth.codes[form.Get("code")]
	delete(f.st.oauth.codes, form.Get("code")) // good once, even when refused
	switch {
	case !ok || time.Now().After(c.expires):
		return fail("bad_verification_code", "The code passed is incorrect or expired.")
	case form.Get("redirect_uri") != "" && form.Get("redirect_uri") != c.redirectURI:
		return fail("redirect_uri_mismatch", "The redirect_uri MUST match the registered callback URL for this application.")
	}
	tok := randomToken(userTokenPref)
	if f.st.oauth.tokens == nil {
		f.st.oauth.tokens = map[string]userToken{}
	}
	f.st.oauth.tokens[tok] = userToken{login: c.login, expires: time.Now().Add(userTokenTTL)}
	return map[string]any{"access_token": tok, "token_type": "bearer", "scope": "",
		"expires_in": int(userTokenTTL.Seconds()), "refresh_token": randomToken("ghr_"),
		"refresh_token_expires_in": 15897600}
}

func randomToken(prefix string) string {
	buf := make([]byte, 24)
	_, _ = rand.Read(buf)
	return prefix + base64.RawURLEncoding.EncodeToString(buf)
}

// authenticateUser handles a user token; isUser is false for any other
// credential. A user token reaches only the /user endpoints here, and an
// installation token none of them (GitHub: "Resource not accessible by
// integration").
func (f *Fake) authenticateUser(req *request, routePath, cred string) (resp response, ok, isUser bool) {
	userRoute := routePath == "/user" || strings.HasPrefix(routePath, "/user/")
	if !strings.HasPrefix(cred, userTokenPref) {
		if userRoute {
			return response{status: http.StatusForbidden, body: msg("Resource not accessible by integration")}, false, true
		}
		return response{}, false, false
	}
	f.mu.Lock()
	tok, known := f.st.oauth.tokens[cred]
	f.mu.Unlock()
	if !known || time.Now().After(tok.expires) {
		return unauthorized("Bad credentials"), false, true
	}
	if !userRoute {
		return response{status: http.StatusForbidden, body: msg("Resource not accessible by integration")}, false, true
	}
	req.user = strings.ToLower(tok.login)
	return response{}, true, true
}

func getUser(q *request) response {
	return response{status: http.StatusOK, body: q.fake.userJSON(q.user)}
}

// visibleInstallations lists the installations the request's user may see,
// by ID. Called with f.mu held.
func (f *Fake) visibleInstallations(login string) []int64 {
	var ids []int64
	for id := range f.st.oauth.access[login] {
		if f.st.installations[id] != nil {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

func listUserInstallations(q *request) response {
	f := q.fake
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []any
	for _, id := range f.visibleInstallations(q.user) {
		out = append(out, f.installationJSON(f.st.installations[id]))
	}
	page, header := paginate(q, out)
	return response{status: http.StatusOK, header: header, body: map[string]any{"total_count": len(out), "installations": page}}
}

func listUserInstallationRepos(q *request) response {
	f := q.fake
	f.mu.Lock()
	defer f.mu.Unlock()
	var id int64
	fmt.Sscan(q.params["installation_id"], &id)
	grant, ok := f.st.oauth.access[q.user][id]
	inst := f.st.installations[id]
	if !ok || inst == nil {
		return notFound
	}
	var out []any
	for _, k := range sortedKeys(f.st.repos) {
		if r := f.st.repos[k]; inst.canAccess(r) && (len(grant) == 0 || containsFold(grant, k)) {
			out = append(out, f.repoJSON(r))
		}
	}
	page, header := paginate(q, out)
	return response{status: http.StatusOK, header: header, body: map[string]any{
		"total_count": len(out), "repository_selection": inst.selection(), "repositories": page,
	}}
}
