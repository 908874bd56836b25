package handlers

import "github.com/reviewpolicy/reviewpolicy/bytecache"

// Budgets of the parse cache (policyload.go). A cached entry costs about
// its file's size: the parsed policy keeps the file's values, and errors
// are bounded by the policy package. Base-branch and organisation files are
// what every evaluation reads; a proposed file is read by one pull request
// and is written by its author, so it gets a budget of its own and can
// never push a base file out.
const (
	baseCacheBytes     = 16 << 20
	proposedCacheBytes = 4 << 20
	// cacheEntryOverhead is charged per entry on top of the text, for the
	// parsed structures, so that many tiny files are bounded too.
	cacheEntryOverhead = 1 << 10
)

// policyCaches holds parsed policy files, by path@blob SHA.
type policyCaches struct {
	base, proposed *bytecache.Cache
}

func newPolicyCaches() *policyCaches {
	return &policyCaches{base: bytecache.New(baseCacheBytes, cacheEntryOverhead, 0), proposed: bytecache.New(proposedCacheBytes, cacheEntryOverhead, 0)}
}

// CacheBytes reports what each of the app's byte-bounded caches holds now,
// by name, the GitHub adapter's included: a soak's memory is mostly caches
// filling towards their bounds, and these tell that apart from a leak.
func (a *App) CacheBytes() map[string]int {
	out := a.GitHub.CacheBytes()
	out["facts"] = a.facts.Bytes()
	out["policies"] = a.policies.base.Bytes()
	out["proposed_policies"] = a.policies.proposed.Bytes()
	return out
}
