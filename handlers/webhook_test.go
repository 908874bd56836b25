package handlers

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/reviewpolicy/reviewpolicy/store"
)

var (
	testSecret = []byte("s3cret")
	testNow    = time.Date(2024, 3, 14, 9, 26, 53, 0, time.UTC)
)

// fakeQueue is an in-memory Enqueuer that dedupes by delivery ID and body
// hash, as the real store does, and can be told to fail.
type fakeQueue struct {
	err error // returned by every call when set

	mu   sync.Mutex
	got  []store.Delivery
	seen map[string]bool
}

func (q *fakeQueue) EnqueueDelivery(_ context.Context, d store.Delivery) (bool, error) {
	if q.err != nil {
		return false, q.err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	hash := "hash:" + string(d.BodyHash)
	if q.seen[d.ID] || len(d.BodyHash) > 0 && q.seen[hash] {
		return false, nil
	}
	if q.seen == nil {
		q.seen = map[string]bool{}
	}
	q.seen[d.ID] = true
	if len(d.BodyHash) > 0 {
		q.seen[hash] = true
	}
	d.Payload = bytes.Clone(d.Payload) // the webhook reuses its buffer
	q.got = append(q.got, d)
	return true, nil
}

func (q *fakeQueue) stored() []store.Delivery {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]store.Delivery(nil), q.got...)
}

func newTestWebhook(q Enqueuer) *Webhook {
	return &Webhook{
		Secret:  testSecret,
		Store:   q,
		Metrics: NewMetrics(prometheus.NewRegistry(), func() float64 { return 0 }, func() float64 { return 0 }),
		Logger:  slog.New(slog.DiscardHandler),
		Now:     func() time.Time { return testNow },
	}
}

func sign(secret, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

const prPayload = `{"action":"opened","installation":{"id":4242},"number":7}`

// prPayloadN is prPayload for pull request n: a body of its own, since the
// same body under a new delivery ID is a replay.
func prPayloadN(n int) string {
	return `{"action":"opened","installation":{"id":4242},"number":` + strconv.Itoa(n) + `}`
}

// signedRequest is a well-formed delivery of body; tests break one part.
func signedRequest(event, id, body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/webhook", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(github.EventTypeHeader, event)
	r.Header.Set(github.DeliveryIDHeader, id)
	r.Header.Set(github.SHA256SignatureHeader, sign(testSecret, []byte(body)))
	return r
}

// checkNothingCharged fails t if bodies still hold any of h's budget.
func checkNothingCharged(t *testing.T, h *Webhook) {
	t.Helper()
	if n := h.inflight.Load(); n != 0 {
		t.Errorf("%d bytes of the body budget still charged", n)
	}
}

func deliveries(h *Webhook, event, outcome string) float64 {
	return testutil.ToFloat64(h.Metrics.Deliveries.WithLabelValues(event, outcome))
}

func TestWebhookAcceptsSignedDelivery(t *testing.T) {
	t.Parallel()
	q := &fakeQueue{}
	h := newTestWebhook(q)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, signedRequest("pull_request", "d-1", prPayload))

	if w.Code != http.StatusAccepted {
		t.Fatalf("status = %d, want 202; body %q", w.Code, w.Body)
	}
	got := q.stored()
	if len(got) != 1 {
		t.Fatalf("stored %d deliveries, want 1", len(got))
	}
	d := got[0]
	if d.ID != "d-1" || d.Event != "pull_request" || d.Action != "opened" || d.InstallationID != 4242 {
		t.Errorf("stored %+v, want ID d-1, Event pull_request, Action opened, InstallationID 4242", d)
	}
	if string(d.Payload) != prPayload {
		t.Errorf("Payload = %q, want the body verbatim", d.Payload)
	}
	if !d.ReceivedAt.Equal(testNow) {
		t.Errorf("ReceivedAt = %v, want the injected clock's %v", d.ReceivedAt, testNow)
	}
	if n := deliveries(h, "pull_request", "queued"); n != 1 {
		t.Errorf("deliveries{pull_request,queued} = %v, want 1", n)
	}
}

