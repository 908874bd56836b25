package reviewers

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reviewpolicy/reviewpolicy/policy"
	"github.com/reviewpolicy/reviewpolicy/policy/expertise"
)

// historyOf builds a History where each login has n reviews in dir, one a day.
func historyOf(now time.Time, dir string, reviews map[string]int) *expertise.History {
	h := &expertise.History{Dirs: []string{dir}}
	for _, login := range slices.Sorted(func(yield func(string) bool) {
		for l := range reviews {
			if !yield(l) {
				return
			}
		}
	}) {
		h.Logins = append(h.Logins, login)
		for i := range reviews[login] {
			h.Rows = append(h.Rows, expertise.Row{Login: int32(len(h.Logins) - 1), Dir: 0, Kind: expertise.Review,
				At: now.Add(-time.Duration(i) * 24 * time.Hour).Unix()})
		}
	}
	return h
}

func expertisePolicy(count, learners, maxOpen int, reviewers ...string) *policy.Policy {
	p := newPolicy(policy.StrategyExpertise, policy.Rule{Name: "api", Paths: []string{"svc/**"}, Reviewers: reviewers, Count: count})
	p.Reviewers.Expertise = policy.ExpertiseSettings{HalfLife: 90 * 24 * time.Hour, Learners: learners}
	p.Reviewers.MaxOpenRequests = maxOpen
	return p
}

func TestExpertiseChoosesTheExpertAndExplains(t *testing.T) {
	t.Parallel()
	in := newInput(expertisePolicy(1, 0, 0, "alice", "bob", "carol"), "svc/api/x.go")
	in.Expertise = historyOf(in.Now, "svc/api", map[string]int{"alice": 12, "bob": 2})
	in.Load = map[string]Load{"alice": {Open: 1}}
	out := Select(in)
	r := rule(t, out, "api")
	if len(r.Assigned) != 1 || r.Assigned[0].Login != "alice" {
		t.Fatalf("assigned %+v, want alice", r.Assigned)
	}
	want := "alice: rule api matched svc/api/x.go; 12 reviews and 0 changes in svc/api in 90 days, score 0.86, 1 open request, 0.43; chosen"
	if r.Assigned[0].Reason != want {
		t.Errorf("reason\n %s\nwant\n %s", r.Assigned[0].Reason, want)
	}
	if len(r.Considered) != 2 || !strings.HasPrefix(r.Considered[0], "bob: 2 reviews") ||
		!strings.HasSuffix(r.Considered[1], "carol: 0 reviews and 0 changes in svc/api in 90 days, score 0.00, 0 open requests, 0.00; not chosen"[len("carol: "):]) {
		t.Errorf("considered %q", r.Considered)
	}
	if slices.Contains(out.Notes, learningNote) {
		t.Errorf("learning note with a complete history: %v", out.Notes)
	}
	in.Expertise.Learning = true
	if out := Select(in); !slices.Contains(out.Notes, learningNote) {
		t.Errorf("no learning note while the backfill runs: %v", out.Notes)
	}
	in.Expertise = nil
	if out := Select(in); !slices.Contains(out.Notes, learningNote) {
		t.Errorf("no learning note without any history: %v", out.Notes)
	}
}

func TestExpertiseLoadDiscount(t *testing.T) {
	t.Parallel()
	in := newInput(expertisePolicy(1, 0, 0, "alice", "bob"), "svc/api/x.go")
	in.Expertise = historyOf(in.Now, "svc/api", map[string]int{"alice": 12, "bob": 8})
	in.Load = map[string]Load{"alice": {Open: 4}}
	if got := Select(in).Request; !slices.Equal(got, []string{"bob"}) {
		t.Errorf("requested %v: alice's 4 open requests should let bob, nearly as expert, win", got)
	}
}

