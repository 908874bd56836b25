package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
)

func newTestMetrics() *Metrics {
	return NewMetrics(prometheus.NewRegistry(), func() float64 { return 0 }, func() float64 { return 0 })
}

// stubTransport answers every request with status and the rate-limit
// header, or fails with err.
type stubTransport struct {
	status    int
	remaining string // X-RateLimit-Remaining; "" for none
	err       error
}

func (s stubTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if s.err != nil {
		return nil, s.err
	}
	h := http.Header{}
	if s.remaining != "" {
		h.Set("X-RateLimit-Remaining", s.remaining)
	}
	return &http.Response{StatusCode: s.status, Header: h, Request: r}, nil
}

func doRequest(t *testing.T, ctx context.Context, rt http.RoundTripper, method string) (*http.Response, error) {
	t.Helper()
	r := httptest.NewRequestWithContext(ctx, method, "https://api.github.com/repos/acme/api/pulls/7", nil)
	return rt.RoundTrip(r)
}

func TestRoundTripperCountsRequests(t *testing.T) {
	t.Parallel()
	m := newTestMetrics()
	ok := m.RoundTripper(stubTransport{status: http.StatusOK})
	notModified := m.RoundTripper(stubTransport{status: http.StatusNotModified})
	ctx := context.Background()

	for range 3 {
		if _, err := doRequest(t, ctx, ok, http.MethodGet); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := doRequest(t, ctx, ok, http.MethodPost); err != nil {
		t.Fatal(err)
	}
	res, err := doRequest(t, ctx, notModified, http.MethodGet)
	if err != nil || res.StatusCode != http.StatusNotModified {
		t.Fatalf("the response must pass through unchanged; got %v, %v", res, err)
	}

	for _, c := range []struct {
		method, status string
		want           float64
	}{
		{"GET", "200", 3},
		{"POST", "200", 1},
		{"GET", "304", 1},
	} {
		if got := testutil.ToFloat64(m.GitHubRequests.WithLabelValues(c.method, c.status)); got != c.want {
			t.Errorf("requests{%s,%s} = %v, want %v", c.method, c.status, got, c.want)
		}
	}
	if n := testutil.CollectAndCount(m.GitHubRequests); n != 3 {
		t.Errorf("%d request series, want 3", n)
	}
	// No X-RateLimit-Remaining header: no gauge.
	if n := testutil.CollectAndCount(m.RateRemaining); n != 0 {
		t.Errorf("%d rate-limit series, want 0 without the header", n)
	}
}

func TestRoundTripperRateLimitPerInstallation(t *testing.T) {
	t.Parallel()
	m := newTestMetrics()
	ctx := context.Background()

	if _, err := doRequest(t, withInstallation(ctx, 42), m.RoundTripper(stubTransport{status: 200, remaining: "4999"}), "GET"); err != nil {
		t.Fatal(err)
	}
	if _, err := doRequest(t, withInstallation(ctx, 7), m.RoundTripper(stubTransport{status: 200, remaining: "4990"}), "GET"); err != nil {
		t.Fatal(err)
	}
	// The app's own (JWT) requests carry no installation.
	if _, err := doRequest(t, ctx, m.RoundTripper(stubTransport{status: 201, remaining: "59"}), "POST"); err != nil {
		t.Fatal(err)
	}
	// The last value seen wins.
	if _, err := doRequest(t, withInstallation(ctx, 42), m.RoundTripper(stubTransport{status: 200, remaining: "4998"}), "GET"); err != nil {
		t.Fatal(err)
	}
	// A header that is not a number leaves the gauge alone.
	if _, err := doRequest(t, withInstallation(ctx, 42), m.RoundTripper(stubTransport{status: 200, remaining: "lots"}), "GET"); err != nil {
		t.Fatal(err)
	}

	for label, want := range map[string]float64{"42": 4998, "7": 4990, "app": 59} {
		if got := testutil.ToFloat64(m.RateRemaining.WithLabelValues(label)); got != want {
			t.Errorf("rate remaining{%s} = %v, want %v", label, got, want)
		}
	}
	if n := testutil.CollectAndCount(m.RateRemaining); n != 3 {
		t.Errorf("%d rate-limit series, want 3", n)
	}
}

func TestRoundTripperTransportError(t *testing.T) {
	t.Parallel()
	m := newTestMetrics()
	boom := errors.New("dial tcp: connection refused")
	res, err := doRequest(t, withInstallation(context.Background(), 42), m.RoundTripper(stubTransport{err: boom}), "PATCH")
	if !errors.Is(err, boom) || res != nil {
		t.Fatalf("got %v, %v; want the transport's error passed through", res, err)
	}
	if got := testutil.ToFloat64(m.GitHubRequests.WithLabelValues("PATCH", "error")); got != 1 {
		t.Errorf("requests{PATCH,error} = %v, want 1", got)
	}
	if n := testutil.CollectAndCount(m.RateRemaining); n != 0 {
		t.Errorf("%d rate-limit series after a transport error, want 0", n)
	}
}

func TestMetricsReadFuncsAtScrape(t *testing.T) {
	t.Parallel()
	depth, awaiting := 0.0, 0.0
	m := NewMetrics(prometheus.NewRegistry(), func() float64 { return depth }, func() float64 { return awaiting })
	depth, awaiting = 12, 3
	if got := testutil.ToFloat64(m.QueueDepth); got != 12 {
		t.Errorf("queue depth = %v, want 12 (read at scrape time)", got)
	}
	if got := testutil.ToFloat64(m.AwaitingReview); got != 3 {
		t.Errorf("awaiting review = %v, want 3", got)
	}
}

// Each Metrics registers on its own registry: two apps in one process
// (tests, replicas) must not collide.
func TestNewMetricsSeparateRegistries(t *testing.T) {
	t.Parallel()
	a, b := newTestMetrics(), newTestMetrics()
	a.Deliveries.WithLabelValues("ping", "queued").Inc()
	if got := testutil.ToFloat64(b.Deliveries.WithLabelValues("ping", "queued")); got != 0 {
		t.Errorf("second Metrics sees %v deliveries, want 0", got)
	}
}

func TestObserveJob(t *testing.T) {
	t.Parallel()
	m := newTestMetrics()
	start := time.Now()
	m.observeJob("evaluate", start, nil)
	m.observeJob("evaluate", start, nil)
	m.observeJob("evaluate", start, errors.New("boom"))

	for outcome, want := range map[string]uint64{"ok": 2, "error": 1} {
		var out dto.Metric
		if err := m.JobDuration.WithLabelValues("evaluate", outcome).(prometheus.Histogram).Write(&out); err != nil {
			t.Fatal(err)
		}
		if got := out.GetHistogram().GetSampleCount(); got != want {
			t.Errorf("job duration{evaluate,%s} count = %d, want %d", outcome, got, want)
		}
	}
}