func TestWebhookWithoutInstallation(t *testing.T) {
	t.Parallel()
	q := &fakeQueue{}
	h := newTestWebhook(q)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, signedRequest("ping", "d-ping", `{"zen":"Keep it logically awesome."}`))

	if w.Code != http.StatusAccepted {
		t.Fatalf("status = %d, want 202", w.Code)
	}
	if got := q.stored(); len(got) != 1 || got[0].InstallationID != 0 || got[0].Action != "" {
		t.Errorf("stored %+v, want one delivery with no installation and no action", got)
	}
}

func TestWebhookRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		req     func() *http.Request
		queue   *fakeQueue
		status  int
		event   string // metric label
		outcome string
	}{
		{
			name: "wrong secret",
			req: func() *http.Request {
				r := signedRequest("pull_request", "d", prPayload)
				r.Header.Set(github.SHA256SignatureHeader, sign([]byte("other"), []byte(prPayload)))
				return r
			},
			status: http.StatusUnauthorized, event: "pull_request", outcome: "bad_signature",
		},
		{
			name: "signature of another body",
			req: func() *http.Request {
				r := signedRequest("pull_request", "d", prPayload)
				r.Header.Set(github.SHA256SignatureHeader, sign(testSecret, []byte(`{"action":"closed"}`)))
				return r
			},
			status: http.StatusUnauthorized, event: "pull_request", outcome: "bad_signature",
		},
		{
			name: "missing signature",
			req: func() *http.Request {
				r := signedRequest("pull_request", "d", prPayload)
				r.Header.Del(github.SHA256SignatureHeader)
				return r
			},
			status: http.StatusUnauthorized, event: "pull_request", outcome: "bad_signature",
		},
		{
			name: "signature not hex",
			req: func() *http.Request {
				r := signedRequest("pull_request", "d", prPayload)
				r.Header.Set(github.SHA256SignatureHeader, "sha256=zzzz")
				return r
			},
			status: http.StatusUnauthorized, event: "pull_request", outcome: "bad_signature",
		},
		{
			name: "signature without algorithm",
			req: func() *http.Request {
				r := signedRequest("pull_request", "d", prPayload)
				r.Header.Set(github.SHA256SignatureHeader, strings.TrimPrefix(sign(testSecret, []byte(prPayload)), "sha256="))
				return r
			},
			status: http.StatusUnauthorized, event: "pull_request", outcome: "bad_signature",
		},
		{
			// Verification comes first: an unsigned request learns nothing
			// about which headers it lacks.
			name: "unsigned and without headers",
			req: func() *http.Request {
				r := httptest.NewRequest(http.MethodPost, "/webhook", strings.NewReader(prPayload))
				return r
			},
			status: http.StatusUnauthorized, event: "other", outcome: "bad_signature",
		},
		{
			name: "missing event header",
			req: func() *http.Request {
				r := signedRequest("pull_request", "d", prPayload)
				r.Header.Del(github.EventTypeHeader)
				return r
			},
			status: http.StatusBadRequest, event: "other", outcome: "malformed",
		},
		{
			name: "missing delivery header",
			req: func() *http.Request {
				r := signedRequest("pull_request", "d", prPayload)
				r.Header.Del(github.DeliveryIDHeader)
				return r
			},
			status: http.StatusBadRequest, event: "pull_request", outcome: "malformed",
		},
		{
			name:   "delivery ID too long",
			req:    func() *http.Request { return signedRequest("pull_request", strings.Repeat("x", 129), prPayload) },
			status: http.StatusBadRequest, event: "pull_request", outcome: "malformed",
		},
		{
			name:   "body not JSON",
			req:    func() *http.Request { return signedRequest("pull_request", "d", "payload=%7B%7D") },
			status: http.StatusBadRequest, event: "pull_request", outcome: "malformed",
		},
		{
			name:   "body a JSON array",
			req:    func() *http.Request { return signedRequest("pull_request", "d", `[1,2]`) },
			status: http.StatusBadRequest, event: "pull_request", outcome: "malformed",
		},
		{
			name: "body larger than MaxPayload",
			req: func() *http.Request {
				// Streamed: the test never holds the body in memory.
				body := io.LimitReader(zeros{}, MaxPayload+1)
				r := httptest.NewRequest(http.MethodPost, "/webhook", body)
				r.Header.Set(github.EventTypeHeader, "pull_request")
				r.Header.Set(github.DeliveryIDHeader, "d")
				r.Header.Set(github.SHA256SignatureHeader, "sha256=00")
				return r
			},
			status: http.StatusRequestEntityTooLarge, event: "pull_request", outcome: "too_large",
		},
		{
			name: "body larger than MaxPayload, Content-Length claiming less",
			req: func() *http.Request {
				r := httptest.NewRequest(http.MethodPost, "/webhook", io.LimitReader(zeros{}, MaxPayload+1))
				r.ContentLength = 100
				r.Header.Set(github.EventTypeHeader, "pull_request")
				r.Header.Set(github.DeliveryIDHeader, "d")
				r.Header.Set(github.SHA256SignatureHeader, "sha256=00")
				return r
			},
			status: http.StatusRequestEntityTooLarge, event: "pull_request", outcome: "too_large",
		},
		{
			name: "body read fails",
			req: func() *http.Request {
				r := signedRequest("pull_request", "d", prPayload)
				r.Body = io.NopCloser(iotest.ErrReader(errors.New("connection reset")))
				return r
			},
			status: http.StatusBadRequest, event: "pull_request", outcome: "error",
		},
		{
			name:   "store fails",
			req:    func() *http.Request { return signedRequest("check_suite", "d", prPayload) },
			queue:  &fakeQueue{err: errors.New("database is locked")},
			status: http.StatusServiceUnavailable, event: "check_suite", outcome: "error",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q := tt.queue
			if q == nil {
				q = &fakeQueue{}
			}
			h := newTestWebhook(q)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, tt.req())

			if w.Code != tt.status {
				t.Errorf("status = %d, want %d; body %q", w.Code, tt.status, w.Body)
			}
			if got := q.stored(); len(got) != 0 {
				t.Errorf("stored %d deliveries, want none", len(got))
			}
			if n := deliveries(h, tt.event, tt.outcome); n != 1 {
				t.Errorf("deliveries{%s,%s} = %v, want 1", tt.event, tt.outcome, n)
			}
			if n := testutil.CollectAndCount(h.Metrics.Deliveries); n != 1 {
				t.Errorf("%d delivery series, want exactly 1", n)
			}
		})
	}
}

