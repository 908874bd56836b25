package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/reviewpolicy/reviewpolicy/policy"
	"github.com/reviewpolicy/reviewpolicy/policy/check"
	"github.com/reviewpolicy/reviewpolicy/policy/reviewers"
	"github.com/reviewpolicy/reviewpolicy/policy/sla"
	"github.com/reviewpolicy/reviewpolicy/policy/template"
	"github.com/reviewpolicy/reviewpolicy/store"
)

// evaluation is one pass of the policy over one pull request.
type evaluation struct {
	ref repoRef
	pr  *github.PullRequest // from the payload when it has one, else fetched
}

// evaluate is the one shared path every event ends in: gather facts, let
// the policy packages decide, write the check run, reviewer requests, SLA
// timers and the sticky comment. Every write is idempotent, so a delivery
// that is retried or redelivered changes nothing twice.
func (a *App) evaluate(ctx context.Context, ev evaluation, log *slog.Logger) error {
	if ev.ref.Installation == 0 {
		return errNoClient
	}
	c, err := a.Clients.NewInstallationClient(ev.ref.Installation)
	if err != nil {
		return fmt.Errorf("installation client %d: %w", ev.ref.Installation, err)
	}
	pr := ev.pr
	if pr == nil {
		pr, _, err = c.PullRequests.Get(ctx, ev.ref.Owner, ev.ref.Repo, ev.ref.Number)
		if err != nil {
			return fmt.Errorf("reading %s: %w", ev.ref, err)
		}
	}
	now := a.Now()
	baseRef, headSHA := pr.GetBase().GetRef(), pr.GetHead().GetSHA()

	base, err := a.listGitHubDir(ctx, c, ev.ref, baseRef)
	if err != nil {
		return err
	}
	pol, err := a.loadPolicy(ctx, c, ev.ref, baseRef, base)
	if err != nil {
		return err
	}
	closed := pr.GetState() == "closed"
	if closed {
		// Nothing left to enforce; only the SLA clock needs to end.
		if pol.policy != nil && pol.policy.SLA != nil {
			_, err := a.updateClock(ctx, ev.ref, pol.policy, pr, nil, now)
			return err
		}
		return nil
	}

	in := check.Input{Policy: pol.policy, PolicySource: pol.source, PolicyErr: pol.err}
	files, err := a.listFiles(ctx, c, ev.ref, headSHA)
	if err != nil {
		return err
	}
	facts := PullRequestFacts(pr, files)

	if slices.Contains(files, policy.FileName) {
		in.Proposed, err = a.proposed(ctx, c, ev.ref, pr, files, pol.policy)
		if err != nil {
			return err
		}
	}

	if p := pol.policy; p != nil {
		if p.Template != nil && p.Enforcement.Template != policy.ModeOff {
			tmpl, err := a.firstOf(ctx, c, ev.ref, baseRef, base, templatePaths)
			if err != nil {
				return err
			}
			res := template.Evaluate(p.Template, facts, tmpl)
			in.Template = &res
		}
		var reviews []*github.PullRequestReview
		needReviews := (p.Reviewers != nil && p.Enforcement.Reviewers != policy.ModeOff) ||
			(p.SLA != nil && p.Enforcement.SLA != policy.ModeOff)
		if needReviews {
			if reviews, err = listReviews(ctx, c, ev.ref); err != nil {
				return err
			}
		}
		if p.Reviewers != nil && p.Enforcement.Reviewers != policy.ModeOff {
			out, err := a.assignReviewers(ctx, c, ev.ref, base, p, pr, facts, reviews, now, log)
			if err != nil {
				return err
			}
			in.Reviewers = &out
		}
		if p.SLA != nil && p.Enforcement.SLA != policy.ModeOff {
			clock, err := a.updateClock(ctx, ev.ref, p, pr, reviews, now)
			if err != nil {
				return err
			}
			if clock.State != sla.Idle {
				st := sla.Evaluate(p.SLA, clock, now)
				in.SLA = &st
				in.Notice, in.Mentions = slaMessage(p, pr, st, clock, now)
			}
		}
	}

	rep := check.Build(in)
	if err := a.upsertCheckRun(ctx, c, ev.ref, headSHA, rep); err != nil {
		return err
	}
	if err := a.upsertComment(ctx, c, ev.ref, rep); err != nil {
		return err
	}
	log.Info("evaluated", "pr", ev.ref.String(), "sha", headSHA, "conclusion", rep.Conclusion)
	return nil
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
	}
	for _, l := range pr.Labels {
		p.Labels = append(p.Labels, l.GetName())
	}
	return p
}

