package main

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/reviewpolicy/reviewpolicy/internal/githubfake"
	"github.com/reviewpolicy/reviewpolicy/simulate"
)

// The browser test drives Debian's chromium through every page as a
// developer, a lead and a stranger would, runs axe-core on each page, and
// saves screenshots. It needs chromium and axe-core, which scripts/test
// installs; without them it fails, never skips.
//
//   - REVIEWPOLICY_CHROMIUM: the browser (default: chromium on PATH)
//   - REVIEWPOLICY_AXE_JS: axe.min.js (default: where scripts/test puts it)
//   - REVIEWPOLICY_SCREENSHOTS_TO_DOCS=1: also copy one screenshot per page
//     to docs/screenshots for the README

// AxeVersion is the axe-core release the test runs (scripts/test installs it).
const AxeVersion = "4.11.0"

func browserTools(t *testing.T) (chromium, axe string) {
	t.Helper()
	chromium = os.Getenv("REVIEWPOLICY_CHROMIUM")
	if chromium == "" {
		chromium, _ = exec.LookPath("chromium")
	}
	axe = os.Getenv("REVIEWPOLICY_AXE_JS")
	if axe == "" {
		cache, _ := os.UserCacheDir()
		axe = filepath.Join(cache, "reviewpolicy", "axe-core-"+AxeVersion, "node_modules", "axe-core", "axe.min.js")
	}
	var missing []string
	if _, err := os.Stat(chromium); chromium == "" || err != nil {
		missing = append(missing, "chromium (apt-get install chromium, or set REVIEWPOLICY_CHROMIUM)")
	}
	if _, err := os.Stat(axe); err != nil {
		missing = append(missing, fmt.Sprintf("axe-core %s at %s (npm install --prefix DIR axe-core@%s, or set REVIEWPOLICY_AXE_JS)", AxeVersion, axe, AxeVersion))
	}
	if len(missing) > 0 {
		t.Fatalf("the browser test needs %s; scripts/test installs them",
			strings.Join(missing, " and "))
	}
	return chromium, axe
}

// browser is one chromium with a fresh profile.
type browser struct {
	t       *testing.T
	ctx     context.Context
	axe     string
	shotDir string
}

func newBrowser(t *testing.T, chromium, axePath string) *browser {
	t.Helper()
	axe, err := os.ReadFile(axePath)
	must(t, err)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.Flag("headless", true), chromedp.Flag("no-sandbox", true), chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true), chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	b := &browser{t: t, ctx: ctx, axe: string(axe), shotDir: filepath.Join("..", "..", "test-output", "browser")}
	// A viewer in Berlin: the pages show times in the browser's zone.
	if _, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Europe/Berlin"}); err != nil {
		t.Fatalf("browser: %v", err)
	}
	must(t, os.MkdirAll(b.shotDir, 0o755))
	return b
}

// step bounds one browser action, so a hung page fails the test instead of
// hanging it (the browser's own context must not carry a timeout).
func (b *browser) step() (context.Context, context.CancelFunc) {
	return context.WithTimeout(b.ctx, time.Minute)
}

func (b *browser) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

func browserRun[T any](b *browser, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("browser: %v", err)
	}
	return v
}

// open loads url and returns the document's status and its visible text.
func (b *browser) open(url string) (int64, string) {
	b.t.Helper()
	res := browserRun(b, chromedp.NavigateResponse(url))
	return res.Status, b.text()
}

func (b *browser) text() string {
	b.t.Helper()
	return browserRun(b, chromedp.Evaluate[string](`document.body.innerText`))
}

