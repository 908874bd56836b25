package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reviewpolicy/reviewpolicy/internal/githubfake"
)

// The test binary doubles as the server for tests that must kill a real
// process: started with REVIEWPOLICY_E2E_CHILD=1 it runs main.
func TestMain(m *testing.M) {
	if os.Getenv("REVIEWPOLICY_E2E_CHILD") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

const (
	owner     = "Codertocat"
	repoName  = "Hello-World"
	repoID    = 186853002
	prNumber  = 2
	headSHA   = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
	secret    = "e2e-webhook-secret"
	installID = 1
)

// harness is one app under test with its fake GitHub.
type harness struct {
	fake    *githubfake.Fake
	cfgPath string
	dbURL   string
	url     string
	seq     atomic.Int64
	// accepted counts deliveries the server answered 202.
	accepted atomic.Int64
	// clock, when set, is the time serve reads (clockOf) instead of
	// time.Now.
	clock func() time.Time
}

// setup builds the fake GitHub with the repository and pull request of the
// octokit payloads, and a server configuration pointing at it.
func setup(t *testing.T) *harness {
	t.Helper()
	h := &harness{fake: githubfake.New(t)}
	h.fake.AddRepo(owner, repoName, repoID, "master")
	h.fake.AddInstallation(installID, owner, owner+"/"+repoName)
	h.fake.AddPullRequest(owner, repoName, githubfake.PullRequest{Number: prNumber, Title: "Update the README with new information.",
		Body: "This is a pretty simple change that we need to pull into master.", HeadRef: "changes", HeadSHA: headSHA,
		BaseRef: "master", Author: owner, Files: []string{"README.md"}, State: "open"})
	dir := t.TempDir()
	keyPath := filepath.Join(dir, "app.pem")
	must(t, os.WriteFile(keyPath, h.fake.PrivateKeyPEM(), 0o600))
	h.dbURL = "sqlite://" + filepath.Join(dir, "reviewpolicy.db")
	h.cfgPath = filepath.Join(dir, "config.yml")
	must(t, os.WriteFile(h.cfgPath, []byte(fmt.Sprintf(`
server: {address: 127.0.0.1, port: 0}
github:
  v3_api_url: %s
  v4_api_url: %sgraphql
  app: {integration_id: %d, webhook_secret: %s, private_key_file: %s}
database: {url: "%s"}
logging: {level: warn, format: text}
reconcile: {interval: 0s}
# The fixtures' times are years old: a prune at start that ran after a
# test's closing event would delete its pull request's rows (an evaluation
# waiting to run, say). Tests of pruning set the retention.
retention: {closed_pull_requests: 0s}
`, h.fake.URL, h.fake.URL, h.fake.AppID(), secret, keyPath, h.dbURL)), 0o600))
	return h
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// start runs the real serve wiring in-process until the test ends or the
// returned stop is called (stopping twice is safe).
func (h *harness) start(t *testing.T, env map[string]string) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	if h.clock != nil {
		ctx = context.WithValue(ctx, clockKey{}, h.clock)
	}
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--config", h.cfgPath}, func(k string) string { return env[k] }, pw, io.Discard)
		pw.Close()
	}()
	h.url = readListening(t, pr)
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve returned %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func readListening(t *testing.T, r io.Reader) string {
	t.Helper()
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				line <- u
				return
			}
		}
		close(line)
	}()
	select {
	case u, ok := <-line:
		if !ok {
			t.Fatal("server exited before listening")
		}
		return u
	case <-time.After(30 * time.Second):
		t.Fatal("server did not start")
	}
	return ""
}

func payload(t *testing.T, name string, edit func(map[string]any)) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "webhooks", name))
	must(t, err)
	if edit == nil {
		return data
	}
	var m map[string]any
	must(t, json.Unmarshal(data, &m))
	edit(m)
	out, err := json.Marshal(m)
	must(t, err)
	return out
}

