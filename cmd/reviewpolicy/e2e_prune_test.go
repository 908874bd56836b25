package main

import (
	"database/sql"
	"net/http"
	"strings"
	"testing"
)

// The daily prune job, which also runs at start, deletes what is kept for a
// pull request closed longer ago than retention.closed_pull_requests, and
// keeps it while the setting says so.
func TestPruneJobUsesClosedRetention(t *testing.T) {
	t.Parallel()
	h := setup(t)
	longRetention := map[string]string{"REVIEWPOLICY_RETENTION_CLOSED_PULL_REQUESTS": "1000000h"} // 114 years
	stop := h.start(t, longRetention)
	waitFor(t, "the first prune", func() bool { return h.jobsOfKind(t, "prune", "completed") == 1 })
	if got := h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", nil)); got != http.StatusAccepted {
		t.Fatalf("opened: webhook answered %d", got)
	}
	waitFor(t, "the check run", func() bool { return len(h.checkRuns()) == 1 })
	closed := payload(t, "pull_request/opened.payload.json", func(m map[string]any) {
		m["action"] = "closed"
		pr := m["pull_request"].(map[string]any)
		pr["state"], pr["closed_at"] = "closed", "2019-05-15T15:20:40Z"
	})
	if got := h.send(t, "pull_request", "", closed); got != http.StatusAccepted {
		t.Fatalf("closed: webhook answered %d", got)
	}
	waitFor(t, "the closed delivery", func() bool { return h.deliveriesDone(t) == 2 })
	if n := h.prRows(t); n == 0 {
		t.Fatal("the pull request has no rows to prune; the test measures nothing")
	}
	stop()

	// Closed in 2019, kept for 114 years: the prune at start keeps it.
	stop = h.start(t, longRetention)
	waitFor(t, "the second prune", func() bool { return h.jobsOfKind(t, "prune", "completed") == 2 })
	if n := h.prRows(t); n == 0 {
		t.Error("the prune deleted a pull request closed more recently than retention.closed_pull_requests")
	}
	stop()

	// The default, 30 days: pruned.
	h.start(t, nil)
	waitFor(t, "the third prune", func() bool { return h.jobsOfKind(t, "prune", "completed") == 3 })
	if n := h.prRows(t); n != 0 {
		t.Errorf("%d rows left for a pull request closed in 2019, with the default retention of 30 days", n)
	}
}

// prRows counts the rows the store keeps for the test's pull request:
// remembered GitHub objects and the record of its closing.
func (h *harness) prRows(t *testing.T) int {
	t.Helper()
	db, err := sql.Open("sqlite", strings.TrimPrefix(h.dbURL, "sqlite://"))
	must(t, err)
	defer db.Close()
	var n int
	const q = `SELECT (SELECT count(*) FROM github_objects WHERE repo_id = $1 AND number = $2) +
    (SELECT count(*) FROM pull_requests_closed WHERE repo_id = $1 AND number = $2)`
	must(t, db.QueryRow(q, repoID, prNumber).Scan(&n))
	return n
}
