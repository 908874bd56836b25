package handlers

import (
	"context"
	"log/slog"

	"github.com/google/go-github/v60/github"

	"github.com/reviewpolicy/reviewpolicy/githubapi"
	"github.com/reviewpolicy/reviewpolicy/store"
)

// prActions are the pull_request actions that can change a result.
var prActions = map[string]bool{
	"opened": true, "reopened": true, "synchronize": true, "edited": true, "ready_for_review": true,
	"converted_to_draft": true, "closed": true, "labeled": true, "unlabeled": true,
	"review_requested": true, "review_request_removed": true,
}

func (a *App) onPullRequest(ctx context.Context, d store.Delivery, log *slog.Logger) error {
	if !prActions[d.Action] {
		log.Debug("pull_request action ignored")
		return nil
	}
	var ev github.PullRequestEvent
	if err := decode(d, &ev); err != nil {
		return err
	}
	if d.Action == "edited" && ev.Changes != nil && ev.Changes.Title == nil && ev.Changes.Body == nil && ev.Changes.Base == nil {
		return nil // nothing the policy reads changed
	}
	r := prRef(d.InstallationID, ev.Repo, ev.GetNumber())
	now := a.Now()
	switch d.Action {
	case "opened":
		if err := a.recordNewPR(ctx, r); err != nil {
			return err
		}
	case "review_requested":
		if u := ev.GetRequestedReviewer(); u != nil {
			if err := a.Store.AddReviewRequest(ctx, r.Installation, r.RepoID, r.Number, u.GetLogin(), now); err != nil {
				return err
			}
		}
	case "review_request_removed":
		if u := ev.GetRequestedReviewer(); u != nil {
			if err := a.Store.RemoveReviewRequest(ctx, r.Installation, r.RepoID, r.Number, u.GetLogin()); err != nil {
				return err
			}
			// A person chose to remove this reviewer: never add them back.
			if ev.GetSender().GetType() != "Bot" {
				if err := a.Store.MarkRemoved(ctx, r.RepoID, r.Number, u.GetLogin()); err != nil {
					return err
				}
			}
		}
	case "reopened":
		// The head's check-run record may have been pruned while it was
		// closed: its next write looks on GitHub instead of creating another.
		if err := a.lookUpCheckRun(ctx, r, ev.GetPullRequest().GetHead().GetSHA()); err != nil {
			return err
		}
		if err := a.lookUpComment(ctx, r); err != nil {
			return err
		}
		// What was recorded of its reviews may have been pruned meanwhile.
		if err := a.Store.ReviewEvent(ctx, store.PR{RepoID: r.RepoID, Number: r.Number}); err != nil {
			return err
		}
	case "closed":
		if err := a.Store.ClearReviewRequests(ctx, r.Installation, r.RepoID, r.Number); err != nil {
			return err
		}
	}
	if err := a.trackClosed(ctx, r, d.Action, ev.PullRequest); err != nil {
		return err
	}
	if err := a.recordPayload(ctx, r, ev.PullRequest); err != nil {
		return err
	}
	if err := a.recordPullRequestEvent(ctx, r, d.ID, d.Action, &ev, now); err != nil {
		return err
	}
	return a.evaluate(ctx, evaluation{ref: r, pr: ev.PullRequest}, log)
}

// recordNewPR records what a pull request just opened cannot have yet, so
// its first evaluation does not ask GitHub: the app's sticky comment and
// any review (later ones arrive as pull_request_review events). An
// evaluation that ran first (another event of the burst) recorded what it
// found or wrote, and that stays.
func (a *App) recordNewPR(ctx context.Context, r repoRef) error {
	if _, err := a.Store.InsertObject(ctx, store.ObjectKey(githubapi.CommentKey(r.RepoID, r.Number)), store.Object{}); err != nil {
		return err
	}
	return a.Store.NoReviewsYet(ctx, store.PR{RepoID: r.RepoID, Number: r.Number}, []byte("[]"), a.Now())
}

// lookUpComment makes the next comment write of a reopened pull request
// look on GitHub unless the store knows the comment: what was recorded
// may have been pruned while it was closed, then redelivered as "none".
func (a *App) lookUpComment(ctx context.Context, r repoRef) error {
	key := store.ObjectKey(githubapi.CommentKey(r.RepoID, r.Number))
	obj, _, err := a.Store.GetObject(ctx, key)
	if err != nil || obj.ID != 0 {
		return err
	}
	return a.Store.PutObject(ctx, key, store.Object{Hash: githubapi.Claimed})
}

