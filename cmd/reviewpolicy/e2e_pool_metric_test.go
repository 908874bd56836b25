package main

import (
	"strings"
	"testing"
)

// TestConnectionPoolMetrics: /metrics shows each database pool's
// statistics, named: on SQLite the one writer ("main") and the readers.
func TestConnectionPoolMetrics(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.start(t, nil)
	metrics := h.metrics(t)
	for _, want := range []string{
		`go_sql_max_open_connections{db_name="main"} 1`,
		`go_sql_max_open_connections{db_name="reads"} 4`,
		`go_sql_wait_duration_seconds_total{db_name="main"} `,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics has no %q", want)
		}
	}
}
