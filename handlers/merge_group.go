package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/riverqueue/river"

	"github.com/reviewpolicy/reviewpolicy/githubapi"
	"github.com/reviewpolicy/reviewpolicy/policy/check"
	"github.com/reviewpolicy/reviewpolicy/store"
)

// A merge queue asks for the required checks on its own commit, the merge
// group's head; the app answers with the review-policy check run there,
// built from the verdicts the group's pull requests already have on their
// own heads (docs/api-budget.md says how the group is found and what it
// costs).
const (
	// maxGroupPRs bounds the pull requests judged for one group: GitHub
	// merges at most 100 at once.
	maxGroupPRs = 100
	// maxGroupCommits bounds the commits read between the group's base and
	// head (pages of 100).
	maxGroupCommits = 300
	// mergeGroupAttempts stops retrying after about 80 minutes of River's
	// default backoff (attempt⁴ seconds): by then the queue has timed the
	// group out, and its commit may be gone.
	mergeGroupAttempts = 8
)

// mergeGroupArgs is one check of one merge group. Unique by repository and
// head SHA while queued or running, so deliveries of the same group, at
// once or repeated, write one check run one at a time.
type mergeGroupArgs struct {
	Installation int64  `json:"installation"`
	RepoID       int64  `json:"repo_id" river:"unique"`
	Owner        string `json:"owner"`
	Repo         string `json:"repo"`
	HeadSHA      string `json:"head_sha" river:"unique"`
	HeadRef      string `json:"head_ref"`
	BaseSHA      string `json:"base_sha"`
	BaseRef      string `json:"base_ref"`
}

func (mergeGroupArgs) Kind() string { return "merge_group" }

type mergeGroupEvent struct {
	MergeGroup struct {
		HeadSHA string `json:"head_sha"`
		HeadRef string `json:"head_ref"`
		BaseSHA string `json:"base_sha"`
		BaseRef string `json:"base_ref"`
	} `json:"merge_group"`
	Repository *github.Repository `json:"repository"`
}

var shaRE = regexp.MustCompile(`^[0-9a-f]{40}$`)

func (a *App) onMergeGroup(ctx context.Context, d store.Delivery, log *slog.Logger) error {
	if d.Action != "checks_requested" {
		return nil // "destroyed": the group is gone, there is nothing to report on
	}
	var ev mergeGroupEvent
	if err := decode(d, &ev); err != nil {
		return err
	}
	g := ev.MergeGroup
	if d.InstallationID == 0 || ev.Repository == nil || !shaRE.MatchString(g.HeadSHA) || !shaRE.MatchString(g.BaseSHA) {
		return river.JobCancel(fmt.Errorf("merge_group payload without installation, repository or SHAs"))
	}
	r := prRef(d.InstallationID, ev.Repository, 0)
	log.Info("merge group checks requested", "repo", r.Owner+"/"+r.Repo, "head", g.HeadSHA)
	return a.Store.Enqueue(ctx, mergeGroupArgs{Installation: r.Installation, RepoID: r.RepoID, Owner: r.Owner, Repo: r.Repo,
		HeadSHA: g.HeadSHA, HeadRef: g.HeadRef, BaseSHA: g.BaseSHA, BaseRef: g.BaseRef},
		&river.InsertOpts{UniqueOpts: whileQueued, MaxAttempts: mergeGroupAttempts})
}

type mergeGroupWorker struct {
	river.WorkerDefaults[mergeGroupArgs]
	app *App
}

func (w *mergeGroupWorker) Work(ctx context.Context, job *river.Job[mergeGroupArgs]) (err error) {
	start := time.Now()
	defer func() { w.app.Metrics.observeJob("merge_group", start, err) }()
	ctx = withJob(withInstallation(ctx, job.Args.Installation), job.JobRow)
	if err = w.app.checkMergeGroup(ctx, job.Args); err != nil {
		return retryable(err, w.app.Now())
	}
	return nil
}

// checkMergeGroup writes the group's check run. Number 0 in the reference
// keeps the group's remembered check run apart from any pull request's.
func (a *App) checkMergeGroup(ctx context.Context, g mergeGroupArgs) error {
	gh, err := a.repo(repoRef{Installation: g.Installation, RepoID: g.RepoID, Owner: g.Owner, Repo: g.Repo})
	if err != nil {
		return err
	}
	members, err := groupMembers(ctx, gh, g)
	if err != nil {
		return err
	}
	for i := range members {
		if err := ownVerdict(ctx, gh, &members[i]); err != nil {
			return err
		}
	}
	rep := groupReport(g, members)
	if err := gh.UpsertCheckRun(ctx, g.HeadSHA, rep); err != nil {
		return err
	}
	a.Logger.Info("merge group checked", "repo", g.Owner+"/"+g.Repo, "head", g.HeadSHA,
		"pull_requests", len(members), "conclusion", rep.Conclusion)
	return nil
}

// groupMember is one pull request of a merge group and how it stands on
// its own head.
type groupMember struct {
	Number  int
	HeadSHA string
	Passed  bool
	Why     string // when not passed
}

