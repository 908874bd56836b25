package handlers

import (
	"context"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/reviewpolicy/reviewpolicy/githubapi"
	"github.com/reviewpolicy/reviewpolicy/policy"
	"github.com/reviewpolicy/reviewpolicy/policy/expertise"
	"github.com/reviewpolicy/reviewpolicy/store"
)

// maxExpertiseRows bounds the history one evaluation loads: the newest rows
// win, and rows older than 32 half-lives weigh nothing anyway.
const maxExpertiseRows = 200_000

// usesExpertise reports whether the policy in force chooses by expertise.
func usesExpertise(p *policy.Policy) bool {
	return p != nil && p.Reviewers != nil && p.Enforcement.Reviewers != policy.ModeOff &&
		p.Reviewers.Strategy == policy.StrategyExpertise
}

// readExpertise loads the repository's history for the expertise strategy.
// It is "learning" until the backfill of earlier pull requests is done.
func (a *App) readExpertise(ctx context.Context, r repoRef, p *policy.Policy) (*expertise.History, error) {
	since := a.Now().Add(-32 * p.Reviewers.Expertise.HalfLife)
	var b expertise.Builder
	err := a.Store.Expertise(ctx, r.RepoID, since, maxExpertiseRows, func(login, dir string, kind int, at time.Time) {
		b.Add(login, dir, expertise.Kind(kind), at)
	})
	if err != nil {
		return nil, err
	}
	bf, _, err := a.Store.ExpertiseBackfill(ctx, r.RepoID)
	if err != nil {
		return nil, err
	}
	h := b.History()
	h.Learning = !bf.Done && a.BackfillPulls > 0
	if h.Learning {
		if err := a.startBackfill(ctx, r); err != nil {
			return nil, err
		}
	}
	return h, nil
}

// learn records what the evaluated pull request teaches about who knows
// which directories: its submitted reviews while open, and once merged, its
// author's change and its reviews. Only repositories that choose by
// expertise keep the history; the rows are idempotent, so every evaluation
// may record them again.
func (a *App) learn(ctx context.Context, gh *githubapi.Repo, r repoRef, g *gathered) error {
	if !usesExpertise(g.facts.Policy) {
		return nil
	}
	if !g.facts.Closed {
		return a.Store.AddExpertise(ctx, r.RepoID, expertiseRows(r.Number, g.facts.PR.Author, g.facts.PR.Files, nil, g.facts.Reviews))
	}
	if !g.pr.GetMerged() {
		return nil
	}
	files, err := gh.Files(ctx, r.Number, g.baseRef, g.headSHA)
	if err != nil {
		return err
	}
	reviews, err := gh.Reviews(ctx, r.Number)
	if err != nil {
		return err
	}
	return a.Store.AddExpertise(ctx, r.RepoID, mergedRows(g.pr, files, reviews))
}

// mergedRows are a merged pull request's rows: its author's change and its
// reviews, in each directory it touched.
func mergedRows(pr *github.PullRequest, files []string, reviews []*github.PullRequestReview) []store.ExpertiseRow {
	merged := pr.GetMergedAt().Time
	return expertiseRows(pr.GetNumber(), pr.GetUser().GetLogin(), files, &merged, ReviewFacts(reviews, nil))
}

// expertiseRows turns a pull request's facts into rows: a change by the
// author at merged (nil: not merged) and a review by each person who
// submitted one (not the author, not bots), in every directory touched.
func expertiseRows(number int, author string, files []string, merged *time.Time, reviews []policy.Review) []store.ExpertiseRow {
	dirs := expertise.Dirs(files)
	var out []store.ExpertiseRow
	add := func(login string, kind expertise.Kind, at time.Time) {
		for _, d := range dirs {
			out = append(out, store.ExpertiseRow{Number: number, Login: login, Dir: d, Kind: int(kind), At: at})
		}
	}
	if merged != nil && author != "" {
		add(author, expertise.Change, *merged)
	}
	seen := map[string]bool{}
	for _, rv := range reviews {
		k := strings.ToLower(rv.Author)
		if rv.AuthorBot || k == "" || strings.EqualFold(rv.Author, author) || rv.State == "PENDING" ||
			rv.SubmittedAt.IsZero() || seen[k] {
			continue
		}
		seen[k] = true // the first review counts; more reviews on one pull request add no knowledge
		add(rv.Author, expertise.Review, rv.SubmittedAt)
	}
	return out
}
