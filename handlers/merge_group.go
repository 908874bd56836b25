package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/riverqueue/river"

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
	c, err := a.Clients.NewInstallationClient(g.Installation)
	if err != nil {
		return fmt.Errorf("installation client %d: %w", g.Installation, err)
	}
	r := repoRef{Installation: g.Installation, RepoID: g.RepoID, Owner: g.Owner, Repo: g.Repo}
	members, err := a.groupMembers(ctx, c, g)
	if err != nil {
		return err
	}
	for i := range members {
		if err := a.ownVerdict(ctx, c, r, &members[i]); err != nil {
			return err
		}
	}
	rep := groupReport(g, members)
	if err := a.upsertCheckRun(ctx, c, r, g.HeadSHA, rep); err != nil {
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
func (a *App) groupMembers(ctx context.Context, c *github.Client, g mergeGroupArgs) ([]groupMember, error) {
	inGroup, err := groupCommits(ctx, c, g)
	if err != nil {
		return nil, err
	}
	named := 0
	if m := queueRefRE.FindStringSubmatch(g.HeadRef); m != nil {
		named, _ = strconv.Atoi(m[1])
	}
	var members []groupMember
	opt := &github.PullRequestListOptions{State: "open", Base: strings.TrimPrefix(g.BaseRef, "refs/heads/"),
		ListOptions: github.ListOptions{PerPage: 100}}
	for {
		prs, resp, err := c.PullRequests.List(ctx, g.Owner, g.Repo, opt)
		if err != nil {
			return nil, fmt.Errorf("listing open pull requests of %s/%s: %w", g.Owner, g.Repo, err)
		}
		for _, pr := range prs {
			if pr.GetNumber() == named || inGroup[pr.GetHead().GetSHA()] {
				members = append(members, groupMember{Number: pr.GetNumber(), HeadSHA: pr.GetHead().GetSHA()})
			}
		}
		if resp.NextPage == 0 || len(members) > maxGroupPRs {
			break
		}
		opt.Page = resp.NextPage
	}
	if named != 0 && !slices.ContainsFunc(members, func(m groupMember) bool { return m.Number == named }) {
		pr, resp, err := c.PullRequests.Get(ctx, g.Owner, g.Repo, named)
		switch {
		case resp != nil && resp.StatusCode == http.StatusNotFound:
			members = append(members, groupMember{Number: named, Why: "could not be read"})
		case err != nil:
			return nil, fmt.Errorf("reading %s/%s#%d of merge group %s: %w", g.Owner, g.Repo, named, g.HeadSHA, err)
		default:
			members = append(members, groupMember{Number: named, HeadSHA: pr.GetHead().GetSHA()})
		}
	}
	slices.SortFunc(members, func(x, y groupMember) int { return x.Number - y.Number })
	return members, nil
}

// groupCommits returns the SHAs of the commits between the group's base and
// head.
func groupCommits(ctx context.Context, c *github.Client, g mergeGroupArgs) (map[string]bool, error) {
	shas := map[string]bool{}
	opt := &github.ListOptions{PerPage: 100}
	for len(shas) < maxGroupCommits {
		cmp, resp, err := c.Repositories.CompareCommits(ctx, g.Owner, g.Repo, g.BaseSHA, g.HeadSHA, opt)
		if resp != nil && resp.StatusCode == http.StatusNotFound {
			// The group is gone (merged or destroyed) or its base is unknown:
			// only the pull request the branch names is left to go by.
			return shas, nil
		}
		if err != nil {
			return nil, fmt.Errorf("comparing merge group %s with its base %s: %w", g.HeadSHA, g.BaseSHA, err)
		}
		for _, cm := range cmp.Commits {
			shas[cm.GetSHA()] = true
		}
		if resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	return shas, nil
}

// ownVerdict reads the app's own check run on the pull request's head: 1
// request. Neutral (an area in warn mode) passes, as GitHub counts it for
// a required check.
func (a *App) ownVerdict(ctx context.Context, c *github.Client, r repoRef, m *groupMember) error {
	if m.HeadSHA == "" {
		return nil // unreadable: Why says so
	}
	runs, _, err := c.Checks.ListCheckRunsForRef(ctx, r.Owner, r.Repo, m.HeadSHA, &github.ListCheckRunsOptions{
		CheckName: github.String(check.Name), AppID: github.Int64(a.AppID), Filter: github.String("latest"),
		ListOptions: github.ListOptions{PerPage: 100}})
	if err != nil {
		return fmt.Errorf("reading the check run of %s/%s#%d on %s: %w", r.Owner, r.Repo, m.Number, m.HeadSHA, err)
	}
	if len(runs.CheckRuns) == 0 {
		m.Why = "has no " + check.Name + " check run on its head yet"
		return nil
	}
	run := runs.CheckRuns[0]
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
	fmt.Fprintf(&b, "Merge group `%s` on `%s`.\n\n", short(g.HeadSHA), strings.TrimPrefix(g.BaseRef, "refs/heads/"))
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
