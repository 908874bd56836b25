package main

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/reviewpolicy/reviewpolicy/internal/githubfake"
)

// An attacker opens pull requests with the worst proposed policies and the
// worst description while 20 unsigned 25 MiB bodies arrive, all at once.
// The server stays under the deployment's memory limit, every hostile pull
// request gets a short failing check that pings nobody, and an innocent
// pull request sent among them still gets its check.
func TestAttackerCostsBoundedAndOthersStillChecked(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", templatePolicy+"  checklist: all\n")
	h.fake.SetFile(owner, repoName, "master", ".github/pull_request_template.md",
		"## Summary\n\n## Testing\n\n- [ ] Tests added\n")
	worstBody := "## Summary\n" + strings.Repeat("[a](", 60_000) + "\n## Testing\n" + strings.Repeat("> ", 60_000) +
		"\n- [ ] @acme/everyone <img src=x onerror=alert(1)> </details>\n```\n"
	type pr struct {
		n          int
		body, file string
	}
	prs := []pr{{n: 40, body: worstBody}, {n: 41, body: "Fixes ACME-1.\n## Summary\nExplains how to install the tool.\n## Testing\nRan it locally.\n- [x] Tests added\n"}}
	for _, p := range hostileProposals() {
		prs = append(prs, pr{n: 42 + len(prs), body: "policy change", file: p.text})
	}
	for _, p := range prs {
		files := []string{"README.md"}
		if p.file != "" {
			files = []string{".github/review-policy.yml"}
		}
		ref := "attack-" + strconv.Itoa(p.n)
		h.fake.AddPullRequest(owner, repoName, githubfake.PullRequest{Number: p.n, Title: "PR " + strconv.Itoa(p.n), Body: p.body,
			HeadRef: ref, HeadSHA: prSHA(p.n), BaseRef: "master", Author: owner, Files: files, State: "open"})
		if p.file != "" {
			h.fake.SetFile(owner, repoName, ref, ".github/review-policy.yml", p.file)
		}
	}
	child := h.startServerProcess(t, serverBinary(t), "GOMEMLIMIT="+floodGOMEMLIMIT)

	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() { unsignedFlood(h.url, i) })
	}
	for _, p := range prs {
		wg.Go(func() {
			body := payload(t, "pull_request/opened.payload.json", func(m map[string]any) {
				m["number"] = p.n
				pl := m["pull_request"].(map[string]any)
				pl["number"], pl["id"] = p.n, 1000+p.n
				pl["head"].(map[string]any)["sha"] = prSHA(p.n)
			})
			if code, err := deliver(h.url, "pull_request", fmt.Sprint("attack-", p.n), body); err != nil || code != http.StatusAccepted {
				t.Errorf("pull request %d: %d %v", p.n, code, err)
			}
		})
	}
	wg.Wait()

	waitFor(t, "a check run on every pull request", func() bool { return len(h.checkRuns()) == len(prs) })
	for _, run := range h.checkRuns() {
		want := "failure"
		if run.HeadSHA == prSHA(41) {
			want = "success"
		}
		if run.Conclusion != want || len(run.Summary) > 65535 {
			t.Errorf("check on %s: %s, %d bytes; want %s within GitHub's limit", run.HeadSHA[:8], run.Conclusion, len(run.Summary), want)
		}
		if strings.Contains(run.Summary, "@acme/everyone") || strings.Contains(run.Summary, "<img") {
			t.Errorf("check on %s echoes live user text:\n%.1500s", run.HeadSHA[:8], run.Summary)
		}
	}
	for _, c := range h.fake.Comments(owner, repoName, 40) {
		if strings.Contains(c.Body, "@acme/everyone") || strings.Contains(c.Body, "<img") {
			t.Errorf("the sticky comment echoes live user text:\n%.1500s", c.Body)
		}
	}
	if peak := peakRSS(t, child.Process.Pid); peak >= deploymentMemoryLimit {
		t.Errorf("server's peak RSS %d MiB, over the deployment's %d MiB", peak>>20, deploymentMemoryLimit>>20)
	}
}

// unsignedFlood sends one unsigned 25 MiB body, as an attacker would.
func unsignedFlood(url string, i int) {
	const size = 25 << 20
	req, err := http.NewRequest(http.MethodPost, url+"/api/github/hook", io.LimitReader(zeroReader{}, size))
	if err != nil {
		return
	}
	req.Header.Set("X-GitHub-Event", "pull_request")
	req.Header.Set("X-GitHub-Delivery", fmt.Sprintf("attack-flood-%d", i))
	req.Header.Set("X-Hub-Signature-256", "sha256="+strings.Repeat("0", 64))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return // a refused connection may be closed early
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
}
