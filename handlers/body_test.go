package handlers

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
)

func TestBodyCapIsAPoolsPowerOfTwo(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ size, want int64 }{
		{1, minChunk}, {minChunk, minChunk}, {minChunk + 1, 2 * minChunk},
		{28_128, 32 << 10}, {32 << 10, 32 << 10}, {firstChunk, firstChunk},
		{firstChunk + 1, firstChunk + 1}, // past the pools: as asked
	} {
		if got := bodyCap(c.size); got != c.want {
			t.Errorf("bodyCap(%d) = %d, want %d", c.size, got, c.want)
		}
		b := getBody(bodyCap(c.size))
		if len(b) != 0 || int64(cap(b)) != c.want {
			t.Errorf("getBody(bodyCap(%d)): len %d cap %d, want 0 and %d", c.size, len(b), cap(b), c.want)
		}
		putBody(b)
	}
	if n := bodyPool(firstChunk); n != len(bodyPools)-1 {
		t.Errorf("bodyPool(firstChunk) = %d, want the last of %d", n, len(bodyPools))
	}
}

// A body is charged as its buffer's whole capacity, a pool's power of two,
// and the charge is returned with the buffer.
func TestReadBodyChargesTheBuffersCapacity(t *testing.T) {
	t.Parallel()
	h := newTestWebhook(&fakeQueue{})
	payload := `{"pad":"` + strings.Repeat("x", 20_000) + `"}`
	body, release, err := h.readBody(httptest.NewRecorder(), signedRequest("pull_request", "d", payload), hmac.New(sha256.New, testSecret))
	if err != nil {
		t.Fatal(err)
	}
	if string(body) != payload {
		t.Fatalf("body of %d bytes, want the %d sent", len(body), len(payload))
	}
	if c, n := cap(body), h.inflight.Load(); c != 32<<10 || n != int64(c) {
		t.Errorf("buffer of %d bytes, %d charged; want 32 KiB both", c, n)
	}
	release()
	checkNothingCharged(t, h)
}

// Buffers go back to their pools once a delivery is stored, while other
// deliveries are being read: every delivery, repeated and concurrent, of
// many sizes (some growing past their first buffer), is stored as sent.
func TestWebhookReusedBuffersKeepEveryBodyIntact(t *testing.T) {
	t.Parallel()
	q := &fakeQueue{}
	h := newTestWebhook(q)
	const n = 64
	bodies := make([]string, n)
	for i := range bodies {
		bodies[i] = fmt.Sprintf(`{"action":"opened","installation":{"id":1},"number":%d,"pad":"%s"}`,
			i, strings.Repeat(string(rune('a'+i%26)), i*1500))
	}
	var wg sync.WaitGroup
	for range 3 {
		for i, body := range bodies {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := signedRequest("pull_request", fmt.Sprintf("d%d", i), body)
				if i%3 == 0 {
					r.ContentLength = -1 // unstated: read into the first chunk, then grown
				}
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				// The first of a delivery's three copies to arrive is
				// stored (202), the others are duplicates (200).
				if w.Code != http.StatusAccepted && w.Code != http.StatusOK {
					t.Errorf("delivery d%d: status %d", i, w.Code)
				}
			}()
		}
	}
	wg.Wait()
	got := q.stored()
	if len(got) != n {
		t.Fatalf("stored %d deliveries, want %d", len(got), n)
	}
	for _, d := range got {
		var i int
		if _, err := fmt.Sscanf(d.ID, "d%d", &i); err != nil {
			t.Fatal(err)
		}
		if string(d.Payload) != bodies[i] {
			t.Errorf("delivery %s: payload of %d bytes differs from the %d sent", d.ID, len(d.Payload), len(bodies[i]))
		}
	}
	checkNothingCharged(t, h)
}

// BenchmarkWebhookPullRequest is BenchmarkWebhook with a real pull_request
// payload (28 KB): the body's buffer is a pool's, not a new one.
func BenchmarkWebhookPullRequest(b *testing.B) {
	body, err := os.ReadFile("testdata/webhooks/pull_request/ready_for_review.with-installation.payload.json")
	if err != nil {
		b.Fatal(err)
	}
	benchmarkWebhook(b, body)
}
