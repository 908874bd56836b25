package handlers

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/reviewpolicy/reviewpolicy/githubapi"
	"github.com/reviewpolicy/reviewpolicy/store"
)

// payloadWindow is how recent a payload's pull request must be (its
// updated_at against the clock when its delivery is handled) for an
// evaluation to use it instead of reading GitHub. A redelivery hours later,
// or a backlog, shows an old state: that is read again.
const payloadWindow = 10 * time.Minute

// snapshotOf keeps of a pull request what an evaluation reads, in a form
// that compares equal whether it came from a payload or from GitHub.
func snapshotOf(pr *github.PullRequest) ([]byte, error) {
	s := &github.PullRequest{
		Number: github.Int(pr.GetNumber()), State: github.String(pr.GetState()), Title: github.String(pr.GetTitle()),
		Body: github.String(pr.GetBody()), Draft: github.Bool(pr.GetDraft()),
		User: &github.User{Login: github.String(pr.GetUser().GetLogin()), Type: github.String(pr.GetUser().GetType())},
		Head: &github.PullRequestBranch{Ref: github.String(pr.GetHead().GetRef()), SHA: github.String(pr.GetHead().GetSHA())},
		Base: &github.PullRequestBranch{Ref: github.String(pr.GetBase().GetRef())},
		// A closed pull request's evaluation reads these: a retry of one
		// that failed after reading GitHub finds only the snapshot.
		Merged: github.Bool(pr.GetMerged()), MergedAt: pr.MergedAt, ClosedAt: pr.ClosedAt,
	}
	if repo := pr.GetHead().GetRepo(); repo != nil {
		s.Head.Repo = &github.Repository{Name: github.String(repo.GetName()), Owner: &github.User{Login: github.String(repo.GetOwner().GetLogin())}}
	}
	for _, l := range pr.Labels {
		s.Labels = append(s.Labels, &github.Label{Name: github.String(l.GetName())})
	}
	for _, u := range pr.RequestedReviewers {
		s.RequestedReviewers = append(s.RequestedReviewers, &github.User{Login: github.String(u.GetLogin())})
	}
	for _, t := range pr.RequestedTeams {
		s.RequestedTeams = append(s.RequestedTeams, &github.Team{Slug: github.String(t.GetSlug())})
	}
	return json.Marshal(s)
}

// recordPayload keeps the payload's pull request for the evaluation the
// event asks for, trusted when it is recent (payloadWindow). Deliveries
// arrive in any order: a newer updated_at wins, and two different states
// with the same updated_at (GitHub's clock counts seconds) leave neither
// trusted.
func (a *App) recordPayload(ctx context.Context, w store.Writes, r repoRef, pr *github.PullRequest) error {
	if pr == nil || pr.UpdatedAt == nil {
		return nil
	}
	data, err := snapshotOf(pr)
	if err != nil {
		return err
	}
	now, at := a.Now(), pr.GetUpdatedAt().Time
	age := now.Sub(at)
	snap := store.Snapshot{Data: data, UpdatedAt: at, RecordedAt: now, Trusted: age > -time.Minute && age < payloadWindow}
	return w.RecordSnapshot(ctx, store.PR{RepoID: r.RepoID, Number: r.Number}, snap)
}

// pullRequest is the pull request as the newest trusted payload showed it
// (first's snapshot), or else as GitHub shows it now (then kept for the
// next evaluation).
func (a *App) pullRequest(ctx context.Context, gh *githubapi.Repo, r repoRef, first store.EvaluationReads) (*github.PullRequest, error) {
	key := store.PR{RepoID: r.RepoID, Number: r.Number}
	snap, found := first.Snapshot, first.SnapshotFound
	now := a.Now()
	if age := now.Sub(snap.RecordedAt); found && snap.Trusted && age >= 0 && age < factsTTL {
		var pr github.PullRequest
		if err := json.Unmarshal(snap.Data, &pr); err == nil {
			return &pr, nil
		}
	}
	pr, err := gh.PullRequest(ctx, r.Number)
	if err != nil {
		return nil, err
	}
	data, err := snapshotOf(pr)
	if err != nil {
		return nil, err
	}
	// What GitHub says now is trusted, unless a payload as new says otherwise.
	return pr, a.Store.RecordReadSnapshot(ctx, key, store.Snapshot{Data: data, UpdatedAt: pr.GetUpdatedAt().Time, Trusted: true, RecordedAt: now})
}