func sign(body []byte, key string) string {
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// send delivers a webhook signed with the app's secret. Delivery "" is a new
// delivery of the event: a fresh ID and, as every delivery GitHub sends has,
// a body of its own (the same body under a new ID is refused as a replay);
// the body gains a field naming the ID, which the app ignores.
func (h *harness) send(t *testing.T, event, delivery string, body []byte) int {
	t.Helper()
	if delivery == "" {
		delivery = fmt.Sprintf("d-%s-%d", t.Name(), h.seq.Add(1))
		body = withDeliveryField(body, delivery)
	}
	return h.sendSigned(t, event, delivery, body, sign(body, secret))
}

// withDeliveryField adds "e2e_delivery": id to a JSON object; anything else
// is returned as is.
func withDeliveryField(body []byte, id string) []byte {
	rest, ok := bytes.CutPrefix(body, []byte("{"))
	if !ok {
		return body
	}
	field := fmt.Sprintf(`{"e2e_delivery":%q`, id)
	if len(bytes.TrimSpace(rest)) > 0 && bytes.TrimSpace(rest)[0] != '}' {
		field += ","
	}
	return append([]byte(field), rest...)
}

func (h *harness) sendSigned(t *testing.T, event, delivery string, body []byte, signature string) int {
	t.Helper()
	if delivery == "" {
		delivery = fmt.Sprintf("d-%s-%d", t.Name(), h.seq.Add(1))
	}
	req, err := http.NewRequest(http.MethodPost, h.url+"/api/github/hook", bytes.NewReader(body))
	must(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", delivery)
	if signature != "" {
		req.Header.Set("X-Hub-Signature-256", signature)
	}
	res, err := http.DefaultClient.Do(req)
	must(t, err)
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode == http.StatusAccepted {
		h.accepted.Add(1)
	}
	return res.StatusCode
}

// settle waits until every delivery accepted so far was handled and no
// evaluation is waiting or running: the app has done all it will do.
func (h *harness) settle(t *testing.T) {
	t.Helper()
	quiet := 0
	waitFor(t, "the app to settle", func() bool {
		if h.deliveriesDone(t) < int(h.accepted.Load()) || h.pendingJobs(t) > 0 {
			quiet = 0
			return false
		}
		quiet++
		return quiet >= 3
	})
}

// pendingJobs counts evaluate jobs not finished yet, and delivery
// jobs that will run again: the metric deliveriesDone reads counts an
// attempt that failed (a timeout under load) as done, while its retry,
// which requests the evaluation, is still to come.
func (h *harness) pendingJobs(t *testing.T) int {
	t.Helper()
	db, err := sql.Open("sqlite", sqliteTestDSN(h.dbURL))
	must(t, err)
	defer db.Close()
	var n int
	must(t, db.QueryRow(`SELECT count(*) FROM river_job WHERE kind IN ('evaluate', 'delivery')
AND state IN ('available', 'running', 'retryable', 'pending', 'scheduled')`).Scan(&n))
	return n
}

// waitFor polls cond until it holds; the deadline only bounds a failure.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (h *harness) checkRuns() []githubfake.CheckRun { return h.fake.CheckRuns(owner, repoName) }

// evaluations counts the evaluations that ran (finished either way; one
// that found another covering it is not counted), from the server's own
// metrics. (The .github listing once counted them; it is cached now.)
func (h *harness) evaluations() int {
	res, err := http.Get(h.url + "/metrics")
	if err != nil {
		return -1
	}
	defer res.Body.Close()
	n := 0
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, `reviewpolicy_job_duration_seconds_count{kind="evaluate"`) {
			var v int
			_, _ = fmt.Sscan(line[strings.LastIndexByte(line, ' ')+1:], &v)
			n += v
		}
	}
	return n
}

