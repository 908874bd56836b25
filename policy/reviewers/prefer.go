package reviewers

import (
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
		named := slices.ContainsFunc(s.in.Prefer, func(p string) bool { return strings.EqualFold(strings.TrimPrefix(p, "@"), c.key) })
		if named && len(picks) < need {
			picks = append(picks, pick{c: c, why: "named with /reviewpolicy reassign" + s.availability(c)})
			continue
		}
		rest = append(rest, c)
	}
	return picks, rest
}
