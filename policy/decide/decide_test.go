package decide

import (
	"testing"
	"time"

	"github.com/reviewpolicy/reviewpolicy/policy"
	"github.com/reviewpolicy/reviewpolicy/policy/check"
	"github.com/reviewpolicy/reviewpolicy/policy/sla"
)

const testPolicy = `version: 1
reviewers:
  strategy: round-robin
  rules:
    - {name: docs, paths: ["*.md"], reviewers: [alice, bob], count: 1}
sla:
  first_review: 24h
`

func facts(t *testing.T, src string) Facts {
	t.Helper()
	p, err := policy.Parse("p.yml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return Facts{Policy: p, Repo: "o/r", PR: policy.PullRequest{Number: 1, Author: "carol", Files: []string{"README.md"}},
		Rotation: map[string]int{}}
}

var now = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func TestRequestingStartsTheClockAndMovesTheRotation(t *testing.T) {
	t.Parallel()
	d := Decide(facts(t, testPolicy), now)
	if d.Reviewers == nil || len(d.Reviewers.Request) != 1 {
		t.Fatalf("requests %+v, want one reviewer", d.Reviewers)
	}
	if d.Reviewers.Rotation["docs"] != 1 {
		t.Errorf("rotation %v, want docs moved to 1", d.Reviewers.Rotation)
	}
	if d.SLA == nil || d.SLA.Clock.State != sla.Running || !d.SLA.Changed || !d.SLA.Restarted {
		t.Errorf("clock %+v, want a new running clock", d.SLA)
	}
}

func TestDraftAsksNobodyAndPausesTheClock(t *testing.T) {
	t.Parallel()
	f := facts(t, testPolicy)
	f.PR.Draft = true
	d := Decide(f, now)
	if d.Reviewers == nil || len(d.Reviewers.Request) != 0 || len(d.Reviewers.Rotation) != 0 {
		t.Errorf("a draft asks %+v", d.Reviewers)
	}
	if d.SLA.Clock.State == sla.Running {
		t.Errorf("a draft's clock runs: %+v", d.SLA.Clock)
	}
}

func TestClosedOnlyStopsTheClock(t *testing.T) {
	t.Parallel()
	f := facts(t, testPolicy)
	f.Clock, _ = sla.Clock{}.Start(now.Add(-time.Hour))
	f.ClockFound, f.Closed = true, true
	d := Decide(f, now)
	if d.Reviewers != nil || d.Report.Conclusion != "" {
		t.Errorf("a closed pull request got a report or requests: %+v", d)
	}
	if d.SLA == nil || d.SLA.Clock.State != sla.Closed || !d.SLA.Changed {
		t.Errorf("clock %+v, want closed", d.SLA)
	}
}

func TestSLAOffKeepsNoClockAndAnOutsidersReviewDoesNotStopIt(t *testing.T) {
	t.Parallel()
	off := Decide(facts(t, testPolicy+"enforcement: {sla: off}\n"), now)
	if off.SLA != nil {
		t.Errorf("sla off still keeps a clock: %+v", off.SLA)
	}
	f := facts(t, testPolicy)
	f.Clock, _ = sla.Clock{}.Start(now.Add(-time.Hour))
	f.ClockFound = true
	f.Requested = []string{"alice"}
	f.Reviews = []policy.Review{{Author: "drive-by", State: "COMMENTED", SubmittedAt: now.Add(-time.Minute), Association: "NONE"}}
	if d := Decide(f, now); d.SLA.Clock.State != sla.Running || d.SLA.Changed {
		t.Errorf("an outsider's comment changed the clock: %+v", d.SLA)
	}
	f.Reviews = append(f.Reviews, policy.Review{Author: "alice", State: "APPROVED", SubmittedAt: now, Association: "MEMBER"})
	if d := Decide(f, now); d.SLA.Clock.State != sla.Reviewed || d.SLA.Reviewed == nil {
		t.Errorf("a member's review did not stop the clock: %+v", d.SLA)
	}
}

func TestInvalidPolicyFails(t *testing.T) {
	t.Parallel()
	d := Decide(Facts{PolicyErr: errTest{}, PolicySource: "x"}, now)
	if d.Report.Conclusion != check.Failure {
		t.Errorf("conclusion %s, want failure", d.Report.Conclusion)
	}
}

type errTest struct{}

func (errTest) Error() string { return "broken" }
