package reviewers

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reviewpolicy/reviewpolicy/policy"
)

// wednesday10 is 10:00 UTC on a Wednesday.
var wednesday10 = time.Date(2025, 3, 5, 10, 0, 0, 0, time.UTC)

func newPolicy(strategy string, rules ...policy.Rule) *policy.Policy {
	return &policy.Policy{
		Version:   1,
		Reviewers: &policy.ReviewersPolicy{Strategy: strategy, Count: 1, Rules: rules},
		People:    map[string]policy.Person{},
	}
}

func newInput(p *policy.Policy, files ...string) Input {
	return Input{
		Policy: p,
		PR:     policy.PullRequest{Number: 7, Author: "author", Files: files},
		Repo:   "acme/app",
		Now:    wednesday10,
	}
}

var backend = policy.Rule{Name: "backend", Paths: []string{"svc/**"}, Reviewers: []string{"alice", "bob", "carol"}}

func rule(t *testing.T, out Output, name string) RuleResult {
	t.Helper()
	for _, r := range out.Rules {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("no rule %q in %+v", name, out.Rules)
	return RuleResult{}
}

func logins(as []Assignment) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.Login)
	}
	return out
}

func TestLoadBalance(t *testing.T) {
	t.Parallel()
	earlier, later := wednesday10.Add(-48*time.Hour), wednesday10.Add(-time.Hour)
	tests := []struct {
		name  string
		load  map[string]Load
		count int
		want  []string
	}{
		{"fewest open", map[string]Load{"alice": {Open: 3}, "bob": {Open: 1}, "carol": {Open: 2}}, 1, []string{"bob"}},
		{"tie broken by least recently asked", map[string]Load{"alice": {Open: 1, LastRequested: later}, "bob": {Open: 2}, "carol": {Open: 1, LastRequested: earlier}}, 1, []string{"carol"}},
		{"full tie broken by login", map[string]Load{}, 1, []string{"alice"}},
		{"two reviewers", map[string]Load{"alice": {Open: 5}, "bob": {Open: 1}, "carol": {Open: 0}}, 2, []string{"bob", "carol"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := backend
			r.Count = tt.count
			in := newInput(newPolicy(policy.StrategyLoadBalance, r), "svc/a.go")
			in.Load = tt.load
			out := Select(in)
			if !slices.Equal(out.Request, tt.want) {
				t.Fatalf("Request = %v, want %v", out.Request, tt.want)
			}
			res := rule(t, out, "backend")
			if res.State != StateRequested || !out.OK() {
				t.Errorf("state %q, OK %v", res.State, out.OK())
			}
			for _, a := range res.Assigned {
				if !a.New || !strings.HasPrefix(a.Reason, a.Login+": rule backend matched svc/a.go; least loaded (") {
					t.Errorf("assignment %+v", a)
				}
			}
		})
	}
}

func TestReasonExample(t *testing.T) {
	t.Parallel()
	p := newPolicy("", policy.Rule{Name: "security", Paths: []string{"auth/**"}, Reviewers: []string{"carol"}})
	p.SLA = &policy.SLAPolicy{WorkingHours: &policy.WorkingHours{
		Location: time.UTC, Days: []time.Weekday{time.Wednesday}, Start: 9 * time.Hour, End: 17 * time.Hour}}
	in := newInput(p, "auth/token.go")
	in.Load = map[string]Load{"carol": {Open: 1}}
	got := rule(t, Select(in), "security").Assigned[0].Reason
	want := "carol: rule security matched auth/token.go; least loaded (1 open review); inside working hours"
	if got != want {
		t.Errorf("reason\n got %q\nwant %q", got, want)
	}
}

func TestRoundRobinAcrossCalls(t *testing.T) {
	t.Parallel()
	r := policy.Rule{Name: "backend", Paths: []string{"svc/**"}, Reviewers: []string{"carol", "alice", "bob"}}
	p := newPolicy(policy.StrategyRoundRobin, r)
	rotation := map[string]int{}
	var got []string
	for range 5 {
		in := newInput(p, "svc/a.go")
		in.Rotation = rotation
		out := Select(in)
		got = append(got, out.Request...)
		for k, v := range out.Rotation {
			rotation[k] = v
		}
	}
	if want := []string{"alice", "bob", "carol", "alice", "bob"}; !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
}