func (a *App) lookUpCheckRun(ctx context.Context, r repoRef, sha string) error {
	if sha == "" {
		return nil
	}
	gh, err := a.repo(r)
	if err != nil {
		return err
	}
	return gh.LookUpCheckRun(ctx, sha)
}

func prRef(installation int64, repo *github.Repository, number int) repoRef {
	return repoRef{Installation: installation, RepoID: repo.GetID(), Owner: repo.GetOwner().GetLogin(),
		Repo: repo.GetName(), Number: number}
}

func (a *App) onReview(ctx context.Context, d store.Delivery, log *slog.Logger) error {
	if d.Action != "submitted" && d.Action != "dismissed" && d.Action != "edited" {
		return nil
	}
	var ev github.PullRequestReviewEvent
	if err := decode(d, &ev); err != nil {
		return err
	}
	r := prRef(d.InstallationID, ev.Repo, ev.GetPullRequest().GetNumber())
	// Recorded before the evaluation is asked for, so it reads them again.
	if err := a.Store.ReviewEvent(ctx, store.PR{RepoID: r.RepoID, Number: r.Number}); err != nil {
		return err
	}
	if d.Action == "submitted" {
		// GitHub drops the request once the person reviews.
		if err := a.Store.RemoveReviewRequest(ctx, r.Installation, r.RepoID, r.Number, ev.GetReview().GetUser().GetLogin()); err != nil {
			return err
		}
	}
	if err := a.trackClosed(ctx, r, "", ev.PullRequest); err != nil {
		return err
	}
	if err := a.recordPayload(ctx, r, ev.PullRequest); err != nil {
		return err
	}
	// The payload's pull request carries everything evaluation reads.
	return a.evaluate(ctx, evaluation{ref: r, pr: ev.PullRequest}, log)
}

// checkEvent covers check_run and check_suite: decoded by hand because
// some real payloads carry timestamps go-github cannot parse.
type checkEvent struct {
	Repository *github.Repository `json:"repository"`
	CheckRun   *struct {
		Name         string     `json:"name"`
		App          *appRef    `json:"app"`
		PullRequests []prNumber `json:"pull_requests"`
	} `json:"check_run"`
	// RequestedAction is the button clicked (check_run requested_action).
	RequestedAction *struct {
		Identifier string `json:"identifier"`
	} `json:"requested_action"`
	CheckSuite *struct {
		PullRequests []prNumber `json:"pull_requests"`
	} `json:"check_suite"`
}

type appRef struct {
	ID int64 `json:"id"`
}

type prNumber struct {
	Number int `json:"number"`
}

// reevaluate: someone clicked the check run's "Re-evaluate" button.
func reevaluate(action string, ev checkEvent) bool {
	return action == "requested_action" && ev.RequestedAction != nil && ev.RequestedAction.Identifier == githubapi.ReevaluateAction
}

func (a *App) onCheckRequest(ctx context.Context, d store.Delivery, log *slog.Logger) error {
	var ev checkEvent
	if err := decode(d, &ev); err != nil {
		return err
	}
	var prs []prNumber
	switch {
	case d.Event == "check_run" && (d.Action == "rerequested" || reevaluate(d.Action, ev)) && ev.CheckRun != nil:
		if ev.CheckRun.App != nil && ev.CheckRun.App.ID != a.AppID {
			return nil // another app's check
		}
		prs = ev.CheckRun.PullRequests
	case d.Event == "check_suite" && d.Action == "rerequested" && ev.CheckSuite != nil:
		// "requested" arrives with every push, alongside the pull_request
		// synchronize event that already evaluates the new head: acting on
		// both would double the API cost of a push.
		prs = ev.CheckSuite.PullRequests
	default:
		return nil
	}
	for _, p := range prs {
		r := prRef(d.InstallationID, ev.Repository, p.Number)
		// Someone asked for a fresh look: GitHub is read, not a payload.
		if err := a.Store.DistrustSnapshot(ctx, store.PR{RepoID: r.RepoID, Number: r.Number}); err != nil {
			return err
		}
		if err := a.evaluate(ctx, evaluation{ref: r}, log); err != nil {
			return err
		}
	}
	return nil
}
