package reviewers

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/reviewpolicy/reviewpolicy/policy"
)

// pick is a chosen candidate and why.
type pick struct {
	c   candidate
	why string
}

// choose picks up to need people from pool with the area's strategy. all is
// the rule's whole candidate list, which round-robin rotates over so that
// positions stay stable whoever is excluded this time.
func (s *selector) choose(spec ruleSpec, all, pool []candidate, need int) []pick {
	if len(pool) == 0 {
		return nil
	}
	var order []candidate
	var offsets map[string]int // round-robin: steps from the rotation start
	strategy := s.in.Policy.Reviewers.Strategy
	switch strategy {
	case policy.StrategyRoundRobin:
		order, offsets = s.rotationOrder(spec.name, all, pool)
	case policy.StrategyRandom:
		order = s.shuffled(spec.name, pool)
	default:
		order = s.byLoad(pool)
	}
	// Strategy order within each tier: free people inside their working
	// hours, then free people outside them, then busy people (inside, then
	// outside) only when nobody else is left.
	slices.SortStableFunc(order, func(a, b candidate) int { return cmp.Compare(s.tier(a), s.tier(b)) })
	order = order[:min(need, len(order))]

	picks := make([]pick, 0, len(order))
	last := -1
	for _, c := range order {
		var why string
		switch strategy {
		case policy.StrategyRoundRobin:
			why = "next in rotation"
			last = max(last, offsets[c.key])
		case policy.StrategyRandom:
			why = "picked at random"
		default:
			n := s.open(c)
			why = fmt.Sprintf("least loaded (%d open review%s)", n, plural(n))
		}
		picks = append(picks, pick{c: c, why: why + s.availability(c)})
	}
	if last >= 0 {
		s.advanceRotation(spec.name, len(all), last+1)
	}
	return picks
}

func (s *selector) tier(c candidate) int {
	t := 0
	if s.in.Busy[c.key] {
		t += 2
	}
	if !s.inHours(c) {
		t++
	}
	return t
}

func (s *selector) inHours(c candidate) bool {
	if s.hours == nil {
		return true
	}
	// A person without a time zone works in the window's own zone (nil).
	return s.hours.OpenAt(s.in.Now, s.in.Policy.People[c.key].Location)
}

// availability is the part of a reason about hours and status.
func (s *selector) availability(c candidate) string {
	var why string
	if s.hours != nil {
		if s.inHours(c) {
			why = "; inside working hours"
		} else {
			why = "; outside working hours"
		}
	}
	if s.in.Busy[c.key] {
		why += "; busy (limited availability) but no one else was available"
	}
	return why
}

// open is c's open review requests, counting requests made by this call.
func (s *selector) open(c candidate) int {
	return s.in.Load[c.key].Open + s.chosen[c.key]
}

// byLoad orders by fewest open requests, then least recently asked, then login.
func (s *selector) byLoad(pool []candidate) []candidate {
	order := slices.Clone(pool)
	slices.SortFunc(order, func(a, b candidate) int {
		return cmp.Or(
			cmp.Compare(s.open(a), s.open(b)),
			s.in.Load[a.key].LastRequested.Compare(s.in.Load[b.key].LastRequested),
			byKey(a, b),
		)
	})
	return order
}

// rotationOrder walks the sorted candidate list from the persisted counter
// and returns the eligible people in walk order, with each one's offset.
func (s *selector) rotationOrder(rule string, all, pool []candidate) ([]candidate, map[string]int) {
	ring := slices.SortedFunc(slices.Values(all), byKey)
	eligible := make(map[string]bool, len(pool))
	for _, c := range pool {
		eligible[c.key] = true
	}
	start := mod(s.in.Rotation[rule], len(ring))
	var order []candidate
	offsets := make(map[string]int, len(pool))
	for off := range ring {
		c := ring[(start+off)%len(ring)]
		if eligible[c.key] {
			order = append(order, c)
			offsets[c.key] = off
		}
	}
	return order, offsets
}

// advanceRotation moves the counter just past the last person chosen, so
// people skipped this time (the author, someone away) lose their turn
// instead of being asked twice in a row on the next pull request.
func (s *selector) advanceRotation(rule string, n, steps int) {
	old, had := s.in.Rotation[rule]
	next := (mod(old, n) + steps) % n
	if had && next == old {
		return
	}
	if s.out.Rotation == nil {
		s.out.Rotation = make(map[string]int)
	}
	s.out.Rotation[rule] = next
}

// shuffled is a random order that is the same on every retry of this pull
// request: the generator is seeded from the repository, number and rule.
func (s *selector) shuffled(rule string, pool []candidate) []candidate {
	order := slices.SortedFunc(slices.Values(pool), byKey)
	h := fnv.New64a()
	h.Write([]byte(s.in.Repo + "#" + strconv.Itoa(s.in.PR.Number) + "/" + rule))
	seed := h.Sum64()
	r := rand.New(rand.NewPCG(seed, seed>>1^0x9e3779b97f4a7c15))
	r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	return order
}

func mod(a, n int) int {
	if n == 0 {
		return 0
	}
	return ((a % n) + n) % n
}