func TestRoundRobinSkipsAndCounts(t *testing.T) {
	t.Parallel()
	r := policy.Rule{Name: "backend", Paths: []string{"svc/**"}, Reviewers: []string{"alice", "bob", "carol", "dave"}, Count: 2}
	in := newInput(newPolicy(policy.StrategyRoundRobin, r), "svc/a.go")
	in.PR.Author = "bob"
	in.Rotation = map[string]int{"backend": 5} // 5 mod 4 = 1: starts at bob, the author
	out := Select(in)
	if want := []string{"carol", "dave"}; !slices.Equal(out.Request, want) {
		t.Fatalf("Request = %v, want %v", out.Request, want)
	}
	// Walked bob (skipped), carol, dave: three steps from 1.
	if got := out.Rotation["backend"]; got != 0 {
		t.Errorf("counter = %d, want 0", got)
	}
	// Nothing chosen: the counter is not reported.
	in.Requested = []string{"alice", "carol"}
	if out := Select(in); len(out.Rotation) != 0 || len(out.Request) != 0 {
		t.Errorf("already satisfied rule moved rotation %v / requested %v", out.Rotation, out.Request)
	}
}

func TestRandomDeterministic(t *testing.T) {
	t.Parallel()
	people := []string{"a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8"}
	p := newPolicy(policy.StrategyRandom, policy.Rule{Name: "any", Paths: []string{"**"}, Reviewers: people, Count: 2})
	seen := map[string]bool{}
	for n := 1; n <= 30; n++ {
		in := newInput(p, "x.go")
		in.PR.Number = n
		first := Select(in).Request
		for range 3 {
			if again := Select(in).Request; !slices.Equal(first, again) {
				t.Fatalf("PR %d: %v then %v", n, first, again)
			}
		}
		if len(first) != 2 || first[0] == first[1] {
			t.Fatalf("PR %d: want 2 distinct reviewers, got %v", n, first)
		}
		for _, l := range first {
			seen[l] = true
		}
	}
	if len(seen) < 6 {
		t.Errorf("30 pull requests only ever picked %v: not random", seen)
	}
	if got := rule(t, Select(newInput(p, "x.go")), "any").Assigned[0].Reason; !strings.Contains(got, "picked at random") {
		t.Errorf("reason %q", got)
	}
}

func TestExclusions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		setup   func(*Input)
		want    []string
		whyHas  string
		reasons string
	}{
		{"author", func(in *Input) { in.PR.Author = "Alice" }, []string{"bob"}, "", ""},
		{"bot", func(in *Input) {
			in.Policy.Reviewers.Rules[0].Reviewers = []string{"renovate[bot]", "bob"}
		}, []string{"bob"}, "", ""},
		{"away", func(in *Input) { in.Policy.People["alice"] = policy.Person{Away: true} }, []string{"bob"}, "", ""},
		{"removed", func(in *Input) { in.Removed = []string{"ALICE"} }, []string{"bob"}, "", ""},
		{"cannot review", func(in *Input) { in.CanReview = map[string]bool{"bob": true, "carol": true} }, []string{"bob"}, "", ""},
		{"found unable to review", func(in *Input) { in.CannotReview = map[string]bool{"alice": true} }, []string{"bob"}, "", ""},
		{"busy skipped while others free", func(in *Input) { in.Busy = map[string]bool{"alice": true} }, []string{"bob"}, "", ""},
		{"busy as last resort", func(in *Input) {
			in.Busy = map[string]bool{"alice": true}
			in.Policy.People["bob"] = policy.Person{Away: true}
			in.Policy.People["carol"] = policy.Person{Away: true}
		}, []string{"alice"}, "", "busy (limited availability) but no one else was available"},
		{"nobody", func(in *Input) {
			in.Policy.Reviewers.Rules[0].Reviewers = []string{"@acme/backend"}
			in.Teams = map[string][]string{"@acme/backend": {"alice", "bob", "author"}}
			in.Policy.People["alice"] = policy.Person{Away: true}
			in.Policy.People["bob"] = policy.Person{Away: true}
		}, nil, "all 3 members of @acme/backend are away or the author", ""},
		{"removed shortfall", func(in *Input) {
			in.Policy.Reviewers.Rules[0].Count = 3
			in.Removed = []string{"carol"}
		}, []string{"alice", "bob"}, "only 2 of 3 reviewers available (removed by a human: carol)", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := newInput(newPolicy("", backend), "svc/a.go")
			in.Policy.Reviewers.Rules = []policy.Rule{backend}
			tt.setup(&in)
			out := Select(in)
			if !slices.Equal(out.Request, tt.want) {
				t.Fatalf("Request = %v, want %v", out.Request, tt.want)
			}
			res := rule(t, out, "backend")
			if !strings.Contains(res.Why, tt.whyHas) {
				t.Errorf("Why = %q, want it to contain %q", res.Why, tt.whyHas)
			}
			if tt.want == nil && (res.State != StateNoCandidate || out.OK()) {
				t.Errorf("state %q OK %v, want no-candidate and not OK", res.State, out.OK())
			}
			if tt.reasons != "" && !strings.Contains(res.Assigned[0].Reason, tt.reasons) {
				t.Errorf("reason %q, want %q", res.Assigned[0].Reason, tt.reasons)
			}
		})
	}
}