// assignReviewers runs the reviewer selection and sends the requests it
// decides on. Requests go out only for ready pull requests.
func (a *App) assignReviewers(ctx context.Context, c *github.Client, r repoRef, base baseFiles, p *policy.Policy, pr *github.PullRequest,
	facts policy.PullRequest, reviews []*github.PullRequestReview, now time.Time, log *slog.Logger) (reviewers.Output, error) {
	in := reviewers.Input{Policy: p, PR: facts, Repo: r.Owner + "/" + r.Repo, Now: now, Reviews: policyReviews(reviews)}
	if !facts.Draft {
		// Go by GitHub's list, not the payload's: the payload is a snapshot,
		// and an earlier attempt of this job or another job may have asked
		// people since. Revalidated, so usually a free 304.
		live, _, err := c.PullRequests.ListReviewers(ctx, r.Owner, r.Repo, r.Number, nil)
		if err != nil {
			return reviewers.Output{}, fmt.Errorf("listing requested reviewers of %s: %w", r, err)
		}
		pr.RequestedReviewers, pr.RequestedTeams = live.Users, live.Teams
	}
	for _, u := range pr.RequestedReviewers {
		in.Requested = append(in.Requested, u.GetLogin())
	}
	var err error
	if in.Removed, err = a.Store.Removed(ctx, r.RepoID, r.Number); err != nil {
		return reviewers.Output{}, err
	}
	if in.Teams, err = a.teams(ctx, c, p); err != nil {
		return reviewers.Output{}, err
	}
	if p.Reviewers.Codeowners {
		if in.CodeOwners, err = a.firstOf(ctx, c, r, pr.GetBase().GetRef(), base, codeownersPaths); err != nil {
			return reviewers.Output{}, err
		}
	}
	if in.Load, err = a.loads(ctx, r.Installation, in.Teams, p); err != nil {
		return reviewers.Output{}, err
	}
	owner := fmt.Sprint("job:", jobFrom(ctx).ID)
	if facts.Draft {
		// Report what would happen, request nothing yet.
		if err := a.readState(ctx, r, p, owner, &in); err != nil {
			return reviewers.Output{}, err
		}
		out := reviewers.Select(in)
		out.Request = nil
		return out, nil
	}
	busyAsked := false
	// Each try reads the shared state (rules done, rotations) afresh; a try
	// loses only to a concurrent job on the same rules, so a few suffice.
	for try := 0; try < 5; try++ {
		if err := a.readState(ctx, r, p, owner, &in); err != nil {
			return reviewers.Output{}, err
		}
		out, err := a.selectReachable(ctx, c, r, &in)
		if err != nil {
			return out, err
		}
		if len(out.Request) > 0 && !busyAsked {
			// Someone is about to be asked: prefer people not marked busy
			// on GitHub (queried only now, so most events cost no query).
			busyAsked = true
			if in.Busy = a.busyPeople(ctx, c, candidates(in)); len(in.Busy) > 0 {
				if out, err = a.selectReachable(ctx, c, r, &in); err != nil {
					return out, err
				}
			}
		}
		if len(out.Request) == 0 {
			return out, a.markCovered(ctx, r, in, out)
		}
		done, err := a.claimAndRequest(ctx, c, r, owner, in, out)
		if err != nil {
			return out, err
		}
		if !done {
			continue
		}
		a.Metrics.ReviewerRequest.WithLabelValues(p.Reviewers.Strategy).Add(float64(len(out.Request)))
		for _, login := range out.Request {
			if err := a.Store.AddReviewRequest(ctx, r.Installation, r.RepoID, r.Number, login, now); err != nil {
				return out, err
			}
		}
		pr.RequestedReviewers = append(pr.RequestedReviewers, usersOf(out.Request)...)
		log.Info("reviewers requested", "pr", r.String(), "reviewers", out.Request)
		return out, a.markCovered(ctx, r, in, out)
	}
	return reviewers.Output{}, fmt.Errorf("assigning reviewers on %s: other jobs kept taking the same rules; retrying", r)
}

// readState loads what other jobs change: the rules already done (except
// those this job claimed itself on an earlier attempt) and the rotations.
func (a *App) readState(ctx context.Context, r repoRef, p *policy.Policy, owner string, in *reviewers.Input) error {
	var err error
	if in.DoneRules, err = a.Store.DoneRulesBesides(ctx, r.RepoID, r.Number, owner); err != nil {
		return err
	}
	in.Rotation = map[string]int{}
	if p.Reviewers.Strategy == policy.StrategyRoundRobin {
		for _, rule := range ruleNames(p) {
			if in.Rotation[rule], err = a.Store.Rotation(ctx, r.Installation, r.RepoID, rule); err != nil {
				return err
			}
		}
	}
	return nil
}

