package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/reviewpolicy/reviewpolicy/internal/githubfake"
)

// githubLatency is added to every GitHub request in the fairness test:
// GitHub answers in tens of milliseconds, the fake in microseconds, and
// the burst must still be waiting when the other installation's event
// arrives for the test to measure anything.
const githubLatency = 20 * time.Millisecond

// slowGitHub puts githubLatency in front of the fake and returns its URL.
func slowGitHub(t *testing.T, target string) string {
	t.Helper()
	u, err := url.Parse(target)
	must(t, err)
	proxy := httputil.NewSingleHostReverseProxy(u)
	// Requests still running when the server stops are cut short; say nothing.
	proxy.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, _ error) { w.WriteHeader(http.StatusBadGateway) }
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(githubLatency)
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/"
}

// One installation's burst of 300 pull_request deliveries, then another
// installation's single delivery: the single one gets its check run within
// a few jobs, while most of the burst still waits (docs/queue.md).
func TestBurstOfOneInstallationDoesNotDelayAnother(t *testing.T) {
	t.Parallel()
	h := setup(t)
	const burst, first = 300, 1000
	for n := first; n < first+burst; n++ {
		h.fake.AddPullRequest(owner, repoName, githubfake.PullRequest{Number: n, Title: "t", Body: "b",
			HeadRef: "changes", HeadSHA: burstSHA(n), BaseRef: "master", Author: owner, Files: []string{"README.md"}})
	}
	const otherOwner, otherRepo, otherRepoID, otherInstall = "Other", "other-repo", 999, 2
	h.fake.AddRepo(otherOwner, otherRepo, otherRepoID, "master")
	h.fake.AddInstallation(otherInstall, otherOwner, otherOwner+"/"+otherRepo)
	h.fake.AddPullRequest(otherOwner, otherRepo, githubfake.PullRequest{Number: prNumber, Title: "t", Body: "b",
		HeadRef: "changes", HeadSHA: headSHA, BaseRef: "master", Author: otherOwner, Files: []string{"README.md"}})
	cfg, err := os.ReadFile(h.cfgPath)
	must(t, err)
	must(t, os.WriteFile(h.cfgPath, []byte(strings.ReplaceAll(string(cfg), h.fake.URL, slowGitHub(t, h.fake.URL))), 0o600))
	h.start(t, nil)

	bodies := make([][]byte, burst)
	for i := range bodies {
		n := first + i
		bodies[i] = payload(t, "pull_request/opened.payload.json", func(m map[string]any) {
			m["number"] = n
			pr := m["pull_request"].(map[string]any)
			pr["number"], pr["head"].(map[string]any)["sha"] = n, burstSHA(n)
		})
	}
	t0 := time.Now()
	sendConcurrently(t, h, bodies, 8)
	single := payload(t, "pull_request/opened.payload.json", func(m map[string]any) {
		m["installation"].(map[string]any)["id"] = otherInstall
		repo := m["repository"].(map[string]any)
		repo["id"], repo["name"], repo["full_name"] = otherRepoID, otherRepo, otherOwner+"/"+otherRepo
		repo["owner"].(map[string]any)["login"] = otherOwner
	})
	doneAtSend := len(h.checkRuns())
	if got := h.send(t, "pull_request", "", single); got != http.StatusAccepted {
		t.Fatalf("the other installation's webhook answered %d", got)
	}
	waitFor(t, "the other installation's check run", func() bool { return len(h.fake.CheckRuns(otherOwner, otherRepo)) == 1 })
	doneAtSingle := len(h.checkRuns())
	t.Logf("burst check runs: %d when the single delivery was sent, %d when its check run was written, %v after the burst was sent",
		doneAtSend, doneAtSingle, time.Since(t0))
	// 10 workers: up to 10 of the burst's jobs running when it was sent,
	// and the bound of docs/queue.md, 4 + 9 x 10, started after it.
	if ahead := doneAtSingle - doneAtSend; ahead > 104 {
		t.Errorf("%d of the burst's check runs were written before the single delivery's; want at most 104", ahead)
	}
	if doneAtSingle > burst*2/3 {
		t.Errorf("%d of %d of the burst's check runs were written first: the test no longer measures a burst", doneAtSingle, burst)
	}
}

func burstSHA(n int) string { return fmt.Sprintf("%040x", n) }

// sendConcurrently delivers every body as pull_request from `parallel` goroutines.
func sendConcurrently(t *testing.T, h *harness, bodies [][]byte, parallel int) {
	t.Helper()
	next := make(chan []byte)
	codes := make(chan int, len(bodies))
	for range parallel {
		go func() {
			for b := range next {
				codes <- h.sendOK(b)
			}
		}()
	}
	for _, b := range bodies {
		next <- b
	}
	close(next)
	for range bodies {
		if code := <-codes; code != http.StatusAccepted {
			t.Fatalf("a burst delivery was answered %d", code)
		}
	}
}

// sendOK is send for goroutines other than the test's: it reports a failed
// request as status 0 instead of failing the test.
func (h *harness) sendOK(body []byte) int {
	req, err := http.NewRequest(http.MethodPost, h.url+"/api/github/hook", bytes.NewReader(body))
	if err != nil {
		return 0
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "pull_request")
	req.Header.Set("X-GitHub-Delivery", fmt.Sprintf("burst-%d", h.seq.Add(1)))
	req.Header.Set("X-Hub-Signature-256", sign(body, secret))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}
