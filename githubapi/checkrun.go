package githubapi

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/google/go-github/v60/github"

	"github.com/reviewpolicy/reviewpolicy/policy/check"
)

// HasCheckRun reports whether the app remembers writing sha's check run
// (a claim alone does not count: its creation may not have happened).
func (r *Repo) HasCheckRun(ctx context.Context, sha string) (bool, error) {
	obj, known, err := r.api.objects.GetObject(ctx, CheckRunKey(r.ID, sha))
	return known && obj.ID != 0, err
}

// Claimed begins the hash of a record made before creating an object: the
// creation may have happened (a crash before it was recorded), so the next
// writer that finds a claim not its own looks on GitHub first.
const Claimed = "claimed"

// UpsertCheckRun writes the review-policy check run on sha, updating the
// one the app wrote before instead of adding another, under the commit's
// lease (LeaseCheckRun) for a one-off owner. Objects remembers the run's ID
// and a hash of what was written, for every replica, so an unchanged report
// costs no request.
func (r *Repo) UpsertCheckRun(ctx context.Context, sha string, rep check.Report) error {
	return r.UpsertCheckRunWithDetails(ctx, sha, rep, "")
}

// UpsertCheckRunWithDetails is UpsertCheckRun with the check run's
// details_url ("" leaves GitHub's default, the app's page).
func (r *Repo) UpsertCheckRunWithDetails(ctx context.Context, sha string, rep check.Report, details string) (err error) {
	l, err := r.LeaseCheckRun(ctx, sha, "write:"+rand.Text())
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, l.Release(context.WithoutCancel(ctx))) }()
	return l.Write(ctx, rep, details)
}

// writeCheckRun creates sha's check run with rep and details (id 0) or
// updates run id, and returns the run's ID.
func (r *Repo) writeCheckRun(ctx context.Context, sha string, id int64, rep check.Report, details string) (int64, error) {
	var detailsURL *string
	if details != "" {
		detailsURL = github.String(details)
	}
	status, conclusion := "completed", github.String(rep.Conclusion)
	if rep.Conclusion == "" {
		status, conclusion = "in_progress", nil
	}
	out := checkOutput(rep)
	if id != 0 {
		_, _, err := r.c.Checks.UpdateCheckRun(ctx, r.Owner, r.Name, id, github.UpdateCheckRunOptions{
			Name: check.Name, Status: github.String(status), Conclusion: conclusion, Output: out, DetailsURL: detailsURL,
			Actions: actions()})
		if err != nil {
			return 0, fmt.Errorf("updating check run %d on %s: %w", id, sha, err)
		}
		return id, nil
	}
	run, _, err := r.c.Checks.CreateCheckRun(ctx, r.Owner, r.Name, github.CreateCheckRunOptions{
		Name: check.Name, HeadSHA: sha, Status: github.String(status), Conclusion: conclusion, Output: out, DetailsURL: detailsURL,
		Actions: actions()})
	if err != nil {
		return 0, fmt.Errorf("creating check run on %s: %w", sha, err)
	}
	return run.GetID(), nil
}

// CheckRunShows reports whether the app knows it wrote sha's check run
// with rep and details as UpsertCheckRunWithDetails would write them, so
// that writing them again would change nothing. Unlike that write, it needs
// no publication lease: it only reads.
func (r *Repo) CheckRunShows(ctx context.Context, sha string, rep check.Report, details string) (bool, error) {
	obj, known, err := r.api.objects.GetObject(ctx, CheckRunKey(r.ID, sha))
	return known && obj.ID != 0 && obj.Hash == checkRunHash(rep, details), err
}

// checkRunHash is the hash recorded for a check run written with rep and
// details.
func checkRunHash(rep check.Report, details string) string {
	hash := contentHash(rep.Conclusion, rep.Title, rep.Summary, fmt.Sprint(rep.Annotations), ReevaluateAction)
	if details != "" {
		// Only then part of the hash: runs written without it are not rewritten.
		hash = contentHash(hash, details)
	}
	return hash
}

// ReevaluateAction identifies the check run's "Re-evaluate" button in the
// check_run requested_action event.
const ReevaluateAction = "reevaluate"

// actions are the check run's buttons (GitHub: label ≤ 20 characters,
// description ≤ 40, identifier ≤ 20).
func actions() []*github.CheckRunAction {
	return []*github.CheckRunAction{{Label: "Re-evaluate", Description: "Check the pull request again now",
		Identifier: ReevaluateAction}}
}

// findCheckRun looks for the app's check run on sha; 0 when there is none.
func (r *Repo) findCheckRun(ctx context.Context, sha string) (int64, error) {
	runs, _, err := r.c.Checks.ListCheckRunsForRef(ctx, r.Owner, r.Name, sha, &github.ListCheckRunsOptions{
		CheckName: github.String(check.Name), AppID: github.Int64(r.api.appID), ListOptions: github.ListOptions{PerPage: 100}})
	if err != nil {
		return 0, fmt.Errorf("listing check runs on %s: %w", sha, err)
	}
	if len(runs.CheckRuns) > 0 {
		return runs.CheckRuns[0].GetID(), nil
	}
	return 0, nil
}

// LatestCheckRun reads the app's latest check run on sha as GitHub shows
// it (nil: none yet): one request.
func (r *Repo) LatestCheckRun(ctx context.Context, sha string) (*github.CheckRun, error) {
	runs, _, err := r.c.Checks.ListCheckRunsForRef(ctx, r.Owner, r.Name, sha, &github.ListCheckRunsOptions{
		CheckName: github.String(check.Name), AppID: github.Int64(r.api.appID), Filter: github.String("latest"),
		ListOptions: github.ListOptions{PerPage: 100}})
	if err != nil {
		return nil, err
	}
	if len(runs.CheckRuns) == 0 {
		return nil, nil
	}
	return runs.CheckRuns[0], nil
}

// checkOutput is the request's output, cut to GitHub's limits whatever
// wrote the report (a combined or merge-group summary too): GitHub refuses
// a request with an oversized field, and the check would then not exist.
func checkOutput(rep check.Report) *github.CheckRunOutput {
	out := &github.CheckRunOutput{Title: github.String(check.Clip(rep.Title, maxTitle)),
		Summary: github.String(check.Clip(rep.Summary, check.MaxSummary))}
	for i, an := range rep.Annotations {
		if i == check.MaxAnnotations {
			break
		}
		out.Annotations = append(out.Annotations, &github.CheckRunAnnotation{
			Path: github.String(an.Path), StartLine: github.Int(an.StartLine), EndLine: github.Int(an.EndLine),
			AnnotationLevel: github.String(cmp.Or(an.Level, check.LevelFailure)),
			Message:         github.String(check.Plain(an.Message, check.MaxAnnotationMessage))})
	}
	return out
}

// maxTitle bounds a check run's title, a single line in GitHub's lists;
// GitHub documents no limit, the app's titles are far shorter.
const maxTitle = 1000
