// Package web is the app's front end: server-rendered pages behind GitHub
// sign-in, for developers (a pull request's page, "my reviews") and leads
// (the overview of an organisation or a repository).
//
// Everything shown comes from the store's history (store.PRSummary,
// store.PREvent), written by the handlers; the only GitHub calls are the
// sign-in and the access check (which repositories the person reaches
// through the app's installations), cached briefly per session. A page
// about something the person cannot see answers 404, so it does not reveal
// that the repository exists. HTML is rendered with html/template, charts
// are SVG drawn here, and the stylesheet and the one small script (which
// only remembers the browser's time zone) are embedded: no CDN, since the
// app often runs in a closed network, and the pages read fine without
// JavaScript.
package web

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/reviewpolicy/reviewpolicy/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Options configures the front end.
type Options struct {
	Store *store.Store
	// PublicURL is server.public_url ("": taken from each request's Host,
	// over http). Cookies are Secure when it is https.
	PublicURL string
	// WebURL is github.web_url (the sign-in), APIURL github.v3_api_url.
	WebURL, APIURL string
	// ClientID and ClientSecret are the GitHub App's OAuth client.
	ClientID, ClientSecret string
	// SessionKey (32+ bytes) signs and encrypts session cookies.
	SessionKey []byte
	// AppSlug names the app for the install link ("" hides the link).
	AppSlug string
	// HTTPClient calls GitHub (nil: a client with a 10 s timeout).
	HTTPClient *http.Client
	// Access lists the repositories a token reaches (nil: GitHub's /user
	// installations listings, see GitHubAccess).
	Access Access
	// AccessTTL is how long one session's access is cached (0: 1 minute).
	AccessTTL time.Duration
	Logger    *slog.Logger
	Now       func() time.Time // nil: time.Now
}

// Server serves the pages.
type Server struct {
	opt      Options
	sessions *sessions
	access   *accessCache
	history  *historyCache
	pages    map[string]*template.Template
	now      func() time.Time
	log      *slog.Logger
}

// New checks the options and parses the templates.
func New(opt Options) (*Server, error) {
	if opt.Store == nil {
		return nil, errors.New("web: no store")
	}
	if opt.ClientID == "" || opt.ClientSecret == "" {
		return nil, errors.New("web: the GitHub App's OAuth client_id and client_secret are required")
	}
	sess, err := newSessions(opt.SessionKey, strings.HasPrefix(opt.PublicURL, "https://"))
	if err != nil {
		return nil, err
	}
	if opt.HTTPClient == nil {
		opt.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if opt.Access == nil {
		opt.Access = &GitHubAccess{APIURL: opt.APIURL, Client: opt.HTTPClient}
	}
	if opt.AccessTTL <= 0 {
		opt.AccessTTL = time.Minute
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	return &Server{opt: opt, sessions: sess, access: newAccessCache(opt.Access, opt.AccessTTL, opt.Now), history: newHistoryCache(opt.Store),
		pages: pages, now: opt.Now, log: opt.Logger}, nil
}

// Handler routes the pages. GitHub reserves "login", "logout", "oauth",
// "static" and "orgs" as account names, so those routes hide no
// organisation; "me" is not reserved, so /me hides an organisation named
// me at /{owner}: /orgs/{owner} and /orgs/{owner}/{repo} always reach an
// overview, and links use them for the names the fixed routes take.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	// Each asset by name: a "/static/" prefix would clash with /{owner}/{repo}.
	static, _ := fs.Sub(staticFS, "static")
	files, _ := fs.ReadDir(static, ".")
	for _, f := range files {
		mux.Handle("GET /static/"+f.Name(), http.StripPrefix("/static/", cacheStatic(http.FileServerFS(static))))
	}
	mux.HandleFunc("GET /{$}", s.home)
	mux.HandleFunc("GET /login", s.login)
	mux.HandleFunc("GET /oauth/callback", s.callback)
	mux.HandleFunc("GET /logout", s.logoutPage)
	mux.HandleFunc("POST /logout", s.logout)
	mux.HandleFunc("GET /me", s.me)
	mux.HandleFunc("GET /{owner}", s.orgOverview)
	mux.HandleFunc("GET /{owner}/{repo}", s.repoOverview)
	mux.HandleFunc("GET /orgs/{owner}", s.orgOverview)
	mux.HandleFunc("GET /orgs/{owner}/{repo}", s.repoOverview)
	mux.HandleFunc("GET /{owner}/{repo}/pull/{number}", s.pullRequest)
	return secureHeaders(mux)
}

// fixedNames are the first path segments the fixed routes take.
var fixedNames = map[string]bool{"me": true, "login": true, "logout": true, "oauth": true, "static": true, "orgs": true}

// overviewPath is the link to an owner's overview: /{owner}, or
// /orgs/{owner} when a fixed route takes the name.
func overviewPath(owner string) string {
	if fixedNames[strings.ToLower(owner)] {
		return "/orgs/" + url.PathEscape(owner)
	}
	return "/" + url.PathEscape(owner)
}

// isOrgOverview reports whether path is owner's whole overview (either route).
func isOrgOverview(path, owner string) bool {
	return strings.EqualFold(path, "/"+owner) || strings.EqualFold(path, "/orgs/"+owner)
}

// secureHeaders keeps the pages inert even if some text slipped through:
// no script but our own file, no framing, no sniffing.
func secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "+
			"form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}

func cacheStatic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		next.ServeHTTP(w, r)
	})
}

