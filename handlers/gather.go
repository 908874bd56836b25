package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/reviewpolicy/reviewpolicy/githubapi"
	"github.com/reviewpolicy/reviewpolicy/policy"
	"github.com/reviewpolicy/reviewpolicy/policy/decide"
	"github.com/reviewpolicy/reviewpolicy/policy/reviewers"
	"github.com/reviewpolicy/reviewpolicy/store"
)

// gathered is what one evaluation read: the decision's facts and what the
// writes need besides.
type gathered struct {
	pr      *github.PullRequest
	headSHA string
	baseRef string
	base    githubapi.BaseFiles
	facts   decide.Facts
	// candidates: everyone the reviewer selection may ask, lower-cased.
	candidates []string
	// whatIf is the key of a what-if to ask for once the check is out.
	whatIf string
	// commitPulls: the pull requests GitHub lists on the head, when read
	// with its files (nil: publishing lists them if it needs them).
	commitPulls *githubapi.CommitPulls
	// first is what the evaluation read of the store first, together.
	first store.EvaluationReads
	// summary is the pull request's page summary as the evaluation leaves
	// it, which its end writes (nil: none to write).
	summary *store.PRSummary
}

// gather reads the pull request as it is now (the newest trusted payload or
// GitHub: snapshot.go), the policy in force on its base branch, and every
// fact the policy's areas need.
func (a *App) gather(ctx context.Context, gh *githubapi.Repo, r repoRef) (*gathered, error) {
	f := firstReads(r)
	first, err := a.Store.EvaluationReads(ctx, store.PR{RepoID: r.RepoID, Number: r.Number}, f.Scopes, f.Prefix)
	if err != nil {
		return nil, err
	}
	return a.gatherFrom(ctx, gh, r, first)
}

// firstReads names the fact versions an evaluation of r reads first: its
// owner's and every base branch's of its repository (the base is known
// only once the pull request is read).
func firstReads(r repoRef) store.FirstReads {
	return store.FirstReads{Scopes: []string{orgScope(r.Owner), teamsScope(r.Owner)}, Prefix: baseScope(r.RepoID, "")}
}