// claimAndRequest claims the rules that get new reviewers, moves the
// round-robin rotations and sends the requests. Of two jobs on one pull
// request (two events, a retry, two replicas) only the claimant of a rule
// asks for it, so nobody is asked twice. done is false when another job
// won a claim or a rotation: the caller selects again on fresh state.
func (a *App) claimAndRequest(ctx context.Context, c *github.Client, r repoRef, owner string, in reviewers.Input, out reviewers.Output) (done bool, err error) {
	var want []string
	for _, rr := range out.Rules {
		if slices.ContainsFunc(rr.Assigned, func(as reviewers.Assignment) bool { return as.New }) {
			want = append(want, rr.Name)
		}
	}
	claimed, err := a.Store.ClaimRules(ctx, r.RepoID, r.Number, want, owner)
	if err != nil {
		return false, err
	}
	release := func(err error) error {
		return errors.Join(err, a.Store.ReleaseRules(context.WithoutCancel(ctx), r.RepoID, r.Number, claimed))
	}
	if len(claimed) < len(want) {
		return false, release(nil)
	}
	for rule, next := range out.Rotation {
		ok, err := a.Store.SetRotation(ctx, r.Installation, r.RepoID, rule, in.Rotation[rule], next)
		if err != nil || !ok {
			return false, release(err)
		}
	}
	if _, _, err := c.PullRequests.RequestReviewers(ctx, r.Owner, r.Repo, r.Number, github.ReviewersRequest{Reviewers: out.Request}); err != nil {
		// GitHub may or may not have acted: a retry reads its list first.
		return false, release(fmt.Errorf("requesting reviewers %v on %s: %w", out.Request, r, err))
	}
	return true, nil
}

// selectReachable runs the selection and replaces people without access
// to the repository: requesting one of them fails the whole request (422).
func (a *App) selectReachable(ctx context.Context, c *github.Client, r repoRef, in *reviewers.Input) (reviewers.Output, error) {
	for attempt := 0; ; attempt++ {
		out := reviewers.Select(*in)
		bad, err := a.unableToReview(ctx, c, r, out.Request)
		if err != nil || len(bad) == 0 {
			return out, err
		}
		if attempt == 2 {
			out.Request = slices.DeleteFunc(out.Request, func(l string) bool { return slices.Contains(bad, l) })
			return out, nil
		}
		if in.CannotReview == nil {
			in.CannotReview = map[string]bool{}
		}
		for _, l := range bad {
			in.CannotReview[strings.ToLower(l)] = true
		}
	}
}

// markCovered records rules that have their reviewers, whoever chose them,
// so a later push adds requests only for rules that newly match.
func (a *App) markCovered(ctx context.Context, r repoRef, in reviewers.Input, out reviewers.Output) error {
	var covered []string
	for _, rr := range out.Rules {
		if len(rr.Assigned) > 0 && !slices.Contains(in.DoneRules, rr.Name) {
			covered = append(covered, rr.Name)
		}
	}
	return a.Store.AddDoneRules(ctx, r.RepoID, r.Number, covered)
}

// candidates lists everyone the rules name, teams expanded.
func candidates(in reviewers.Input) []string {
	var out []string
	for _, rule := range in.Policy.Reviewers.Rules {
		for _, ref := range rule.Reviewers {
			if _, _, ok := splitTeam(ref); ok {
				out = append(out, in.Teams[strings.ToLower(ref)]...)
			} else {
				out = append(out, strings.TrimPrefix(ref, "@"))
			}
		}
	}
	return out
}

func usersOf(logins []string) []*github.User {
	out := make([]*github.User, len(logins))
	for i, l := range logins {
		out[i] = &github.User{Login: github.String(l)}
	}
	return out
}

func ruleNames(p *policy.Policy) []string {
	names := []string{reviewers.CodeownersRule}
	for _, r := range p.Reviewers.Rules {
		names = append(names, r.Name)
	}
	return names
}

func policyReviews(rs []*github.PullRequestReview) []policy.Review {
	out := make([]policy.Review, 0, len(rs))
	for _, r := range rs {
		out = append(out, policy.Review{Author: r.GetUser().GetLogin(), State: r.GetState(), SubmittedAt: r.GetSubmittedAt().Time})
	}
	return out
}

// teams expands every @org/team the reviewers area names.
func (a *App) teams(ctx context.Context, c *github.Client, p *policy.Policy) (map[string][]string, error) {
	out := map[string][]string{}
	for _, rule := range p.Reviewers.Rules {
		for _, ref := range rule.Reviewers {
			org, slug, ok := splitTeam(ref)
			if !ok {
				continue
			}
			key := strings.ToLower(ref)
			if _, seen := out[key]; seen {
				continue
			}
			members, found, err := teamMembers(ctx, c, org, slug)
			if err != nil {
				return nil, err
			}
			if found {
				out[key] = members
			}
		}
	}
	return out, nil
}

func splitTeam(ref string) (org, slug string, ok bool) {
	if !strings.HasPrefix(ref, "@") {
		return "", "", false
	}
	return strings.Cut(ref[1:], "/")
}

