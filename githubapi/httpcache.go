package githubapi

import (
	"bytes"
	"container/list"
	"net/url"
	"regexp"
	"strings"
	"sync"
)

// HTTPCache is the GitHub clients' response cache (for conditional
// requests), bounded in bytes: httpcache's own memory cache never forgets,
// and every head SHA adds URLs, so a long-running server would grow without
// end. Least recently used entries go first. Safe for concurrent use; one
// cache may serve every installation's client (keys are URLs, and an
// installation sees only its own repositories).
//
// The bound counts what an entry really holds: its key, a right-sized copy
// of the response and the bookkeeping around them. httpcache hands Set the
// buffer httputil.DumpResponse grew, typically 2-4 KiB of capacity for a
// 600-byte response; counting only its length once let the cache hold
// several times its bound, and a 10-minute soak saw the heap grow by it.
type HTTPCache struct {
	mu       sync.Mutex
	maxBytes int
	bytes    int
	order    *list.List // front: most recently used
	entries  map[string]*list.Element
}

type cacheEntry struct {
	key  string
	resp []byte
}

// entryOverhead approximates, in bytes, what one entry costs besides its key
// and response: the map slot, the list element, the cacheEntry and their
// headers.
const entryOverhead = 160

func (e *cacheEntry) size() int { return len(e.key) + cap(e.resp) + entryOverhead }

// NewHTTPCache returns a cache holding at most maxBytes of responses.
func NewHTTPCache(maxBytes int) *HTTPCache {
	return &HTTPCache{maxBytes: maxBytes, order: list.New(), entries: map[string]*list.Element{}}
}

// Get returns the cached response for key.
func (c *HTTPCache) Get(key string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*cacheEntry).resp, true
}

// Set stores a copy of a response, evicting the least recently used to make
// room. A response larger than the whole cache is not kept, nor one of a
// URL read once (readOnce).
func (c *HTTPCache) Set(key string, resp []byte) {
	var e *cacheEntry
	if len(key)+len(resp)+entryOverhead <= c.maxBytes && !readOnce(key) {
		e = &cacheEntry{key: key, resp: bytes.Clone(resp)}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.remove(key)
	if e == nil {
		return
	}
	c.entries[key] = c.order.PushFront(e)
	c.bytes += e.size()
	for c.bytes > c.maxBytes {
		c.remove(c.order.Back().Value.(*cacheEntry).key)
	}
}

// readOnce reports whether key, a request's URL, is one the app reads
// about once and keeps what it needs of itself:
//   - one commit or blob (a head's check runs, the pull requests on a
//     commit, a comparison, a blob, a file or tree at a SHA);
//   - a pull request's comments. The sticky comment's search lists them
//     only when the store has no record of the app's comment: on first
//     meeting a pull request, and after a person edited or deleted a
//     comment, when the listing has changed and a kept copy could not be
//     revalidated. A reminder lists them before it posts, by when others
//     have usually commented.
//
// Kept here, they would only push out what is read again, and a server up
// for hours would hold the full bound of them: one comment listing for
// every pull request it ever met (BENCHMARKS.md, issue 18's fifteenth
// session).
func readOnce(key string) bool {
	u, err := url.Parse(key)
	if err != nil {
		return false
	}
	for _, part := range []string{"/commits/", "/compare/", "/git/blobs/", "/git/trees/"} {
		if strings.Contains(u.Path, part) {
			return true
		}
	}
	return issueComments.MatchString(u.Path) || commitSHA.MatchString(u.Query().Get("ref"))
}

var (
	// commitSHA is a full commit or blob SHA as a ref.
	commitSHA = regexp.MustCompile(`^[0-9a-fA-F]{40}$`)
	// issueComments is the path of one issue's or pull request's comments.
	issueComments = regexp.MustCompile(`/repos/[^/]+/[^/]+/issues/[0-9]+/comments$`)
)

// Delete forgets key.
func (c *HTTPCache) Delete(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.remove(key)
}

// Len and Bytes report the cache's size; Bytes includes keys and overhead.
func (c *HTTPCache) Len() int   { c.mu.Lock(); defer c.mu.Unlock(); return len(c.entries) }
func (c *HTTPCache) Bytes() int { c.mu.Lock(); defer c.mu.Unlock(); return c.bytes }

func (c *HTTPCache) remove(key string) {
	if e, ok := c.entries[key]; ok {
		c.bytes -= e.Value.(*cacheEntry).size()
		c.order.Remove(e)
		delete(c.entries, key)
	}
}
