package main

import (
	"database/sql"
	"net/http"
	"testing"

	"github.com/reviewpolicy/reviewpolicy/internal/githubfake"
)

// The daily prune job, which also runs at start, deletes what is kept for a
// pull request closed longer ago than retention.closed_pull_requests, keeps
// it while the setting says so, and keeps a pull request reopened since.
func TestPruneJobUsesClosedRetention(t *testing.T) {
	t.Parallel()
	h := setup(t)
	const reopened = prNumber + 1
	h.fake.AddPullRequest(owner, repoName, githubfake.PullRequest{Number: reopened, Title: "t", Body: "b",
		HeadRef: "other", HeadSHA: burstSHA(reopened), BaseRef: "master", Author: owner, Files: []string{"README.md"}})
	longRetention := map[string]string{"REVIEWPOLICY_RETENTION_CLOSED_PULL_REQUESTS": "1000000h"} // 114 years
	stop := h.start(t, longRetention)
	waitFor(t, "the first prune", func() bool { return h.jobsOfKind(t, "prune", "completed") == 1 })

	// Both opened, then closed in 2019; the second reopened a minute later.
	event := func(number int, action, sha string, pr map[string]any) []byte {
		return payload(t, "pull_request/opened.payload.json", func(m map[string]any) {
			m["action"], m["number"] = action, number
			p := m["pull_request"].(map[string]any)
			p["number"], p["head"].(map[string]any)["sha"] = number, sha
			for k, v := range pr {
				p[k] = v
			}
		})
	}
	closed := map[string]any{"state": "closed", "closed_at": "2019-05-15T15:20:40Z", "updated_at": "2019-05-15T15:20:40Z"}
	deliveries := [][]byte{
		event(prNumber, "opened", headSHA, nil),
		event(reopened, "opened", burstSHA(reopened), nil),
		event(prNumber, "closed", headSHA, closed),
		event(reopened, "closed", burstSHA(reopened), closed),
		event(reopened, "reopened", burstSHA(reopened), map[string]any{"updated_at": "2019-05-15T15:21:40Z"}),
	}
	for i, body := range deliveries {
		if got := h.send(t, "pull_request", "", body); got != http.StatusAccepted {
			t.Fatalf("delivery %d: webhook answered %d", i, got)
		}
		waitFor(t, "the delivery's job", func() bool { return h.deliveriesDone(t) == i+1 })
	}
	for _, n := range []int{prNumber, reopened} {
		if h.prRows(t, n) == 0 {
			t.Fatalf("pull request #%d has no rows to prune; the test measures nothing", n)
		}
	}
	stop()

	// Closed in 2019, kept for 114 years: the prune at start keeps it.
	stop = h.start(t, longRetention)
	waitFor(t, "the second prune", func() bool { return h.jobsOfKind(t, "prune", "completed") == 2 })
	if h.prRows(t, prNumber) == 0 {
		t.Error("the prune deleted a pull request closed more recently than retention.closed_pull_requests")
	}
	stop()

	// 30 days, the default: pruned, except the reopened one.
	h.start(t, map[string]string{"REVIEWPOLICY_RETENTION_CLOSED_PULL_REQUESTS": "720h"})
	waitFor(t, "the third prune", func() bool { return h.jobsOfKind(t, "prune", "completed") == 3 })
	if n := h.prRows(t, prNumber); n != 0 {
		t.Errorf("%d rows left for a pull request closed in 2019, with the default retention of 30 days", n)
	}
	if h.prRows(t, reopened) == 0 {
		t.Error("the prune deleted a reopened pull request's rows")
	}
}

// prRows counts the rows the store keeps for a pull request of the test's
// repository: remembered GitHub objects and the record of its closing.
func (h *harness) prRows(t *testing.T, number int) int {
	t.Helper()
	db, err := sql.Open("sqlite", sqliteTestDSN(h.dbURL))
	must(t, err)
	defer db.Close()
	var n int
	const q = `SELECT (SELECT count(*) FROM github_objects WHERE repo_id = $1 AND number = $2) +
    (SELECT count(*) FROM pull_requests_closed WHERE repo_id = $1 AND number = $2)`
	must(t, db.QueryRow(q, repoID, number).Scan(&n))
	return n
}