func TestExpertiseTiesAreDeterministic(t *testing.T) {
	t.Parallel()
	earlier := wednesday10.Add(-time.Hour)
	tests := []struct {
		name string
		load map[string]Load
		want string
	}{
		{"equal in all: login", nil, "bob"},
		{"fewer open requests", map[string]Load{"bob": {Open: 1}}, "dan"},
		{"asked less recently", map[string]Load{"bob": {LastRequested: wednesday10}, "dan": {LastRequested: earlier}}, "dan"},
	}
	for _, tt := range tests {
		for range 3 {
			in := newInput(expertisePolicy(1, 0, 0, "dan", "bob"), "svc/api/x.go")
			in.Load = tt.load
			if got := Select(in).Request; !slices.Equal(got, []string{tt.want}) {
				t.Errorf("%s: requested %v, want %s", tt.name, got, tt.want)
			}
		}
	}
}

func TestMaxOpenRequestsForEveryStrategy(t *testing.T) {
	t.Parallel()
	for _, strategy := range []string{policy.StrategyLoadBalance, policy.StrategyRoundRobin, policy.StrategyRandom, policy.StrategyExpertise} {
		p := expertisePolicy(1, 0, 3, "alice", "bob")
		p.Reviewers.Strategy = strategy
		in := newInput(p, "svc/api/x.go")
		in.Rotation = map[string]int{}
		in.Expertise = historyOf(in.Now, "svc/api", map[string]int{"alice": 20})
		in.Load = map[string]Load{"alice": {Open: 3}, "bob": {Open: 5}}
		out := Select(in)
		r := rule(t, out, "api")
		if len(out.Request) != 0 || r.State != StateNoCandidate || !strings.Contains(r.Why, "at max_open_requests (3)") {
			t.Errorf("%s: requested %v, state %s, why %q", strategy, out.Request, r.State, r.Why)
		}
	}
}

func TestLearnersTakeASeatBesideAnExpert(t *testing.T) {
	t.Parallel()
	in := newInput(expertisePolicy(2, 1, 0, "alice", "bob", "carol", "dan"), "svc/api/x.go")
	in.Expertise = historyOf(in.Now, "svc/api", map[string]int{"alice": 12, "bob": 10, "carol": 1})
	in.Load = map[string]Load{"dan": {Open: 1}}
	r := rule(t, Select(in), "api")
	got := logins(r.Assigned)
	slices.Sort(got)
	if !slices.Equal(got, []string{"alice", "carol"}) {
		t.Errorf("assigned %v: want alice (expert) and carol (a learner with fewer open requests than dan)", got)
	}
	// With one seat, the seat goes to expertise except on a learner's turn.
	in.Policy = expertisePolicy(1, 1, 0, "alice", "bob", "carol", "dan")
	expert, learner := 0, 0
	for n := 1; n <= 40 && (expert == 0 || learner == 0); n++ {
		in.PR.Number = n
		out := Select(in)
		switch got := out.Request; {
		case slices.Equal(got, []string{"alice"}):
			expert = n
		case slices.Equal(got, []string{"carol"}):
			learner = n
			why := rule(t, out, "api").Assigned[0].Reason
			if !strings.Contains(why, "chosen to learn svc/api") || !strings.Contains(why, "1 review and 0 changes in svc/api in 90 days") ||
				!strings.Contains(why, "one pull request in 4") {
				t.Errorf("PR %d: the learner's reason %q does not explain the turn", n, why)
			}
		default:
			t.Fatalf("PR %d: one seat: requested %v, want alice or carol", n, got)
		}
		if again := Select(in).Request; !slices.Equal(again, out.Request) {
			t.Fatalf("PR %d: requested %v, then %v: not deterministic", n, out.Request, again)
		}
	}
	if expert == 0 || learner == 0 {
		t.Errorf("one seat over 40 pull requests: last expert turn %d, last learner turn %d; want both", expert, learner)
	}
	// A change where a rule naming a lead applies keeps the expert.
	in.PR.Number = learner
	in.Policy.Leads = []string{"@acme/tech-leads"}
	in.Policy.Reviewers.Rules = append(in.Policy.Reviewers.Rules,
		policy.Rule{Name: "big", Paths: []string{"**"}, Reviewers: []string{"@acme/tech-leads"}})
	in.Teams = map[string][]string{"@acme/tech-leads": {"lena"}}
	if got := rule(t, Select(in), "api").Assigned; len(got) != 1 || got[0].Login != "alice" {
		t.Errorf("a lead rule applies: assigned %v, want alice", logins(got))
	}
}

