package handlers

import (
	"slices"
	"strings"
	"testing"

	"github.com/reviewpolicy/reviewpolicy/policy"
	"github.com/reviewpolicy/reviewpolicy/policy/reviewers"
)

// The pull request's page explains a choice with the check run's numbers:
// those chosen and those considered but not chosen, each clipped.
func TestReviewerAreaKeepsWhoWasConsidered(t *testing.T) {
	long := "carol: " + strings.Repeat("x", 5000)
	out := &reviewers.Output{Rules: []reviewers.RuleResult{{Name: "api", State: "requested", Required: 1,
		Assigned:   []reviewers.Assignment{{Login: "alice", Reason: "alice: 2 reviews; chosen"}},
		Considered: []string{"bob: 0 reviews and 1 change in svc/api in 90 days, score 0.31; not chosen", long}}}}
	a := reviewerArea(out, policy.ModeBlock)
	if len(a.Rules) != 1 {
		t.Fatalf("rules %+v", a.Rules)
	}
	r := a.Rules[0]
	if len(r.Assigned) != 1 || r.Assigned[0].Reason != "alice: 2 reviews; chosen" {
		t.Errorf("assigned %+v", r.Assigned)
	}
	if len(r.Considered) != 2 || r.Considered[0] != out.Rules[0].Considered[0] {
		t.Fatalf("considered %q, want the rule's list", r.Considered)
	}
	if len(r.Considered[1]) >= len(long) || !strings.HasPrefix(r.Considered[1], "carol: ") {
		t.Errorf("a long explanation is not clipped: %d bytes", len(r.Considered[1]))
	}
	if slices.Contains(r.Considered, "") {
		t.Error("an empty explanation")
	}
}
