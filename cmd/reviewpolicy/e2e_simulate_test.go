package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reviewpolicy/reviewpolicy/internal/githubfake"
	"github.com/reviewpolicy/reviewpolicy/simulate"
)

const (
	simOwner = "acme"
	simRepo  = "widgets"
	simPRs   = 100
)

const simCurrent = `version: 1
template:
  sections: [{heading: Summary}]
reviewers:
  strategy: round-robin
  rules: [{name: all, paths: ["**"], reviewers: ["@acme/core"]}]
sla: {first_review: 24h}
`

// simProposed adds a section and a working-hours SLA.
const simProposed = `version: 1
template:
  sections: [{heading: Summary}, {heading: Testing}]
reviewers:
  strategy: round-robin
  rules: [{name: all, paths: ["**"], reviewers: ["@acme/core"]}]
sla:
  first_review: 8h
  working_hours: {timezone: UTC, days: [mon, tue, wed, thu, fri], start: "09:00", end: "17:00"}
`

// simWant is what the test built into the history, per pull request.
type simWant struct {
	merged, reviewed              []int
	noSummary, noTesting          []int
	breachedBefore, breachedAfter []int
	firstReview                   []time.Duration
}

// simHistory seeds count closed pull requests numbered from first, one a
// week from Monday 2 November 2026, in four kinds by i modulo 4, i being
// 1 for the first:
//
//	0: asked Monday 10:00, reviewed 11:00 (1h wall, 1h working): no breach;
//	1: asked Friday 16:00, reviewed Monday 10:00 (66h wall, 2h working):
//	   breaches the 24h clock only;
//	2: asked Monday 10:00, reviewed Tuesday 15:00 (29h wall, 13h working):
//	   breaches both;
//	3: asked Monday 10:00, closed unmerged at 12:00 without a review.
//
// Bodies: every 10th has no sections; otherwise every 3rd lacks Testing.
// The first half are based on one commit, the rest on another, each with
// its own template.
func simHistory(f *githubfake.Fake, owner, repo string, first, count int) simWant {
	var w simWant
	start := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	bases := []string{strings.Repeat("b1", 20), strings.Repeat("b2", 20)}
	for i, sha := range bases {
		f.SetFile(owner, repo, sha, ".github/pull_request_template.md", fmt.Sprintf("## Summary\n<!-- what, version %d -->\n", i))
	}
	for n := first; n < first+count; n++ {
		i := n - first + 1 // the kinds go by this
		monday := start.Add(time.Duration(i) * 7 * 24 * time.Hour)
		opened, reviewAt, closed := monday.Add(10*time.Hour), monday.Add(11*time.Hour), monday.Add(12*time.Hour)
		switch i % 4 {
		case 1:
			opened, reviewAt = monday.Add(4*24*time.Hour+16*time.Hour), monday.Add(7*24*time.Hour+10*time.Hour)
			w.breachedBefore = append(w.breachedBefore, n)
		case 2:
			reviewAt = monday.Add(24*time.Hour + 15*time.Hour)
			w.breachedBefore, w.breachedAfter = append(w.breachedBefore, n), append(w.breachedAfter, n)
		}
		body := "## Summary\nthe widget parser accepts tabs\n\n## Testing\nunit tests\n"
		switch {
		case i%10 == 0:
			body = "fixes it"
			w.noSummary, w.noTesting = append(w.noSummary, n), append(w.noTesting, n)
		case i%3 == 0:
			body = "## Summary\nthe widget parser accepts tabs\n"
			w.noTesting = append(w.noTesting, n)
		}
		pr := githubfake.PullRequest{Number: n, Title: fmt.Sprintf("change %d", n), Body: body, HeadRef: fmt.Sprintf("topic-%d", n),
			HeadSHA: fmt.Sprintf("%040x", n), BaseRef: "main", BaseSHA: bases[(i-1)*2/count], Author: "dev",
			Files: []string{fmt.Sprintf("src/file%d.go", n)}, State: "closed", CreatedAt: opened}
		reviewer := []string{"alice", "bob"}[n%2]
		if i%4 == 3 {
			pr.ClosedAt = closed
		} else {
			closed = reviewAt.Add(time.Hour)
			pr.ClosedAt, pr.MergedAt = closed, closed
			w.merged, w.reviewed = append(w.merged, n), append(w.reviewed, n)
			w.firstReview = append(w.firstReview, reviewAt.Sub(opened))
		}
		f.AddPullRequest(owner, repo, pr)
		f.RequestReviewAt(owner, repo, n, "dev", reviewer, opened)
		if i%4 != 3 {
			f.AddReviewAt(owner, repo, n, reviewer, "APPROVED", "MEMBER", reviewAt)
		}
	}
	return w
}

func simSetup(t *testing.T) (*githubfake.Fake, string, simWant) {
	t.Helper()
	return simSetupN(t, simPRs)
}

