package handlers

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/gregjones/httpcache"
)

var _ httpcache.Cache = (*HTTPCache)(nil)

func TestHTTPCacheEvictsLeastRecentlyUsedByBytes(t *testing.T) {
	t.Parallel()
	c := NewHTTPCache(10)
	c.Set("a", []byte("aaaa"))
	c.Set("b", []byte("bbbb"))
	if _, ok := c.Get("a"); !ok { // a is now the most recently used
		t.Fatal("a missing")
	}
	c.Set("c", []byte("cccc")) // 12 bytes > 10: b goes
	if _, ok := c.Get("b"); ok {
		t.Error("b should have been evicted")
	}
	if v, ok := c.Get("a"); !ok || string(v) != "aaaa" {
		t.Errorf("a = %q %v", v, ok)
	}
	if c.Bytes() != 8 || c.Len() != 2 {
		t.Errorf("size %d bytes in %d entries, want 8 in 2", c.Bytes(), c.Len())
	}
	c.Set("a", []byte("x")) // replacing an entry adjusts the size
	if c.Bytes() != 5 {
		t.Errorf("after replace %d bytes, want 5", c.Bytes())
	}
	c.Set("huge", []byte(strings.Repeat("h", 11)))
	if _, ok := c.Get("huge"); ok || c.Bytes() != 5 {
		t.Error("a response larger than the cache must not be kept or evict others")
	}
	c.Delete("a")
	if _, ok := c.Get("a"); ok || c.Bytes() != 4 {
		t.Errorf("after delete: %d bytes", c.Bytes())
	}
}

func TestHTTPCacheConcurrentUseStaysBounded(t *testing.T) {
	t.Parallel()
	c := NewHTTPCache(1000)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				key := fmt.Sprintf("%d/%d", g, i%50)
				c.Set(key, make([]byte, 10+i%7))
				c.Get(key)
			}
		}()
	}
	wg.Wait()
	if c.Bytes() > 1000 {
		t.Errorf("cache holds %d bytes, bound 1000", c.Bytes())
	}
}
