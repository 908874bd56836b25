package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/reviewpolicy/reviewpolicy/githubapi"
	"github.com/reviewpolicy/reviewpolicy/policy/decide"
	"github.com/reviewpolicy/reviewpolicy/policy/reviewers"
	"github.com/reviewpolicy/reviewpolicy/policy/sla"
	"github.com/reviewpolicy/reviewpolicy/store"
)

// act writes a decision: the check run first, so a pull request is never
// left without one, then the reviewer requests, the sticky comment and the
// SLA clock. Every write is idempotent; a failed step fails the job, and its
// retry evaluates afresh and skips what is already written. The rotations
// reserved for this decision are given back when nobody was asked.
func (a *App) act(ctx context.Context, gh *githubapi.Repo, r repoRef, g *gathered, d decide.Decision, now time.Time, log *slog.Logger) error {
	requested, err := a.planNotify(ctx, r, g, &d, now)
	if err != nil {
		return err
	}
	if err := a.publishVerdict(ctx, gh, r, g, d.Report, now); err != nil {
		return errors.Join(err, a.undoRotations(context.WithoutCancel(ctx), r, g, d))
	}
	if err := a.requestReviewers(ctx, gh, r, g, d, now, log); err != nil {
		return errors.Join(err, a.undoRotations(context.WithoutCancel(ctx), r, g, d))
	}
	comment, known := githubapi.Object(g.first.Comment), g.first.CommentFound
	if err := gh.UpsertCommentFrom(ctx, r.Number, d.Report, comment, known); err != nil {
		return err
	}
	// The snapshot first: the sender the enqueue wakes may plan digests.
	if err := a.snapshot(ctx, r, g, d, now); err != nil {
		return err
	}
	if err := a.enqueue(ctx, requested); err != nil {
		return err
	}
	if err := a.minimizeMentions(ctx, gh, r, d); err != nil {
		return err
	}
	if err := a.saveClock(ctx, r, g, d, now); err != nil {
		return err
	}
	return a.recordEvaluation(ctx, r, g, d, now)
}

// actClosed ends what a closed pull request had: its verdict no longer
// counts on its head commit, and its SLA clock stops.
func (a *App) actClosed(ctx context.Context, gh *githubapi.Repo, r repoRef, g *gathered, d decide.Decision) error {
	sha, err := a.Store.DeleteVerdict(ctx, store.PR{RepoID: r.RepoID, Number: r.Number})
	if err != nil {
		return err
	}
	// Its verdict may have been on an older head; its current head is
	// published too, even when an earlier evaluation already removed the
	// verdict but did not get to publish.
	for _, s := range slices.Compact([]string{sha, g.headSHA}) {
		if s == "" {
			continue
		}
		if err := a.publishCheck(ctx, gh, r, s, nil, nil, nil); err != nil {
			return err
		}
	}
	if err := a.notifyClosed(ctx, r); err != nil {
		return err
	}
	now := a.Now()
	if err := a.saveClock(ctx, r, g, d, now); err != nil {
		return err
	}
	return a.recordEvaluation(ctx, r, g, d, now)
}

// rotationMoves are the round-robin positions the decision advances.
func rotationMoves(g *gathered, d decide.Decision) []store.Move {
	if d.Reviewers == nil {
		return nil
	}
	var moves []store.Move
	for rule, next := range d.Reviewers.Rotation {
		moves = append(moves, store.Move{Rule: rule, From: g.facts.Rotation[rule], To: next})
	}
	slices.SortFunc(moves, func(a, b store.Move) int { return strings.Compare(a.Rule, b.Rule) })
	return moves
}

// reserveRotations advances the decision's rotations, all or none. moved is
// false when another pull request moved one first: decide again.
func (a *App) reserveRotations(ctx context.Context, r repoRef, g *gathered, d decide.Decision) (moved bool, err error) {
	moves := rotationMoves(g, d)
	if len(moves) == 0 {
		return true, nil
	}
	return a.Store.SetRotations(ctx, r.Installation, r.RepoID, moves)
}

