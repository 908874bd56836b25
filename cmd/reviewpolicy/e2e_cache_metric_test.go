package main

import (
	"fmt"
	"strings"
	"testing"
)

// TestResponseCacheBytesGauge: /metrics tells how much of GitHub's
// responses the server holds for conditional requests: more once an
// evaluation read the .github listing and the policy, within the bound.
func TestResponseCacheBytesGauge(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", minimalPolicy)
	h.start(t, nil)
	before := cacheBytes(t, h.metrics(t))
	h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", nil))
	h.settle(t)
	after := cacheBytes(t, h.metrics(t))
	if after <= before || after > 16<<20 {
		t.Errorf("response cache: %v bytes before an evaluation, %v after; want more, within 16 MiB", before, after)
	}
}

func cacheBytes(t *testing.T, metrics string) float64 {
	t.Helper()
	for line := range strings.SplitSeq(metrics, "\n") {
		if v, ok := strings.CutPrefix(line, "reviewpolicy_github_response_cache_bytes "); ok {
			var f float64
			if _, err := fmt.Sscan(v, &f); err != nil {
				t.Fatalf("%q: %v", line, err)
			}
			return f
		}
	}
	t.Fatal("no reviewpolicy_github_response_cache_bytes in /metrics")
	return 0
}