func TestUnknownTeam(t *testing.T) {
	t.Parallel()
	r := policy.Rule{Name: "infra", Paths: []string{"deploy/**"}, Reviewers: []string{"@acme/ghosts", "dave"}}
	in := newInput(newPolicy("", r), "deploy/k8s.yaml")
	res := rule(t, Select(in), "infra")
	if !slices.Equal(logins(res.Assigned), []string{"dave"}) || !strings.Contains(res.Why, "team @acme/ghosts is unknown or has no members") {
		t.Errorf("assigned %v why %q", logins(res.Assigned), res.Why)
	}
}

func TestManualChoicesRespected(t *testing.T) {
	t.Parallel()
	security := policy.Rule{Name: "security", Paths: []string{"svc/auth/**"}, Reviewers: []string{"carol", "erin"}}
	in := newInput(newPolicy("", backend, security), "svc/auth/token.go")
	in.Requested = []string{"Carol"} // asked by a human; a candidate of both rules
	in.Load = map[string]Load{"carol": {Open: 9}}
	out := Select(in)
	if len(out.Request) != 0 {
		t.Errorf("requested %v although carol satisfies both rules", out.Request)
	}
	for _, name := range []string{"backend", "security"} {
		res := rule(t, out, name)
		if len(res.Assigned) != 1 || res.Assigned[0].New || !strings.HasSuffix(res.Assigned[0].Reason, "already requested") {
			t.Errorf("%s: %+v", name, res.Assigned)
		}
	}
}

func TestReviewedCountsAsAssigned(t *testing.T) {
	t.Parallel()
	// GitHub drops a review request once the review is in; the reviewer
	// must still satisfy the rule rather than trigger a new request.
	in := newInput(newPolicy("", backend), "svc/a.go")
	in.Reviews = []policy.Review{{Author: "bob", State: "COMMENTED", SubmittedAt: wednesday10}}
	out := Select(in)
	res := rule(t, out, "backend")
	if len(out.Request) != 0 || len(res.Assigned) != 1 || !strings.HasSuffix(res.Assigned[0].Reason, "already reviewed (commented)") {
		t.Errorf("request %v assigned %+v", out.Request, res.Assigned)
	}
}

func TestChosenCountsAsLoadForLaterRules(t *testing.T) {
	t.Parallel()
	api := policy.Rule{Name: "api", Paths: []string{"svc/api/**"}, Reviewers: []string{"alice", "bob"}}
	in := newInput(newPolicy("", backend, api), "svc/api/x.go")
	in.Load = map[string]Load{"alice": {Open: 0}, "bob": {Open: 0}, "carol": {Open: 5}}
	out := Select(in)
	if got := logins(rule(t, out, "api").Assigned); !slices.Equal(got, []string{"bob"}) {
		t.Errorf("api chose %v; alice already took backend, so bob is less loaded", got)
	}
	if !slices.Equal(out.Request, []string{"alice", "bob"}) {
		t.Errorf("Request = %v", out.Request)
	}
}

func TestDoneRules(t *testing.T) {
	t.Parallel()
	docs := policy.Rule{Name: "docs", Paths: []string{"*.md"}, Reviewers: []string{"dora"}}
	in := newInput(newPolicy("", backend, docs), "svc/a.go", "README.md")
	in.DoneRules = []string{"backend"}
	out := Select(in)
	if !slices.Equal(out.Request, []string{"dora"}) {
		t.Fatalf("Request = %v, want only the newly matching rule's reviewer", out.Request)
	}
	res := rule(t, out, "backend")
	if res.State != StateNoCandidate || !strings.Contains(res.Why, "earlier push") {
		t.Errorf("done rule: state %q why %q", res.State, res.Why)
	}
	in.Requested = []string{"bob"}
	if res := rule(t, Select(in), "backend"); res.State != StateRequested || res.Assigned[0].Login != "bob" {
		t.Errorf("done rule with its reviewer still requested: %+v", res)
	}
}

