package handlers

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/reviewpolicy/reviewpolicy/githubapi"
	"github.com/reviewpolicy/reviewpolicy/policy/check"
	"github.com/reviewpolicy/reviewpolicy/store"
)

// A check run belongs to a commit, and several open pull requests (to
// different bases) can share one head commit. So each pull request's
// evaluation stores its verdict, and the commit's one check run shows the
// strictest verdict of all of them, naming each: a lenient base cannot
// turn a strict base's failure green.

// verdict is the part of a report the check run shows.
type verdict struct {
	Conclusion  string             `json:"conclusion"`
	Title       string             `json:"title"`
	Summary     string             `json:"summary"`
	Annotations []check.Annotation `json:"annotations,omitempty"`
}

// publishVerdict records the pull request's verdict on its head and
// publishes the head's check run.
func (a *App) publishVerdict(ctx context.Context, gh *githubapi.Repo, r repoRef, g *gathered, rep check.Report, now time.Time) error {
	data, err := json.Marshal(verdict{Conclusion: rep.Conclusion, Title: rep.Title, Summary: rep.Summary, Annotations: rep.Annotations})
	if err != nil {
		return err
	}
	v := store.Verdict{PR: store.PR{RepoID: r.RepoID, Number: r.Number}, HeadSHA: g.headSHA, BaseRef: g.baseRef, Report: data, UpdatedAt: now}
	// The pull request's verdict as the evaluation's first reads found it:
	// only its own evaluations write it, one at a time.
	if !g.first.VerdictFound || !v.Same(g.first.Verdict) {
		// Changed: written as the lease is taken, before the check run's
		// verdicts are read under it.
		return a.publishCheck(ctx, gh, r, g.headSHA, g.commitPulls, nil, &v)
	}
	seen, err := a.Store.VerdictsOn(ctx, r.RepoID, g.headSHA)
	if err != nil {
		return err
	}
	return a.publishCheck(ctx, gh, r, g.headSHA, g.commitPulls, seen, nil)
}

// shown reports whether sha's check run shows seen, the verdicts on sha,
// already. Then there is nothing to publish, and no lease to take: a
// verdict that changed since it was read is published by its own
// evaluation, which wrote it first.
func (a *App) shown(ctx context.Context, gh *githubapi.Repo, r repoRef, sha string, seen []store.Verdict) (bool, error) {
	if len(seen) == 0 {
		return false, nil
	}
	rep, err := combine(seen, nil)
	if err != nil {
		return false, err
	}
	return gh.CheckRunShows(ctx, sha, rep, a.detailsURL(r, seen[0].Number))
}

// publishCheck writes the commit's check run from the verdicts of the open
// pull requests whose head it is. Pull requests GitHub lists on the commit
// that have no verdict yet are asked to be evaluated; until they are, the
// check is not green. One writer per commit at a time, across processes:
// the commit's lease (githubapi.LeaseCheckRun), under which the verdicts
// are read. listed is GitHub's list of the commit's pull requests if the
// evaluation read it already (nil: it is read here when needed). seen are
// the commit's verdicts as read before, if they were: when the check run
// shows them already, nothing is written and no lease taken, which is most
// evaluations of a pull request that did not change. put is the pull
// request's changed verdict, stored as the lease is taken (nil: none).
func (a *App) publishCheck(ctx context.Context, gh *githubapi.Repo, r repoRef, sha string, listed *githubapi.CommitPulls, seen []store.Verdict, put *store.Verdict) (err error) {
	if ok, err := a.shown(ctx, gh, r, sha, seen); err != nil || ok {
		return err
	}
	l, verdicts, err := a.leaseCheck(ctx, gh, r, sha, put)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, l.Release(context.WithoutCancel(ctx))) }()
	var pending []int
	if !l.Known() {
		// The commit's first check: a pull request opened on it may not be
		// evaluated yet. Later ones store their verdict before publishing,
		// so GitHub need not be asked again.
		if pending, err = a.unjudged(ctx, gh, r, sha, verdicts, listed); err != nil {
			return err
		}
	}
	if len(verdicts) == 0 {
		return nil // no open pull request has it as its head any more
	}
	rep, err := combine(verdicts, pending)
	if err != nil {
		return err
	}
	return l.Write(ctx, rep, a.detailsURL(r, verdicts[0].Number))
}

