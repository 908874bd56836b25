package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// gate forwards to the fake GitHub but holds the first request that matches
// until opened, so a test can kill the server while that job is mid-flight.
type gate struct {
	proxy   *httputil.ReverseProxy
	method  string
	prefix  string
	once    sync.Once
	hit     chan struct{}
	open    chan struct{}
	openOne sync.Once
}

func newGate(t *testing.T, target, method, prefix string) (*gate, string) {
	u, err := url.Parse(target)
	must(t, err)
	g := &gate{proxy: httputil.NewSingleHostReverseProxy(u), method: method, prefix: prefix,
		hit: make(chan struct{}), open: make(chan struct{})}
	// The killed process's requests die with it; that is expected, not worth
	// a "proxy error" line in the test output.
	g.proxy.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, _ error) { w.WriteHeader(http.StatusBadGateway) }
	srv := httptest.NewServer(g)
	t.Cleanup(func() { g.release(); srv.Close() })
	return g, srv.URL + "/"
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == g.method && strings.HasPrefix(r.URL.Path, g.prefix) {
		held := false
		g.once.Do(func() { held = true; close(g.hit) })
		if held {
			select {
			case <-g.open:
			case <-r.Context().Done():
				return // the server died holding this request
			}
		}
	}
	g.proxy.ServeHTTP(w, r)
}

func (g *gate) release() { g.openOne.Do(func() { close(g.open) }) }

// startChild runs the server as a real process (this test binary in child
// mode), so it can be killed without a chance to clean up.
func (h *harness) startChild(t *testing.T, env ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	must(t, err)
	cmd := exec.Command(exe, "serve", "--config", h.cfgPath)
	cmd.Env = append(os.Environ(), append(env, "REVIEWPOLICY_E2E_CHILD=1")...)
	out, err := cmd.StdoutPipe()
	must(t, err)
	cmd.Stderr = io.Discard
	must(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	h.url = readListening(t, out)
	go func() { _, _ = io.Copy(io.Discard, out) }()
	return cmd
}

func TestJobOfKilledProcessFinishesAfterRestart(t *testing.T) {
	t.Parallel()
	h := setup(t)
	g, proxied := newGate(t, h.fake.URL, http.MethodPost, "/repos/"+owner+"/"+repoName+"/check-runs")
	env := []string{"GITHUB_V3_API_URL=" + proxied,
		// A job left "running" by a dead process is rescued after this.
		"REVIEWPOLICY_WORKERS_JOB_TIMEOUT=1s", "REVIEWPOLICY_WORKERS_RESCUE_AFTER=2s"}

	first := h.startChild(t, env...)
	if got := h.send(t, "pull_request", "killed-1", payload(t, "pull_request/opened.payload.json", nil)); got != http.StatusAccepted {
		t.Fatalf("delivery answered %d", got)
	}
	<-g.hit // the job is writing its check run right now
	must(t, first.Process.Kill())
	_ = first.Wait()
	if n := len(h.checkRuns()); n != 0 {
		t.Fatalf("%d check runs before restart; the gate leaked", n)
	}

	g.release()
	h.startChild(t, env...)
	waitFor(t, "the rescued job's check run", func() bool { return len(h.checkRuns()) == 1 })
	if run := h.checkRuns()[0]; run.HeadSHA != headSHA || run.Conclusion != "success" {
		t.Errorf("check run after restart = %+v", run)
	}
}
