package simulate

import (
	"context"
	"encoding/json"
	"errors"
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
	Cache   Answers // nil: keep nothing
	Now     func() time.Time
	TeamTTL time.Duration
	// MaxCalls, when positive, bounds the requests one History makes: pull
	// requests it cannot afford are left unread (History.Unread) for a
	// later run, which finds the others in the cache. A listing counts as
	// one request; one of more than 100 items costs one more per 100.
	MaxCalls int

	calls int
}

// Requests a pull request not read before may cost: files, reviews,
// timeline, and its base commit's listing, two blobs and two probes.
const callsPerPull = 3 + 5

// teamReserve is kept back from MaxCalls for the team look-ups.
const teamReserve = 5

// answersVersion is in the key of every answer whose shape may grow: a new
// fact read from GitHub (say, the draft periods) bumps it, so answers kept
// by an older build are read again rather than replayed without it.
const answersVersion = "v1"

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
	g.calls++
	list, err := g.Repo.ClosedPulls(ctx, last)
	if err != nil {
		return h, err
	}
	h.Listed = len(list)
	for _, pr := range list {
		p, ok, err := g.pull(ctx, pr)
		if err != nil {
			return h, err
		}
		if !ok {
			h.Unread++
			continue
		}
		h.PRs = append(h.PRs, p)
	}
	err = g.teams(ctx, &h, policies)
	return h, err
}

// afford reports whether n more requests fit in the budget, and counts them.
func (g *Gatherer) afford(n, reserve int) bool {
	if g.MaxCalls > 0 && g.calls+n+reserve > g.MaxCalls {
		return false
	}
	g.calls += n
	return true
}

// Calls is how many requests the gatherer has counted so far.
func (g *Gatherer) Calls() int { return g.calls }

func (g *Gatherer) get(ctx context.Context, key string, v any) bool {
	if g.Cache == nil {
		return false
	}
	data, ok := g.Cache.Get(ctx, key)
	return ok && json.Unmarshal(data, v) == nil
}

func (g *Gatherer) put(ctx context.Context, key string, v any) error {
	if g.Cache == nil {
		return nil
	}
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return g.Cache.Put(ctx, key, data)
}

// pull returns one pull request's facts, from the cache when it was not
// updated since they were read; ok is false when the budget cannot afford
// reading it.
func (g *Gatherer) pull(ctx context.Context, pr *github.PullRequest) (p PR, ok bool, err error) {
	key := "pr/" + answersVersion + "/" + g.Repo.String() + "/" + itoa(pr.GetNumber())
	var c cachedPR
	if g.get(ctx, key, &c) && c.Updated.Equal(pr.GetUpdatedAt().Time) {
		p = c.PR
	} else {
		if !g.afford(0, callsPerPull+teamReserve) {
			return p, false, nil
		}
		if p, err = g.read(ctx, pr); err != nil {
			return p, false, err
		}
		if err := g.put(ctx, key, cachedPR{Updated: pr.GetUpdatedAt().Time, PR: p}); err != nil {
			return p, false, err
		}
	}
	if !g.haveBase(ctx, pr.GetBase().GetSHA()) && !g.afford(0, 5+teamReserve) {
		return p, false, nil
	}
	p, err = g.withBase(ctx, p, pr.GetBase().GetSHA())
	return p, err == nil, err
}

// read reads a pull request's files, reviews and review requests.
func (g *Gatherer) read(ctx context.Context, pr *github.PullRequest) (PR, error) {
	p := fromPull(pr)
	var err error
	g.calls += 3
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
	p.Drafts = drafts(events, p.CreatedAt)
	return p, nil
}