// A body of exactly MaxPayload bytes is GitHub's own maximum and must be
// accepted; one byte more is refused (see TestWebhookRejects).
func TestWebhookAcceptsMaxPayload(t *testing.T) {
	t.Parallel()
	const prefix, suffix = `{"action":"edited","pad":"`, `"}`
	body := func() io.Reader {
		pad := io.LimitReader(zeros{}, MaxPayload-int64(len(prefix)+len(suffix)))
		return io.MultiReader(strings.NewReader(prefix), pad, strings.NewReader(suffix))
	}
	mac := hmac.New(sha256.New, testSecret)
	if _, err := io.Copy(mac, body()); err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodPost, "/webhook", body())
	r.Header.Set(github.EventTypeHeader, "pull_request")
	r.Header.Set(github.DeliveryIDHeader, "d-big")
	r.Header.Set(github.SHA256SignatureHeader, "sha256="+hex.EncodeToString(mac.Sum(nil)))

	q := &fakeQueue{}
	w := httptest.NewRecorder()
	newTestWebhook(q).ServeHTTP(w, r)
	if w.Code != http.StatusAccepted {
		t.Fatalf("status = %d, want 202; body %q", w.Code, w.Body)
	}
	if got := q.stored(); len(got) != 1 || len(got[0].Payload) != MaxPayload || got[0].Action != "edited" {
		t.Errorf("want one stored delivery of %d bytes with action edited", MaxPayload)
	}
}

// The handler's message says "payload is not a JSON object"; JSON null is
// not one, yet json.Unmarshal accepts it into a struct without error.
func TestWebhookRejectsJSONNull(t *testing.T) {
	t.Parallel()
	q := &fakeQueue{}
	h := newTestWebhook(q)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, signedRequest("pull_request", "d-null", "null"))
	if w.Code != http.StatusBadRequest {
		t.Errorf("status = %d, want 400 for a payload that is not a JSON object", w.Code)
	}
	if got := q.stored(); len(got) != 0 {
		t.Errorf("stored %d deliveries, want none", len(got))
	}
}

