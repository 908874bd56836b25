package handlers

import (
	"fmt"
	"strings"
	"testing"
)

// hugePolicy is a valid policy file of about size bytes (a long comment).
func hugePolicy(size int) string {
	return "version: 1\n#" + strings.Repeat("x", size) + "\n"
}

// The parse cache is bounded by bytes: a few files near the 1 MiB limit
// must not stay live beyond the budget, and a pull request's proposed
// files never push out the base branch's.
func TestParseCacheIsBoundedByBytesAndKeepsBaseFiles(t *testing.T) {
	t.Parallel()
	a := New(nil, 1, nil, nil, nil)
	base := a.parseCached(a.policies.base, "base.yml", "sha-base", "version: 1\n")
	if base.err != nil {
		t.Fatal(base.err)
	}
	for i := 0; i < 6; i++ { // 6 MB of hostile proposals
		p := a.parseCached(a.policies.proposed, ".github/review-policy.yml", fmt.Sprint("sha", i), hugePolicy(1_000_000))
		if p.err != nil {
			t.Fatal(p.err)
		}
	}
	if used := a.policies.proposed.Bytes(); used > proposedCacheBytes {
		t.Errorf("proposed cache holds %d bytes, over its budget of %d", used, proposedCacheBytes)
	}
	if _, ok := a.policies.base.Get("base.yml@sha-base"); !ok {
		t.Error("proposed files evicted the base branch's policy")
	}
	// A hit costs no parse: the same value comes back.
	first := a.parseCached(a.policies.base, "base.yml", "sha-base", "not even yaml: [")
	if first.err != nil || first.file == nil {
		t.Errorf("cached entry was re-parsed: %v", first.err)
	}
}