// deliveriesDone counts delivery jobs that finished (either way), from the
// server's own metrics.
func (h *harness) deliveriesDone(t *testing.T) int {
	t.Helper()
	res, err := http.Get(h.url + "/metrics")
	must(t, err)
	defer res.Body.Close()
	n := 0
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, `reviewpolicy_job_duration_seconds_count{kind="delivery:`) {
			var v int
			_, _ = fmt.Sscan(line[strings.LastIndexByte(line, ' ')+1:], &v)
			n += v
		}
	}
	return n
}

func (h *harness) metrics(t *testing.T) string {
	t.Helper()
	res, err := http.Get(h.url + "/metrics")
	must(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	must(t, err)
	return string(b)
}

// writes counts requests that change something on GitHub.
func (h *harness) writes() int {
	n := 0
	for _, c := range h.fake.Calls() {
		if c.Method != "GET" && !strings.HasSuffix(c.Path, "/access_tokens") {
			n++
		}
	}
	return n
}

func TestPullRequestOpenedGetsCheckRunOnHeadSHA(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.start(t, nil)
	if got := h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", nil)); got != http.StatusAccepted {
		t.Fatalf("webhook answered %d, want 202", got)
	}
	waitFor(t, "a check run", func() bool { return len(h.checkRuns()) > 0 })
	runs := h.checkRuns()
	if len(runs) != 1 || runs[0].HeadSHA != headSHA || runs[0].Name != "review-policy" || runs[0].Status != "completed" {
		t.Fatalf("check runs = %+v", runs)
	}
	if runs[0].Conclusion != "success" || !strings.Contains(runs[0].Summary, "No review policy found") {
		t.Errorf("without a policy the check should pass and say so: %+v", runs[0])
	}
}

func TestBadSignatureIsRejectedAndStoresNothing(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.start(t, nil)
	body := payload(t, "pull_request/opened.payload.json", nil)
	if got := h.sendSigned(t, "pull_request", "bad-1", body, sign(body, "wrong-secret")); got != http.StatusUnauthorized {
		t.Errorf("wrong signature: %d, want 401", got)
	}
	if got := h.sendSigned(t, "pull_request", "bad-2", body, ""); got != http.StatusUnauthorized {
		t.Errorf("missing signature: %d, want 401", got)
	}
	// The same delivery IDs, now signed, are accepted as new: nothing was
	// stored for them before.
	if got := h.send(t, "pull_request", "bad-1", body); got != http.StatusAccepted {
		t.Errorf("after a rejected delivery the same ID was answered %d, want 202", got)
	}
	waitFor(t, "the signed delivery's check run", func() bool { return len(h.checkRuns()) == 1 })
}

func TestMalformedAndOversizedPayloads(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.start(t, nil)
	if got := h.send(t, "pull_request", "", []byte("{not json")); got != http.StatusBadRequest {
		t.Errorf("malformed JSON: %d, want 400", got)
	}
	big := bytes.Repeat([]byte(" "), 25<<20+1)
	if got := h.send(t, "pull_request", "", big); got != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized payload: %d, want 413", got)
	}
}