func TestWebhookDuplicate(t *testing.T) {
	t.Parallel()
	q := &fakeQueue{}
	h := newTestWebhook(q)
	for i, want := range []int{http.StatusAccepted, http.StatusOK, http.StatusOK} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, signedRequest("pull_request_review", "d-dup", prPayload))
		if w.Code != want {
			t.Errorf("delivery %d: status = %d, want %d", i+1, w.Code, want)
		}
	}
	if got := q.stored(); len(got) != 1 {
		t.Errorf("stored %d deliveries, want 1", len(got))
	}
	if n := deliveries(h, "pull_request_review", "queued"); n != 1 {
		t.Errorf("deliveries{pull_request_review,queued} = %v, want 1", n)
	}
	if n := deliveries(h, "pull_request_review", "duplicate"); n != 2 {
		t.Errorf("deliveries{pull_request_review,duplicate} = %v, want 2", n)
	}
}

func TestWebhookEventLabel(t *testing.T) {
	t.Parallel()
	q := &fakeQueue{}
	h := newTestWebhook(q)
	events := []string{"ping", "installation", "installation_repositories", "pull_request",
		"pull_request_review", "check_run", "check_suite", "push", "merge_group", "issue_comment", "deployment", "issues", "Pull_Request"}
	for i, e := range events {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, signedRequest(e, "d-"+string(rune('a'+i)), prPayloadN(i)))
		if w.Code != http.StatusAccepted {
			t.Fatalf("%s: status = %d, want 202", e, w.Code)
		}
	}
	for _, e := range events[:10] {
		if n := deliveries(h, e, "queued"); n != 1 {
			t.Errorf("deliveries{%s,queued} = %v, want 1", e, n)
		}
	}
	// Unknown events share one series, so a sender cannot grow the metric.
	if n := deliveries(h, "other", "queued"); n != 3 {
		t.Errorf("deliveries{other,queued} = %v, want 3 (deployment, issues, Pull_Request)", n)
	}
	if n := testutil.CollectAndCount(h.Metrics.Deliveries); n != 11 {
		t.Errorf("%d delivery series, want 11", n)
	}
	// The stored event keeps its real name; only the label is bounded.
	if got := q.stored(); got[10].Event != "deployment" {
		t.Errorf("stored event = %q, want deployment", got[10].Event)
	}
}

// zeros is an endless stream of '0' bytes (valid inside a JSON string).
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = '0'
	}
	return len(p), nil
}

type nopQueue struct{}

func (nopQueue) EnqueueDelivery(context.Context, store.Delivery) (bool, error) { return true, nil }

func BenchmarkWebhook(b *testing.B) { benchmarkWebhook(b, []byte(prPayload)) }

// benchmarkWebhook acknowledges body again and again, into a no-op store.
func benchmarkWebhook(b *testing.B, body []byte) {
	h := newTestWebhook(nopQueue{})
	sig := sign(testSecret, body)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
		r.Header.Set(github.EventTypeHeader, "pull_request")
		r.Header.Set(github.DeliveryIDHeader, "d-bench")
		r.Header.Set(github.SHA256SignatureHeader, sig)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusAccepted {
			b.Fatalf("status = %d", w.Code)
		}
	}
}

func TestWebhookDurationObserved(t *testing.T) {
	t.Parallel()
	m := NewMetrics(prometheus.NewRegistry(), func() float64 { return 0 }, func() float64 { return 0 })
	h := &Webhook{Secret: []byte("s"), Store: nopQueue{}, Metrics: m, Logger: slog.New(slog.DiscardHandler), Now: time.Now}
	for range 3 {
		req := httptest.NewRequest(http.MethodPost, "/api/github/hook", strings.NewReader("{}"))
		h.ServeHTTP(httptest.NewRecorder(), req) // unsigned: 401, still timed
	}
	if n := testutil.CollectAndCount(m.WebhookDuration); n != 1 {
		t.Fatalf("collected %d series", n)
	}
	var out dto.Metric
	if err := m.WebhookDuration.Write(&out); err != nil {
		t.Fatal(err)
	}
	if got := out.GetHistogram().GetSampleCount(); got != 3 {
		t.Errorf("observed %d deliveries, want 3", got)
	}
}

