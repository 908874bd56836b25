package handlers

import (
	"context"

	"github.com/reviewpolicy/reviewpolicy/githubapi"
	"github.com/reviewpolicy/reviewpolicy/policy"
	"github.com/reviewpolicy/reviewpolicy/policy/reviewers"
)

// reviewerFacts is what the reviewer selection needs beyond the pull
// request: the parsed CODEOWNERS (nil unless the area uses it, or when the
// branch has none), the members of every team the selection may need
// (reviewers.Teams: the matching rules' and the changed files' owners'),
// and everyone it may weigh (reviewers.Candidates), for load and busy
// look-ups.
type reviewerFacts struct {
	codeowners *reviewers.Codeowners
	teams      map[string][]string // "@org/team" lower-cased -> members
	candidates []string            // lower-cased logins
}

func (a *App) gatherReviewerFacts(ctx context.Context, gh *githubapi.Repo, ref string, base githubapi.BaseFiles,
	p *policy.Policy, files []string) (reviewerFacts, error) {
	var f reviewerFacts
	if p.Reviewers == nil {
		return f, nil
	}
	if p.Reviewers.Codeowners {
		var err error
		if f.codeowners, err = gh.Codeowners(ctx, ref, base); err != nil {
			return f, err
		}
	}
	f.teams = map[string][]string{}
	teams, err := reviewers.Teams(ctx, p, f.codeowners, files)
	if err != nil {
		return f, err
	}
	for _, team := range teams {
		org, slug, _ := splitTeam(team)
		members, found, err := gh.TeamMembers(ctx, org, slug)
		if err != nil {
			return f, err
		}
		if found {
			f.teams[team] = members
		}
	}
	f.candidates, err = reviewers.Candidates(ctx, p, f.codeowners, files, f.teams)
	return f, err
}

// loadsOf reads the open review load of logins (lower-cased).
func (a *App) loadsOf(ctx context.Context, inst int64, logins []string) (map[string]reviewers.Load, error) {
	got, err := a.Store.Loads(ctx, inst, logins)
	if err != nil {
		return nil, err
	}
	out := make(map[string]reviewers.Load, len(got))
	for k, v := range got {
		out[k] = reviewers.Load{Open: v.Open, LastRequested: v.LastRequested}
	}
	return out, nil
}
