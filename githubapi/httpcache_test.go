package githubapi

import (
	"bytes"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/gregjones/httpcache"
)

var _ httpcache.Cache = (*HTTPCache)(nil)

// resp is a response whose copy has no spare capacity (1 KiB is a size class).
func resp(b byte) []byte { return bytes.Repeat([]byte{b}, 1024) }

// one is what a one-letter key with resp costs.
const one = 1 + 1024 + entryOverhead

func TestHTTPCacheEvictsLeastRecentlyUsedByBytes(t *testing.T) {
	t.Parallel()
	c := NewHTTPCache(2*one + one/2)
	c.Set("a", resp('a'))
	c.Set("b", resp('b'))
	if _, ok := c.Get("a"); !ok { // a is now the most recently used
		t.Fatal("a missing")
	}
	c.Set("c", resp('c')) // three do not fit: b goes
	if _, ok := c.Get("b"); ok {
		t.Error("b should have been evicted")
	}
	if v, ok := c.Get("a"); !ok || !bytes.Equal(v, resp('a')) {
		t.Errorf("a = %.8q… %v", v, ok)
	}
	if c.Bytes() != 2*one || c.Len() != 2 {
		t.Errorf("size %d bytes in %d entries, want %d in 2", c.Bytes(), c.Len(), 2*one)
	}
	c.Set("a", []byte("x")) // replacing an entry adjusts the size
	if c.Bytes() >= 2*one || c.Bytes() < one+1+1+entryOverhead {
		t.Errorf("after replace %d bytes, want %d plus x's copy", c.Bytes(), one+1+entryOverhead)
	}
	before := c.Bytes()
	c.Set("huge", bytes.Repeat([]byte("h"), 3*one))
	if _, ok := c.Get("huge"); ok || c.Bytes() != before {
		t.Error("a response larger than the cache must not be kept or evict others")
	}
	c.Delete("a")
	if _, ok := c.Get("a"); ok || c.Bytes() != one {
		t.Errorf("after delete: %d bytes, want %d", c.Bytes(), one)
	}
}

// The cache must keep its own right-sized copy: what httpcache passes in is
// the buffer httputil.DumpResponse grew, with spare capacity that the
// bound would not see. The heap it holds stays near its bound.
func TestHTTPCacheHeapStaysNearItsBound(t *testing.T) {
	// Not parallel: it reads the process's live heap.
	const bound = 1 << 20
	live := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	base := live()
	c := NewHTTPCache(bound)
	for i := range 20000 {
		dumped := make([]byte, 600, 4096) // as DumpResponse leaves a small response
		c.Set(fmt.Sprintf("https://api.github.com/repos/o/r/pulls/%d/reviews", i), dumped)
	}
	grown := live() - base
	if grown > 2*bound {
		t.Errorf("a %d-byte cache holds %d bytes of heap", bound, grown)
	}
	if c.Bytes() > bound || c.Len() < 500 {
		t.Errorf("cache counts %d bytes in %d entries", c.Bytes(), c.Len())
	}
	runtime.KeepAlive(c)
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

// TestHTTPCacheKeepsNothingReadOnce: responses of URLs that name one
// commit or blob, or list a pull request's comments, are not kept; those
// read again (a branch's listing, a pull request's reviews, a team) are.
func TestHTTPCacheKeepsNothingReadOnce(t *testing.T) {
	t.Parallel()
	const api = "https://api.github.com/repos/acme/app/"
	sha := "0123456789abcdef0123456789abcdef01234567"
	for key, kept := range map[string]bool{
		api + "commits/" + sha + "/check-runs?check_name=review-policy":    false,
		api + "commits/" + sha + "/pulls?per_page=100":                     false,
		api + "compare/main..." + sha:                                      false,
		api + "git/blobs/" + sha:                                           false,
		api + "git/trees/" + sha + "?recursive=1":                          false,
		api + "contents/.github/review-policy.yml?ref=" + sha:              false,
		api + "contents/.github?ref=main":                                  true,
		api + "contents/.github/review-policy.yml?ref=feature/" + sha[:39]: true,
		api + "pulls/7/reviews?per_page=100":                               true,
		api + "pulls/7/files?per_page=100":                                 true,
		api + "issues/7/comments?per_page=100":                             false,
		api + "issues/7/comments?page=2&per_page=100":                      false,
		api + "issues/comments/99":                                         true,
		api + "issues/7":                                                   true,
		"https://api.github.com/orgs/acme/teams/writers/members":           true,
	} {
		c := NewHTTPCache(1 << 20)
		c.Set(key, resp('r'))
		if _, ok := c.Get(key); ok != kept {
			t.Errorf("%s kept = %v, want %v", key, ok, kept)
		}
	}
}
