package githubfake

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/routers"
)

const (
	appID      = 4242
	appSlug    = "review-policy"
	maxPerPage = 100
	rateLimit  = 5000
	maxPRFiles = 3000 // GitHub lists at most 3000 files of a pull request
	// maxContentsSize: the contents endpoint includes a file's content only
	// up to 1 MB; larger files are read as blobs.
	maxContentsSize = 1_000_000
	tokenTTL        = time.Hour
	defaultPerPage  = 30
	jsonMimeType    = "application/json; charset=utf-8"
)

// Fake is an in-memory GitHub REST API. Create it with New; it is safe for
// concurrent use.
type Fake struct {
	// URL is the base URL (ending in "/") to use as go-github's BaseURL.
	URL string

	spec   *spec
	report func(string)
	server *httptest.Server

	mu        sync.Mutex
	st        state
	calls     []*Call
	faults    []fault
	remaining int
	resetAt   time.Time
}

// Call is one request the fake received, with the status it answered (0
// while it is still being answered).
type Call struct {
	Method, Path, RawQuery string
	Body                   []byte
	Status                 int
}

type fault struct {
	method, prefix string
	status         int
	header         http.Header
}

// New starts a fake that reports invalid requests with t.Errorf. The server
// is closed by t.Cleanup. It fails the test when GitHub's OpenAPI
// description cannot be loaded: a fake that stopped validating would let
// the app drift from the real API unnoticed.
func New(t testing.TB) *Fake {
	t.Helper()
	return NewWithReporter(t, func(msg string) { t.Errorf("%s", msg) })
}

// NewWithReporter is New with invalid requests sent to report instead of
// t.Errorf, for tests that exercise rejections on purpose.
func NewWithReporter(t testing.TB, report func(string)) *Fake {
	t.Helper()
	s, err := loadSpecOnce()
	if err != nil {
		t.Fatalf("githubfake: cannot validate requests: %v", err)
	}
	f := &Fake{
		spec:      s,
		report:    report,
		st:        newState(),
		remaining: rateLimit,
		resetAt:   time.Now().Add(time.Hour).Truncate(time.Second),
	}
	f.server = httptest.NewServer(http.HandlerFunc(f.serveHTTP))
	t.Cleanup(f.server.Close)
	f.URL = f.server.URL + "/"
	return f
}

// AppID is the GitHub App's ID; the access-token endpoint checks the JWT's
// issuer against it.
func (f *Fake) AppID() int64 { return appID }

// BotLogin is the login GitHub shows as the author of what the app writes.
func (f *Fake) BotLogin() string { return appSlug + "[bot]" }

// Calls returns a copy of the requests received so far, in order.
func (f *Fake) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Call, len(f.calls))
	for i, c := range f.calls {
		out[i] = *c
	}
	return out
}

// CountCalls counts the calls with the method ("" for any) whose path
// starts with pathPrefix.
func (f *Fake) CountCalls(method, pathPrefix string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if (method == "" || c.Method == method) && strings.HasPrefix(c.Path, pathPrefix) {
			n++
		}
	}
	return n
}

// ResetCalls forgets the recorded calls.
func (f *Fake) ResetCalls() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = nil
}

// FailNext makes the next call with the method ("" for any) and a path
// starting with pathPrefix fail once with status and the given headers,
// e.g. 403 with X-RateLimit-Remaining: 0, or 429 with Retry-After. Faults
// queue up in the order they were added.
func (f *Fake) FailNext(method, pathPrefix string, status int, header http.Header) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, fault{method: method, prefix: pathPrefix, status: status, header: header.Clone()})
}

// response is what a handler produces; serveHTTP writes it.
type response struct {
	status int
	body   any // encoded as JSON unless nil
	header http.Header
}

