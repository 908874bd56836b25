package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestEndToEndSeesTheCheckRuns runs loadgen against a real server process
// (SQLite, the fake GitHub) for a short while and fails unless every open
// pull request's delivery is matched to the check run its job created. It
// ran blind before: the server read the pull request from the fake GitHub,
// which answered with a fixed head, so no check run landed on a SHA any
// delivery carried (n=0, every delivery "not seen"). Both ways the server
// learns the head are covered: reading the pull request (payloads as old as
// the fixtures) and trusting the payload (-updated-now).
func TestEndToEndSeesTheCheckRuns(t *testing.T) {
	exe := filepath.Join(t.TempDir(), "reviewpolicy")
	if out, err := exec.Command("go", "build", "-o", exe, "../reviewpolicy").CombinedOutput(); err != nil {
		t.Fatalf("building the server: %v\n%s", err, out)
	}
	for _, updatedNow := range []bool{false, true} {
		t.Run(fmt.Sprintf("updated-now=%v", updatedNow), func(t *testing.T) {
			dir := t.TempDir()
			key := filepath.Join(dir, "app.pem")
			if err := writeKey(key); err != nil {
				t.Fatal(err)
			}
			cfg := filepath.Join(dir, "server.yml")
			writeFile(t, cfg, fmt.Sprintf(`server: {address: 127.0.0.1, port: 0}
github:
  v3_api_url: http://127.0.0.1:1/
  app: {integration_id: 1, webhook_secret: placeholder, private_key_file: %s}
database: {url: "sqlite://%s"}
workers: {concurrency: 10}
`, key, filepath.Join(dir, "db.sqlite")))
			o := options{secret: "s", rate: 20, duration: 2 * time.Second, concurrency: 16, mix: "pull_request=100",
				payloads: defaultPayloads(), repos: 20, prs: 200, seed: 7, drain: 60 * time.Second,
				fakeGitHub: true, fakeAddr: "127.0.0.1:0", serverCmd: exe + " serve --config " + cfg,
				servers: 1, serverLog: filepath.Join(dir, "server.log"), startTimeout: 60 * time.Second,
				updatedNow: updatedNow}
			rep, err := measure(context.Background(), o, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if rep.serverErr != nil {
				t.Fatal(rep.serverErr)
			}
			if !rep.drained {
				t.Fatalf("the queue did not drain")
			}
			// 40 deliveries, of which the closed pull requests (2 of the 13
			// fixtures) get no check run.
			if rep.e2e.N < 20 || rep.e2eMissing != 0 {
				t.Errorf("end-to-end n=%d, not seen %d, superseded %d; want every open pull request's check run seen",
					rep.e2e.N, rep.e2eMissing, rep.e2eSuperseded)
			}
		})
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestFakeGitHubShowsThePullRequestLastSent: a read of a pull request
// answers with the head and state of the last delivery that carried it.
func TestFakeGitHubShowsThePullRequestLastSent(t *testing.T) {
	t.Parallel()
	fake := newFakeGitHub(time.Now, nil)
	read := func(path string) string {
		rec := httptest.NewRecorder()
		fake.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: %d", path, rec.Code)
		}
		return rec.Body.String()
	}
	fake.sentPull(pullState{Owner: "o", Repo: "r", Number: 7, Head: "aaa", State: "open"})
	fake.sentPull(pullState{Owner: "o", Repo: "r", Number: 7, Head: "bbb", State: "closed"})
	fake.sentPull(pullState{Owner: "o", Repo: "other", Number: 7, Head: "ccc", State: "open"})
	if got := read("/repos/o/r/pulls/7"); !strings.Contains(got, `"sha":"bbb"`) || !strings.Contains(got, `"state":"closed"`) {
		t.Errorf("o/r#7 = %s; want the last sent: head bbb, closed", got)
	}
	if got := read("/repos/o/other/pulls/7"); !strings.Contains(got, `"sha":"ccc"`) {
		t.Errorf("o/other#7 = %s; want head ccc", got)
	}
	if got := read("/repos/o/r/pulls/8"); !strings.Contains(got, fmt.Sprintf(`"sha":"%040x"`, 8)) {
		t.Errorf("a pull request never sent = %s; want the fixed head", got)
	}
}

// TestE2ETrackerSplitsMissingFromSuperseded: a head replaced by a later
// delivery of its pull request before its check run is superseded, not
// missing; a check run on an untracked SHA counts nowhere.
func TestE2ETrackerSplitsMissingFromSuperseded(t *testing.T) {
	t.Parallel()
	e := newE2ETracker()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	pr := func(n int, sha string) delivery {
		return delivery{SHA: sha, PR: pullState{Owner: "o", Repo: "r", Number: n, Head: sha, State: "open"}}
	}
	e.sent(pr(1, "a1"), t0)
	e.sent(pr(1, "a2"), t0.Add(time.Millisecond))
	e.sent(pr(2, "b1"), t0)
	e.sent(pr(3, "c1"), t0)
	e.sent(delivery{PR: pullState{Owner: "o", Repo: "r", Number: 3, Head: "c2", State: "open"}}, t0) // a review
	e.sent(pr(4, "d1"), t0)
	e.checked("a2", t0.Add(50*time.Millisecond))
	e.checked("d1", t0.Add(20*time.Millisecond))
	e.checked("zz", t0)
	got, missing, superseded, examples := e.result()
	if len(got) != 2 || got[0] != 49*time.Millisecond || got[1] != 20*time.Millisecond {
		t.Errorf("latencies = %v; want [49ms 20ms]", got)
	}
	if missing != 1 || superseded != 2 {
		t.Errorf("missing %d, superseded %d; want b1 missing, a1 and c1 superseded", missing, superseded)
	}
	if len(examples) != 1 || examples[0] != "o/r#2 b1" {
		t.Errorf("examples = %q; want the missing o/r#2 b1", examples)
	}
}
