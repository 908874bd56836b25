package handlers

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the app's Prometheus series. They are registered on a registry
// passed in, never on package globals, so tests and replicas stay apart.
type Metrics struct {
	Deliveries      *prometheus.CounterVec // event, outcome
	WebhookDuration prometheus.Histogram
	JobDuration     *prometheus.HistogramVec // kind, outcome
	QueueDepth      prometheus.GaugeFunc
	GitHubRequests  *prometheus.CounterVec // method, status
	RateRemaining   *prometheus.GaugeVec   // installation
	TimeToReview    *prometheus.HistogramVec
	SLABreaches     *prometheus.CounterVec // repository
	AwaitingReview  prometheus.GaugeFunc
	ReviewerRequest *prometheus.CounterVec // strategy
	JobLimit        prometheus.Gauge       // set by whoever sizes the workers
	Cohorts         prometheus.Histogram   // evaluation jobs run together (cohort.go)
}

// NewMetrics registers the series on reg. queueDepth and awaiting are read at
// scrape time (from the store), so they never drift from the truth.
func NewMetrics(reg prometheus.Registerer, queueDepth, awaiting func() float64) *Metrics {
	m := &Metrics{
		Deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "reviewpolicy_webhook_deliveries_total",
			Help: "Webhook deliveries received, by event and outcome (queued, duplicate, bad_signature, too_large, malformed, error).",
		}, []string{"event", "outcome"}),
		WebhookDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "reviewpolicy_webhook_duration_seconds",
			Help:    "Time to answer a webhook delivery from its body's last byte (verify, dedupe, store durably).",
			Buckets: []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10},
		}),
		JobDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "reviewpolicy_job_duration_seconds",
			Help:    "Time to run one job, by kind and outcome; a delivery handled in the move that queues it counts as its delivery job.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 14),
		}, []string{"kind", "outcome"}),
		QueueDepth: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "reviewpolicy_queue_depth",
			Help: "Jobs waiting to run (available, scheduled or retryable, or fetched by this process and waiting for a worker).",
		}, queueDepth),
		GitHubRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "reviewpolicy_github_requests_total",
			Help: "Requests to the GitHub API, by method and status (304 = served by conditional request).",
		}, []string{"method", "status"}),
		RateRemaining: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "reviewpolicy_github_rate_limit_remaining",
			Help: "X-RateLimit-Remaining last seen, per installation.",
		}, []string{"installation"}),
		TimeToReview: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "reviewpolicy_time_to_first_review_seconds",
			Help:    "Working time from the SLA clock's start to the first review, by repository.",
			Buckets: []float64{300, 900, 1800, 3600, 2 * 3600, 4 * 3600, 8 * 3600, 16 * 3600, 24 * 3600, 48 * 3600, 96 * 3600},
		}, []string{"repository"}),
		SLABreaches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "reviewpolicy_sla_breaches_total",
			Help: "Pull requests whose first review deadline passed, by repository.",
		}, []string{"repository"}),
		AwaitingReview: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "reviewpolicy_pull_requests_awaiting_first_review",
			Help: "Pull requests whose SLA clock is running.",
		}, awaiting),
		ReviewerRequest: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "reviewpolicy_reviewer_requests_total",
			Help: "Reviewers requested by the app, by strategy.",
		}, []string{"strategy"}),
		JobLimit: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "reviewpolicy_delivery_job_limit",
			Help: "Delivery and evaluation jobs allowed to run at once: workers.concurrency, less while webhooks are slow to acknowledge (workers.ack_goal). The name predates evaluations being bounded too.",
		}),
		Cohorts: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "reviewpolicy_evaluation_cohort_size",
			Help:    "Evaluation jobs run together, sharing their store statements: one per evaluation job that ran, of those it took along and itself.",
			Buckets: prometheus.LinearBuckets(1, 1, cohortMax),
		}),
	}
	reg.MustRegister(m.Deliveries, m.WebhookDuration, m.JobDuration, m.QueueDepth, m.GitHubRequests, m.RateRemaining,
		m.TimeToReview, m.SLABreaches, m.AwaitingReview, m.ReviewerRequest, m.JobLimit, m.Cohorts)
	return m
}

// RoundTripper counts GitHub API requests and records the rate limit left.
// Use it as the clients' base transport, under the HTTP cache, so a 304 is
// counted as what it is.
func (m *Metrics) RoundTripper(next http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		res, err := next.RoundTrip(r)
		status := "error"
		if res != nil {
			status = strconv.Itoa(res.StatusCode)
			if v, perr := strconv.ParseFloat(res.Header.Get("X-RateLimit-Remaining"), 64); perr == nil {
				m.RateRemaining.WithLabelValues(installationLabel(r)).Set(v)
			}
		}
		m.GitHubRequests.WithLabelValues(r.Method, status).Inc()
		return res, err
	})
}

func (m *Metrics) observeJob(kind string, start time.Time, err error) {
	m.observeDuration(kind, time.Since(start), err)
}

func (m *Metrics) observeDuration(kind string, took time.Duration, err error) {
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	m.JobDuration.WithLabelValues(kind, outcome).Observe(took.Seconds())
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

type installationKey struct{}

// installationLabel reads the installation that withInstallation put on the
// request's context; go-githubapp's own key is unexported.
func installationLabel(r *http.Request) string {
	if id, ok := r.Context().Value(installationKey{}).(int64); ok {
		return strconv.FormatInt(id, 10)
	}
	return "app"
}