// loads reads the open review load of everyone a rule could pick.
func (a *App) loads(ctx context.Context, inst int64, teams map[string][]string, p *policy.Policy) (map[string]reviewers.Load, error) {
	var logins []string
	for _, rule := range p.Reviewers.Rules {
		for _, ref := range rule.Reviewers {
			if _, _, ok := splitTeam(ref); ok {
				logins = append(logins, teams[strings.ToLower(ref)]...)
			} else {
				logins = append(logins, strings.TrimPrefix(ref, "@"))
			}
		}
	}
	for i := range logins {
		logins[i] = strings.ToLower(logins[i])
	}
	slices.Sort(logins)
	logins = slices.Compact(logins)
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

// updateClock derives the SLA clock from the pull request as it is now, so
// a missed or reordered event cannot leave it wrong, persists it, and
// schedules the reminder and breach timers when the deadline moved.
func (a *App) updateClock(ctx context.Context, r repoRef, p *policy.Policy, pr *github.PullRequest,
	reviews []*github.PullRequestReview, now time.Time) (sla.Clock, error) {
	rec, found, err := a.Store.SLA(ctx, r.RepoID, r.Number)
	if err != nil {
		return sla.Clock{}, err
	}
	var clock sla.Clock
	if found {
		if err := json.Unmarshal(rec.State, &clock); err != nil {
			return sla.Clock{}, fmt.Errorf("reading SLA clock of %s: %w", r, err)
		}
	}
	before := clock
	author := pr.GetUser().GetLogin()
	first := firstReview(reviews, author)
	switch {
	case pr.GetState() == "closed":
		clock = clock.Close(now)
	case first != nil:
		clock = clock.Review(first.GetSubmittedAt().Time, first.GetUser().GetLogin())
	case pr.GetDraft():
		clock, _ = clock.Pause(now, p.SLA)
	case len(pr.RequestedReviewers) > 0 || len(pr.RequestedTeams) > 0:
		clock, _ = clock.Start(now)
	}
	if found && clock == before {
		return clock, nil
	}
	if before.State != sla.Reviewed && clock.State == sla.Reviewed && !clock.StartedAt.IsZero() {
		st := sla.Evaluate(p.SLA, clock, now)
		a.Metrics.TimeToReview.WithLabelValues(r.Owner + "/" + r.Repo).Observe(st.ReviewedAfter.Seconds())
	}
	state, err := json.Marshal(clock)
	if err != nil {
		return clock, err
	}
	rec = store.SLARecord{InstallationID: r.Installation, RepoID: r.RepoID, Owner: r.Owner, Repo: r.Repo,
		Number: r.Number, State: state, Generation: clock.Generation, Waiting: clock.State == sla.Running, UpdatedAt: now}
	if err := a.Store.PutSLA(ctx, rec); err != nil {
		return clock, err
	}
	if clock.Generation != before.Generation || !found {
		if err := a.scheduleTimers(ctx, r, p.SLA, clock); err != nil {
			return clock, err
		}
	}
	return clock, nil
}

// firstReview is the earliest submitted review by someone other than the
// author. Comments submitted as reviews count; plain issue comments do not.
func firstReview(reviews []*github.PullRequestReview, author string) *github.PullRequestReview {
	var first *github.PullRequestReview
	for _, r := range reviews {
		if strings.EqualFold(r.GetUser().GetLogin(), author) || r.GetState() == "PENDING" || r.SubmittedAt == nil {
			continue
		}
		if first == nil || r.GetSubmittedAt().Before(first.GetSubmittedAt().Time) {
			first = r
		}
	}
	return first
}

// collaboratorTTL bounds how long a "can review" answer is trusted.
const collaboratorTTL = time.Hour

type collaborator struct {
	can bool
	at  time.Time
}

// unableToReview returns the logins that have no access to the repository.
func (a *App) unableToReview(ctx context.Context, c *github.Client, r repoRef, logins []string) ([]string, error) {
	var bad []string
	for _, login := range logins {
		key := fmt.Sprintf("%d/%s", r.RepoID, strings.ToLower(login))
		if v, ok := a.cache.collaborators.Get(key); ok && a.Now().Sub(v.(collaborator).at) < collaboratorTTL {
			if !v.(collaborator).can {
				bad = append(bad, login)
			}
			continue
		}
		can, resp, err := c.Repositories.IsCollaborator(ctx, r.Owner, r.Repo, login)
		if err != nil && (resp == nil || resp.StatusCode != http.StatusNotFound) {
			return nil, fmt.Errorf("checking %s on %s: %w", login, r, err)
		}
		a.cache.collaborators.Add(key, collaborator{can: can, at: a.Now()})
		if !can {
			bad = append(bad, login)
		}
	}
	return bad, nil
}