// simSetupN is simSetup with n closed pull requests.
func simSetupN(t *testing.T, n int) (*githubfake.Fake, string, simWant) {
	t.Helper()
	f := githubfake.New(t)
	f.AddRepo(simOwner, simRepo, 4711, "main")
	f.AddInstallation(7, simOwner, simOwner+"/"+simRepo)
	f.AddTeam(simOwner, "core", "alice", "bob")
	f.SetFile(simOwner, simRepo, "main", ".github/review-policy.yml", simCurrent)
	w := simHistory(f, simOwner, simRepo, 1, n)
	dir := t.TempDir()
	keyPath := filepath.Join(dir, "app.pem")
	must(t, os.WriteFile(keyPath, f.PrivateKeyPEM(), 0o600))
	must(t, os.WriteFile(filepath.Join(dir, "new.yml"), []byte(simProposed), 0o600))
	must(t, os.WriteFile(filepath.Join(dir, "config.yml"), []byte(fmt.Sprintf(`
github:
  v3_api_url: %s
  v4_api_url: %sgraphql
  app: {integration_id: %d, webhook_secret: s, private_key_file: %s}
`, f.URL, f.URL, f.AppID(), keyPath)), 0o600))
	return f, dir, w
}

func runSimulate(t *testing.T, dir string, extra ...string) simulate.Report {
	t.Helper()
	var out, errb bytes.Buffer
	args := append([]string{"simulate", "--config", filepath.Join(dir, "config.yml"), "--repo", simOwner + "/" + simRepo,
		"--policy", filepath.Join(dir, "new.yml"), "--format", "json", "--cache", filepath.Join(dir, "cache")}, extra...)
	if err := run(context.Background(), args, func(string) string { return "" }, &out, &errb); err != nil {
		t.Fatalf("simulate: %v\n%s", err, errb.String())
	}
	var rep simulate.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("report: %v\n%s", err, out.String())
	}
	return rep
}

func TestSimulateReplaysTheLastHundredAndCachesTheAnswers(t *testing.T) {
	t.Parallel()
	f, dir, w := simSetup(t)
	f.ResetCalls()
	began := time.Now()
	rep := runSimulate(t, dir)
	cold, coldTook := len(f.Calls()), time.Since(began)
	checkSimReport(t, rep, w)

	f.ResetCalls()
	began = time.Now()
	again := runSimulate(t, dir)
	warm, warmTook := f.Calls(), time.Since(began)
	if len(warm) > 6 {
		t.Errorf("the second run made %d calls, want at most 6 (token, installation, repository, policy, one listing, …):", len(warm))
		for _, c := range warm {
			t.Logf("  %s %s?%s", c.Method, c.Path, c.RawQuery)
		}
	}
	if cold < 3*simPRs {
		t.Errorf("the first run made only %d calls; files, reviews and timeline of 100 pull requests need 300", cold)
	}
	t.Logf("calls: cold %d in %v, warm %d in %v", cold, coldTook, len(warm), warmTook)
	checkSimReport(t, again, w)

	// The page, written with --out, links the pull requests behind each
	// difference; the proposed policy against itself shows none.
	page := simulateTo(t, dir, "html")
	if !strings.Contains(page, `<a href="https://github.com/acme/widgets/pull/1">#1</a>`) {
		t.Errorf("the page does not link #1 (breached only under the policy in force):\n%s", page)
	}
	self := simulateTo(t, dir, "text", "--against", filepath.Join(dir, "new.yml"))
	if !strings.Contains(self, "breached: 25 -> 25 (+0)") || strings.Contains(self, "only proposed:") {
		t.Errorf("a policy against itself differs:\n%s", self)
	}
}

// simulateTo runs the command with --out and returns what it wrote there;
// nothing goes to standard output.
func simulateTo(t *testing.T, dir, format string, extra ...string) string {
	t.Helper()
	out := filepath.Join(dir, "report."+format)
	var stdout, stderr bytes.Buffer
	args := append([]string{"simulate", "--config", filepath.Join(dir, "config.yml"), "--repo", simOwner + "/" + simRepo,
		"--policy", filepath.Join(dir, "new.yml"), "--format", format, "--out", out, "--cache", filepath.Join(dir, "cache")}, extra...)
	if err := run(context.Background(), args, func(string) string { return "" }, &stdout, &stderr); err != nil {
		t.Fatalf("simulate --format %s: %v\n%s", format, err, stderr.String())
	}
	data, err := os.ReadFile(out)
	must(t, err)
	if stdout.Len() != 0 {
		t.Errorf("--out still wrote to standard output: %q", stdout.String())
	}
	return string(data)
}

