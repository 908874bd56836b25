package main

import (
	"database/sql"
	"os"
	"strings"
	"testing"

	_ "modernc.org/sqlite"
)

// A pull request whose webhook never arrived is found by the sweep at start.
func TestReconcileAtStartChecksPullRequestsWithoutWebhooks(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", templatePolicy)
	cfg, err := os.ReadFile(h.cfgPath)
	must(t, err)
	must(t, os.WriteFile(h.cfgPath, []byte(strings.Replace(string(cfg), "reconcile: {interval: 0s}", "reconcile: {interval: 1h}", 1)), 0o600))
	stop := h.start(t, nil)
	waitFor(t, "the sweep's check run", func() bool { return len(h.checkRuns()) == 1 })
	if run := h.checkRuns()[0]; run.HeadSHA != headSHA || run.Conclusion != "failure" {
		t.Errorf("swept check run = %+v", run)
	}
	// The evaluation writes more after its check run (and records it).
	h.settle(t)
	stop()

	// The next start sweeps again, finds the head already checked and
	// queues no evaluation.
	h.start(t, nil)
	waitFor(t, "the second sweep", func() bool { return h.jobsOfKind(t, "reconcile", "completed") == 4 })
	// A sweep queues its evaluations before it completes.
	if n := h.jobsOfKind(t, "evaluate", ""); n != 1 {
		t.Errorf("%d evaluate jobs after two sweeps, want 1", n)
	}
}

// jobsOfKind counts River jobs of a kind in the test database, in one
// state or ("") any.
func (h *harness) jobsOfKind(t *testing.T, kind, state string) int {
	t.Helper()
	db, err := sql.Open("sqlite", sqliteTestDSN(h.dbURL))
	must(t, err)
	defer db.Close()
	var n int
	must(t, db.QueryRow(`SELECT count(*) FROM river_job WHERE kind = $1 AND ($2 = '' OR state = $2)`, kind, state).Scan(&n))
	return n
}
