package notify

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the outbox's counters; the depth and age gauges read the
// store at scrape time (NewMetrics).
type Metrics struct {
	// Messages counts outcomes by kind, destination type (slack_dm,
	// slack_channel, slack_update, teams) and outcome (sent, failed,
	// retried, rate_limited).
	Messages *prometheus.CounterVec
	// Failures counts refusals by reason (channel_not_found, no_slack_id…).
	Failures *prometheus.CounterVec
}

// NewMetrics registers the notification metrics with reg. depth reports
// the due messages waiting and the age in seconds of the oldest.
func NewMetrics(reg prometheus.Registerer, depth func() (n, ageSeconds float64)) *Metrics {
	m := &Metrics{
		Messages: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "reviewpolicy_notify_messages_total",
			Help: "Notification attempts by kind, destination type and outcome."}, []string{"kind", "destination", "outcome"}),
		Failures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "reviewpolicy_notify_failures_total",
			Help: "Notifications refused for good, by kind, destination type and reason."}, []string{"kind", "destination", "reason"}),
	}
	reg.MustRegister(m.Messages, m.Failures,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "reviewpolicy_notify_outbox_depth",
			Help: "Notifications due and not yet sent."}, func() float64 { n, _ := depth(); return n }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "reviewpolicy_notify_outbox_oldest_seconds",
			Help: "How long the oldest due notification has waited."}, func() float64 { _, a := depth(); return a }))
	return m
}

func (m *Metrics) count(kind, dest, outcome string) {
	if m != nil {
		m.Messages.WithLabelValues(kind, dest, outcome).Inc()
	}
}

// failure counts a refusal; reasons are Slack's error codes or a few of
// ours, a bounded set.
func (m *Metrics) failure(kind, dest, reason string) {
	if m == nil {
		return
	}
	if !permanent[reason] && reason != "gave_up" && reason != "no_slack_id" {
		reason = "other"
	}
	m.Failures.WithLabelValues(kind, dest, reason).Inc()
}

// Problem counts a message that could not even be made (a person without
// a Slack ID in people, a Teams webhook the server lacks).
func (m *Metrics) Problem(kind, reason string) {
	if m != nil {
		m.Failures.WithLabelValues(kind, "none", reason).Inc()
	}
}
