package reviewers

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/reviewpolicy/reviewpolicy/policy"
)

// TestLoadBalanceFairness simulates 1000 pull requests against a team of
// eight. Each request raises the chosen reviewer's open count; the team then
// finishes a random number of reviews, oldest first, lowering it. The spread
// of open requests across the team must never exceed one, and every choice
// must go to someone with the fewest open requests.
func TestLoadBalanceFairness(t *testing.T) {
	t.Parallel()
	team := []string{"ana", "ben", "cho", "dev", "eli", "fay", "gus", "hal"}
	p := newPolicy(policy.StrategyLoadBalance,
		policy.Rule{Name: "backend", Paths: []string{"**"}, Reviewers: []string{"@acme/backend"}})
	teams := map[string][]string{"@acme/backend": team}
	load := make(map[string]Load, len(team))
	r := rand.New(rand.NewPCG(42, 42))
	now := wednesday10
	var queue []string // reviewer of each open request, oldest first
	for n := 1; n <= 1000; n++ {
		now = now.Add(time.Minute)
		out := Select(Input{
			Policy: p, Teams: teams, Load: load, Now: now, Repo: "acme/app",
			PR: policy.PullRequest{Number: n, Author: "outsider", Files: []string{"main.go"}},
		})
		if len(out.Request) != 1 {
			t.Fatalf("PR %d: requested %v", n, out.Request)
		}
		who := out.Request[0]
		if load[who].Open != slices.Min(openCounts(load, team)) {
			t.Fatalf("PR %d: chose %s with %d open, counts %v", n, who, load[who].Open, openCounts(load, team))
		}
		load[who] = Load{Open: load[who].Open + 1, LastRequested: now}
		queue = append(queue, who)
		if spread(load, team) > 1 {
			t.Fatalf("PR %d: after the choice, counts %v", n, openCounts(load, team))
		}

		for done := r.IntN(3); done > 0 && len(queue) > 0; done-- {
			w := queue[0]
			queue = queue[1:]
			load[w] = Load{Open: load[w].Open - 1, LastRequested: load[w].LastRequested}
		}
		if spread(load, team) > 1 {
			t.Fatalf("PR %d: after completions, counts %v", n, openCounts(load, team))
		}
	}
}

// TestLoadBalanceRestoresBalance: reviews finishing in any order can open a
// gap; the next choices must close it rather than widen it.
func TestLoadBalanceRestoresBalance(t *testing.T) {
	t.Parallel()
	team := []string{"ana", "ben", "cho"}
	p := newPolicy(policy.StrategyLoadBalance, policy.Rule{Name: "any", Paths: []string{"**"}, Reviewers: team})
	load := map[string]Load{"ana": {Open: 5}, "ben": {Open: 5}, "cho": {Open: 1}}
	for n := 1; n <= 4; n++ {
		in := newInput(p, "x.go")
		in.PR.Number, in.Load = n, load
		who := Select(in).Request[0]
		load[who] = Load{Open: load[who].Open + 1}
	}
	if got := openCounts(load, team); !slices.Equal(got, []int{5, 5, 5}) {
		t.Errorf("counts %v, want the gap closed", got)
	}
}

func openCounts(load map[string]Load, team []string) []int {
	var counts []int
	for _, m := range team {
		counts = append(counts, load[m].Open)
	}
	return counts
}

func spread(load map[string]Load, team []string) int {
	c := openCounts(load, team)
	return slices.Max(c) - slices.Min(c)
}
