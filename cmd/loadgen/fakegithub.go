package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// fakeGitHub answers the REST calls the server's jobs make, quickly and
// always the same way: no policy file anywhere, no changed files, no check
// runs or comments yet. It measures the server, not GitHub. It counts calls
// per route and reports each check run created, so a delivery's end-to-end
// latency can be read from the moment its head SHA comes back.
type fakeGitHub struct {
	now       func() time.Time
	onCheck   func(headSHA string, at time.Time) // may be nil
	mux       *http.ServeMux
	nextID    atomic.Int64
	mu        sync.Mutex
	calls     map[string]int64 // route pattern -> calls
	unmatched atomic.Int64
	// unmatchedPaths are the first distinct requests no route knew, to
	// show what the fake is missing.
	unmatchedPaths map[string]int
	pulls          map[string]pullState // by pullState.key: the last sent
}

func newFakeGitHub(now func() time.Time, onCheck func(headSHA string, at time.Time)) *fakeGitHub {
	f := &fakeGitHub{now: now, onCheck: onCheck, mux: http.NewServeMux(), calls: map[string]int64{},
		unmatchedPaths: map[string]int{}, pulls: map[string]pullState{}}
	notFound := func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
	}
	emptyList := func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, []any{}) }
	created := func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusCreated, map[string]int64{"id": f.nextID.Add(1)})
	}
	withID := func(w http.ResponseWriter, r *http.Request) {
		id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
		writeJSON(w, http.StatusOK, map[string]int64{"id": id})
	}
	routes := map[string]http.HandlerFunc{
		"POST /app/installations/{id}/access_tokens": func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, http.StatusCreated, map[string]string{
				"token": "t", "expires_at": f.now().Add(time.Hour).UTC().Format(time.RFC3339)})
		},
		// The app itself: the server asks once per process for its slug, to
		// recognise its own comments ("slug[bot]").
		"GET /app": func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, http.StatusOK, map[string]any{"id": 1, "slug": "loadgen", "name": "loadgen"})
		},
		"GET /app/installations":                                   emptyList, // reconcile's sweep: nothing to sweep
		"GET /repos/{owner}/{repo}/contents/{path...}":             notFound,
		"GET /repos/{owner}/{repo}/pulls/{n}":                      f.pullRequest,
		"GET /repos/{owner}/{repo}/pulls/{n}/files":                emptyList,
		"GET /repos/{owner}/{repo}/pulls/{n}/reviews":              emptyList,
		"POST /repos/{owner}/{repo}/pulls/{n}/requested_reviewers": f.pullRequest,
		"GET /repos/{owner}/{repo}/commits/{ref}/check-runs": func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, http.StatusOK, map[string]any{"total_count": 0, "check_runs": []any{}})
		},
		// The pull requests on a commit, asked on its first check: none
		// other than the one evaluated. Without it every evaluation failed
		// (404) and was retried, so pull-request job capacity and the
		// end-to-end latency measured failures.
		"GET /repos/{owner}/{repo}/commits/{ref}/pulls":    emptyList,
		"POST /repos/{owner}/{repo}/check-runs":            f.createCheckRun,
		"PATCH /repos/{owner}/{repo}/check-runs/{id}":      withID,
		"GET /repos/{owner}/{repo}/issues/{n}/comments":    emptyList,
		"POST /repos/{owner}/{repo}/issues/{n}/comments":   created,
		"PATCH /repos/{owner}/{repo}/issues/comments/{id}": withID,
		"GET /orgs/{org}/teams/{slug}/members":             emptyList,
		// A new head's files and the pull requests on it, in one query.
		"POST /graphql": f.headFacts,
	}
	for pattern, h := range routes {
		f.calls[pattern] = 0
		f.mux.HandleFunc(pattern, f.count(pattern, h))
	}
	f.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		f.unmatched.Add(1)
		f.mu.Lock()
		if len(f.unmatchedPaths) < 20 {
			f.unmatchedPaths[r.Method+" "+r.URL.Path]++
		}
		f.mu.Unlock()
		notFound(w, r)
	})
	return f
}

func (f *fakeGitHub) ServeHTTP(w http.ResponseWriter, r *http.Request) { f.mux.ServeHTTP(w, r) }

