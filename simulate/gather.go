package simulate

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/reviewpolicy/reviewpolicy/githubapi"
	"github.com/reviewpolicy/reviewpolicy/policy"
	"github.com/reviewpolicy/reviewpolicy/policy/reviewers"
)

// DefaultTeamTTL is how long a team's membership read by an earlier run is
// reused: membership then is unknown anyway, and today's changes slowly.
const DefaultTeamTTL = 24 * time.Hour

// Gatherer reads the facts of a repository's closed pull requests from
// GitHub, as the app, through the cache.
type Gatherer struct {
	Repo    *githubapi.Repo
	Cache   *Cache
	Now     func() time.Time
	TeamTTL time.Duration
}

// cachedPR is a pull request's facts with the updated_at they were read
// at: a closed pull request that was not updated since has the same files,
// reviews and timeline.
type cachedPR struct {
	Updated time.Time `json:"updated"`
	PR      PR        `json:"pr"`
}

// baseFiles are the template and CODEOWNERS at one base commit.
type baseFiles struct {
	Template   string `json:"template"`
	CodeOwners string `json:"codeowners"`
}

// cachedTeam is a team's membership and when it was read.
type cachedTeam struct {
	At      time.Time `json:"at"`
	Members []string  `json:"members"`
	Found   bool      `json:"found"`
}

// History reads the last closed pull requests and the teams that the
// policies name for them.
func (g *Gatherer) History(ctx context.Context, last int, policies ...*policy.Policy) (History, error) {
	h := History{Repo: g.Repo.String()}
	list, err := g.Repo.ClosedPulls(ctx, last)
	if err != nil {
		return h, err
	}
	for _, pr := range list {
		p, err := g.pull(ctx, pr)
		if err != nil {
			return h, err
		}
		h.PRs = append(h.PRs, p)
	}
	err = g.teams(ctx, &h, policies)
	return h, err
}

// pull returns one pull request's facts, from the cache when it was not
// updated since they were read.
func (g *Gatherer) pull(ctx context.Context, pr *github.PullRequest) (PR, error) {
	key := "pr\x00" + g.Repo.String() + "\x00" + itoa(pr.GetNumber())
	var c cachedPR
	if g.Cache.get(key, &c) && c.Updated.Equal(pr.GetUpdatedAt().Time) {
		return g.withBase(ctx, c.PR, pr.GetBase().GetSHA())
	}
	p := fromPull(pr)
	var err error
	if p.Files, p.Additions, p.Deletions, err = g.Repo.FileStats(ctx, p.Number); err != nil {
		return p, err
	}
	rs, err := g.Repo.Reviews(ctx, p.Number)
	if err != nil {
		return p, err
	}
	p.Reviews = reviewFacts(rs)
	events, err := g.Repo.Timeline(ctx, p.Number)
	if err != nil {
		return p, err
	}
	p.Requests = requests(events, g.Repo.Owner)
	if err := g.Cache.put(key, cachedPR{Updated: pr.GetUpdatedAt().Time, PR: p}); err != nil {
		return p, err
	}
	return g.withBase(ctx, p, p.BaseSHA)
}

func fromPull(pr *github.PullRequest) PR {
	p := PR{Number: pr.GetNumber(), URL: pr.GetHTMLURL(), Title: pr.GetTitle(), Body: pr.GetBody(),
		Branch: pr.GetHead().GetRef(), Author: pr.GetUser().GetLogin(), AuthorBot: pr.GetUser().GetType() == "Bot",
		CreatedAt: pr.GetCreatedAt().Time, ClosedAt: pr.GetClosedAt().Time, MergedAt: pr.GetMergedAt().Time,
		BaseSHA: pr.GetBase().GetSHA()}
	for _, l := range pr.Labels {
		p.Labels = append(p.Labels, l.GetName())
	}
	return p
}

func reviewFacts(rs []*github.PullRequestReview) []policy.Review {
	out := make([]policy.Review, 0, len(rs))
	for _, r := range rs {
		out = append(out, policy.Review{Author: r.GetUser().GetLogin(), State: r.GetState(),
			SubmittedAt: r.GetSubmittedAt().Time, AuthorBot: r.GetUser().GetType() == "Bot",
			Association: r.GetAuthorAssociation()})
	}
	return out
}

// requests are the timeline's review requests; a team is "@owner/slug",
// since a repository's reviewers come from its owner's teams.
func requests(events []*github.Timeline, owner string) []Request {
	var out []Request
	for _, ev := range events {
		if ev.GetEvent() != "review_requested" {
			continue
		}
		q := Request{At: ev.GetCreatedAt().Time, Reviewer: ev.GetReviewer().GetLogin()}
		if t := ev.RequestedTeam; t != nil {
			q.Reviewer = "@" + owner + "/" + t.GetSlug()
		}
		if q.Reviewer != "" && q.Reviewer != "@"+owner+"/" {
			out = append(out, q)
		}
	}
	return out
}