// axeCheck runs axe-core on the page and fails on serious or critical
// violations; lesser ones are logged.
func (b *browser) axeCheck(page string) {
	b.t.Helper()
	type violation struct {
		ID, Impact, Help string
		Targets          []any
	}
	browserRun(b, chromedp.Evaluate[bool](b.axe+"\n;true"))
	res := browserRun(b, chromedp.Evaluate[[]violation](`axe.run(document, {resultTypes: ['violations']}).then(r =>
  r.violations.map(v => ({ID: v.id, Impact: v.impact, Help: v.help, Targets: v.nodes.map(n => n.target)})))`, chromedp.EvalAwaitPromise))
	for _, v := range res {
		msg := fmt.Sprintf("axe on %s: %s (%s): %s at %v", page, v.ID, v.Impact, v.Help, v.Targets)
		if v.Impact == "serious" || v.Impact == "critical" {
			b.t.Error(msg)
		} else {
			b.t.Log(msg)
		}
	}
}

// shot saves a full-page PNG to test-output/browser, and a route's page
// (not the 404) to docs/screenshots when REVIEWPOLICY_SCREENSHOTS_TO_DOCS=1.
func (b *browser) shot(name string) {
	b.t.Helper()
	png := browserRun(b, chromedp.FullScreenshot(100))
	must(b.t, os.WriteFile(filepath.Join(b.shotDir, name+".png"), png, 0o644))
	if os.Getenv("REVIEWPOLICY_SCREENSHOTS_TO_DOCS") == "1" && name != "not-found" {
		dir := filepath.Join("..", "..", "docs", "screenshots")
		must(b.t, os.MkdirAll(dir, 0o755))
		must(b.t, os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644))
	}
}

// signIn signs out whoever is signed in, then signs in as login through
// the fake GitHub's web flow, from the front page's button.
func (b *browser) signIn(h *harness, login string) {
	b.t.Helper()
	if _, err := chromedp.Call(b.ctx, network.ClearBrowserCookies, cdp.Empty{}); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
	h.fake.SignInAs(login)
	if _, text := b.open(h.url + "/"); !strings.Contains(text, "Sign in with GitHub") {
		b.t.Fatalf("front page has no sign-in:\n%s", text)
	}
	ctx, cancel := b.step()
	defer cancel()
	res, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`main a.button[href^="/login"]`)))
	if err != nil {
		b.t.Fatalf("browser: sign-in: %v", err)
	}
	loc := browserRun(b, chromedp.Location())
	who := browserRun(b, chromedp.Text(chromedp.CSS(`header .who`)))
	if res.Status != 200 || !strings.HasSuffix(loc, "/me") || !strings.Contains(who, login) {
		b.t.Fatalf("after sign-in: %d at %s: %q", res.Status, loc, who)
	}
}

func containsAll(t *testing.T, page, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s does not show %q:\n%s", page, w, text)
		}
	}
}

// webEnv turns on sign-in for the harness's server, against the fake.
func webEnv(h *harness) map[string]string {
	return map[string]string{
		"GITHUB_WEB_URL": strings.TrimSuffix(h.fake.URL, "/"), "GITHUB_OAUTH_CLIENT_ID": githubfake.OAuthClientID,
		"GITHUB_OAUTH_CLIENT_SECRET": githubfake.OAuthClientSecret,
		"REVIEWPOLICY_SESSION_KEY":   base64.StdEncoding.EncodeToString([]byte("browser-test-session-key-32-bytes!!")),
		// The fixtures' times are years old: keep the history.
		"REVIEWPOLICY_RETENTION_HISTORY": "0",
	}
}

const browserPolicy = `version: 1
template:
  sections: [{heading: Why}, {heading: Testing}]
reviewers:
  rules:
    - {name: docs, paths: ["*.md"], reviewers: [carol, dave], count: 1}
sla:
  first_review: 24h
  remind_before: 4h
`