// undoRotations gives the positions back, unless another pull request has
// moved them on since (then the people skipped are next in its turn).
func (a *App) undoRotations(ctx context.Context, r repoRef, g *gathered, d decide.Decision) error {
	moves := rotationMoves(g, d)
	for i, m := range moves {
		moves[i] = store.Move{Rule: m.Rule, From: m.To, To: m.From}
	}
	if len(moves) == 0 {
		return nil
	}
	_, err := a.Store.SetRotations(ctx, r.Installation, r.RepoID, moves)
	return err
}

// requestReviewers asks the decided people and records the rules that have
// their reviewers now, so a later push asks only for rules that newly match.
func (a *App) requestReviewers(ctx context.Context, gh *githubapi.Repo, r repoRef, g *gathered, d decide.Decision, now time.Time, log *slog.Logger) error {
	out := d.Reviewers
	if out == nil {
		return nil
	}
	if len(out.Request) > 0 {
		// The request changes the pull request: until its review_requested
		// event brings a newer payload, an evaluation reads GitHub. Said
		// before asking, so a retry after a crash between the request and
		// its record sees who was asked, and asks nobody twice.
		if err := a.Store.DistrustSnapshot(ctx, store.PR{RepoID: r.RepoID, Number: r.Number}); err != nil {
			return err
		}
		req := github.ReviewersRequest{Reviewers: out.Request}
		if err := gh.RequestReviewers(ctx, r.Number, req); err != nil {
			return fmt.Errorf("requesting reviewers %v on %s: %w", out.Request, r, err)
		}
		a.Metrics.ReviewerRequest.WithLabelValues(g.facts.Policy.Reviewers.Strategy).Add(float64(len(out.Request)))
		for _, login := range out.Request {
			if err := a.Store.AddReviewRequest(ctx, r.Installation, r.RepoID, r.Number, login, now); err != nil {
				return err
			}
		}
		if err := a.trackRequests(ctx, r, out.Request, now); err != nil { // reassign.go
			return err
		}
		log.Info("reviewers requested", "pr", r.String(), "reviewers", out.Request)
	}
	if g.facts.PR.Draft {
		return nil
	}
	if err := a.startTimers(ctx, r, g.facts.Policy); err != nil { // reassign.go
		return err
	}
	return a.Store.AddDoneRules(ctx, r.RepoID, r.Number, coveredRules(g.facts.DoneRules, out))
}

// coveredRules are the rules that have reviewers now and were not recorded.
func coveredRules(done []string, out *reviewers.Output) []string {
	var covered []string
	for _, rr := range out.Rules {
		if len(rr.Assigned) > 0 && !slices.Contains(done, rr.Name) {
			covered = append(covered, rr.Name)
		}
	}
	return covered
}

// saveClock stores a changed SLA clock and schedules the timers of a new one.
func (a *App) saveClock(ctx context.Context, r repoRef, g *gathered, d decide.Decision, now time.Time) error {
	if d.SLA == nil || !d.SLA.Changed {
		return nil
	}
	clock := d.SLA.Clock
	if d.SLA.Reviewed != nil {
		a.Metrics.TimeToReview.WithLabelValues(r.Owner + "/" + r.Repo).Observe(d.SLA.Reviewed.Seconds())
		if err := a.notifyReviewed(ctx, r, g, clock, *d.SLA.Reviewed); err != nil {
			return err
		}
	}
	state, err := json.Marshal(clock)
	if err != nil {
		return err
	}
	rec := store.SLARecord{InstallationID: r.Installation, RepoID: r.RepoID, Owner: r.Owner, Repo: r.Repo,
		Number: r.Number, State: state, Generation: clock.Generation, Waiting: clock.State == sla.Running, UpdatedAt: now}
	if err := a.Store.PutSLA(ctx, rec); err != nil {
		return err
	}
	if d.SLA.Restarted {
		return a.scheduleTimers(ctx, r, g.facts.Policy.SLA, clock)
	}
	return nil
}
