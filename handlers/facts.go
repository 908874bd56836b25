package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/reviewpolicy/reviewpolicy/githubapi"
	"github.com/reviewpolicy/reviewpolicy/policy"
	"github.com/reviewpolicy/reviewpolicy/store"
)

// What an evaluation reads that events tell of (docs/api-budget.md): a
// base branch's .github listing and pull-request template, the
// organisation default, team members, a pull request's reviews. Each is
// cached under the version its scope had in the store before it was read
// (store.FactVersion); the event that can change it bumps the version, in
// whichever replica receives it. factsTTL bounds how long a read is trusted
// without any event, so a lost webhook heals within it.
const (
	factsTTL        = time.Hour
	factsCacheBytes = 8 << 20
)

type factEntry struct {
	version int64
	at      time.Time
	value   any
}

func baseScope(repoID int64, ref string) string { return fmt.Sprintf("base:%d:%s", repoID, ref) }
func orgScope(owner string) string              { return "org:" + strings.ToLower(owner) }
func teamsScope(org string) string              { return "teams:" + strings.ToLower(org) }

// cachedFact returns what key holds under scope's current version, or
// reads it and keeps it. cost sizes a value for the cache's byte budget.
func (a *App) cachedFact(ctx context.Context, scope, key string, read func() (any, int, error)) (any, error) {
	v, err := a.factVersion(ctx, scope)
	if err != nil {
		return nil, err
	}
	now := a.Now()
	if e, ok := a.facts.Get(key); ok {
		fe := e.(factEntry)
		if age := now.Sub(fe.at); fe.version == v && age >= 0 && age < factsTTL {
			return fe.value, nil
		}
	}
	val, cost, err := read()
	if err != nil {
		return nil, err
	}
	a.facts.Add(key, factEntry{version: v, at: now, value: val}, cost)
	return val, nil
}

type factVersionsKey struct{}

// withFactVersions gives the cached reads under ctx the versions an
// evaluation read with its first reads, so each does not read its own.
func withFactVersions(ctx context.Context, first store.EvaluationReads) context.Context {
	return context.WithValue(ctx, factVersionsKey{}, first)
}

// factVersion is scope's version: as the evaluation's first reads saw it
// (withFactVersions), or else read now.
func (a *App) factVersion(ctx context.Context, scope string) (int64, error) {
	if first, ok := ctx.Value(factVersionsKey{}).(store.EvaluationReads); ok {
		if v, read := first.Version(scope); read {
			return v, nil
		}
	}
	return a.Store.FactVersion(ctx, scope)
}

// baseFiles is the .github listing of ref, read once per version of the
// branch's policy inputs.
func (a *App) baseFiles(ctx context.Context, gh *githubapi.Repo, ref string) (githubapi.BaseFiles, error) {
	scope := baseScope(gh.ID, ref)
	v, err := a.cachedFact(ctx, scope, "dir:"+scope, func() (any, int, error) {
		files, err := gh.GitHubDir(ctx, ref)
		cost := 0
		for p, sha := range files {
			cost += len(p) + len(sha)
		}
		return files, cost, err
	})
	if err != nil {
		return nil, err
	}
	return v.(githubapi.BaseFiles), nil
}

// template is ref's pull-request template ("" when none), probed outside
// .github only when the version changed.
func (a *App) template(ctx context.Context, gh *githubapi.Repo, ref string, files githubapi.BaseFiles) (string, error) {
	scope := baseScope(gh.ID, ref)
	v, err := a.cachedFact(ctx, scope, "template:"+scope, func() (any, int, error) {
		text, err := gh.FirstOf(ctx, ref, files, githubapi.TemplatePaths)
		return text, len(text), err
	})
	if err != nil {
		return "", err
	}
	return v.(string), nil
}

// orgFile is the organisation default's text and blob SHA.
type orgFile struct {
	text, sha string
	found     bool
}

func (a *App) orgPolicyFile(ctx context.Context, in *githubapi.Installation, owner string) (orgFile, error) {
	scope := orgScope(owner)
	v, err := a.cachedFact(ctx, scope, "orgfile:"+scope, func() (any, int, error) {
		text, sha, found, err := in.File(ctx, owner, ".github", policy.OrgFileName, "")
		return orgFile{text: text, sha: sha, found: found}, len(text), err
	})
	if err != nil {
		return orgFile{}, err
	}
	return v.(orgFile), nil
}

// teamMembers is a team's members; found is false when it does not exist.
type teamMembers struct {
	members []string
	found   bool
}

func (a *App) teamMembers(ctx context.Context, in *githubapi.Installation, org, slug string) ([]string, bool, error) {
	scope := teamsScope(org)
	key := fmt.Sprintf("team:%s/%s", scope, strings.ToLower(slug))
	v, err := a.cachedFact(ctx, scope, key, func() (any, int, error) {
		members, found, err := in.TeamMembers(ctx, org, slug)
		cost := 0
		for _, m := range members {
			cost += len(m) + 16
		}
		return teamMembers{members: members, found: found}, cost, err
	})
	if err != nil {
		return nil, false, err
	}
	t := v.(teamMembers)
	return t.members, t.found, nil
}

// reviewsOf is the pull request's reviews as the evaluators see them: from
// the store while no review event came since they were read (or since the
// opened event recorded none) and within factsTTL, else read from GitHub
// and recorded.
func (a *App) reviewsOf(ctx context.Context, gh *githubapi.Repo, r repoRef) ([]policy.Review, error) {
	pr := store.PR{RepoID: r.RepoID, Number: r.Number}
	known, err := a.Store.ReviewsOf(ctx, pr)
	if err != nil {
		return nil, err
	}
	if age := a.Now().Sub(known.ReadAt); known.Current && age >= 0 && age < factsTTL {
		var out []policy.Review
		if err := json.Unmarshal(known.Data, &out); err == nil {
			return out, nil
		}
	}
	reviews, err := gh.Reviews(ctx, r.Number)
	if err != nil {
		return nil, err
	}
	out := ReviewFacts(reviews, nil)
	data, err := json.Marshal(out)
	if err != nil {
		return nil, err
	}
	return out, a.Store.PutReviews(ctx, pr, known.Events, data, a.Now())
}

// onTeamChange forgets the organisation's cached team members: membership
// (someone added to or removed from a team), team (renamed, deleted) and
// organization (a member removed, which leaves every team).
func (a *App) onTeamChange(ctx context.Context, d store.Delivery, log *slog.Logger) error {
	var ev struct {
		Organization struct {
			Login string `json:"login"`
		} `json:"organization"`
	}
	if err := decode(d, &ev); err != nil {
		return err
	}
	if ev.Organization.Login == "" {
		return nil // a user account's event: it has no teams
	}
	log.Debug("team members may have changed", "org", ev.Organization.Login)
	return a.Store.BumpFactVersion(ctx, teamsScope(ev.Organization.Login))
}