// countingReader counts the bytes a handler read from a body.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// A stated length over the cap, or no signature at all, is refused before
// a byte of the body is read.
func TestWebhookRefusesBeforeReading(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		length  int64
		sig     string
		status  int
		outcome string
	}{
		{"Content-Length over the cap", MaxPayload + 1, "sha256=00", http.StatusRequestEntityTooLarge, "too_large"},
		{"no signature", -1, "", http.StatusUnauthorized, "bad_signature"},
		{"signature not sha256", -1, "sha1=00", http.StatusUnauthorized, "bad_signature"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := &countingReader{r: io.LimitReader(zeros{}, MaxPayload+1)}
			r := httptest.NewRequest(http.MethodPost, "/webhook", body)
			r.ContentLength = tt.length
			r.Header.Set(github.EventTypeHeader, "pull_request")
			r.Header.Set(github.DeliveryIDHeader, "d")
			if tt.sig != "" {
				r.Header.Set(github.SHA256SignatureHeader, tt.sig)
			}
			h := newTestWebhook(&fakeQueue{})
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.status {
				t.Errorf("status = %d, want %d", w.Code, tt.status)
			}
			if n := body.n.Load(); n != 0 {
				t.Errorf("read %d bytes of the body, want none", n)
			}
			if n := deliveries(h, "pull_request", tt.outcome); n != 1 {
				t.Errorf("deliveries{pull_request,%s} = %v, want 1", tt.outcome, n)
			}
		})
	}
}

// A client that states 25 MiB and sends a few bytes gets a buffer sized by
// what it sent, not by what it stated.
func TestWebhookDoesNotPreallocateFromContentLength(t *testing.T) {
	t.Parallel()
	h := newTestWebhook(&fakeQueue{})
	r := signedRequest("pull_request", "d", prPayload)
	r.ContentLength = MaxPayload
	body, release, err := h.readBody(httptest.NewRecorder(), r, hmac.New(sha256.New, testSecret))
	if err != nil {
		t.Fatal(err)
	}
	if string(body) != prPayload {
		t.Errorf("body = %q", body)
	}
	if cap(body) > firstChunk || h.inflight.Load() > firstChunk {
		t.Errorf("buffer of %d bytes, %d charged; want at most %d", cap(body), h.inflight.Load(), firstChunk)
	}
	release()
	checkNothingCharged(t, h)

	// Through the handler: a budget far below the stated length still
	// takes the delivery.
	h.BodyBudget = 2 * firstChunk
	r = signedRequest("pull_request", "d", prPayload)
	r.ContentLength = MaxPayload
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusAccepted {
		t.Errorf("status = %d, want 202; body %q", w.Code, w.Body)
	}
}

// stallingReader yields n bytes, tells reached, then waits for go before EOF:
// a client sending a large body slowly.
type stallingReader struct {
	n       int64
	reached chan struct{}
	resume  chan struct{}
}

func (s *stallingReader) Read(p []byte) (int, error) {
	if s.n == 0 {
		if s.reached != nil {
			close(s.reached)
			s.reached = nil
		}
		<-s.resume
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), s.n)]
	for i := range p {
		p[i] = '0'
	}
	s.n -= int64(len(p))
	return len(p), nil
}