func (f *fakeGitHub) count(pattern string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.calls[pattern]++
		f.mu.Unlock()
		h(w, r)
	}
}

// sentPull records the state of a pull request a delivery carried, as
// GitHub shows it from then on.
func (f *fakeGitHub) sentPull(p pullState) {
	f.mu.Lock()
	f.pulls[p.key()] = p
	f.mu.Unlock()
}

// head is p as the last delivery that carried it left it, or open with a
// fixed head if none did.
func (f *fakeGitHub) head(p pullState) pullState {
	f.mu.Lock()
	sent, ok := f.pulls[p.key()]
	f.mu.Unlock()
	if ok {
		return sent
	}
	p.Head, p.State = fmt.Sprintf("%040x", p.Number), "open"
	return p
}

// fixtureBase is the base branch of every pull request in the payloads'
// fixtures. The server checks that the files it is given are the pull
// request's into the base it evaluates, and reads them again otherwise.
const fixtureBase = "master"

// pullRequest is the pull request with the head and state of the last
// delivery that carried it, or an open one with a fixed head if none did
// (a check_suite job's read).
func (f *fakeGitHub) pullRequest(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
		return
	}
	p := f.head(pullState{Owner: r.PathValue("owner"), Repo: r.PathValue("repo"), Number: n})
	writeJSON(w, http.StatusOK, map[string]any{
		"number": n, "state": p.State, "title": "Load test", "body": "", "draft": false,
		"user": map[string]any{"login": "octocat", "type": "User"},
		"head": map[string]any{"sha": p.Head, "ref": "loadgen"},
		"base": map[string]any{"ref": fixtureBase},
	})
}

// headFacts answers the server's one GraphQL query, a new head's files and
// the pull requests on it, as the REST routes do: no files, no other pull
// request, the head of the last delivery. Any other query is refused, so a
// new one shows up as errors rather than as made-up data.
func (f *fakeGitHub) headFacts(w http.ResponseWriter, r *http.Request) {
	var q struct {
		Query     string `json:"query"`
		Variables struct {
			Owner  string `json:"owner"`
			Name   string `json:"name"`
			Number int    `json:"number"`
		} `json:"variables"`
	}
	err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&q)
	if err != nil || !strings.HasPrefix(q.Query, "query HeadFacts(") {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "loadgen's fake answers only the HeadFacts query"})
		return
	}
	head := f.head(pullState{Owner: q.Variables.Owner, Repo: q.Variables.Name, Number: q.Variables.Number})
	none := map[string]any{"pageInfo": map[string]any{"hasNextPage": false, "endCursor": nil}, "nodes": []any{}}
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"repository": map[string]any{
		"pullRequest": map[string]any{"headRefOid": head.Head, "baseRefName": fixtureBase, "files": none},
		"object":      map[string]any{"associatedPullRequests": none},
	}}})
}

func (f *fakeGitHub) createCheckRun(w http.ResponseWriter, r *http.Request) {
	var body struct {
		HeadSHA string `json:"head_sha"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body); err != nil {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"message": "Invalid request: " + err.Error()})
		return
	}
	if f.onCheck != nil {
		f.onCheck(body.HeadSHA, f.now())
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": f.nextID.Add(1), "head_sha": body.HeadSHA})
}

// routeCount is the calls one route received.
type routeCount struct {
	Route string
	Calls int64
}

// counts returns the calls per route that received any, busiest first,
// and the calls no route matched.
func (f *fakeGitHub) counts() (routes []routeCount, unmatched int64) {
	f.mu.Lock()
	for p, n := range f.calls {
		if n > 0 {
			routes = append(routes, routeCount{p, n})
		}
	}
	for p, n := range f.unmatchedPaths {
		routes = append(routes, routeCount{"unmatched: " + p, int64(n)})
	}
	f.mu.Unlock()
	slices.SortFunc(routes, func(a, b routeCount) int {
		return cmp.Or(cmp.Compare(b.Calls, a.Calls), cmp.Compare(a.Route, b.Route))
	})
	return routes, f.unmatched.Load()
}

func (f *fakeGitHub) total() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	total := f.unmatched.Load()
	for _, n := range f.calls {
		total += n
	}
	return total
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