// leaseCheck stores put, if not nil, takes sha's check-run lease and reads
// the verdicts on sha under it: one write of the store when the lease is
// free (store.LeaseVerdicts), where these were three round trips on
// PostgreSQL. When another job holds the lease, put is stored and the
// lease waited for.
func (a *App) leaseCheck(ctx context.Context, gh *githubapi.Repo, r repoRef, sha string, put *store.Verdict) (*githubapi.CheckRunLease, []store.Verdict, error) {
	c := gh.ClaimCheckRun(sha, fmt.Sprintf("job:%d", jobFrom(ctx).ID))
	now := a.Now()
	obj, held, verdicts, err := a.Store.LeaseVerdicts(ctx, put, store.ObjectKey(c.Key), store.Object(c.Claim), c.Owner, now, c.Until(now), r.RepoID, sha)
	if err != nil {
		return nil, nil, err
	}
	if held {
		return c.Taken(githubapi.Object(obj)), verdicts, nil
	}
	l, err := gh.LeaseCheckRun(ctx, sha, c.Owner)
	if err != nil {
		return nil, nil, err
	}
	if verdicts, err = a.Store.VerdictsOn(ctx, r.RepoID, sha); err != nil {
		return nil, nil, errors.Join(err, l.Release(context.WithoutCancel(ctx)))
	}
	return l, verdicts, nil
}

// unjudged lists the open pull requests GitHub has on the commit (listed,
// or read now if nil) that have no verdict for it yet, and asks for their
// evaluation.
func (a *App) unjudged(ctx context.Context, gh *githubapi.Repo, r repoRef, sha string, verdicts []store.Verdict, listed *githubapi.CommitPulls) ([]int, error) {
	if listed == nil {
		var err error
		if listed, err = gh.CommitPulls(ctx, sha); err != nil {
			return nil, err
		}
	}
	var pending []int
	for _, pr := range listed.Pulls {
		n := pr.Number
		if !pr.Open || !strings.EqualFold(pr.HeadSHA, sha) ||
			slices.ContainsFunc(verdicts, func(v store.Verdict) bool { return v.Number == n }) {
			continue
		}
		pending = append(pending, n)
		other := r
		other.Number = n
		if err := a.requestEvaluation(ctx, other); err != nil {
			return nil, err
		}
	}
	return pending, nil
}

// severity orders conclusions from lenient to strict; "" is a pull request
// still being evaluated.
func severity(conclusion string) int {
	switch conclusion {
	case check.Success:
		return 0
	case check.Neutral:
		return 1
	case "":
		return 2
	}
	return 3
}

// GitHub's limit on a check run's summary.
const maxSummary = 65535

// combine renders one commit's check run from its pull requests' verdicts.
func combine(verdicts []store.Verdict, pending []int) (check.Report, error) {
	vs := make([]verdict, len(verdicts))
	for i, sv := range verdicts {
		if err := json.Unmarshal(sv.Report, &vs[i]); err != nil {
			return check.Report{}, fmt.Errorf("reading the verdict of #%d: %w", sv.Number, err)
		}
	}
	if len(vs) == 1 && len(pending) == 0 {
		return check.Report{Conclusion: vs[0].Conclusion, Title: vs[0].Title, Summary: vs[0].Summary, Annotations: vs[0].Annotations}, nil
	}
	worst := 0
	for i, v := range vs {
		if severity(v.Conclusion) > severity(vs[worst].Conclusion) {
			worst = i
		}
	}
	rep := check.Report{Conclusion: vs[worst].Conclusion}
	if len(pending) > 0 && severity(rep.Conclusion) < severity("") {
		rep.Conclusion = ""
	}
	n := len(vs) + len(pending)
	rep.Title = fmt.Sprintf("%d pull requests share this commit: %s", n, cmp.Or(rep.Conclusion, "in progress"))
	var b strings.Builder
	fmt.Fprintf(&b, "This commit is the head of %d open pull requests. Its check shows the strictest of their results.\n\n", n)
	for _, num := range pending {
		fmt.Fprintf(&b, "- #%d: being evaluated\n", num)
	}
	budget := (maxSummary - b.Len() - 200) / len(vs)
	for i, v := range vs {
		head := fmt.Sprintf("\n## #%d into %s: %s\n\n", verdicts[i].Number, check.Code(verdicts[i].BaseRef, 200), v.Conclusion)
		b.WriteString(head + check.Clip(v.Summary, max(budget-len(head)-1, 0)) + "\n")
		rep.Annotations = append(rep.Annotations, v.Annotations...)
	}
	rep.Summary = b.String()
	return rep, nil
}