// baseURL is where GitHub sends the browser back to.
func (s *Server) baseURL(r *http.Request) string {
	if s.opt.PublicURL != "" {
		return strings.TrimSuffix(s.opt.PublicURL, "/")
	}
	return "http://" + r.Host
}

// notFound answers 404 the same way for what does not exist and what the
// viewer may not see.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request, v *viewer) {
	s.renderStatus(w, r, http.StatusNotFound, "notfound", v, "Not found", nil)
}

// fail logs an internal error and answers 500 without details.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	s.log.Error("web page failed", "path", r.URL.Path, "err", err)
	http.Error(w, "Something went wrong; try again.", http.StatusInternalServerError)
}

// localPath accepts a return path only if it stays on this site.
func localPath(p string) string {
	u, err := url.Parse(p)
	if err != nil || u.IsAbs() || u.Host != "" || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") ||
		strings.Contains(p, `\`) {
		return "/me"
	}
	return p
}

// pageData is what every page's template gets.
type pageData struct {
	Title  string
	Viewer *viewer
	Zone   string
	Path   string
	Query  string // the current query, for links keeping filters
	Body   any
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, page string, v *viewer, title string, body any) {
	s.renderStatus(w, r, http.StatusOK, page, v, title, body)
}

// renderStatus sets the headers before the status: later ones are lost.
func (s *Server) renderStatus(w http.ResponseWriter, r *http.Request, status int, page string, v *viewer, title string, body any) {
	t := s.pages[page]
	if t == nil {
		s.fail(w, r, fmt.Errorf("no page %q", page))
		return
	}
	d := pageData{Title: title, Viewer: v, Zone: zoneOf(r).String(), Path: r.URL.Path, Query: r.URL.RawQuery, Body: body}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := t.ExecuteTemplate(w, "layout", d); err != nil {
		s.log.Error("web template failed", "page", page, "err", err)
	}
}

// zoneOf is the viewer's time zone: ?tz=, else the tz cookie the page's
// script sets from the browser, else UTC.
func zoneOf(r *http.Request) *time.Location {
	name := r.URL.Query().Get("tz")
	if name == "" {
		if c, err := r.Cookie("tz"); err == nil {
			name, _ = url.QueryUnescape(c.Value)
		}
	}
	if name == "" || len(name) > 64 || strings.Contains(name, "..") {
		return time.UTC
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC
	}
	return loc
}