func TestApprovals(t *testing.T) {
	t.Parallel()
	at := func(h int) time.Time { return wednesday10.Add(time.Duration(h) * time.Hour) }
	tests := []struct {
		name    string
		reviews []policy.Review
		state   string
		approvs []string
		why     string
	}{
		{"none", nil, StateWaiting, nil, "waiting for 2 approvals"},
		{"one", []policy.Review{{Author: "alice", State: "APPROVED", SubmittedAt: at(1)}}, StateWaiting, []string{"alice"}, "waiting for 1 approval"},
		{"two", []policy.Review{{Author: "alice", State: "APPROVED", SubmittedAt: at(1)}, {Author: "Bob", State: "APPROVED", SubmittedAt: at(2)}}, StateApproved, []string{"alice", "bob"}, "approved by alice, bob"},
		{"changes requested after approval", []policy.Review{
			{Author: "alice", State: "APPROVED", SubmittedAt: at(1)}, {Author: "bob", State: "APPROVED", SubmittedAt: at(1)},
			{Author: "alice", State: "CHANGES_REQUESTED", SubmittedAt: at(2)}}, StateWaiting, []string{"bob"}, "waiting for 1 approval"},
		{"dismissed", []policy.Review{
			{Author: "alice", State: "DISMISSED", SubmittedAt: at(3)}, {Author: "alice", State: "APPROVED", SubmittedAt: at(1)},
			{Author: "bob", State: "APPROVED", SubmittedAt: at(1)}}, StateWaiting, []string{"bob"}, "waiting for 1 approval"},
		{"comment keeps approval", []policy.Review{
			{Author: "alice", State: "APPROVED", SubmittedAt: at(1)}, {Author: "alice", State: "COMMENTED", SubmittedAt: at(2)},
			{Author: "bob", State: "APPROVED", SubmittedAt: at(1)}}, StateApproved, []string{"alice", "bob"}, ""},
		{"author and outsiders do not count", []policy.Review{
			{Author: "author", State: "APPROVED", SubmittedAt: at(1)}, {Author: "zed", State: "APPROVED", SubmittedAt: at(1)},
			{Author: "carol", State: "APPROVED", SubmittedAt: at(1)}}, StateWaiting, []string{"carol"}, "waiting for 1 approval"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := backend
			r.Reviewers = []string{"alice", "bob", "carol", "author"}
			r.RequiredApprovals = 2
			in := newInput(newPolicy("", r), "svc/a.go")
			in.Reviews = tt.reviews
			out := Select(in)
			res := rule(t, out, "backend")
			if res.State != tt.state || !slices.Equal(res.Approvals, tt.approvs) || !strings.Contains(res.Why, tt.why) {
				t.Errorf("state %q approvals %v why %q", res.State, res.Approvals, res.Why)
			}
			if out.OK() != (tt.state == StateApproved) {
				t.Errorf("OK = %v with state %q", out.OK(), res.State)
			}
		})
	}
}

func TestWorkingHoursPreference(t *testing.T) {
	t.Parallel()
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	ny, _ := time.LoadLocation("America/New_York")
	if tokyo == nil || ny == nil {
		t.Fatal("no time zone database (policy embeds time/tzdata)")
	}
	p := newPolicy("", backend)
	p.SLA = &policy.SLAPolicy{WorkingHours: &policy.WorkingHours{
		Location: time.UTC, Days: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday},
		Start: 9 * time.Hour, End: 17 * time.Hour}}
	// 10:00 UTC: 19:00 in Tokyo, 05:00 in New York, 10:00 for carol (no zone: the window's).
	p.People["alice"] = policy.Person{Location: tokyo}
	p.People["bob"] = policy.Person{Location: ny}
	in := newInput(p, "svc/a.go")
	in.Load = map[string]Load{"alice": {Open: 0}, "bob": {Open: 0}, "carol": {Open: 4}}
	res := rule(t, Select(in), "backend")
	if got := logins(res.Assigned); !slices.Equal(got, []string{"carol"}) {
		t.Fatalf("chose %v, want carol, the only one inside working hours", got)
	}
	p.People["carol"] = policy.Person{Away: true}
	res = rule(t, Select(in), "backend")
	if got := res.Assigned[0]; got.Login != "alice" || !strings.HasSuffix(got.Reason, "outside working hours") {
		t.Errorf("fallback %+v", got)
	}
	p.SLA = nil // no working hours: load alone decides
	if got := Select(in).Request; !slices.Equal(got, []string{"alice"}) {
		t.Errorf("without hours chose %v", got)
	}
}

