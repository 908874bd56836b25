package reviewers

import (
	"strings"
	"testing"

	"github.com/reviewpolicy/reviewpolicy/policy"
)

// TestCannotAsk: whom "/reviewpolicy reassign @login" may name, and why not.
func TestCannotAsk(t *testing.T) {
	t.Parallel()
	p := newPolicy(policy.StrategyLoadBalance, backend,
		policy.Rule{Name: "docs", Paths: []string{"*.md"}, Reviewers: []string{"dora"}})
	p.Reviewers.MaxOpenRequests = 3
	p.People["bob"] = policy.Person{Away: true}
	in := newInput(p, "svc/api/x.go")
	in.Requested = []string{"alice"}
	in.Busy = map[string]bool{"carol": true}
	cases := []struct {
		name, login, in string // in: what the answer contains; "" may be asked
		edit            func(in *Input)
	}{
		{"a free candidate", "Carol", "", func(in *Input) { in.Busy = nil }},
		{"with an @", "@carol", "", func(in *Input) { in.Busy = nil }},
		{"the author", "author", "is the author", nil},
		{"not a candidate", "mallory", "not a candidate of a rule that applies", nil},
		{"a rule that does not apply", "dora", "not a candidate of a rule that applies", nil},
		{"already requested", "alice", "already requested", nil},
		{"away", "bob", "cannot be asked: away", nil},
		{"busy", "carol", "busy (limited availability)", nil},
		{"over the cap", "carol", "at max_open_requests (3)", func(in *Input) { in.Busy, in.Load = nil, map[string]Load{"carol": {Open: 3}} }},
		{"no access", "carol", "unable to review this repository", func(in *Input) { in.Busy, in.CannotReview = nil, map[string]bool{"carol": true} }},
		{"withdrawn", "carol", "withdrawn after 8h without a response", func(in *Input) {
			in.Busy, in.Withdrawn = nil, map[string]string{"carol": "withdrawn after 8h without a response"}
		}},
		{"removed by a person", "carol", "removed by a human", func(in *Input) { in.Busy, in.Removed = nil, []string{"carol"} }},
	}
	for _, c := range cases {
		i := in
		if c.edit != nil {
			c.edit(&i)
		}
		got := CannotAsk(i, c.login)
		if (c.in == "") != (got == "") || !strings.Contains(got, c.in) {
			t.Errorf("%s: CannotAsk(%s) = %q, want %q", c.name, c.login, got, c.in)
		}
	}
}

// TestWithdrawnIsNotRemovedByAHuman: the shortfall note says why the app
// withdrew a reviewer, apart from the people a person removed.
func TestWithdrawnIsNotRemovedByAHuman(t *testing.T) {
	t.Parallel()
	in := newInput(newPolicy(policy.StrategyLoadBalance, backend), "svc/api/x.go")
	in.Withdrawn = map[string]string{"alice": "withdrawn after 8h without a response", "bob": "withdrawn after 8h without a response"}
	in.Removed = []string{"carol"}
	why := rule(t, Select(in), "backend").Why
	want := "all 3 candidates are removed by a human or withdrawn after 8h without a response " +
		"(removed by a human: carol; withdrawn after 8h without a response: alice, bob)"
	if why != want {
		t.Errorf("why %q\nwant %q", why, want)
	}
}

// TestWithdrawnStillListedIsNotAssigned: between the app marking a request
// withdrawn and GitHub dropping it, the reviewer is still listed; they do
// not cover the rule, so the evaluation asks someone else instead of
// marking the rule done with nobody on it once GitHub catches up.
func TestWithdrawnStillListedIsNotAssigned(t *testing.T) {
	t.Parallel()
	in := newInput(newPolicy(policy.StrategyLoadBalance, backend), "svc/api/x.go")
	in.Requested = []string{"Alice"}
	if r := rule(t, Select(in), "backend"); len(r.Assigned) != 1 || r.Assigned[0].Login != "alice" || r.Assigned[0].New {
		t.Fatalf("before the withdrawal: assigned %+v, want alice, already requested", r.Assigned)
	}
	in.Withdrawn = map[string]string{"alice": "withdrawn after 8h without a response"}
	out := Select(in)
	r := rule(t, out, "backend")
	if len(r.Assigned) != 1 || r.Assigned[0].Login == "alice" || !r.Assigned[0].New {
		t.Errorf("assigned %+v, want one new reviewer other than alice", r.Assigned)
	}
	if len(out.Request) != 1 || strings.EqualFold(out.Request[0], "alice") {
		t.Errorf("requests %v, want one reviewer other than alice", out.Request)
	}
}

// TestNamedKeepsItsReason: once asked, a person named with reassign is
// already requested, and later evaluations still say why they are there.
func TestNamedKeepsItsReason(t *testing.T) {
	t.Parallel()
	in := newInput(newPolicy(policy.StrategyLoadBalance, backend), "svc/api/x.go")
	in.Prefer = []string{"@Carol"}
	r := rule(t, Select(in), "backend")
	if len(r.Assigned) != 1 || r.Assigned[0].Login != "carol" || !strings.HasSuffix(r.Assigned[0].Reason, "; named with /reviewpolicy reassign") {
		t.Fatalf("asked %+v, want carol, named", r.Assigned)
	}
	in.Requested = []string{"carol"}
	r = rule(t, Select(in), "backend")
	if len(r.Assigned) != 1 || r.Assigned[0].New || !strings.HasSuffix(r.Assigned[0].Reason, "; named with /reviewpolicy reassign; already requested") {
		t.Errorf("later: %+v, want carol, named and already requested", r.Assigned)
	}
}
