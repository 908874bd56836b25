package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/reviewpolicy/reviewpolicy/handlers"
	"github.com/reviewpolicy/reviewpolicy/internal/githubfake"
	"github.com/reviewpolicy/reviewpolicy/simulate"
)

const whatIfCurrent = `version: 1
template:
  sections: [{heading: Summary}]
sla: {first_review: 24h}
`

const whatIfProposed = `version: 1
template:
  sections: [{heading: Summary}, {heading: Testing}]
sla:
  first_review: 8h
  working_hours: {timezone: UTC, days: [mon, tue, wed, thu, fri], start: "09:00", end: "17:00"}
`

// whatIfClosed is more closed pull requests than one what-if job can
// afford to read (handlers.WhatIfMaxCalls), numbered from 101.
const whatIfClosed = 60

// checkRunBodies are the summaries the app sent for check runs, in order.
func (h *harness) checkRunBodies(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, c := range h.fake.Calls() {
		if c.Method != "POST" && c.Method != "PATCH" || !strings.Contains(c.Path, "/check-runs") {
			continue
		}
		var body struct {
			Output struct{ Summary string } `json:"output"`
		}
		must(t, json.Unmarshal(c.Body, &body))
		out = append(out, body.Output.Summary)
	}
	return out
}

// TestPolicyChangeGetsItsWhatIf: a pull request proposing a policy gets its
// check run at once with the what-if pending, then the replay of the last
// closed pull requests as a section, from a job of its own that reads at
// most its budget; the next head's what-if reads only what the store does
// not know yet. Repeated deliveries make one what-if job per head.
func TestPolicyChangeGetsItsWhatIf(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", whatIfCurrent)
	simHistory(h.fake, owner, repoName, 101, whatIfClosed)
	changePolicy(h, whatIfProposed)
	h.start(t, nil)
	h.sendAll(t, "pull_request", payload(t, "pull_request/opened.payload.json", nil), 3)
	section := "What-if: the last "
	waitFor(t, "the what-if section", func() bool {
		runs := h.checkRuns()
		return len(runs) == 1 && strings.Contains(runs[0].Summary, section)
	})
	h.settle(t)
	bodies := h.checkRunBodies(t)
	if !strings.Contains(bodies[0], "⏳ Replaying the last closed pull requests") {
		t.Errorf("the first check run did not say the what-if follows:\n%s", bodies[0])
	}
	if n := h.jobsOfKind(t, "whatif", ""); n != 1 {
		t.Errorf("%d what-if jobs for one head, want 1", n)
	}
	first := h.checkRuns()[0].Summary
	read := h.fake.CountCalls("GET", "/repos/"+owner+"/"+repoName+"/issues/1") // timelines of #101…#160
	if read == 0 || read >= whatIfClosed || read*3 > handlers.WhatIfMaxCalls {
		t.Errorf("the what-if read %d timelines; want some, within %d requests, not all %d", read, handlers.WhatIfMaxCalls, whatIfClosed)
	}
	if !strings.Contains(first, "were not read within the request budget") {
		t.Errorf("the section does not say some pull requests were left for later:\n%s", first)
	}

	// A new head: its what-if reads only the pull requests not read before.
	h.fake.ResetCalls()
	h.fake.AddPullRequest(owner, repoName, githubfake.PullRequest{Number: prNumber, Title: "Tighten the review policy",
		Body: "Policy change.", HeadRef: "changes", HeadSHA: strings.Repeat("c", 40), BaseRef: "master", Author: owner,
		Files: []string{".github/review-policy.yml"}, State: "open"})
	h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", nil))
	want := fmt.Sprintf("What-if: the last %d closed pull requests", whatIfClosed)
	waitFor(t, "the second what-if", func() bool {
		for _, r := range h.runsOn(strings.Repeat("c", 40)) {
			if strings.Contains(r.Summary, want) {
				return true
			}
		}
		return false
	})
	h.settle(t)
	t.Logf("first what-if read %d pull requests; the second push cost %d requests in all", read, len(h.fake.Calls()))
	if again := h.fake.CountCalls("GET", "/repos/"+owner+"/"+repoName+"/issues/1"); again != whatIfClosed-read {
		t.Errorf("the second what-if read %d timelines, want the %d the first left", again, whatIfClosed-read)
	}
	summary := h.runsOn(strings.Repeat("c", 40))[0].Summary
	// 60 pull requests built by simHistory: 6 lack every section, 24 lack
	// Testing; 30 breach 24 wall-clock hours, 15 breach 8 working hours.
	for _, row := range []string{"| pull requests failing the template | 6 | 24 |", "| first-review SLA breaches | 30 | 15 |"} {
		if !strings.Contains(summary, row) {
			t.Errorf("the what-if lacks %q:\n%s", row, summary)
		}
	}
	// The full report is kept for the pull request's page, under its head.
	full := h.storedWhatIf(t, strings.Repeat("c", 40))
	if b := full.Report.SLA.Breached; full.Head != strings.Repeat("c", 40) || full.Report.PRs != whatIfClosed || len(b.Current) != 30 || len(b.Proposed) != 15 {
		t.Errorf("the stored report: head %s, %d pull requests, breaches %d → %d; want %d, 30 → 15",
			full.Head, full.Report.PRs, len(b.Current), len(b.Proposed), whatIfClosed)
	}
}

// storedWhatIf is the full what-if report kept for the pull request's head.
func (h *harness) storedWhatIf(t *testing.T, head string) simulate.Stored {
	t.Helper()
	db, err := sql.Open("sqlite", sqliteTestDSN(h.dbURL))
	must(t, err)
	defer db.Close()
	var data []byte
	must(t, db.QueryRow(`SELECT value FROM simulate_answers WHERE key = $1`, simulate.StoredKey(repoID, prNumber, head)).Scan(&data))
	var st simulate.Stored
	must(t, json.Unmarshal(data, &st))
	return st
}

// TestWhatIfWithAnInvalidPolicyInForce: nothing to compare with, and the
// section says so instead of staying pending.
func TestWhatIfWithAnInvalidPolicyInForce(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", "version: 1\nsla: {first_review: soon}\n")
	changePolicy(h, whatIfProposed)
	h.start(t, nil)
	h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", nil))
	waitFor(t, "the what-if's answer", func() bool {
		runs := h.checkRuns()
		return len(runs) == 1 && strings.Contains(runs[0].Summary, "The policy in force is invalid, so there is nothing to compare")
	})
	h.settle(t)
	if strings.Contains(h.checkRuns()[0].Summary, "⏳") {
		t.Errorf("still pending:\n%s", h.checkRuns()[0].Summary)
	}
}