// TestExpertiseFairness simulates 1,000 pull requests on a team of eight
// with skewed expertise (two experts hold most of the history). Nobody may
// ever hold more than max_open_requests, and with count 2 and learners 1,
// every pull request that has a learner available gets one. With count 1,
// learners get their documented share: one pull request in learnerEvery.
func TestExpertiseFairness(t *testing.T) {
	t.Parallel()
	t.Run("count 2", testExpertiseFairnessTwoSeats)
	t.Run("count 1", testExpertiseFairnessOneSeat)
}

var fairnessTeam = []string{"ana", "ben", "cho", "dev", "eli", "fay", "gus", "hal"}

// simulateExpertise runs 1,000 pull requests at count seats, learners 1,
// under maxOpen; check sees each outcome with the load before it. The team
// then finishes 0 to 3 reviews, oldest first. Nobody may exceed maxOpen.
func simulateExpertise(t *testing.T, count, maxOpen int, seed uint64, check func(n int, out Output, load map[string]Load)) {
	p := expertisePolicy(count, 1, maxOpen, "@acme/backend")
	teams := map[string][]string{"@acme/backend": fairnessTeam}
	r := rand.New(rand.NewPCG(seed, seed))
	now := wednesday10
	hist := historyOf(now, "svc/api", map[string]int{"ana": 40, "ben": 25, "cho": 3})
	hist.Learning = false
	load := map[string]Load{}
	var queue []string
	for n := 1; n <= 1000; n++ {
		now = now.Add(time.Minute)
		out := Select(Input{Policy: p, Teams: teams, Load: load, Now: now, Repo: "acme/app", Expertise: hist,
			PR: policy.PullRequest{Number: n, Author: "outsider", Files: []string{"svc/api/x.go"}}})
		check(n, out, load)
		for _, who := range out.Request {
			load[who] = Load{Open: load[who].Open + 1, LastRequested: now}
			queue = append(queue, who)
			if load[who].Open > maxOpen {
				t.Fatalf("PR %d: %s has %d open requests, over %d", n, who, load[who].Open, maxOpen)
			}
		}
		for done := r.IntN(4); done > 0 && len(queue) > 0; done-- {
			w := queue[0]
			queue = queue[1:]
			load[w] = Load{Open: load[w].Open - 1, LastRequested: load[w].LastRequested}
		}
	}
}

func testExpertiseFairnessOneSeat(t *testing.T) {
	t.Parallel()
	learned := 0
	simulateExpertise(t, 1, 3, 11, func(n int, out Output, load map[string]Load) {
		if len(out.Request) != 1 {
			t.Fatalf("PR %d: requested %v, want one (open requests %v)", n, out.Request, openCounts(load, fairnessTeam))
		}
		if a := rule(t, out, "api").Assigned[0]; strings.Contains(a.Reason, "chosen to learn") {
			if a.Login == "ana" || a.Login == "ben" {
				t.Fatalf("PR %d: expert %s chosen to learn: %q", n, a.Login, a.Reason)
			}
			learned++
		}
	})
	// The share is a hash's: within 3 standard deviations of 1000/learnerEvery.
	want := 1000 / learnerEvery
	if learned < want-45 || learned > want+45 {
		t.Errorf("learners took %d of 1000 one-seat pull requests, want about %d (one in %d)", learned, want, learnerEvery)
	}
}

