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
	v, ok := gaugeValue(metrics, "reviewpolicy_github_response_cache_bytes ")
	if !ok {
		t.Fatal("no reviewpolicy_github_response_cache_bytes in /metrics")
	}
	return v
}

// TestCacheBytesGauges: every byte-bounded cache has its series, and an
// evaluation fills those it reads through (the policy parsed, the pull
// request's files).
func TestCacheBytesGauges(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", minimalPolicy)
	h.start(t, nil)
	h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", nil))
	h.settle(t)
	metrics := h.metrics(t)
	for _, name := range []string{"files", "blobs", "codeowners", "facts", "policies", "proposed_policies"} {
		v, ok := gaugeValue(metrics, `reviewpolicy_cache_bytes{cache="`+name+`"} `)
		switch {
		case !ok:
			t.Errorf("no reviewpolicy_cache_bytes series for %s", name)
		case (name == "policies" || name == "files") && v <= 0:
			t.Errorf("%s cache holds %v bytes after an evaluation; want more than none", name, v)
		}
	}
}

func gaugeValue(metrics, prefix string) (float64, bool) {
	for line := range strings.SplitSeq(metrics, "\n") {
		if v, ok := strings.CutPrefix(line, prefix); ok {
			var f float64
			_, err := fmt.Sscan(v, &f)
			return f, err == nil
		}
	}
	return 0, false
}
