// Package bytecache is a least-recently-used cache bounded by the bytes its
// entries cost rather than by their number. A count alone does not bound
// memory when entries come from users: a thousand files of a megabyte each
// is a gigabyte.
package bytecache

import (
	"sync"

	"github.com/hashicorp/golang-lru/simplelru"
)

// Cache is safe for concurrent use.
type Cache struct {
	mu       sync.Mutex
	lru      *simplelru.LRU
	used     int
	budget   int
	overhead int
}

type costed struct {
	value any
	cost  int
}

// New returns a cache whose entries cost at most budget bytes in all and
// number at most maxEntries (0: as many as the budget allows). Each entry
// is charged overhead bytes on top of its key and its own cost, for the
// structures around it, so that many tiny entries are bounded too. A
// count keeps a cache of mostly tiny entries from filling its whole
// budget with ones that are rarely read again.
func New(budget, overhead, maxEntries int) *Cache {
	c := &Cache{budget: budget, overhead: max(overhead, 1)}
	n := budget/c.overhead + 1
	if maxEntries > 0 {
		n = min(n, maxEntries)
	}
	c.lru, _ = simplelru.NewLRU(n, func(_, v any) { c.used -= v.(costed).cost })
	return c
}

// Len is the number of entries.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

// Get returns the value stored under key and marks it recently used.
func (c *Cache) Get(key string) (any, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.lru.Get(key)
	if !ok {
		return nil, false
	}
	return v.(costed).value, true
}

// Add stores value at the given cost, evicting the least recently used
// entries until the cache is within budget. A value costing more than the
// whole budget is not stored.
func (c *Cache) Add(key string, value any, cost int) {
	cost += len(key) + c.overhead
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

// Bytes is what the entries cost now.
func (c *Cache) Bytes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.used
}
