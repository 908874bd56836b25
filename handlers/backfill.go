package handlers

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/reviewpolicy/reviewpolicy/githubapi"
	"github.com/reviewpolicy/reviewpolicy/store"
)

// backfillArgs reads a repository's latest merged pull requests into the
// expertise history, once, when the repository first chooses by expertise.
type backfillArgs struct {
	Installation int64  `json:"installation"`
	RepoID       int64  `json:"repo_id"`
	Owner        string `json:"owner"`
	Repo         string `json:"repo"`
}

func (backfillArgs) Kind() string { return "expertise_backfill" }

// InstallationID places the job in the store's fair queue.
func (a backfillArgs) InstallationID() int64 { return a.Installation }

// startBackfill asks for the repository's backfill; one job at most waits
// or runs per repository, so every evaluation may ask.
func (a *App) startBackfill(ctx context.Context, r repoRef) error {
	args := backfillArgs{Installation: r.Installation, RepoID: r.RepoID, Owner: r.Owner, Repo: r.Repo}
	return a.Store.Enqueue(ctx, args, &river.InsertOpts{UniqueOpts: whileQueued})
}

// backfillPages bounds the pages of closed pull requests read for limit
// merged ones: closed pull requests that were not merged take room too.
func backfillPages(limit int) int { return 3 * ((limit + 99) / 100) }

type backfillWorker struct {
	river.WorkerDefaults[backfillArgs]
	app *App
}

// Work reads page after page, recording each page's rows and then the
// progress, so a restart (or a retry after an error) resumes at the first
// page not recorded: at most one page is read twice.
func (w *backfillWorker) Work(ctx context.Context, job *river.Job[backfillArgs]) (err error) {
	a, t := w.app, job.Args
	begun := time.Now()
	defer func() { a.Metrics.observeJob("expertise_backfill", begun, err) }()
	ctx = withInstallation(ctx, t.Installation)
	gh, err := a.repo(repoRef{Installation: t.Installation, RepoID: t.RepoID, Owner: t.Owner, Repo: t.Repo})
	if err != nil {
		return err
	}
	bf, _, err := a.Store.ExpertiseBackfill(ctx, t.RepoID)
	if err != nil || bf.Done {
		return err
	}
	for err == nil && !bf.Done {
		err = a.backfillPage(ctx, gh, t.RepoID, &bf)
	}
	if err == nil {
		err = a.reevaluateOpen(ctx, gh, t)
	}
	if err != nil {
		return retryable(err, a.Now())
	}
	return nil
}

// reevaluateOpen asks for an evaluation of the repository's open pull
// requests, whose checks still say "expertise still learning". Best
// effort: a retry after it failed finds the backfill done and stops, and
// those checks catch up at their next event.
func (a *App) reevaluateOpen(ctx context.Context, gh *githubapi.Repo, t backfillArgs) error {
	for prs, err := range gh.OpenPulls(ctx, "") {
		if err != nil {
			return err
		}
		for _, pr := range prs {
			r := repoRef{Installation: t.Installation, RepoID: t.RepoID, Owner: t.Owner, Repo: t.Repo, Number: pr.GetNumber()}
			if err := a.requestEvaluation(ctx, r); err != nil {
				return err
			}
		}
	}
	return nil
}

// backfillPage records the merged pull requests of page bf.NextPage and
// moves bf on.
func (a *App) backfillPage(ctx context.Context, gh *githubapi.Repo, repoID int64, bf *store.Backfill) error {
	limit := a.BackfillPulls
	if bf.PullsSeen >= limit || bf.NextPage > backfillPages(limit) {
		bf.Done = true
		return a.Store.SetExpertiseBackfill(ctx, repoID, *bf, a.Now())
	}
	prs, last, err := gh.ClosedPullsPage(ctx, bf.NextPage)
	if err != nil {
		return err
	}
	var rows []store.ExpertiseRow
	for _, pr := range prs {
		if pr.MergedAt == nil || bf.PullsSeen >= limit {
			continue
		}
		files, err := gh.FirstFiles(ctx, pr.GetNumber())
		if err != nil {
			return err
		}
		reviews, err := gh.FirstReviews(ctx, pr.GetNumber())
		if err != nil {
			return err
		}
		rows = append(rows, mergedRows(pr, files, reviews)...)
		bf.PullsSeen++
	}
	if err := a.Store.AddExpertise(ctx, repoID, rows); err != nil {
		return err
	}
	bf.NextPage++
	bf.Done = last || bf.PullsSeen >= limit
	return a.Store.SetExpertiseBackfill(ctx, repoID, *bf, a.Now())
}
