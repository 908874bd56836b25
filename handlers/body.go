package handlers

import (
	"errors"
	"hash"
	"io"
	"net/http"
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
	minChunk   = 512
	firstChunk = 64 << 10
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
// returns the charge and must be called once the body is no longer used.
func (h *Webhook) readBody(w http.ResponseWriter, r *http.Request, mac hash.Hash) (body []byte, release func(), err error) {
	var charged int64
	release = func() { h.inflight.Add(-charged) }
	src := http.MaxBytesReader(w, r.Body, MaxPayload)
	buf := []byte(nil)
	size := int64(firstChunk)
	if n := r.ContentLength; n >= 0 && n < firstChunk {
		size = max(n+1, minChunk) // +1: room to see EOF without growing
	}
	for {
		if len(buf) == cap(buf) {
			if !h.charge(size-int64(cap(buf)), size) {
				return nil, release, errBusy
			}
			charged = size
			grown := make([]byte, len(buf), size)
			copy(grown, buf)
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
