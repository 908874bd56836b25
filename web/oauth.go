package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/reviewpolicy/reviewpolicy/analytics"
)

// Sign-in is GitHub's web flow for GitHub Apps at github.web_url, so
// GitHub Enterprise Server works too: /login sends the browser to
// {web_url}/login/oauth/authorize with a random state (also kept in a
// short-lived cookie); GitHub sends it back to /oauth/callback with a code
// and the state; the server checks the state, exchanges the code with the
// client secret at {web_url}/login/oauth/access_token, asks /user who it
// is, and starts a session.

// viewer is the signed-in person as a page sees them.
type viewer struct {
	Login string
	CSRF  string
	Orgs  []string
	sess  *session
	repos map[string]bool
}

// login starts the web flow.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	st := oauthState{State: randomString(), Next: localPath(r.URL.Query().Get("next"))}
	if err := s.sessions.putState(w, st); err != nil {
		s.fail(w, r, err)
		return
	}
	q := url.Values{"client_id": {s.opt.ClientID}, "redirect_uri": {s.baseURL(r) + "/oauth/callback"}, "state": {st.State}}
	http.Redirect(w, r, strings.TrimSuffix(s.opt.WebURL, "/")+"/login/oauth/authorize?"+q.Encode(), http.StatusFound)
}

// callback finishes the web flow.
func (s *Server) callback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	st, ok := s.sessions.takeState(w, r, q.Get("state"))
	if !ok {
		w.WriteHeader(http.StatusBadRequest)
		s.render(w, r, "message", nil, "Sign-in failed", "The sign-in did not start here or took too long. Sign in again.")
		return
	}
	if q.Get("error") != "" || q.Get("code") == "" {
		w.WriteHeader(http.StatusForbidden)
		s.render(w, r, "message", nil, "Sign-in cancelled", "GitHub did not authorise the sign-in.")
		return
	}
	token, err := s.exchange(r.Context(), q.Get("code"), s.baseURL(r)+"/oauth/callback")
	if err != nil {
		s.log.Warn("sign-in: code exchange failed", "err", err)
		w.WriteHeader(http.StatusBadGateway)
		s.render(w, r, "message", nil, "Sign-in failed", "GitHub did not accept the sign-in. Sign in again.")
		return
	}
	login, err := s.whoAmI(r.Context(), token)
	if err != nil {
		s.log.Warn("sign-in: reading the user failed", "err", err)
		w.WriteHeader(http.StatusBadGateway)
		s.render(w, r, "message", nil, "Sign-in failed", "GitHub did not say who signed in. Sign in again.")
		return
	}
	if err := s.sessions.start(w, login, token, s.now()); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, st.Next, http.StatusFound)
}

// exchange trades the code for a user token. Errors never include the
// token or the secret.
func (s *Server) exchange(ctx context.Context, code, redirect string) (string, error) {
	form := url.Values{"client_id": {s.opt.ClientID}, "client_secret": {s.opt.ClientSecret}, "code": {code},
		"redirect_uri": {redirect}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(s.opt.WebURL, "/")+"/login/oauth/access_token",
		strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	res, err := s.opt.HTTPClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("access_token: %w", err)
	}
	defer res.Body.Close()
	var out struct {
		AccessToken string `json:"access_token"`
		Error       string `json:"error"`
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, 64<<10)).Decode(&out); err != nil {
		return "", fmt.Errorf("access_token: status %d: %w", res.StatusCode, err)
	}
	if out.Error != "" || out.AccessToken == "" {
		return "", fmt.Errorf("access_token: status %d, error %q", res.StatusCode, out.Error)
	}
	return out.AccessToken, nil
}

func (s *Server) whoAmI(ctx context.Context, token string) (string, error) {
	c, err := (&GitHubAccess{APIURL: s.opt.APIURL, Client: s.opt.HTTPClient}).client(token)
	if err != nil {
		return "", err
	}
	u, _, err := c.Users.Get(ctx, "")
	if err != nil {
		return "", err
	}
	if u.GetLogin() == "" {
		return "", errors.New("no login")
	}
	return u.GetLogin(), nil
}

// logoutPage offers the sign-out button (a POST with the CSRF token).
func (s *Server) logoutPage(w http.ResponseWriter, r *http.Request) {
	v, _ := s.viewer(w, r, false)
	if v == nil {
		http.Redirect(w, r, "/", http.StatusFound)
		return
	}
	s.render(w, r, "logout", v, "Sign out", nil)
}

// logout ends the session.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	sess := s.sessions.get(r, s.now())
	if sess != nil && !s.sessions.checkCSRF(sess, r.PostFormValue("csrf")) {
		http.Error(w, "The form expired; go back, reload and try again.", http.StatusForbidden)
		return
	}
	s.sessions.clear(w, sessionCookie)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// unavailable answers 503 with when to try again, and a link that does.
func (s *Server) unavailable(w http.ResponseWriter, r *http.Request, after time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(int(after.Seconds())))
	s.renderStatus(w, r, http.StatusServiceUnavailable, "unavailable", nil, "GitHub is not answering", map[string]string{
		"Retry": r.URL.RequestURI(), "After": analytics.FormatDuration(after)})
}

// viewer returns the signed-in person with what they can see (access:
// asks the cache, which may ask GitHub). Without a session, a page that
// needs one sends the browser to sign in and reports nil.
func (s *Server) viewer(w http.ResponseWriter, r *http.Request, required bool) (*viewer, bool) {
	sess := s.sessions.get(r, s.now())
	if sess == nil {
		if required {
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusFound)
		}
		return nil, !required
	}
	repos, err := s.access.repos(r.Context(), sess)
	var unavailable *unavailableError
	switch {
	case errors.As(err, &unavailable):
		// GitHub may answer again soon: the session stays.
		s.log.Warn("access check unavailable", "login", sess.Login, "err", err)
		if required {
			s.unavailable(w, r, unavailable.retryAfter)
		}
		return nil, !required
	case err != nil:
		s.log.Warn("access check failed", "login", sess.Login, "err", err)
		// A revoked or expired token: sign in again.
		s.sessions.clear(w, sessionCookie)
		if required {
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusFound)
		}
		return nil, !required
	}
	return &viewer{Login: sess.Login, CSRF: s.sessions.csrfToken(sess), Orgs: owners(repos), sess: sess, repos: repos}, true
}

func (v *viewer) canRead(owner, repo string) bool {
	return v != nil && v.repos[strings.ToLower(owner+"/"+repo)]
}

func (v *viewer) seesOwner(owner string) bool {
	if v == nil {
		return false
	}
	for _, o := range v.Orgs {
		if strings.EqualFold(o, owner) {
			return true
		}
	}
	return false
}