// withBase adds the template and CODEOWNERS at the pull request's base
// commit, read once per commit.
func (g *Gatherer) withBase(ctx context.Context, p PR, sha string) (PR, error) {
	key := "base\x00" + g.Repo.String() + "\x00" + sha
	var b baseFiles
	if sha == "" || !g.Cache.get(key, &b) {
		var err error
		if b, err = g.readBase(ctx, sha); err != nil {
			return p, err
		}
		if err := g.Cache.put(key, b); err != nil {
			return p, err
		}
	}
	p.Template, p.CodeOwners = b.Template, b.CodeOwners
	return p, nil
}

// readBase reads GitHub's template and CODEOWNERS at sha the way GitHub
// finds them: one listing of .github, blobs by SHA (each read once across
// commits), and the other places only when .github has neither.
func (g *Gatherer) readBase(ctx context.Context, sha string) (baseFiles, error) {
	var b baseFiles
	dir, err := g.Repo.GitHubDir(ctx, sha)
	if err != nil {
		return b, err
	}
	if b.Template, err = g.firstOf(ctx, sha, dir, githubapi.TemplatePaths); err != nil {
		return b, err
	}
	b.CodeOwners, err = g.firstOf(ctx, sha, dir, githubapi.CodeownersPaths)
	if len(b.CodeOwners) >= reviewers.MaxCodeownersSize {
		b.CodeOwners = "" // GitHub ignores a CODEOWNERS this large
	}
	return b, err
}

func (g *Gatherer) firstOf(ctx context.Context, sha string, dir githubapi.BaseFiles, paths []string) (string, error) {
	for _, p := range paths {
		if strings.HasPrefix(p, ".github/") {
			if blob, ok := dir[p]; ok {
				return g.blob(ctx, blob)
			}
			continue
		}
		text, _, found, err := g.Repo.File(ctx, g.Repo.Owner, g.Repo.Name, p, sha)
		if err != nil || found {
			return text, err
		}
	}
	return "", nil
}

func (g *Gatherer) blob(ctx context.Context, sha string) (string, error) {
	key := "blob\x00" + g.Repo.String() + "\x00" + sha
	var text string
	if g.Cache.get(key, &text) {
		return text, nil
	}
	text, err := g.Repo.BlobText(ctx, sha)
	if err != nil {
		return "", err
	}
	return text, g.Cache.put(key, text)
}

// teams reads the members of every team the policies could ask on the
// history's pull requests: today's membership, reused for TeamTTL.
func (g *Gatherer) teams(ctx context.Context, h *History, policies []*policy.Policy) error {
	var refs []string
	for _, p := range policies {
		for _, pr := range h.PRs {
			var co *reviewers.Codeowners
			if pr.CodeOwners != "" && p != nil && p.Reviewers != nil && p.Reviewers.Codeowners {
				co, _ = reviewers.ParseCodeowners(pr.CodeOwners)
			}
			refs = append(refs, reviewers.Teams(p, co, pr.Files)...)
		}
	}
	slices.Sort(refs)
	h.Teams = map[string][]string{}
	for _, ref := range slices.Compact(refs) {
		t, err := g.team(ctx, ref)
		if err != nil {
			return err
		}
		if !t.Found {
			h.MissingTeams = append(h.MissingTeams, ref)
		}
		h.Teams[ref] = t.Members
		if h.TeamsAt.IsZero() || t.At.Before(h.TeamsAt) {
			h.TeamsAt = t.At
		}
	}
	return nil
}

func (g *Gatherer) team(ctx context.Context, ref string) (cachedTeam, error) {
	key := "team\x00" + strings.ToLower(ref)
	now := g.now()
	var t cachedTeam
	if g.Cache.get(key, &t) && now.Sub(t.At) < g.ttl() {
		return t, nil
	}
	org, slug, _ := strings.Cut(strings.TrimPrefix(ref, "@"), "/")
	members, found, err := g.Repo.TeamMembers(ctx, org, slug)
	if err != nil {
		return t, err
	}
	t = cachedTeam{At: now, Members: members, Found: found}
	return t, g.Cache.put(key, t)
}

func (g *Gatherer) now() time.Time {
	if g.Now == nil {
		return time.Now()
	}
	return g.Now()
}

func (g *Gatherer) ttl() time.Duration {
	if g.TeamTTL <= 0 {
		return DefaultTeamTTL
	}
	return g.TeamTTL
}
