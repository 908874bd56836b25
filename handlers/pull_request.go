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
	work, err := a.preparePullRequest(d)
	if err != nil || work.write == nil {
		return err
	}
	return a.deliveryBatch(ctx, work.ref, work.write)
}

// storeWork is what a delivery asks of the store: writes, then the pull
// request's evaluation.
type storeWork struct {
	ref repoRef
	// write records the delivery's facts; nil: the delivery changes nothing.
	write func(ctx context.Context, w store.Writes) error
}

// preparePullRequest decodes a pull_request delivery into its work.
func (a *App) preparePullRequest(d store.Delivery) (storeWork, error) {
	if !prActions[d.Action] {
		return storeWork{}, nil
	}
	var payload prEvent
	if err := decodeFields(d, &payload); err != nil {
		return storeWork{}, err
	}
	if d.Action == "edited" && payload.unchanged() {
		return storeWork{}, nil // nothing the policy reads changed
	}
	ev := payload.event()
	r := prRef(d.InstallationID, ev.Repo, ev.GetNumber())
	id, action := d.ID, d.Action // not d: its payload's buffer is reused (store.DeliveryHandler)
	return storeWork{ref: r, write: func(ctx context.Context, w store.Writes) error {
		if err := a.recordPullRequestAction(ctx, w, r, action, ev); err != nil {
			return err
		}
		if err := a.trackClosed(ctx, w, r, action, ev.PullRequest); err != nil {
			return err
		}
		if err := a.recordPayload(ctx, w, r, ev.PullRequest); err != nil {
			return err
		}
		return a.recordPullRequestEvent(ctx, w, r, id, action, ev, a.Now())
	}}, nil
}

// deliveryBatch commits a delivery's writes and its request of r's
// evaluation at once (issue 18: one commit, not one per fact). The request
// comes last, so its row is locked for the shortest time. Without an
// installation the writes are kept and the evaluation cannot be asked for.
func (a *App) deliveryBatch(ctx context.Context, r repoRef, writes func(ctx context.Context, w store.Writes) error) error {
	err := a.Store.Batch(ctx, func(w store.Writes) error {
		if err := writes(ctx, w); err != nil || r.Installation == 0 {
			return err
		}
		return a.requestEvaluationIn(ctx, w, r)
	})
	if err == nil && r.Installation == 0 {
		return errNoClient
	}
	return err
}

// recordPullRequestAction records what the action itself says of the pull
// request's reviews and review requests.
func (a *App) recordPullRequestAction(ctx context.Context, w store.Writes, r repoRef, action string, ev *github.PullRequestEvent) error {
	u := ev.GetRequestedReviewer()
	switch {
	case action == "opened":
		return a.recordNewPR(ctx, w, r)
	case action == "review_requested" && u != nil:
		return w.AddReviewRequest(ctx, r.Installation, r.RepoID, r.Number, u.GetLogin(), a.Now())
	case action == "review_request_removed" && u != nil:
		if err := w.RemoveReviewRequest(ctx, r.Installation, r.RepoID, r.Number, u.GetLogin()); err != nil {
			return err
		}
		// A person chose to remove this reviewer: never add them back.
		if ev.GetSender().GetType() != "Bot" {
			return w.MarkRemoved(ctx, r.RepoID, r.Number, u.GetLogin())
		}
	case action == "reopened":
		return a.recordReopened(ctx, w, r, ev.GetPullRequest().GetHead().GetSHA())
	case action == "closed":
		return w.ClearReviewRequests(ctx, r.Installation, r.RepoID, r.Number)
	}
	return nil
}

// recordNewPR records what a pull request just opened cannot have yet, so
// its first evaluation does not ask GitHub: the app's sticky comment and
// any review (later ones arrive as pull_request_review events). An
// evaluation that ran first (another event of the burst) recorded what it
// found or wrote, and that stays.
func (a *App) recordNewPR(ctx context.Context, w store.Writes, r repoRef) error {
	if err := w.PutObjectIfNone(ctx, store.ObjectKey(githubapi.CommentKey(r.RepoID, r.Number)), store.Object{}); err != nil {
		return err
	}
	return w.NoReviewsYet(ctx, store.PR{RepoID: r.RepoID, Number: r.Number}, []byte("[]"), a.Now())
}

// recordReopened prepares a reopened pull request's next evaluation: what
// was recorded of its reviews, the head's check run and the app's comment
// may have been pruned while it was closed (or recorded as "none" and then
// pruned and redelivered), so the next evaluation reads its reviews again,
// and the next writes of the check run and the comment look on GitHub
// first, unless the store knows them, instead of creating others.
func (a *App) recordReopened(ctx context.Context, w store.Writes, r repoRef, sha string) error {
	if err := w.ReviewEvent(ctx, store.PR{RepoID: r.RepoID, Number: r.Number}); err != nil {
		return err
	}
	claim := store.Object{Hash: githubapi.Claimed}
	if sha != "" {
		if err := w.PutObjectUnlessWritten(ctx, store.ObjectKey(githubapi.CheckRunKey(r.RepoID, sha)), claim); err != nil {
			return err
		}
	}
	return w.PutObjectUnlessWritten(ctx, store.ObjectKey(githubapi.CommentKey(r.RepoID, r.Number)), claim)
}

func prRef(installation int64, repo *github.Repository, number int) repoRef {
	return repoRef{Installation: installation, RepoID: repo.GetID(), Owner: repo.GetOwner().GetLogin(),
		Repo: repo.GetName(), Number: number}
}

func (a *App) onReview(ctx context.Context, d store.Delivery, log *slog.Logger) error {
	work, err := a.prepareReview(d)
	if err != nil || work.write == nil {
		return err
	}
	return a.deliveryBatch(ctx, work.ref, work.write)
}

// prepareReview decodes a pull_request_review delivery into its work.
func (a *App) prepareReview(d store.Delivery) (storeWork, error) {
	if d.Action != "submitted" && d.Action != "dismissed" && d.Action != "edited" {
		return storeWork{}, nil
	}
	var payload reviewEvent
	if err := decodeFields(d, &payload); err != nil {
		return storeWork{}, err
	}
	ev := payload.event()
	r := prRef(d.InstallationID, ev.Repo, ev.GetPullRequest().GetNumber())
	submitted := d.Action == "submitted" // not d: its payload's buffer is reused (store.DeliveryHandler)
	return storeWork{ref: r, write: func(ctx context.Context, w store.Writes) error {
		// Recorded before the evaluation is asked for, so it reads them again.
		if err := w.ReviewEvent(ctx, store.PR{RepoID: r.RepoID, Number: r.Number}); err != nil {
			return err
		}
		if submitted {
			// GitHub drops the request once the person reviews.
			if err := w.RemoveReviewRequest(ctx, r.Installation, r.RepoID, r.Number, ev.GetReview().GetUser().GetLogin()); err != nil {
				return err
			}
		}
		if err := a.trackClosed(ctx, w, r, "", ev.PullRequest); err != nil {
			return err
		}
		// The payload's pull request carries everything evaluation reads.
		return a.recordPayload(ctx, w, r, ev.PullRequest)
	}}, nil
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
