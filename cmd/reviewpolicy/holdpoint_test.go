package main

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// holdPoint sits between a server and the fake GitHub. Once armed, it holds
// the first request with the method and a path ending in suffix until
// released or until its caller dies, so a test can kill the server while
// that request is in flight. With forwardFirst, GitHub acts on the request
// before it is held and only the answer is withheld: the caller dies not
// knowing its write happened. Every other request passes through.
type holdPoint struct {
	url          string
	method       string
	suffix       string
	forwardFirst bool
	armed        atomic.Bool
	first        sync.Once
	hit          chan struct{} // closed when the request is held
	released     chan struct{}
	releaseOnce  sync.Once
	proxy        *httputil.ReverseProxy
}

func newHoldPoint(t *testing.T, target, method, suffix string, forwardFirst bool) *holdPoint {
	t.Helper()
	u, err := url.Parse(target)
	must(t, err)
	p := &holdPoint{method: method, suffix: suffix, forwardFirst: forwardFirst,
		hit: make(chan struct{}), released: make(chan struct{}), proxy: httputil.NewSingleHostReverseProxy(u)}
	// A killed process's requests die with it; that is expected, not worth
	// a "proxy error" line in the test output.
	p.proxy.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, _ error) { w.WriteHeader(http.StatusBadGateway) }
	srv := httptest.NewServer(p)
	// Release first: Close waits for the held request.
	t.Cleanup(func() { p.release(); srv.Close() })
	p.url = srv.URL + "/"
	return p
}

func (p *holdPoint) release() { p.releaseOnce.Do(func() { close(p.released) }) }

func (p *holdPoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	held := false
	if p.armed.Load() && r.Method == p.method && strings.HasSuffix(r.URL.Path, p.suffix) {
		p.first.Do(func() { held = true })
	}
	if !held {
		p.proxy.ServeHTTP(w, r)
		return
	}
	answer := httptest.NewRecorder()
	if p.forwardFirst {
		p.proxy.ServeHTTP(answer, r)
	}
	close(p.hit)
	select {
	case <-p.released:
	case <-r.Context().Done():
		return // the caller died waiting
	}
	if !p.forwardFirst {
		p.proxy.ServeHTTP(answer, r)
	}
	for k, vs := range answer.Header() {
		w.Header()[k] = vs
	}
	w.WriteHeader(answer.Code)
	_, _ = w.Write(answer.Body.Bytes())
}