// gatherFrom is gather after the store's first reads.
func (a *App) gatherFrom(ctx context.Context, gh *githubapi.Repo, r repoRef, first store.EvaluationReads) (*gathered, error) {
	ctx = withFactVersions(ctx, first)
	pr, err := a.pullRequest(ctx, gh, r, first)
	if err != nil {
		return nil, err
	}
	g := &gathered{pr: pr, headSHA: pr.GetHead().GetSHA(), baseRef: pr.GetBase().GetRef(), first: first}
	if g.base, err = a.baseFiles(ctx, gh, g.baseRef); err != nil {
		return nil, err
	}
	pol, err := a.loadPolicy(ctx, gh, g.baseRef, g.base)
	if err != nil {
		return nil, err
	}
	f := &g.facts
	f.Policy, f.PolicySource, f.PolicyErr = pol.policy, pol.source, pol.err
	f.Repo = r.Owner + "/" + r.Repo
	f.Closed = pr.GetState() == "closed"
	f.PR = PullRequestFacts(pr, nil)
	if !f.Closed {
		if err := a.gatherOpen(ctx, gh, r, g); err != nil {
			return nil, err
		}
	}
	if p := f.Policy; p != nil && p.SLA != nil && p.Enforcement.SLA != policy.ModeOff {
		if err := a.readClock(ctx, r, f); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// gatherOpen reads what only an open pull request's evaluation needs.
func (a *App) gatherOpen(ctx context.Context, gh *githubapi.Repo, r repoRef, g *gathered) error {
	f := &g.facts
	files, err := a.headFiles(ctx, gh, r, g)
	if err != nil {
		return err
	}
	f.PR.Files = files
	if f.PR.AuthorTeams, err = authorTeams(ctx, gh, f.Policy, f.PR.Author); err != nil {
		return err
	}
	if slices.Contains(files, policy.FileName) {
		if f.Proposed, err = a.proposed(ctx, gh, g.pr, files, f.Policy); err != nil {
			return err
		}
		if err := a.attachWhatIf(ctx, r, g); err != nil {
			return err
		}
	}
	for _, u := range g.pr.RequestedReviewers {
		f.Requested = append(f.Requested, u.GetLogin())
	}
	readCommands(g)
	for _, t := range g.pr.RequestedTeams {
		f.RequestedTeams = append(f.RequestedTeams, "@"+r.Owner+"/"+t.GetSlug())
	}
	p := f.Policy
	if p == nil {
		return nil
	}
	if p.Template != nil && p.Enforcement.Template != policy.ModeOff {
		if f.Template, err = a.template(ctx, gh, g.baseRef, g.base); err != nil {
			return err
		}
	}
	reviewersOn := p.Reviewers != nil && p.Enforcement.Reviewers != policy.ModeOff
	if reviewersOn || (p.SLA != nil && p.Enforcement.SLA != policy.ModeOff) {
		if f.Reviews, err = a.reviewsOf(ctx, gh, r); err != nil {
			return err
		}
	}
	if reviewersOn {
		return a.gatherReviewers(ctx, gh, r, g)
	}
	return nil
}

// headFiles reads the paths the head changes. Before the head's first
// check run it asks in the same request which pull requests GitHub lists on
// the commit, which publishing that check run needs (publish.go): one
// request where two were.
func (a *App) headFiles(ctx context.Context, gh *githubapi.Repo, r repoRef, g *gathered) ([]string, error) {
	if a.GraphQLURL == "" {
		return gh.Files(ctx, r.Number, g.baseRef, g.headSHA)
	}
	known, err := gh.HasCheckRun(ctx, g.headSHA)
	if err != nil {
		return nil, err
	}
	if known {
		return gh.Files(ctx, r.Number, g.baseRef, g.headSHA)
	}
	files, pulls, err := gh.FilesAndCommitPulls(ctx, a.GraphQLURL, r.Number, g.baseRef, g.headSHA)
	g.commitPulls = pulls
	return files, err
}

// gatherReviewers reads who may be asked and what the store knows of them:
// teams (the policy's and CODEOWNERS'), load, removals, rules done, and the
// rotations.
func (a *App) gatherReviewers(ctx context.Context, gh *githubapi.Repo, r repoRef, g *gathered) error {
	f := &g.facts
	rf, err := a.gatherReviewerFacts(ctx, gh, g.baseRef, g.base, f.Policy, f.PR.Files)
	if err != nil {
		return err
	}
	f.Teams, f.Codeowners, g.candidates = rf.teams, rf.codeowners, rf.candidates
	if f.Load, err = a.loadsOf(ctx, r.Installation, g.candidates); err != nil {
		return err
	}
	if f.Removed, err = a.Store.Removed(ctx, r.RepoID, r.Number); err != nil {
		return err
	}
	if f.Withdrawn, err = a.Store.Withdrawn(ctx, r.RepoID, r.Number); err != nil {
		return err
	}
	if f.DoneRules, err = a.Store.DoneRules(ctx, r.RepoID, r.Number); err != nil {
		return err
	}
	if usesExpertise(f.Policy) {
		if f.Expertise, err = a.readExpertise(ctx, r, f.Policy); err != nil {
			return err
		}
	}
	return a.readRotations(ctx, r, g)
}

// readRotations reads the round-robin positions, which other pull requests'
// evaluations move.
func (a *App) readRotations(ctx context.Context, r repoRef, g *gathered) error {
	p := g.facts.Policy
	g.facts.Rotation = map[string]int{}
	if p.Reviewers.Strategy != policy.StrategyRoundRobin {
		return nil
	}
	for _, rule := range ruleNames(p) {
		pos, err := a.Store.Rotation(ctx, r.Installation, r.RepoID, rule)
		if err != nil {
			return err
		}
		g.facts.Rotation[rule] = pos
	}
	return nil
}

func (a *App) readClock(ctx context.Context, r repoRef, f *decide.Facts) error {
	rec, found, err := a.Store.SLA(ctx, r.RepoID, r.Number)
	if err != nil || !found {
		return err
	}
	if err := json.Unmarshal(rec.State, &f.Clock); err != nil {
		return fmt.Errorf("reading SLA clock of %s: %w", r, err)
	}
	f.ClockFound = true
	return nil
}

// gatheredMore remembers which extra facts one evaluation already read.
type gatheredMore struct {
	accessPasses int
	busyAsked    bool
}

// gatherMore reads the facts a decision to request people needs: whether
// they can review the repository (asking one who cannot fails the whole
// request) and whether anyone is busy. again is true when the facts changed
// and the decision must be made again.
func (a *App) gatherMore(ctx context.Context, gh *githubapi.Repo, g *gathered, d *decide.Decision, m *gatheredMore) (again bool, err error) {
	if d.Reviewers == nil || len(d.Reviewers.Request) == 0 {
		return false, nil
	}
	bad, err := gh.UnableToReview(ctx, d.Reviewers.Request)
	if err != nil {
		return false, err
	}
	if len(bad) > 0 {
		if m.accessPasses++; m.accessPasses < 3 {
			if g.facts.CannotReview == nil {
				g.facts.CannotReview = map[string]bool{}
			}
			for _, l := range bad {
				g.facts.CannotReview[strings.ToLower(l)] = true
			}
			return true, nil
		}
		d.Reviewers.Request = slices.DeleteFunc(d.Reviewers.Request, func(l string) bool { return slices.Contains(bad, l) })
	}
	if !m.busyAsked {
		// Asked only now, so most evaluations cost no query.
		m.busyAsked = true
		if busy := a.busyPeople(ctx, gh, g.candidates); len(busy) > 0 {
			g.facts.Busy = busy
			return true, nil
		}
	}
	return false, nil
}

// busyPeople is who among logins set their GitHub status to busy. A
// failure leaves nobody busy: the preference is a nicety, not worth failing
// an evaluation over.
func (a *App) busyPeople(ctx context.Context, gh *githubapi.Repo, logins []string) map[string]bool {
	busy, err := gh.Busy(ctx, a.GraphQLURL, logins)
	if err != nil {
		a.Logger.Warn("reading GitHub statuses", "err", err)
	}
	return busy
}

// PullRequestFacts is what the pure evaluators see of a pull request.
func PullRequestFacts(pr *github.PullRequest, files []string) policy.PullRequest {
	p := policy.PullRequest{
		Number:    pr.GetNumber(),
		Title:     pr.GetTitle(),
		Body:      pr.GetBody(),
		Branch:    pr.GetHead().GetRef(),
		Author:    pr.GetUser().GetLogin(),
		AuthorBot: pr.GetUser().GetType() == "Bot",
		Draft:     pr.GetDraft(),
		Files:     files,
		// Sizes as GitHub counts them, so conditions agree with its page.
		LinesChanged: pr.GetAdditions() + pr.GetDeletions(),
		FilesChanged: pr.GetChangedFiles(),
		FirstTime:    firstTimer(pr.GetAuthorAssociation()),
	}
	for _, l := range pr.Labels {
		p.Labels = append(p.Labels, l.GetName())
	}
	return p
}

func ruleNames(p *policy.Policy) []string {
	names := []string{reviewers.CodeownersRule}
	for _, r := range p.Reviewers.Rules {
		names = append(names, r.Name)
	}
	return names
}

func splitTeam(ref string) (org, slug string, ok bool) {
	if !strings.HasPrefix(ref, "@") {
		return "", "", false
	}
	return strings.Cut(ref[1:], "/")
}
