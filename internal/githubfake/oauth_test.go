package githubfake

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// signIn runs the web flow as a browser and a server would: authorize,
// follow the redirect by hand, exchange the code. It returns the redirect
// and the exchange's answer.
func signIn(t *testing.T, f *Fake, state, secret string) (*url.URL, map[string]any) {
	t.Helper()
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	q := url.Values{"client_id": {OAuthClientID}, "redirect_uri": {"http://app.example/oauth/callback"}, "state": {state}}
	res, err := noFollow.Get(f.URL + "login/oauth/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound {
		return nil, map[string]any{"status": res.StatusCode}
	}
	back, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"client_id": {OAuthClientID}, "client_secret": {secret}, "code": {back.Query().Get("code")},
		"redirect_uri": {"http://app.example/oauth/callback"}}
	return back, exchangeForm(t, f, form)
}

func exchangeForm(t *testing.T, f *Fake, form url.Values) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, f.URL+"login/oauth/access_token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	var out map[string]any
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("access_token answer %q: %v", body, err)
	}
	return out
}

func TestOAuthWebFlowAndUserListings(t *testing.T) {
	t.Parallel()
	var reports []string
	f := NewWithReporter(t, func(m string) { reports = append(reports, m) })
	seed(f)
	f.AddRepo(owner, "secret", 2, "main")
	f.AddInstallation(99, "other-org")
	f.GrantUser("Dev", instID, owner+"/"+name)

	if _, ans := signIn(t, f, "s1", OAuthClientSecret); ans["status"] != http.StatusForbidden {
		t.Fatalf("authorize while signed out = %v, want 403", ans)
	}
	f.SignInAs("dev")
	back, ans := signIn(t, f, "s2", OAuthClientSecret)
	if back.Query().Get("state") != "s2" || back.Path != "/oauth/callback" {
		t.Fatalf("redirect %v does not return the state", back)
	}
	tok, _ := ans["access_token"].(string)
	if !strings.HasPrefix(tok, "ghu_") || ans["token_type"] != "bearer" {
		t.Fatalf("exchange = %v", ans)
	}
	// The code is good once.
	again := exchangeForm(t, f, url.Values{"client_id": {OAuthClientID}, "client_secret": {OAuthClientSecret},
		"code": {back.Query().Get("code")}})
	if again["error"] != "bad_verification_code" {
		t.Fatalf("second exchange = %v", again)
	}
	if _, bad := signIn(t, f, "s3", "wrong"); bad["error"] != "incorrect_client_credentials" {
		t.Fatalf("wrong secret = %v", bad)
	}

	c := clientFor(t, f, tok)
	ctx := context.Background()
	u, _, err := c.Users.Get(ctx, "")
	if err != nil || u.GetLogin() != "dev" {
		t.Fatalf("GET /user = %v, %v", u.GetLogin(), err)
	}
	insts, _, err := c.Apps.ListUserInstallations(ctx, nil)
	if err != nil || len(insts) != 1 || insts[0].GetID() != instID {
		t.Fatalf("installations = %v, %v", insts, err)
	}
	repos, _, err := c.Apps.ListUserRepos(ctx, instID, nil)
	if err != nil || len(repos.Repositories) != 1 || repos.Repositories[0].GetName() != name {
		t.Fatalf("repositories = %+v, %v; want only %s (not secret)", repos, err, name)
	}
	if _, _, err := c.Apps.ListUserRepos(ctx, 99, nil); err == nil {
		t.Fatal("an installation not granted was listed")
	}
	// A user token reaches no repository endpoint; an installation token no /user one.
	if _, _, err := c.Repositories.Get(ctx, owner, name); err == nil {
		t.Fatal("user token read a repository")
	}
	if _, _, err := clientFor(t, f, f.IssueToken(instID)).Apps.ListUserInstallations(ctx, nil); err == nil {
		t.Fatal("installation token listed user installations")
	}
	f.RevokeUserTokens("DEV")
	if _, _, err := c.Apps.ListUserInstallations(ctx, nil); err == nil {
		t.Fatal("revoked token still works")
	}
	if len(reports) != 2 { // the second exchange and the wrong secret
		t.Errorf("reports = %q", reports)
	}
}
