package web

import (
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/reviewpolicy/reviewpolicy/analytics"
)

// home tells what the app does, with the install link and sign-in.
func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	v, _ := s.viewer(w, r, false)
	install := ""
	if s.opt.AppSlug != "" {
		install = strings.TrimSuffix(s.opt.WebURL, "/") + "/apps/" + s.opt.AppSlug + "/installations/new"
	}
	s.render(w, r, "home", v, "Review policy", map[string]string{"Install": install})
}

// orgOverview is the leads' page for an owner the viewer sees through the app.
func (s *Server) orgOverview(w http.ResponseWriter, r *http.Request) {
	s.overview(w, r, r.PathValue("owner"), "")
}

// repoOverview is the overview of one repository the viewer can read.
func (s *Server) repoOverview(w http.ResponseWriter, r *http.Request) {
	s.overview(w, r, r.PathValue("owner"), r.PathValue("repo"))
}

func (s *Server) overview(w http.ResponseWriter, r *http.Request, owner, repo string) {
	v, ok := s.viewer(w, r, true)
	if !ok {
		return
	}
	if (repo == "" && !v.seesOwner(owner)) || (repo != "" && !v.canRead(owner, repo)) {
		s.notFound(w, r, v)
		return
	}
	if repo == "" {
		repo = r.URL.Query().Get("repo")
	}
	visible := map[string]bool{} // the owner's repositories the viewer reads, by name
	var names []string
	prefix := strings.ToLower(owner) + "/"
	for full := range v.repos {
		if name, ok := strings.CutPrefix(full, prefix); ok {
			visible[name] = true
			names = append(names, name)
		}
	}
	slices.Sort(names)
	sum := sha256.Sum256([]byte(strings.Join(names, "\x00")))
	o, err := s.BuildOverview(r.Context(), OverviewQuery{Owner: owner, Repo: repo, Team: r.URL.Query().Get("team"),
		Loc: zoneOf(r), Now: s.now(), Visible: func(name string) bool { return visible[name] }, VisibleKey: string(sum[:])})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if serveCSV(w, r, owner+"-"+repo, o.Sections) {
		return
	}
	title := "Review health of " + owner
	if repo != "" {
		title = "Review health of " + owner + "/" + repo
	}
	s.render(w, r, "overview", v, title, o)
}

// me is the developer's page.
func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	v, ok := s.viewer(w, r, true)
	if !ok {
		return
	}
	m, err := BuildMe(r.Context(), s.opt.Store, MeQuery{Login: v.Login, Owners: v.Orgs, Loc: zoneOf(r), Now: s.now(),
		Visible: func(owner, repo string) bool { return v.repos[owner+"/"+repo] }})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if serveCSV(w, r, "me", m.Sections) {
		return
	}
	s.render(w, r, "me", v, "My reviews", m)
}

// pullRequest is one pull request's page.
func (s *Server) pullRequest(w http.ResponseWriter, r *http.Request) {
	v, ok := s.viewer(w, r, true)
	if !ok {
		return
	}
	owner, repo := r.PathValue("owner"), r.PathValue("repo")
	number, err := strconv.Atoi(r.PathValue("number"))
	if err != nil || number <= 0 || !v.canRead(owner, repo) {
		s.notFound(w, r, v)
		return
	}
	sum, found, err := s.opt.Store.PRSummaryOf(r.Context(), owner, repo, number)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !found {
		s.notFound(w, r, v)
		return
	}
	evs, err := s.opt.Store.PREvents(r.Context(), sum.RepoID, sum.Number)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var snap analytics.Snapshot
	if len(sum.Snapshot) > 0 {
		if err := json.Unmarshal(sum.Snapshot, &snap); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	p := buildPRPage(owner, repo, sum, snap, evs, zoneOf(r), s.now())
	if p.WhatIf, err = s.loadWhatIf(r.Context(), owner, repo, sum.RepoID, sum.Number, snap); err != nil {
		s.fail(w, r, err)
		return
	}
	if serveCSV(w, r, owner+"-"+repo+"-"+strconv.Itoa(number), p.Sections) {
		return
	}
	s.render(w, r, "pull", v, owner+"/"+repo+"#"+strconv.Itoa(number), p)
}