func (f *Fake) serveHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	// The call is logged before its effects can be seen, so a test that sees
	// a check run created also sees the POST that created it.
	f.mu.Lock()
	call := &Call{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Body: body}
	f.calls = append(f.calls, call)
	f.mu.Unlock()
	if strings.HasPrefix(r.URL.Path, "/login/oauth/") {
		f.serveOAuth(w, r, call)
		return
	}
	resp, counted := f.handle(r, body)

	payload := []byte(nil)
	if resp.body != nil {
		if payload, err = json.Marshal(resp.body); err != nil {
			f.report(fmt.Sprintf("githubfake: encode response of %s %s: %v", r.Method, r.URL.Path, err))
			resp = response{status: http.StatusInternalServerError, body: msg("encode failure")}
			payload, _ = json.Marshal(resp.body)
		}
	}
	h := w.Header()
	if payload != nil {
		h.Set("Content-Type", jsonMimeType)
	}
	if r.Method == http.MethodGet && resp.status == http.StatusOK {
		sum := sha1.Sum(payload)
		etag := `"` + hex.EncodeToString(sum[:]) + `"`
		h.Set("ETag", etag)
		if r.Header.Get("If-None-Match") == etag {
			// GitHub does not count conditional hits against the rate limit.
			resp.status, payload, counted = http.StatusNotModified, nil, false
			h.Del("Content-Type")
		}
	}
	f.mu.Lock()
	if counted && f.remaining > 0 {
		f.remaining--
	}
	remaining, reset := f.remaining, f.resetAt
	call.Status = resp.status
	f.mu.Unlock()

	h.Set("X-RateLimit-Limit", strconv.Itoa(rateLimit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
	h.Set("X-RateLimit-Used", strconv.Itoa(rateLimit-remaining))
	h.Set("X-RateLimit-Resource", "core")
	for k, vs := range resp.header {
		h[k] = vs
	}
	w.WriteHeader(resp.status)
	if payload != nil {
		w.Write(payload)
	}
}

// handle validates r, applies faults and authentication, and dispatches to
// the endpoint. counted says whether the call uses up rate limit.
func (f *Fake) handle(r *http.Request, body []byte) (resp response, counted bool) {
	if r.Method == http.MethodPost && r.URL.Path == "/graphql" {
		return f.graphql(r, body), true
	}
	route, params, err := f.spec.routeRequest(r)
	switch {
	case errors.Is(err, routers.ErrMethodNotAllowed), errors.Is(err, routers.ErrPathNotFound):
		f.report(fmt.Sprintf("githubfake: GitHub has no endpoint %s %s", r.Method, r.URL.Path))
		return response{status: http.StatusNotFound, body: msg("Not Found")}, true
	case err != nil:
		f.report(fmt.Sprintf("githubfake: route %s %s: %v", r.Method, r.URL.Path, err))
		return response{status: http.StatusNotFound, body: msg("Not Found")}, true
	}
	if err := f.spec.validate(r, body, route, params); err != nil {
		f.report("githubfake: invalid request: " + err.Error())
		return response{status: http.StatusUnprocessableEntity, body: map[string]any{
			"message":           "Validation Failed: " + err.Error(),
			"documentation_url": "https://docs.github.com/rest",
		}}, true
	}
	if resp, ok := f.takeFault(r); ok {
		return resp, true
	}
	key := r.Method + " " + route.Path
	h, ok := endpoints[key]
	if !ok {
		f.report(fmt.Sprintf("githubfake: %s is GitHub's but not served by the fake (%s)", key, r.URL.Path))
		return response{status: http.StatusNotFound, body: msg("Not Found")}, true
	}
	req := &request{r: r, body: body, params: params, fake: f}
	if owner, repo, file, ok := splitContentsPath(r.URL.Path); ok {
		req.params["owner"], req.params["repo"], req.params["path"] = owner, repo, file
	}
	if resp, ok := f.authenticate(req, route.Path); !ok {
		return resp, true
	}
	return h(req), key != "GET /rate_limit"
}

func (f *Fake) takeFault(r *http.Request) (response, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, ft := range f.faults {
		if (ft.method == "" || ft.method == r.Method) && strings.HasPrefix(r.URL.Path, ft.prefix) {
			f.faults = append(f.faults[:i], f.faults[i+1:]...)
			return response{status: ft.status, body: msg(http.StatusText(ft.status)), header: ft.header}, true
		}
	}
	return response{}, false
}

func msg(text string) map[string]string {
	return map[string]string{"message": text, "documentation_url": "https://docs.github.com/rest"}
}

// blobSHA is git's object id of content, as GitHub reports for files.
func blobSHA(content string) string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "blob %d\x00%s", len(content), content)
	sum := sha1.Sum(b.Bytes())
	return hex.EncodeToString(sum[:])
}
