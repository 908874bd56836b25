package main

import (
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"
)

// GitHub failing or rate-limiting the app delays the work; it never loses it.
func TestGitHubErrorsAndRateLimitsAreRetried(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		status int
		header http.Header
	}{
		{"server error", http.StatusBadGateway, nil},
		{"primary rate limit", http.StatusForbidden, http.Header{
			"X-Ratelimit-Remaining": {"0"},
			"X-Ratelimit-Reset":     {strconv.FormatInt(time.Now().Add(2*time.Second).Unix(), 10)},
		}},
		{"secondary rate limit", http.StatusTooManyRequests, http.Header{"Retry-After": {"1"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := setup(t)
			h.fake.FailNext("POST", "/repos/"+owner+"/"+repoName+"/check-runs", tc.status, tc.header)
			h.start(t, nil)
			h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", nil))
			waitFor(t, "the check run after the failure", func() bool { return len(h.checkRuns()) == 1 })
			if n := h.fake.CountCalls("POST", "/repos/"+owner+"/"+repoName+"/check-runs"); n != 2 {
				t.Errorf("check run POSTed %d times, want 2 (one failed, one retried)", n)
			}
		})
	}
}

func TestCodeownersAreAskedForTheirPaths(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", "version: 1\nreviewers: {codeowners: true, count: 1}\n")
	h.fake.SetFile(owner, repoName, "master", ".github/CODEOWNERS", "*       @octocat\n*.md    @dora @Codertocat\n/src/   @erin\n")
	h.start(t, nil)
	h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", func(m map[string]any) {
		m["pull_request"].(map[string]any)["requested_reviewers"] = []any{}
	}))
	h.settle(t)
	// README.md: the last matching line (*.md) wins; the author is skipped.
	if got := h.requested(); !slices.Equal(got, []string{"dora"}) {
		t.Errorf("requested %v, want [dora]", got)
	}
}
