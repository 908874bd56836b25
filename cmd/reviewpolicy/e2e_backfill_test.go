package main

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/reviewpolicy/reviewpolicy/internal/githubfake"
)

// TestExpertiseBackfillCostAndResume: a repository's first evaluation with
// the expertise strategy reads its latest merged pull requests, at a cost
// the fake counts, resumes after a failure without reading a recorded page
// again, and the check stops saying "still learning" once it is done.
func TestExpertiseBackfillCostAndResume(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", expertisePolicyFile)
	h.fake.EditPullRequest(owner, repoName, prNumber, func(p *githubfake.PullRequest) { p.Files = []string{"svc/api/x.go"} })
	// 150 closed pull requests, newest (1149) first; every tenth was closed
	// without merging. erin (no candidate) wrote them, carol reviewed them.
	merged := time.Now().Add(-24 * time.Hour)
	for n := 1000; n < 1150; n++ {
		pr := githubfake.PullRequest{Number: n, Title: "old", HeadRef: fmt.Sprint("b", n), HeadSHA: strings.Repeat("cd", 20),
			BaseRef: "master", Author: "erin", Files: []string{fmt.Sprintf("svc/api/f%d.go", n)}, State: "closed"}
		if n%10 != 0 {
			pr.MergedAt = merged
		}
		h.fake.AddPullRequest(owner, repoName, pr)
		h.fake.AddReviewAt(owner, repoName, n, "carol", "APPROVED", "COLLABORATOR", merged)
	}
	cfg, err := os.ReadFile(h.cfgPath)
	must(t, err)
	must(t, os.WriteFile(h.cfgPath, append(cfg, "expertise: {backfill_pulls: 120}\n"...), 0o600))
	// The first pull request of page 2 (1049) fails once: the retry must
	// resume at page 2.
	h.fake.FailNext("GET", fmt.Sprintf("/repos/%s/%s/pulls/1049/files", owner, repoName), http.StatusInternalServerError, nil)
	h.start(t, nil)

	h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", nil))
	waitFor(t, "the backfill to finish", func() bool { _, reviews := h.backfillReads(); return reviews >= 120 })
	h.settle(t)

	pages := h.listPages()
	if pages["1"] != 1 || pages["2"] != 2 || len(pages) != 2 {
		t.Errorf("pages of closed pull requests read: %v, want page 1 once and page 2 twice", pages)
	}
	// 120 merged pull requests: 90 on page 1 (of 100 closed), 30 on page 2.
	// Page 1's are read once; page 2's first was read, failed, and read again.
	if files, reviews := h.backfillReads(); files != 121 || reviews != 120 {
		t.Errorf("backfill read files %d times and reviews %d times, want 121 and 120", files, reviews)
	}

	// Done: the open pull request was evaluated again and its check no
	// longer says "still learning".
	for _, r := range h.checkRuns() {
		if r.HeadSHA == headSHA && strings.Contains(r.Summary, "still learning") {
			t.Errorf("the open pull request still says learning after the backfill:\n%s", r.Summary)
		}
	}

	// A new pull request's check does not say "still learning" either,
	// and carol's reviews choose her.
	sha := strings.Repeat("ef", 20)
	h.fake.AddPullRequest(owner, repoName, githubfake.PullRequest{Number: 3, Title: "new", HeadRef: "n", HeadSHA: sha,
		BaseRef: "master", Author: "dave", Files: []string{"svc/api/x.go"}, State: "open"})
	h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", func(m map[string]any) {
		m["number"] = 3
		pr := m["pull_request"].(map[string]any)
		pr["number"] = 3
		pr["head"].(map[string]any)["sha"] = sha
	}))
	h.settle(t)
	var summary string
	for _, r := range h.checkRuns() {
		if r.HeadSHA == sha {
			summary = r.Summary
		}
	}
	if strings.Contains(summary, "still learning") || !strings.Contains(summary, "carol: rule api matched svc/api/x.go; 120 reviews and 0 changes in svc/api") {
		t.Errorf("summary after the backfill:\n%s", summary)
	}
}

// backfillReads counts the reads of old pull requests' files and reviews.
func (h *harness) backfillReads() (files, reviews int) {
	for _, c := range h.fake.Calls() {
		if c.Method != "GET" || !strings.Contains(c.Path, "/pulls/1") {
			continue
		}
		switch {
		case strings.HasSuffix(c.Path, "/files"):
			files++
		case strings.HasSuffix(c.Path, "/reviews"):
			reviews++
		}
	}
	return files, reviews
}

// listPages counts the reads of each page of closed pull requests.
func (h *harness) listPages() map[string]int {
	out := map[string]int{}
	for _, c := range h.fake.Calls() {
		if c.Method == "GET" && c.Path == fmt.Sprintf("/repos/%s/%s/pulls", owner, repoName) && strings.Contains(c.RawQuery, "state=closed") {
			page := "1"
			for _, kv := range strings.Split(c.RawQuery, "&") {
				if v, ok := strings.CutPrefix(kv, "page="); ok {
					page = v
				}
			}
			out[page]++
		}
	}
	return out
}