// Bodies in flight share one budget, of which large bodies (over 1 MiB)
// may hold only three quarters: while two slow 1.5 MiB bodies hold their
// share, a third large one is answered 503 (GitHub redelivers), but an
// ordinary payload is still accepted, so a flood of huge forged bodies
// cannot turn GitHub's real deliveries away. The budget is whole again once
// the slow bodies finish.
func TestWebhookBodyBudget(t *testing.T) {
	t.Parallel()
	h := newTestWebhook(&fakeQueue{})
	h.BodyBudget = 6 << 20 // large bodies: 4.5 MiB
	resume := make(chan struct{})
	var wg sync.WaitGroup
	codes := make([]int, 2)
	for i := range codes {
		s := &stallingReader{n: 3 << 19, reached: make(chan struct{}), resume: resume}
		reached := s.reached
		r := httptest.NewRequest(http.MethodPost, "/webhook", s)
		r.Header.Set(github.EventTypeHeader, "pull_request")
		r.Header.Set(github.DeliveryIDHeader, "slow")
		r.Header.Set(github.SHA256SignatureHeader, "sha256=00")
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			codes[i] = w.Code
		}()
		<-reached
	}
	large := `{"pad":"` + strings.Repeat("0", 3<<19) + `"}`
	w := httptest.NewRecorder()
	h.ServeHTTP(w, signedRequest("pull_request", "d3", large))
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("third large request: status = %d, want 503; body %q", w.Code, w.Body)
	}
	if n := deliveries(h, "pull_request", "busy"); n != 1 {
		t.Errorf("deliveries{pull_request,busy} = %v, want 1", n)
	}
	w = httptest.NewRecorder()
	h.ServeHTTP(w, signedRequest("pull_request", "d-small", prPayload+" ")) // another body: not a replay of d4
	if w.Code != http.StatusAccepted {
		t.Errorf("an ordinary payload while large bodies hold their share: status = %d, want 202", w.Code)
	}
	close(resume)
	wg.Wait()
	for i, c := range codes {
		if c != http.StatusUnauthorized {
			t.Errorf("slow request %d: status = %d, want 401", i, c)
		}
	}
	checkNothingCharged(t, h)
	w = httptest.NewRecorder()
	h.ServeHTTP(w, signedRequest("pull_request", "d4", prPayload))
	if w.Code != http.StatusAccepted {
		t.Errorf("after the slow bodies: status = %d, want 202", w.Code)
	}
}

// When the whole budget is held, even an ordinary payload is answered 503
// without its body being read.
func TestWebhookBodyBudgetFull(t *testing.T) {
	t.Parallel()
	h := newTestWebhook(&fakeQueue{})
	h.BodyBudget = 8 << 20
	h.inflight.Store(8 << 20) // as if small bodies held it all
	third := &countingReader{r: strings.NewReader(prPayload)}
	r := signedRequest("pull_request", "d3", prPayload)
	r.Body = io.NopCloser(third)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("status = %d, want 503; body %q", w.Code, w.Body)
	}
	if n := third.n.Load(); n != 0 {
		t.Errorf("read %d bytes, want none", n)
	}
}

// One body larger than the whole budget is refused with 503 part-way,
// holding no more than the budget.
func TestWebhookBodyOverBudget(t *testing.T) {
	t.Parallel()
	h := newTestWebhook(&fakeQueue{})
	h.BodyBudget = 256 << 10
	body := `{"pad":"` + strings.Repeat("0", 1<<20) + `"}`
	w := httptest.NewRecorder()
	h.ServeHTTP(w, signedRequest("pull_request", "d", body))
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("status = %d, want 503", w.Code)
	}
	checkNothingCharged(t, h)
}

// The body's hash goes to the store with the delivery (its verified HMAC),
// so the same signed body under a new delivery ID is answered as a
// duplicate and stored once.
func TestWebhookPassesBodyHash(t *testing.T) {
	t.Parallel()
	q := &fakeQueue{}
	h := newTestWebhook(q)
	for _, id := range []string{"first", "replay"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, signedRequest("pull_request", id, prPayload))
		want := map[string]int{"first": http.StatusAccepted, "replay": http.StatusOK}[id]
		if w.Code != want {
			t.Errorf("%s: status = %d, want %d", id, w.Code, want)
		}
	}
	other := `{"action":"closed","installation":{"id":4242},"number":7}`
	h.ServeHTTP(httptest.NewRecorder(), signedRequest("pull_request", "other", other))
	got := q.stored()
	if len(got) != 2 || got[0].ID != "first" || got[1].ID != "other" {
		t.Fatalf("stored %d deliveries, want first and other", len(got))
	}
	if sig := "sha256=" + hex.EncodeToString(got[0].BodyHash); sig != sign(testSecret, []byte(prPayload)) {
		t.Errorf("body hash %s, want the body's HMAC", sig)
	}
	if bytes.Equal(got[0].BodyHash, got[1].BodyHash) {
		t.Error("two bodies, one hash")
	}
}