func checkSimReport(t *testing.T, rep simulate.Report, w simWant) {
	t.Helper()
	if rep.PRs != simPRs || rep.Merged != len(w.merged) {
		t.Errorf("%d pull requests, %d merged; want %d, %d", rep.PRs, rep.Merged, simPRs, len(w.merged))
	}
	group := func(gs []simulate.Group, key string) simulate.Group {
		for _, g := range gs {
			if g.Key == key {
				return g
			}
		}
		t.Errorf("no group %q", key)
		return simulate.Group{}
	}
	if g := group(rep.Template, `section "Testing": missing`); !slices.Equal(g.Added, w.noTesting) || len(g.Current) != 0 {
		t.Errorf("Testing missing: %+v, want added %v", g, w.noTesting)
	}
	if g := group(rep.Template, `section "Summary": missing`); !slices.Equal(g.Current, w.noSummary) || g.Changed() {
		t.Errorf("Summary missing: %+v, want %v under both", g, w.noSummary)
	}
	b := rep.SLA.Breached
	if !slices.Equal(b.Current, w.breachedBefore) || !slices.Equal(b.Proposed, w.breachedAfter) || len(b.Added) != 0 {
		t.Errorf("breaches %v -> %v (added %v), want %v -> %v", b.Current, b.Proposed, b.Added, w.breachedBefore, w.breachedAfter)
	}
	slices.Sort(w.firstReview)
	if want := w.firstReview[len(w.firstReview)/2]; rep.SLA.MedianFirstReview != want || rep.SLA.Reviewed != len(w.reviewed) {
		t.Errorf("median first review %v over %d, want %v over %d", rep.SLA.MedianFirstReview, rep.SLA.Reviewed, want, len(w.reviewed))
	}
	for i, l := range rep.Spread {
		if l.Requests != simPRs || l.Max != simPRs/2 || l.People != 2 {
			t.Errorf("spread %d: %+v, want alice and bob 50 each", i, l)
		}
	}
	if len(rep.Blocked) != 0 || len(rep.NoCandidate) != 0 {
		t.Errorf("blocks %+v, no candidate %+v: the policies require no approvals and name a team", rep.Blocked, rep.NoCandidate)
	}
	if u := rep.Links[42]; u != "https://github.com/acme/widgets/pull/42" {
		t.Errorf("link of #42 is %q", u)
	}
	if !slices.ContainsFunc(rep.Unknown, func(s string) bool { return strings.Contains(s, "today's membership") }) {
		t.Errorf("unknowns %q do not say a team's membership then is unknown", rep.Unknown)
	}
}

func TestSimulateRefusesBadInputClearly(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yml")
	must(t, os.WriteFile(bad, []byte("version: 1\nreviewers:\n  strategy: fastest\n"), 0o600))
	for _, tc := range []struct {
		args []string
		want string
		code int
	}{
		{[]string{"--config", "c.yml", "--policy", bad}, "--repo must be owner/name", 2},
		{[]string{"--config", "c.yml", "--repo", "a/b/c", "--policy", bad}, "--repo must be owner/name", 2},
		{[]string{"--config", "c.yml", "--repo", "a/b", "--policy", bad, "--format", "xml"}, "--format must be text, json or html", 2},
		{[]string{"--config", "c.yml", "--repo", "a/b", "--policy", bad, "--last", "0"}, "--last must be between 1 and 1000", 2},
		{[]string{"--repo", "a/b", "--policy", bad}, "--config is required", 2},
		{[]string{"--config", "c.yml", "--repo", "a/b", "--policy", bad}, "bad.yml:3:13", 0},
	} {
		var out, errb bytes.Buffer
		err := run(context.Background(), append([]string{"simulate"}, tc.args...), func(string) string { return "" }, &out, &errb)
		var exit exitError
		switch {
		case err == nil:
			t.Errorf("%v: accepted", tc.args)
		case tc.code != 0 && (!asExit(err, &exit) || exit.code != tc.code):
			t.Errorf("%v: %v, want exit %d", tc.args, err, tc.code)
		case !strings.Contains(errb.String()+err.Error(), tc.want):
			t.Errorf("%v: %q / %v, want %q", tc.args, errb.String(), err, tc.want)
		}
	}
}

// TestSimulateReadsLargeCodeownersAsGitHubDoes: a CODEOWNERS in the root
// over the 1 MiB the app reads through the contents endpoint but under
// GitHub's 3 MiB is read as a blob; one of 3 MiB or more is ignored.
func TestSimulateReadsLargeCodeownersAsGitHubDoes(t *testing.T) {
	t.Parallel()
	f, dir, _ := simSetupN(t, 2)
	pad := func(n int) string {
		return "*.go @carol\n" + strings.Repeat("# padding line of a generated file\n", n/36)
	}
	f.SetFile(simOwner, simRepo, strings.Repeat("b1", 20), "CODEOWNERS", pad(3<<19))  // 1.5 MiB
	f.SetFile(simOwner, simRepo, strings.Repeat("b2", 20), "CODEOWNERS", pad(13<<18)) // 3.25 MiB
	must(t, os.WriteFile(filepath.Join(dir, "new.yml"), []byte("version: 1\nreviewers: {codeowners: true}\n"), 0o600))
	rep := runSimulate(t, dir)
	var carol []int
	for _, g := range rep.Load {
		if g.Key == "carol" {
			carol = g.Proposed
		}
	}
	if !slices.Equal(carol, []int{1}) {
		t.Errorf("carol asked on %v, want #1 only (#2's base CODEOWNERS is over 3 MiB)", carol)
	}
}
