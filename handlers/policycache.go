package handlers

import (
	"sync"

	"github.com/hashicorp/golang-lru/simplelru"
)

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
	base, proposed *byteLRU
}

func newPolicyCaches() *policyCaches {
	return &policyCaches{base: newByteLRU(baseCacheBytes), proposed: newByteLRU(proposedCacheBytes)}
}

// byteLRU is a least-recently-used cache bounded by the bytes its entries
// cost rather than by their number.
type byteLRU struct {
	mu     sync.Mutex
	lru    *simplelru.LRU
	used   int
	budget int
}

type costed struct {
	value any
	cost  int
}

func newByteLRU(budget int) *byteLRU {
	c := &byteLRU{budget: budget}
	// The count limit is never reached: every entry costs at least
	// cacheEntryOverhead, so the byte budget bounds the count first.
	c.lru, _ = simplelru.NewLRU(budget/cacheEntryOverhead+1, func(_, v any) { c.used -= v.(costed).cost })
	return c
}

func (c *byteLRU) get(key string) (any, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.lru.Get(key)
	if !ok {
		return nil, false
	}
	return v.(costed).value, true
}

// add stores value at the given cost, evicting the least recently used
// entries until the cache is within budget. A value costing more than the
// whole budget is not stored.
func (c *byteLRU) add(key string, value any, cost int) {
	cost += len(key) + cacheEntryOverhead
	if cost > c.budget {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lru.Remove(key) // re-adding replaces, and its old cost must go
	c.used += cost
	c.lru.Add(key, costed{value, cost})
	for c.used > c.budget {
		c.lru.RemoveOldest()
	}
}

// bytes is what the entries cost now, for tests and metrics.
func (c *byteLRU) bytes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.used
}