var queueRefRE = regexp.MustCompile(`/pr-([0-9]+)-[0-9a-f]+$`)

// groupMembers finds the group's pull requests: the one GitHub names in the
// queue branch (gh-readonly-queue/<base>/pr-<number>-<sha>), and every open
// pull request into the base branch whose head commit lies between the
// group's base and head (the commits the group adds). Cost: 1 compare per
// 100 commits + 1 list per 100 open pull requests into the base (+ 1 read of
// the named pull request when it is not among them).
func groupMembers(ctx context.Context, gh *githubapi.Repo, g mergeGroupArgs) ([]groupMember, error) {
	// A group GitHub no longer knows (merged or destroyed) yields no
	// commits: only the pull request its branch names is left to go by.
	inGroup, err := gh.CommitsBetween(ctx, g.BaseSHA, g.HeadSHA, maxGroupCommits)
	if err != nil {
		return nil, fmt.Errorf("merge group: %w", err)
	}
	named := 0
	if m := queueRefRE.FindStringSubmatch(g.HeadRef); m != nil {
		named, _ = strconv.Atoi(m[1])
	}
	var members []groupMember
	for prs, err := range gh.OpenPulls(ctx, strings.TrimPrefix(g.BaseRef, "refs/heads/")) {
		if err != nil {
			return nil, err
		}
		for _, pr := range prs {
			if pr.GetNumber() == named || inGroup[pr.GetHead().GetSHA()] {
				members = append(members, groupMember{Number: pr.GetNumber(), HeadSHA: pr.GetHead().GetSHA()})
			}
		}
		if len(members) > maxGroupPRs {
			break
		}
	}
	if named != 0 && !slices.ContainsFunc(members, func(m groupMember) bool { return m.Number == named }) {
		pr, err := gh.PullRequest(ctx, named)
		switch {
		case githubapi.NotFound(err):
			members = append(members, groupMember{Number: named, Why: "could not be read"})
		case err != nil:
			return nil, fmt.Errorf("merge group %s: %w", g.HeadSHA, err)
		default:
			members = append(members, groupMember{Number: named, HeadSHA: pr.GetHead().GetSHA()})
		}
	}
	slices.SortFunc(members, func(x, y groupMember) int { return x.Number - y.Number })
	return members, nil
}

// ownVerdict reads the app's own check run on the pull request's head: 1
// request. Neutral (an area in warn mode) passes, as GitHub counts it for
// a required check.
func ownVerdict(ctx context.Context, gh *githubapi.Repo, m *groupMember) error {
	if m.HeadSHA == "" {
		return nil // unreadable: Why says so
	}
	run, err := gh.LatestCheckRun(ctx, m.HeadSHA)
	if err != nil {
		return fmt.Errorf("reading the check run of %s#%d on %s: %w", gh, m.Number, m.HeadSHA, err)
	}
	if run == nil {
		m.Why = "has no " + check.Name + " check run on its head yet"
		return nil
	}
	switch {
	case run.GetStatus() != "completed":
		m.Why = "is still being checked"
	case run.GetConclusion() == check.Success || run.GetConclusion() == check.Neutral:
		m.Passed = true
	default:
		m.Why = "did not pass: " + run.GetConclusion()
	}
	return nil
}

// groupReport is the group's verdict: success only when every pull request
// passed on its own head, and when there is at least one.
func groupReport(g mergeGroupArgs, members []groupMember) check.Report {
	var b strings.Builder
	fmt.Fprintf(&b, "Merge group `%s` on %s.\n\n", short(g.HeadSHA), check.Code(strings.TrimPrefix(g.BaseRef, "refs/heads/"), 200))
	var failed []string
	for i, m := range members {
		if i == maxGroupPRs {
			failed = append(failed, fmt.Sprintf("%d more", len(members)-i))
			fmt.Fprintf(&b, "- ❌ %d more pull requests than the app checks in one group\n", len(members)-i)
			break
		}
		if m.Passed {
			fmt.Fprintf(&b, "- ✅ #%d passed on its head `%s`\n", m.Number, short(m.HeadSHA))
			continue
		}
		failed = append(failed, fmt.Sprintf("#%d", m.Number))
		fmt.Fprintf(&b, "- ❌ #%d %s (`%s`)\n", m.Number, m.Why, short(m.HeadSHA))
	}
	switch {
	case len(members) == 0:
		b.WriteString("The app could not tell which pull requests this group holds, so it cannot vouch for it.\n")
		return check.Report{Conclusion: check.Failure, Title: "Merge group: no pull request found", Summary: b.String()}
	case len(failed) > 5:
		return check.Report{Conclusion: check.Failure, Summary: b.String(),
			Title: fmt.Sprintf("Merge group: %d pull requests did not pass the review policy", len(failed))}
	case len(failed) > 0:
		return check.Report{Conclusion: check.Failure, Summary: b.String(),
			Title: "Merge group: " + strings.Join(failed, ", ") + " did not pass the review policy"}
	}
	return check.Report{Conclusion: check.Success, Title: "Merge group: every pull request passed the review policy", Summary: b.String()}
}

func short(sha string) string { return sha[:min(len(sha), 7)] }