func TestSameDeliveryTwiceGivesOneCheckRunAndRedeliveryUpdatesIt(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.start(t, nil)
	body := payload(t, "pull_request/opened.payload.json", nil)
	if got := h.send(t, "pull_request", "dup-1", body); got != http.StatusAccepted {
		t.Fatalf("first delivery: %d", got)
	}
	if got := h.send(t, "pull_request", "dup-1", body); got != http.StatusOK {
		t.Errorf("duplicate delivery: %d, want 200", got)
	}
	waitFor(t, "a check run", func() bool { return len(h.checkRuns()) == 1 })
	// The first job writes more after its check run (the sticky comment):
	// count from its end, not from its check run.
	waitFor(t, "the first job to finish", func() bool { return h.deliveriesDone(t) == 1 })
	// The same body under a new ID is a replay (GitHub's "Redeliver"
	// reuses the ID, above): answered as a duplicate, nothing runs.
	if got := h.send(t, "pull_request", "dup-replay", body); got != http.StatusOK {
		t.Errorf("replayed body under a new ID: %d, want 200", got)
	}
	// The same event again under a new ID, with a body of its own (as two
	// deliveries of one event would be), runs again and, nothing having
	// changed, writes nothing.
	writes := h.writes()
	h.send(t, "pull_request", "", body)
	waitFor(t, "the second delivery's evaluation", func() bool { return h.evaluations() == 2 })
	waitFor(t, "the job to finish", func() bool { return h.deliveriesDone(t) == 2 })
	if n := len(h.checkRuns()); n != 1 {
		t.Errorf("%d check runs after a second delivery, want 1", n)
	}
	if n := h.writes() - writes; n != 0 {
		t.Errorf("the second delivery wrote %d times to GitHub, want 0", n)
	}
	if n := h.fake.CountCalls("POST", "/repos/"+owner+"/"+repoName+"/check-runs"); n != 1 {
		t.Errorf("check run created %d times, want 1", n)
	}
}

const templatePolicy = `version: 1
template:
  sections:
    - {heading: Summary, min_words: 5}
    - {heading: Testing}
  ticket: {pattern: '[A-Z]+-[0-9]+', in: [title, body]}
`

func TestTemplateFailsThenEditTurnsCheckGreenWithOneComment(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", templatePolicy)
	h.fake.SetFile(owner, repoName, "master", ".github/pull_request_template.md",
		"## Summary\n<!-- What and why? -->\nDescribe the change.\n\n## Testing\nHow was it tested?\n")
	h.start(t, nil)

	body := "## Summary\nDescribe the change.\n\n## Testing\nHow was it tested?\n"
	h.fake.EditPullRequest(owner, repoName, prNumber, func(p *githubfake.PullRequest) { p.Body = body })
	h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", func(m map[string]any) {
		m["pull_request"].(map[string]any)["body"] = body
	}))
	waitFor(t, "a failing check", func() bool { r := h.checkRuns(); return len(r) == 1 && r[0].Conclusion == "failure" })
	waitFor(t, "a sticky comment", func() bool { return len(h.fake.Comments(owner, repoName, prNumber)) == 1 })
	first := h.fake.Comments(owner, repoName, prNumber)[0]
	for _, want := range []string{"Summary", "Testing", "ticket"} {
		if !strings.Contains(first.Body, want) {
			t.Errorf("comment does not mention %q:\n%s", want, first.Body)
		}
	}

	fixed := "## Summary\nFixes ACME-42: the README now explains how to install.\n\n## Testing\nRendered it locally.\n"
	h.fake.EditPullRequest(owner, repoName, prNumber, func(p *githubfake.PullRequest) { p.Body = fixed })
	h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", func(m map[string]any) {
		m["action"] = "edited"
		m["changes"] = map[string]any{"body": map[string]any{"from": body}}
		m["pull_request"].(map[string]any)["body"] = fixed
	}))
	waitFor(t, "a green check", func() bool { r := h.checkRuns(); return len(r) == 1 && r[0].Conclusion == "success" })
	waitFor(t, "the comment to say all is well", func() bool {
		cs := h.fake.Comments(owner, repoName, prNumber)
		return len(cs) == 1 && strings.Contains(cs[0].Body, "✅")
	})
	if cs := h.fake.Comments(owner, repoName, prNumber); cs[0].ID != first.ID {
		t.Errorf("the comment was replaced, not edited: %d then %d", first.ID, cs[0].ID)
	}
}

func TestInvalidPolicyFailsTheCheckWithLineAndColumn(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", "version: 1\ntemplate:\n  sectoins: []\n")
	h.start(t, nil)
	h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", nil))
	waitFor(t, "a check run", func() bool { return len(h.checkRuns()) == 1 })
	run := h.checkRuns()[0]
	if run.Conclusion != "failure" || !strings.Contains(run.Summary, ".github/review-policy.yml:3:3") ||
		!strings.Contains(run.Summary, "sections") {
		t.Errorf("invalid policy check = %s\n%s", run.Conclusion, run.Summary)
	}
}

