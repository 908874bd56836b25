package reviewers

import (
	"context"
	"slices"
	"strings"
)

// preferred takes the people of Input.Prefer out of pool, up to need, and
// returns them as picks with the rest of the pool.
func (s *selector) preferred(pool []candidate, need int) ([]pick, []candidate) {
	if len(s.in.Prefer) == 0 || need <= 0 {
		return nil, pool
	}
	var picks []pick
	rest := make([]candidate, 0, len(pool))
	for _, c := range pool {
		if s.named(c) && len(picks) < need {
			picks = append(picks, pick{c: c, why: namedWhy + s.availability(c)})
			continue
		}
		rest = append(rest, c)
	}
	return picks, rest
}

const namedWhy = "named with /reviewpolicy reassign"

// named: c was named with "/reviewpolicy reassign @login".
func (s *selector) named(c candidate) bool {
	return slices.ContainsFunc(s.in.Prefer, func(p string) bool { return strings.EqualFold(strings.TrimPrefix(p, "@"), c.key) })
}

// CannotAsk says why login may not be named with "/reviewpolicy reassign
// @login" on this pull request, or "" when they may: they must be a
// candidate of a rule that applies, not the author, not already on the
// pull request, and askable now (not removed or withdrawn, with access,
// not away or busy, under max_open_requests).
func CannotAsk(in Input, login string) string {
	if in.Policy == nil || in.Policy.Reviewers == nil {
		return "the policy has no reviewers area"
	}
	s := newSelector(context.Background(), in)
	key := strings.ToLower(strings.TrimPrefix(login, "@"))
	if key == s.author {
		return key + " is the author"
	}
	for _, spec := range s.specs() {
		if len(spec.matched) == 0 {
			continue
		}
		cands, _ := s.expand(spec.refs)
		i := slices.IndexFunc(cands, func(c candidate) bool { return c.key == key })
		if i < 0 {
			continue
		}
		c := cands[i]
		switch {
		case s.requested[key]:
			return key + " is already requested"
		case s.reviews[key].state != "":
			return key + " has already reviewed"
		case s.exclusion(c) != "":
			return key + " cannot be asked: " + s.exclusion(c)
		case s.in.Busy[key]:
			return key + " cannot be asked: busy (limited availability)"
		}
		return ""
	}
	return key + " is not a candidate of a rule that applies to this pull request"
}