// seedHistory adds twelve weeks of a team's history beside what the
// webhooks recorded, so the charts have something to show.
func seedHistory(t *testing.T, h *harness, now time.Time) {
	t.Helper()
	// One transaction, waiting for the server's own writes to the file.
	conn, err := sql.Open("sqlite", strings.TrimPrefix(h.dbURL, "sqlite://")+"?_pragma=busy_timeout(20000)&_txlock=immediate")
	must(t, err)
	defer conn.Close()
	db, err := conn.Begin()
	must(t, err)
	defer func() { must(t, db.Commit()) }()
	us := func(t time.Time) int64 {
		if t.IsZero() {
			return 0
		}
		return t.UnixMicro()
	}
	snap := func(v any) []byte { b, _ := json.Marshal(v); return b }
	pr := func(n int, title, author, state string, requested string, started, first, deadline, breached, closed time.Time, failures string, snapshot []byte) {
		if snapshot == nil {
			snapshot = []byte(`{}`)
		}
		_, err := db.Exec(`INSERT INTO pr_history (repo_id, number, installation_id, owner, repo, title, author, state, draft,
conclusion, requested, template_failures, started_at, first_review_at, deadline_at, breached_at, closed_at, snapshot, updated_at, changed_at)
VALUES (?, ?, ?, 'codertocat', 'hello-world', ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, repoID, n, installID, title, author, state,
			map[bool]string{true: "failure", false: "success"}[failures != "" || n == 11], requested, failures, us(started), us(first),
			us(deadline), us(breached), us(closed), snapshot, us(now), us(now))
		must(t, err)
	}
	ev := func(n int, kind, actor string, at time.Time, inside bool) {
		_, err := db.Exec(`INSERT INTO pr_events (repo_id, number, owner, repo, key, kind, actor, detail, inside, at, recorded_at)
VALUES (?, ?, 'codertocat', 'hello-world', ?, ?, ?, '', ?, ?, ?)`, repoID, n, fmt.Sprintf("%s:%s:%d", kind, actor, at.UnixMicro()),
			kind, actor, inside, us(at), us(now))
		must(t, err)
	}
	h1 := time.Hour
	pr(11, "Speed up the policy parser", "carol", "open", "dave", now.Add(-4*h1), time.Time{}, now.Add(20*h1), time.Time{}, time.Time{}, "",
		snap(map[string]any{"head_sha": strings.Repeat("e", 40), "reviewers": map[string]any{"ok": false, "mode": "block", "rules": []map[string]any{
			{"name": "core", "state": "waiting", "required": 2, "approvals": []string{"erin"},
				"assigned": []map[string]string{{"login": "dave", "reason": "dave: rule core matched parse.go; least loaded (1 open review)"}}}}}}))
	ev(11, "requested", "dave", now.Add(-4*h1), true)
	seedWhatIf(t, db, 11, strings.Repeat("e", 40), now)
	pr(12, "Fix the login redirect", "erin", "open", "carol", now.Add(-27*h1), time.Time{}, now.Add(-3*h1), now.Add(-3*h1), time.Time{}, "ticket", nil)
	ev(12, "requested", "carol", now.Add(-27*h1), true)
	people := []string{"carol", "dave", "erin", "frank"}
	for i := 0; i < 36; i++ {
		n := 20 + i
		opened := now.Add(-time.Duration(i*56+30) * h1)
		took := time.Duration(2+(i*7)%30) * h1
		reviewer := people[i%len(people)]
		breached, failures := time.Time{}, ""
		if took > 24*h1 {
			breached = opened.Add(24 * h1)
		}
		if i%5 == 0 {
			failures = "section"
		}
		pr(n, fmt.Sprintf("Change %d", n), people[(i+1)%len(people)], "merged", "", opened, opened.Add(took), time.Time{}, breached,
			opened.Add(took+6*h1), failures, nil)
		ev(n, "requested", reviewer, opened, true)
		ev(n, "reviewed", reviewer, opened.Add(took), i%3 != 0)
		ev(n, "merged", "", opened.Add(took+6*h1), true)
	}
	for _, m := range []string{"carol", "dave"} {
		_, err := db.Exec(`INSERT INTO team_members (owner, team, login) VALUES ('codertocat', 'core', ?)`, m)
		must(t, err)
	}
}

// seedWhatIf keeps a what-if report for pull request n's head, as the
// what-if job does for a pull request that edits the policy.
func seedWhatIf(t *testing.T, db *sql.Tx, n int, head string, now time.Time) {
	t.Helper()
	data, err := simulate.EncodeStored(head, simulate.Report{Repo: "codertocat/hello-world", Current: "policy in force", Proposed: "head",
		PRs: 36, Merged: 36, From: now.AddDate(0, 0, -84), To: now,
		Template: []simulate.Group{{Key: "section Testing: missing", Current: []int{20}, Proposed: []int{20, 21, 22}, Added: []int{21, 22}}},
		Load:     []simulate.Group{{Key: "dave", Current: []int{20, 21}, Proposed: []int{21}, Removed: []int{20}}},
		Spread:   [2]simulate.Load{{Requests: 36, People: 4, Max: 9, Median: 9}, {Requests: 36, People: 3, Max: 14, Median: 11, None: []string{"frank"}}},
		SLA:      simulate.SLA{Breached: simulate.Group{Key: "breached", Current: []int{23}, Proposed: []int{23, 24}, Added: []int{24}}, Clocked: [2]int{36, 36}, Reviewed: 36},
		Unknown:  []string{"team membership then is unknown; today's is used"}})
	must(t, err)
	_, err = db.Exec(`INSERT INTO simulate_answers (key, value, written_at) VALUES (?, ?, ?)`, simulate.StoredKey(repoID, n, head), data, now.UnixMicro())
	must(t, err)
}

func TestBrowserPagesForDeveloperLeadAndStranger(t *testing.T) {
	chromium, axe := browserTools(t)
	h := setup(t)
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", browserPolicy)
	h.fake.SetCollaborators(owner, repoName, "carol", "dave", "erin", "frank", "Codertocat")
	for _, login := range []string{"carol", "dave"} {
		h.fake.GrantUser(login, installID)
	}
	h.start(t, webEnv(h))
	h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", nil))
	waitFor(t, "a check run", func() bool { return len(h.checkRuns()) == 1 })
	h.settle(t)
	requested, _ := h.fake.RequestedReviewers(owner, repoName, prNumber)
	if len(requested) != 1 {
		t.Fatalf("requested %v, want one reviewer", requested)
	}
	reviewer := requested[0]
	h.send(t, "pull_request", "", payload(t, "pull_request/review_requested.payload.json", func(m map[string]any) {
		m["requested_reviewer"].(map[string]any)["login"] = reviewer
	}))
	h.settle(t)
	seedHistory(t, h, time.Now())

	b := newBrowser(t, chromium, axe)
	status, text := b.open(h.url + "/")
	containsAll(t, "the front page", text, "enforces your team's code-review policy", "Sign in with GitHub")
	if status != 200 {
		t.Errorf("front page status %d", status)
	}
	b.axeCheck("/")
	b.shot("home")

	// The developer: what waits on them, their pull requests, their load.
	b.signIn(h, reviewer)
	_, text = b.open(h.url + "/me")
	containsAll(t, "/me", text, "Waiting on you", "Update the README with new information.", "Your review load", "Team median")
	b.axeCheck("/me")
	b.shot("me")

	_, text = b.open(h.url + "/Codertocat/Hello-World/pull/2")
	containsAll(t, "the pull request's page", text, "Description template", "section: Why", "Reviewers", reviewer+":",
		"Review SLA", "First review due", "CET", "review requested", "template checked")
	b.axeCheck("pull request")
	b.shot("pull-request")

	// A policy change's page: its what-if, with the pull requests behind it.
	_, text = b.open(h.url + "/Codertocat/Hello-World/pull/11")
	containsAll(t, "the policy change's page", text, "What-if of this policy change", "Template failures, by reason", "#21", "#24", "frank")
	b.axeCheck("what-if")
	b.shot("what-if")

	// The lead: the overview, by keyboard.
	b.signIn(h, "dave")
	_, text = b.open(h.url + "/Codertocat")
	containsAll(t, "the overview", text, "Open pull requests by SLA state", "1 breached", "Time to first review, 12 weeks",
		"Open review requests per person", "Open review requests per team", "SLA breaches per week", "Template failures by kind",
		"Reviews inside and outside working hours", "Export")
	b.axeCheck("overview")
	b.shot("overview")
	tabThrough(t, b)
	_, text = b.open(h.url + "/Codertocat?team=core")
	containsAll(t, "the team's overview", text, "Speed up the policy parser")
	_, text = b.open(h.url + "/Codertocat/Hello-World")
	containsAll(t, "the repository overview", text, "Review health of Codertocat/Hello-World", "Fix the login redirect")
	b.axeCheck("repository overview")
	b.shot("repository")
	// The same overview under /orgs/, which no organisation's name can shadow.
	_, text = b.open(h.url + "/orgs/Codertocat")
	containsAll(t, "the overview at /orgs/", text, "Review health of Codertocat", "Open pull requests by SLA state")

	// A stranger: no installation reaches them, so nothing exists for them.
	b.signIn(h, "mallory")
	for _, path := range []string{"/Codertocat/Hello-World/pull/2", "/Codertocat/Hello-World", "/Codertocat"} {
		status, text := b.open(h.url + path)
		if status != 404 || strings.Contains(text, "Update the README") {
			t.Errorf("%s for a stranger: %d\n%s", path, status, text)
		}
	}
	b.axeCheck("not found")
	b.shot("not-found")
	b.axeFindsAViolation()
}

// axeFindsAViolation proves the checker works: an image without a text
// alternative added to the page is reported as critical.
func (b *browser) axeFindsAViolation() {
	b.t.Helper()
	ids := browserRun(b, chromedp.Evaluate[[]string](`(async () => {
  const img = document.createElement('img'); img.src = '/static/none.png'; document.querySelector('main').appendChild(img);
  const r = await axe.run(document, {resultTypes: ['violations']});
  img.remove();
  return r.violations.filter(v => v.impact === 'critical').map(v => v.id); })()`, chromedp.EvalAwaitPromise))
	if !slices.Contains(ids, "image-alt") {
		b.t.Errorf("axe-core did not report an image without alt text: %v", ids)
	}
}

// tabThrough presses Tab from the top of the overview and checks that the
// keyboard reaches the skip link first, then the filters and an export
// link, each with a visible focus ring.
func tabThrough(t *testing.T, b *browser) {
	t.Helper()
	var seen []string
	for i := 0; i < 40; i++ {
		b.do(chromedp.KeyEvent(kb.Tab))
		desc := browserRun(b, chromedp.Evaluate[string](`(() => { const e = document.activeElement;
  const s = getComputedStyle(e); const ring = s.outlineStyle !== 'none' && s.outlineWidth !== '0px';
  return e.tagName.toLowerCase() + '#' + (e.id || (e.textContent || '').trim().slice(0, 30)) + (ring ? '' : ' (no focus ring)'); })()`))
		if strings.HasPrefix(desc, "body#") {
			break // past the last control: focus left the page
		}
		seen = append(seen, desc)
	}
	joined := strings.Join(seen, " | ")
	if !strings.HasPrefix(seen[0], "a#Skip to content") {
		t.Errorf("the first Tab does not reach the skip link: %s", joined)
	}
	for _, want := range []string{"select#f-repo", "select#f-team", "button#Apply filters", "a#Open pull requests by SLA", "a#Export", "input#tz"} {
		if !strings.Contains(joined, want) {
			t.Errorf("Tab never reaches %s: %s", want, joined)
		}
	}
	if strings.Contains(joined, "no focus ring") {
		t.Errorf("an element has no visible focus: %s", joined)
	}
}