func TestPolicyComesFromBaseBranchNotHead(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", templatePolicy)
	// The author's branch weakens the policy; it must not apply.
	h.fake.SetFile(owner, repoName, "changes", ".github/review-policy.yml", "version: 1\n")
	h.fake.SetFile(owner, repoName, headSHA, ".github/review-policy.yml", "version: 1\n")
	h.start(t, nil)
	h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", nil))
	waitFor(t, "a check run", func() bool { return len(h.checkRuns()) == 1 })
	if run := h.checkRuns()[0]; run.Conclusion != "failure" {
		t.Errorf("the head's weaker policy was applied: %s\n%s", run.Conclusion, run.Summary)
	}
}

func TestDebugProfilesOnlyOnTheDebugAddress(t *testing.T) {
	t.Parallel()
	h := setup(t)
	urls := serveWithEnv(t, h, map[string]string{"REVIEWPOLICY_DEBUG_ADDRESS": "127.0.0.1:0"}, "listening on ", "debug on ")
	if code := getStatus(t, urls["debug on "]+"heap?debug=1"); code != http.StatusOK {
		t.Errorf("heap profile on the debug address: %d", code)
	}
	if code := getStatus(t, urls["listening on "]+"/debug/pprof/"); code != http.StatusNotFound {
		t.Errorf("profiles on the public port: %d, want 404", code)
	}
}

// /metrics names repositories in its labels: given an address of its own,
// it is served there and the webhook port answers 404.
func TestMetricsOnlyOnTheMetricsAddress(t *testing.T) {
	t.Parallel()
	h := setup(t)
	urls := serveWithEnv(t, h, map[string]string{"REVIEWPOLICY_METRICS_ADDRESS": "127.0.0.1:0"}, "listening on ", "metrics on ")
	res, err := http.Get(urls["metrics on "])
	must(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "reviewpolicy_build_info") {
		t.Errorf("metrics on the metrics address: %d\n%.300s", res.StatusCode, body)
	}
	public := urls["listening on "]
	if code := getStatus(t, public+"/metrics"); code != http.StatusNotFound {
		t.Errorf("metrics on the webhook port: %d, want 404", code)
	}
	if code := getStatus(t, public+"/healthz"); code != http.StatusOK {
		t.Errorf("healthz on the webhook port: %d, want 200", code)
	}
}

// serveWithEnv runs serve with env until the test ends and returns the URL
// printed after each of prefixes.
func serveWithEnv(t *testing.T, h *harness, env map[string]string, prefixes ...string) map[string]string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	if h.clock != nil {
		ctx = context.WithValue(ctx, clockKey{}, h.clock)
	}
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--config", h.cfgPath}, func(k string) string { return env[k] }, pw, io.Discard)
		pw.Close()
	}()
	t.Cleanup(func() { cancel(); <-done })
	sc := bufio.NewScanner(pr)
	urls := map[string]string{}
	for len(urls) < len(prefixes) && sc.Scan() {
		for _, p := range prefixes {
			if u, ok := strings.CutPrefix(sc.Text(), p); ok {
				urls[p] = u
			}
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if len(urls) < len(prefixes) {
		t.Fatalf("serve printed only %v", urls)
	}
	return urls
}

func getStatus(t *testing.T, url string) int {
	t.Helper()
	res, err := http.Get(url)
	must(t, err)
	res.Body.Close()
	return res.StatusCode
}

// sqliteTestDSN opens the server's SQLite file from a test beside the
// running server: the test's writes wait for the server's (busy_timeout)
// instead of failing with SQLITE_BUSY.
func sqliteTestDSN(dbURL string) string {
	return strings.TrimPrefix(dbURL, "sqlite://") + "?_pragma=busy_timeout(20000)"
}