func TestCodeownersRule(t *testing.T) {
	t.Parallel()
	p := newPolicy("", backend)
	p.Reviewers.Codeowners = true
	in := newInput(p, "svc/a.go", "web/app.js", "README.md")
	in.CodeOwners = "*.js @acme/web @author\n/svc/ @carol\n"
	in.Teams = map[string][]string{"@acme/web": {"wendy"}}
	in.Load = map[string]Load{"carol": {Open: 3}, "wendy": {Open: 1}}
	out := Select(in)
	if n := len(out.Rules); n != 2 || out.Rules[1].Name != CodeownersRule {
		t.Fatalf("rules %+v", out.Rules)
	}
	co := out.Rules[1]
	if co.MatchedCount != 2 || !slices.Equal(co.Matched, []string{"svc/a.go", "web/app.js"}) {
		t.Errorf("matched %v (%d)", co.Matched, co.MatchedCount)
	}
	if got := logins(co.Assigned); !slices.Equal(got, []string{"wendy"}) || !strings.Contains(co.Assigned[0].Reason, "member of @acme/web") {
		t.Errorf("codeowners assigned %+v", co.Assigned)
	}

	in.CodeOwners = ""
	if co := rule(t, Select(in), CodeownersRule); co.State != StateNotMatched {
		t.Errorf("no CODEOWNERS file: state %q", co.State)
	}
}

func TestNotMatchedAndNoPolicy(t *testing.T) {
	t.Parallel()
	out := Select(newInput(newPolicy("", backend), "web/app.js"))
	if res := rule(t, out, "backend"); res.State != StateNotMatched || len(out.Request) != 0 || !out.OK() {
		t.Errorf("unmatched rule: %+v OK %v", res, out.OK())
	}
	if out := Select(Input{Policy: &policy.Policy{}}); len(out.Rules) != 0 || !out.OK() {
		t.Errorf("no reviewers area: %+v", out)
	}
}

func TestMatchedIsCapped(t *testing.T) {
	t.Parallel()
	var files []string
	for i := range 12 {
		files = append(files, fmt.Sprintf("svc/f%02d.go", i))
	}
	res := rule(t, Select(newInput(newPolicy("", backend), files...)), "backend")
	if len(res.Matched) != maxMatched || res.MatchedCount != 12 || res.Matched[0] != "svc/f00.go" {
		t.Errorf("matched %v count %d", res.Matched, res.MatchedCount)
	}
	if !strings.Contains(res.Assigned[0].Reason, "matched svc/f00.go and 11 more files") {
		t.Errorf("reason %q", res.Assigned[0].Reason)
	}
}

func TestDraftRequestsNobody(t *testing.T) {
	t.Parallel()
	in := newInput(newPolicy("", backend), "svc/a.go")
	in.PR.Draft = true
	out := Select(in)
	if res := rule(t, out, "backend"); len(out.Request) != 0 || res.State != StateWaiting || !strings.Contains(res.Why, "draft") {
		t.Errorf("draft: request %v state %q why %q", out.Request, res.State, res.Why)
	}
}

func TestRuleConditions(t *testing.T) {
	t.Parallel()
	leads := policy.Rule{Name: "big-changes", Paths: []string{"**"}, Reviewers: []string{"lead"}, RequiredApprovals: 1,
		When: &policy.Condition{LinesChanged: &policy.Comparison{Op: ">", N: 500}}}
	p := newPolicy(policy.StrategyLoadBalance, backend, leads)

	in := newInput(p, "svc/a.go")
	in.PR.LinesChanged = 120
	out := Select(in)
	r := rule(t, out, "big-changes")
	if r.State != StateNotMatched || r.Unmet != "lines_changed >500 (120 lines changed)" {
		t.Errorf("120 lines: state %s, unmet %q", r.State, r.Unmet)
	}
	if slices.Contains(out.Request, "lead") {
		t.Errorf("lead requested for a small change: %v", out.Request)
	}

	in.PR.LinesChanged = 600
	out = Select(in)
	if r := rule(t, out, "big-changes"); r.State != StateWaiting || r.Unmet != "" {
		t.Errorf("600 lines: state %s, unmet %q", r.State, r.Unmet)
	}
	if !slices.Contains(out.Request, "lead") {
		t.Errorf("lead not requested for 600 lines: %v", out.Request)
	}

	// A rule whose paths do not match says nothing about its condition.
	in = newInput(newPolicy(policy.StrategyLoadBalance, policy.Rule{Name: "docs", Paths: []string{"docs/**"},
		Reviewers: []string{"x"}, When: leads.When}), "svc/a.go")
	if r := rule(t, Select(in), "docs"); r.Unmet != "" {
		t.Errorf("paths did not match, yet unmet %q", r.Unmet)
	}
}
