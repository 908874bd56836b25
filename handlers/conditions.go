package handlers

import (
	"context"
	"strings"

	"github.com/reviewpolicy/reviewpolicy/githubapi"
	"github.com/reviewpolicy/reviewpolicy/policy"
)

// firstTimer: GitHub's author_association for someone whose first pull
// request in the repository this is (FIRST_TIMER: first on GitHub too).
func firstTimer(association string) bool {
	return association == "FIRST_TIME_CONTRIBUTOR" || association == "FIRST_TIMER"
}

// authorTeams is which of the teams named in the policy's `when: authors`
// the author belongs to. Most policies name none, and then it costs nothing;
// team member lists are cached by the adapter.
func authorTeams(ctx context.Context, gh *githubapi.Repo, p *policy.Policy, author string) ([]string, error) {
	var out []string
	for _, team := range policy.TeamsInConditions(p) {
		org, slug, ok := splitTeam(team)
		if !ok {
			continue
		}
		members, _, err := gh.TeamMembers(ctx, org, slug)
		if err != nil {
			return nil, err
		}
		for _, m := range members {
			if strings.EqualFold(m, author) {
				out = append(out, team)
				break
			}
		}
	}
	return out, nil
}