// drafts are the periods the timeline shows the pull request as a draft. A
// ready_for_review with no conversion before it ends a draft it was opened as.
func drafts(events []*github.Timeline, opened time.Time) []Period {
	var out []Period
	var from time.Time
	inDraft := false
	for _, ev := range events {
		at := ev.GetCreatedAt().Time
		switch ev.GetEvent() {
		case "convert_to_draft":
			if !inDraft {
				from, inDraft = at, true
			}
		case "ready_for_review":
			if !inDraft && len(out) == 0 && from.IsZero() {
				from, inDraft = opened, true // opened as a draft
			}
			if inDraft {
				out = append(out, Period{From: from, To: at})
				inDraft = false
			}
		}
	}
	if inDraft {
		out = append(out, Period{From: from})
	}
	return out
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

func (g *Gatherer) baseKey(sha string) string { return "base/" + g.Repo.String() + "/" + sha }

// haveBase reports whether the files at base commit sha are cached.
func (g *Gatherer) haveBase(ctx context.Context, sha string) bool {
	var b baseFiles
	return sha != "" && g.get(ctx, g.baseKey(sha), &b)
}

// withBase adds the template and CODEOWNERS at the pull request's base
// commit, read once per commit.
func (g *Gatherer) withBase(ctx context.Context, p PR, sha string) (PR, error) {
	var b baseFiles
	if sha == "" || !g.get(ctx, g.baseKey(sha), &b) {
		var err error
		if b, err = g.readBase(ctx, sha); err != nil {
			return p, err
		}
		if err := g.put(ctx, g.baseKey(sha), b); err != nil {
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
	g.calls++
	dir, err := g.Repo.GitHubDir(ctx, sha)
	if err != nil {
		return b, err
	}
	if b.Template, err = g.firstOf(ctx, sha, dir, githubapi.TemplatePaths, githubapi.MaxTextFile); err != nil {
		return b, err
	}
	b.CodeOwners, err = g.firstOf(ctx, sha, dir, githubapi.CodeownersPaths, reviewers.MaxCodeownersSize-1)
	return b, err
}

// firstOf is the text of the first of paths at commit sha, "" when there
// is none or it is over limit bytes (GitHub ignores a CODEOWNERS from 3 MiB,
// and no template is that large; the app reads neither).
func (g *Gatherer) firstOf(ctx context.Context, sha string, dir githubapi.BaseFiles, paths []string, limit int) (string, error) {
	for _, p := range paths {
		if strings.HasPrefix(p, ".github/") {
			blob, ok := dir[p]
			if !ok {
				continue
			}
			text, err := g.blob(ctx, blob)
			if len(text) > limit {
				text = ""
			}
			return text, err
		}
		g.calls++
		text, blob, found, err := g.Repo.File(ctx, g.Repo.Owner, g.Repo.Name, p, sha)
		var big *githubapi.TooLargeError
		switch {
		case errors.As(err, &big) && big.Size <= limit:
			return g.blob(ctx, blob) // over what File reads, under what GitHub reads
		case errors.As(err, &big):
			return "", nil
		case err != nil || found:
			return text, err
		}
	}
	return "", nil
}

func (g *Gatherer) blob(ctx context.Context, sha string) (string, error) {
	key := "blob/" + g.Repo.String() + "/" + sha
	var text string
	if g.get(ctx, key, &text) {
		return text, nil
	}
	g.calls++
	text, err := g.Repo.BlobText(ctx, sha)
	if err != nil {
		return "", err
	}
	return text, g.put(ctx, key, text)
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
			teams, err := reviewers.Teams(ctx, p, co, pr.Files)
			if err != nil {
				return err
			}
			refs = append(refs, teams...)
		}
	}
	slices.Sort(refs)
	h.Teams = map[string][]string{}
	for _, ref := range slices.Compact(refs) {
		t, ok, err := g.team(ctx, ref)
		if err != nil {
			return err
		}
		if !ok {
			h.UnreadTeams = append(h.UnreadTeams, ref)
			continue
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

// team reads one team's members; ok is false when the budget is spent.
func (g *Gatherer) team(ctx context.Context, ref string) (t cachedTeam, ok bool, err error) {
	key := "team/" + strings.ToLower(ref)
	now := g.now()
	if g.get(ctx, key, &t) && now.Sub(t.At) < g.ttl() {
		return t, true, nil
	}
	if !g.afford(1, 0) {
		return t, false, nil
	}
	org, slug, _ := strings.Cut(strings.TrimPrefix(ref, "@"), "/")
	members, found, err := g.Repo.TeamMembers(ctx, org, slug)
	if err != nil {
		return t, false, err
	}
	t = cachedTeam{At: now, Members: members, Found: found}
	return t, true, g.put(ctx, key, t)
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
