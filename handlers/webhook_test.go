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
	"strings"
	"sync"
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

// fakeQueue is an in-memory Enqueuer that dedupes by delivery ID, as the
// real store does, and can be told to fail.
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
	if q.seen[d.ID] {
		return false, nil
	}
	if q.seen == nil {
		q.seen = map[string]bool{}
	}
	q.seen[d.ID] = true
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

// signedRequest is a well-formed delivery of body; tests break one part.
func signedRequest(event, id, body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/webhook", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(github.EventTypeHeader, event)
	r.Header.Set(github.DeliveryIDHeader, id)
	r.Header.Set(github.SHA256SignatureHeader, sign(testSecret, []byte(body)))
	return r
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
		h.ServeHTTP(w, signedRequest(e, "d-"+string(rune('a'+i)), prPayload))
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

func BenchmarkWebhook(b *testing.B) {
	h := newTestWebhook(nopQueue{})
	body := []byte(prPayload)
	sig := sign(testSecret, body)
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
