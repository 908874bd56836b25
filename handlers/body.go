package handlers

import (
	"errors"
	"hash"
	"io"
	"math/bits"
	"net/http"
	"sync"
)

// DefaultBodyBudget is Webhook.BodyBudget when unset: room for two payloads
// at GitHub's cap, or thousands of ordinary ones, well under the 256 MiB the
// deployment allows the process.
const DefaultBodyBudget = 64 << 20

// Buffer sizes of readBody. A body starts in a buffer of at most
// firstChunk bytes, whatever its Content-Length says (a stated length is
// only a hint: a client may state 25 MiB and send ten bytes), and grows by
// doubling as bytes really arrive. 64 KiB holds a typical pull_request
// payload (25-30 KB) without growing, so the acknowledgement path copies
// nothing.
const (
	minChunk   = 1 << minChunkBits // 512
	firstChunk = 1 << firstBits    // 64 KiB

	minChunkBits = 9
	firstBits    = 16
)

// largeBody is the size past which a body may only use the budget that
// ordinary payloads leave: GitHub's are tens of kilobytes, and a flood of
// huge bodies with forged signatures (which are only found out once read)
// must not make GitHub's real deliveries wait for room. A quarter of the
// budget stays for bodies up to this size.
const largeBody = 1 << 20

// errBusy: the bodies in flight already hold the whole budget.
var errBusy = errors.New("webhook: body budget exhausted")

// readBody reads the whole body, at most MaxPayload bytes, writing it to
// mac as it arrives. Every byte of buffer is charged to the webhook's budget
// before it is allocated; over the budget it stops with errBusy. release
// returns the charge, and the buffer to its pool, and must be called once
// the body is no longer used.
func (h *Webhook) readBody(w http.ResponseWriter, r *http.Request, mac hash.Hash) (body []byte, release func(), err error) {
	var charged int64
	var buf []byte
	release = func() {
		h.inflight.Add(-charged)
		putBody(buf)
	}
	src := http.MaxBytesReader(w, r.Body, MaxPayload)
	size := int64(firstChunk)
	if n := r.ContentLength; n >= 0 && n < firstChunk {
		size = max(n+1, minChunk) // +1: room to see EOF without growing
	}
	for {
		if len(buf) == cap(buf) {
			size = bodyCap(size)
			if !h.charge(size-int64(cap(buf)), size) {
				return nil, release, errBusy
			}
			charged = size
			grown := getBody(size)[:len(buf)]
			copy(grown, buf)
			putBody(buf)
			buf = grown
			size = min(2*size, MaxPayload+1)
		}
		n, err := src.Read(buf[len(buf):cap(buf)])
		mac.Write(buf[len(buf) : len(buf)+n])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			return buf, release, nil
		}
		if err != nil {
			return nil, release, err
		}
	}
}

// Body buffers up to firstChunk bytes are kept for reuse, one pool per
// power of two: at thousands of deliveries a second a new buffer for each
// was a fifth of the server's allocation, and the garbage collector's
// work follows allocation (docs/capacity.md, sixteenth session).
var bodyPools [firstBits - minChunkBits + 1]sync.Pool

// bodyCap is the capacity readBody gives a buffer it needs size bytes of:
// a pool's power of two up to firstChunk, size itself beyond.
func bodyCap(size int64) int64 {
	if size > firstChunk {
		return size
	}
	return max(minChunk, int64(1)<<bits.Len64(uint64(size-1)))
}

// getBody returns an empty buffer of capacity c, a bodyCap.
func getBody(c int64) []byte {
	if c <= firstChunk {
		if b, ok := bodyPools[bodyPool(c)].Get().(*[]byte); ok {
			return (*b)[:0]
		}
	}
	return make([]byte, 0, c)
}

// putBody gives a buffer from getBody back to its pool; any other (nil, or
// larger than firstChunk) is left to the garbage collector.
func putBody(b []byte) {
	c := int64(cap(b))
	if c == 0 || c > firstChunk || c != bodyCap(c) {
		return
	}
	bodyPools[bodyPool(c)].Put(&b)
}

// bodyPool is the pool of buffers of capacity c, a power of two.
func bodyPool(c int64) int { return bits.Len64(uint64(c)) - 1 - minChunkBits }

// charge takes n bytes from the budget for a buffer growing to size, or
// nothing if they are not there. A buffer past largeBody leaves a quarter of
// the budget to smaller ones.
func (h *Webhook) charge(n, size int64) bool {
	budget := h.BodyBudget
	if budget <= 0 {
		budget = DefaultBodyBudget
	}
	if size > largeBody {
		budget -= budget / 4
	}
	if h.inflight.Add(n) > budget {
		h.inflight.Add(-n)
		return false
	}
	return true
}