func testExpertiseFairnessTwoSeats(t *testing.T) {
	t.Parallel()
	const maxOpen = 4
	learnerSeats, withLearner := 0, 0
	simulateExpertise(t, 2, maxOpen, 7, func(n int, out Output, load map[string]Load) {
		learnerAvailable := false
		for _, m := range fairnessTeam[2:] {
			if load[m].Open < maxOpen {
				learnerAvailable = true
			}
		}
		for _, a := range rule(t, out, "api").Assigned {
			if strings.Contains(a.Reason, "chosen to learn") {
				withLearner++
			}
		}
		if learnerAvailable && len(out.Request) == 2 {
			learnerSeats++
		}
	})
	if withLearner < learnerSeats || learnerSeats < 500 {
		t.Errorf("learners got %d seats where %d were due", withLearner, learnerSeats)
	}
}

// BenchmarkExpertiseChoice chooses among 200 candidates with 50,000 history
// rows over 2,000 directories (target: under 2 ms per choice).
func BenchmarkExpertiseChoice(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	var team []string
	for i := range 200 {
		team = append(team, fmt.Sprintf("dev%03d", i))
	}
	h := &expertise.History{Logins: team}
	for i := range 2000 {
		h.Dirs = append(h.Dirs, fmt.Sprintf("svc/mod%02d/pkg%03d", i%40, i))
	}
	for range 50000 {
		h.Rows = append(h.Rows, expertise.Row{Login: int32(r.IntN(len(team))), Dir: int32(r.IntN(len(h.Dirs))),
			Kind: expertise.Kind(1 + r.IntN(2)), At: wednesday10.Add(-time.Duration(r.IntN(400*24)) * time.Hour).Unix()})
	}
	p := expertisePolicy(2, 1, 10, "@acme/all")
	teams := map[string][]string{"@acme/all": team}
	files := []string{"svc/mod01/pkg001/a.go", "svc/mod01/pkg041/b.go", "svc/mod02/pkg002/c.go"}
	b.ReportAllocs()
	for b.Loop() {
		out := Select(Input{Policy: p, Teams: teams, Now: wednesday10, Expertise: h,
			PR: policy.PullRequest{Number: 1, Author: "x", Files: files}})
		if len(out.Request) != 2 {
			b.Fatalf("requested %v", out.Request)
		}
	}
}

func TestPreferredCandidateFirst(t *testing.T) {
	t.Parallel()
	for _, strategy := range []string{policy.StrategyLoadBalance, policy.StrategyExpertise} {
		p := expertisePolicy(1, 0, 0, "alice", "bob", "carol")
		p.Reviewers.Strategy = strategy
		in := newInput(p, "svc/api/x.go")
		in.Expertise = historyOf(in.Now, "svc/api", map[string]int{"alice": 9})
		in.Prefer = []string{"@Carol", "zed"} // zed is no candidate: ignored
		r := rule(t, Select(in), "api")
		if len(r.Assigned) != 1 || r.Assigned[0].Login != "carol" || !strings.Contains(r.Assigned[0].Reason, "named with /reviewpolicy reassign") {
			t.Errorf("%s: assigned %+v, want carol as named", strategy, r.Assigned)
		}
		in.Removed = []string{"carol"} // not askable: the strategy picks
		if got := Select(in).Request; len(got) != 1 || got[0] == "carol" {
			t.Errorf("%s: requested %v with carol removed", strategy, got)
		}
	}
}

func TestExpertiseNumbersStayOnLaterEvaluations(t *testing.T) {
	t.Parallel()
	in := newInput(expertisePolicy(1, 0, 0, "alice", "bob"), "svc/api/x.go")
	in.Expertise = historyOf(in.Now, "svc/api", map[string]int{"alice": 3})
	in.Requested = []string{"alice"}
	in.Load = map[string]Load{"alice": {Open: 1}}
	r := rule(t, Select(in), "api")
	want := "alice: rule api matched svc/api/x.go; already requested; 3 reviews and 0 changes in svc/api in 90 days, score 0."
	if len(r.Assigned) != 1 || !strings.HasPrefix(r.Assigned[0].Reason, want) {
		t.Errorf("assigned %+v, want the numbers kept", r.Assigned)
	}
}
