package main

import (
	"database/sql"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reviewpolicy/reviewpolicy/internal/githubfake"
)

const (
	pushBefore = "6113728f27ae82c7b1a177c8d03f9e96e0adf246"
	pushAfter  = "1111111111111111111111111111111111111111"
)

// pushPayload is the octokit push example turned into an update of an
// existing branch whose one commit modifies files.
func pushPayload(t *testing.T, repo, branch string, files ...string) []byte {
	t.Helper()
	return payload(t, "push/with-new-branch.payload.json", func(m map[string]any) {
		m["ref"], m["before"], m["after"], m["created"] = "refs/heads/"+branch, pushBefore, pushAfter, false
		commit := m["commits"].([]any)[0].(map[string]any)
		commit["id"], commit["added"], commit["modified"], commit["removed"] = pushAfter, []any{}, files, []any{}
		if repo != repoName {
			r := m["repository"].(map[string]any)
			r["name"], r["full_name"], r["default_branch"], r["id"] = repo, owner+"/"+repo, branch, 1000
		}
	})
}

// sendAll delivers the event n times at once, each a new delivery (its own
// ID, its own body; see send), as several deliveries of one event look.
func (h *harness) sendAll(t *testing.T, event string, body []byte, n int) {
	t.Helper()
	var wg sync.WaitGroup
	codes := make([]int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = h.send(t, event, "", body)
		}()
	}
	wg.Wait()
	for i, c := range codes {
		if c != http.StatusAccepted {
			t.Errorf("delivery %d answered %d, want 202", i, c)
		}
	}
}

// countJobs counts River jobs of a kind whose argument field has value.
func (h *harness) countJobs(t *testing.T, kind, field, value string) int {
	t.Helper()
	db, err := sql.Open("sqlite", sqliteTestDSN(h.dbURL))
	must(t, err)
	defer db.Close()
	var n int
	must(t, db.QueryRow(`SELECT count(*) FROM river_job WHERE kind = $1 AND json_extract(args, '$.' || $2) = $3`,
		kind, field, value).Scan(&n))
	return n
}

func (h *harness) runsOn(sha string) []githubfake.CheckRun {
	var out []githubfake.CheckRun
	for _, r := range h.checkRuns() {
		if r.HeadSHA == sha {
			out = append(out, r)
		}
	}
	return out
}

func (h *harness) failingPR(t *testing.T) {
	t.Helper()
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", templatePolicy)
	h.start(t, nil)
	h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", nil))
	waitFor(t, "a failing check", func() bool { r := h.checkRuns(); return len(r) == 1 && r[0].Conclusion == "failure" })
	h.settle(t)
}

func TestPolicyPushedToBaseTurnsOpenPullRequestGreen(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.failingPR(t)
	before := h.jobsOfKind(t, "evaluate", "")

	// The lead relaxes the policy on the base branch: no pull-request event
	// follows, only the push.
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", "version: 1\n")
	if got := h.send(t, "push", "", pushPayload(t, repoName, "master", "docs/intro.md", ".github/review-policy.yml")); got != http.StatusAccepted {
		t.Fatalf("push answered %d", got)
	}
	waitFor(t, "the check to turn green", func() bool { r := h.checkRuns(); return len(r) == 1 && r[0].Conclusion == "success" })
	if n := h.jobsOfKind(t, "evaluate", "") - before; n != 1 {
		t.Errorf("%d evaluate jobs for the push, want 1", n)
	}
	if run := h.checkRuns()[0]; run.HeadSHA != headSHA {
		t.Errorf("check run on %s, want the head %s", run.HeadSHA, headSHA)
	}
}

func TestPushThatChangesNoPolicyInputEnqueuesNothing(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.failingPR(t)
	before, jobs := h.evaluations(), h.jobsOfKind(t, "evaluate", "")
	h.send(t, "push", "", pushPayload(t, repoName, "master", "README.md", ".github/workflows/ci.yml"))
	// The octokit example as it is: a new branch, which no pull request
	// targets yet. And a tag.
	h.send(t, "push", "", payload(t, "push/with-new-branch.payload.json", nil))
	h.send(t, "push", "", payload(t, "push/with-new-branch.payload.json", func(m map[string]any) {
		m["ref"], m["created"] = "refs/tags/v1.0.0", false
		m["commits"].([]any)[0].(map[string]any)["modified"] = []any{".github/review-policy.yml"}
	}))
	waitFor(t, "the pushes to be handled", func() bool { return h.deliveriesDone(t) == 4 })
	if n := h.jobsOfKind(t, "evaluate", "") - jobs; n != 0 {
		t.Errorf("%d evaluate jobs after pushes that change no policy input of a branch, want 0", n)
	}
	if n := h.evaluations() - before; n != 0 {
		t.Errorf("%d evaluations after those pushes, want 0", n)
	}
	if r := h.checkRuns(); len(r) != 1 || r[0].Conclusion != "failure" {
		t.Errorf("check runs changed: %+v", r)
	}
}

// Every way a pull request can depend on a changed file: the template and
// each place GitHub reads CODEOWNERS from, and a force push whose files are
// not all listed.
func TestPushOfTemplateOrCodeownersReevaluates(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.failingPR(t)
	before := h.jobsOfKind(t, "evaluate", "")
	cases := map[string][]string{
		"a":     {"docs/pull_request_template.md"},
		"b":     {"CODEOWNERS"},
		"c":     {".github/CODEOWNERS"},
		"d":     {"docs/CODEOWNERS"},
		"e":     {".github/PULL_REQUEST_TEMPLATE.md"},
		"force": {"README.md"},
	}
	for after, files := range cases {
		sha := strings.Repeat(after[:1], 40)
		if after == "force" {
			sha = strings.Repeat("f", 40)
		}
		h.send(t, "push", "", payload(t, "push/with-new-branch.payload.json", func(m map[string]any) {
			m["before"], m["after"], m["created"], m["forced"] = pushBefore, sha, false, after == "force"
			m["commits"].([]any)[0].(map[string]any)["modified"] = files
		}))
	}
	waitFor(t, "the pushes to be handled", func() bool { return h.deliveriesDone(t) == 1+len(cases) })
	if n := h.jobsOfKind(t, "evaluate", "") - before; n != len(cases) {
		t.Errorf("%d evaluate jobs, want one per push (%d)", n, len(cases))
	}
}

func TestSamePushDeliveredManyTimesEvaluatesEachPullRequestOnce(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", templatePolicy)
	for n := 3; n <= 5; n++ {
		h.fake.AddPullRequest(owner, repoName, githubfake.PullRequest{Number: n, Title: "Change " + fmt.Sprint(n),
			Body: "No template here.", HeadRef: fmt.Sprint("feature-", n), HeadSHA: strings.Repeat(fmt.Sprint(n), 40),
			BaseRef: "master", Author: owner, Files: []string{"README.md"}})
	}
	// Another branch's pull request is not touched by a push to master.
	h.fake.AddPullRequest(owner, repoName, githubfake.PullRequest{Number: 9, Title: "Release fix", Body: "x",
		HeadRef: "fix", HeadSHA: strings.Repeat("9", 40), BaseRef: "release", Author: owner, Files: []string{"README.md"}})
	h.start(t, nil)
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", "version: 1\n")
	push := pushPayload(t, repoName, "master", ".github/review-policy.yml")
	h.sendAll(t, "push", push, 4)
	h.send(t, "push", "same-id", push)
	if got := h.send(t, "push", "same-id", push); got != http.StatusOK {
		t.Errorf("a repeated delivery ID answered %d, want 200", got)
	}
	heads := []string{headSHA, strings.Repeat("3", 40), strings.Repeat("4", 40), strings.Repeat("5", 40)}
	waitFor(t, "a green check run on every head into master", func() bool {
		for _, sha := range heads {
			if r := h.runsOn(sha); len(r) != 1 || r[0].Conclusion != "success" {
				return false
			}
		}
		return true
	})
	h.settle(t)
	// Once more after everything finished: evaluated again, nothing written.
	writes := h.writes()
	h.send(t, "push", "", push)
	h.settle(t)
	if n := h.writes() - writes; n != 0 {
		t.Errorf("a push that changed nothing since wrote %d times to GitHub, want 0", n)
	}
	for _, sha := range heads {
		if r := h.runsOn(sha); len(r) != 1 {
			t.Errorf("%d check runs on %s, want 1", len(r), sha)
		}
	}
	if r := h.runsOn(strings.Repeat("9", 40)); len(r) != 0 {
		t.Errorf("the pull request into release was evaluated: %+v", r)
	}
}

func TestOrganisationDefaultPushReachesRepositoriesThatFollowIt(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.fake.AddRepo(owner, ".github", 1000, "main")
	h.fake.AddRepo(owner, "Other", 2000, "master")
	h.fake.AddInstallation(installID, owner, owner+"/"+repoName, owner+"/.github", owner+"/Other")
	h.fake.SetFile(owner, ".github", "main", "review-policy.yml", templatePolicy)
	// Other has a policy of its own: the default does not reach it.
	h.fake.SetFile(owner, "Other", "master", ".github/review-policy.yml", "version: 1\n")
	h.fake.AddPullRequest(owner, "Other", githubfake.PullRequest{Number: 7, Title: "t", Body: "b", HeadRef: "x",
		HeadSHA: strings.Repeat("7", 40), BaseRef: "master", Author: owner, Files: []string{"README.md"}})
	h.start(t, nil)
	h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", nil))
	waitFor(t, "a failing check under the default", func() bool { r := h.checkRuns(); return len(r) == 1 && r[0].Conclusion == "failure" })

	h.fake.SetFile(owner, ".github", "main", "review-policy.yml", "version: 1\n")
	h.sendAll(t, "push", pushPayload(t, ".github", "main", "review-policy.yml"), 2)
	waitFor(t, "the check to turn green", func() bool { r := h.checkRuns(); return len(r) == 1 && r[0].Conclusion == "success" })
	waitFor(t, "the sweep to finish", func() bool { return h.jobsOfKind(t, "org_policy", "completed") == 1 })
	if n := h.jobsOfKind(t, "org_policy", ""); n != 1 {
		t.Errorf("%d organisation sweeps for one push delivered twice, want 1", n)
	}
	if n := h.countJobs(t, "evaluate", "repo", "Other"); n != 0 {
		t.Errorf("%d evaluations of a repository with its own policy, want 0", n)
	}
	// One for the opened event, one for the push.
	if n := h.countJobs(t, "evaluate", "repo", repoName); n != 2 {
		t.Errorf("%d evaluations of %s, want 2", n, repoName)
	}
}

const (
	groupHead = "2ffea6db159f6b6c47a24e778fb9ef40cf6b1c7d" // from the octokit example
	groupBase = "380387fbc80638b734a49e1be1c4dfec1c01b33c"
)

// mergeGroupPayload is the octokit example moved to the harness's
// repository: a group on master whose queue branch names pull request 2.
func mergeGroupPayload(t *testing.T, action string) []byte {
	t.Helper()
	var repo any
	payload(t, "pull_request/opened.payload.json", func(m map[string]any) { repo = m["repository"] })
	return payload(t, "merge_group/checks_requested.payload.json", func(m map[string]any) {
		m["action"], m["repository"] = action, repo
		delete(m, "organization")
		g := m["merge_group"].(map[string]any)
		g["head_ref"] = "refs/heads/gh-readonly-queue/master/pr-2-" + groupBase
		g["base_ref"] = "refs/heads/master"
	})
}

func TestMergeGroupPassesWhenItsPullRequestPassed(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.start(t, nil)
	// A squash merge: the group's one commit is new, found by the queue
	// branch's name only.
	h.fake.SetCompare(owner, repoName, groupBase, groupHead, groupHead)
	h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", nil))
	waitFor(t, "the pull request's green check", func() bool { r := h.runsOn(headSHA); return len(r) == 1 && r[0].Conclusion == "success" })

	h.sendAll(t, "merge_group", mergeGroupPayload(t, "checks_requested"), 3)
	h.send(t, "merge_group", "", mergeGroupPayload(t, "destroyed"))
	waitFor(t, "the group's check run", func() bool { return len(h.runsOn(groupHead)) > 0 })
	waitFor(t, "the deliveries to finish", func() bool { return h.deliveriesDone(t) == 5 })
	waitFor(t, "the group's jobs to finish", func() bool { return h.jobsOfKind(t, "merge_group", "running") == 0 })
	// Redelivered once everything is done: the check run is updated, not added.
	h.send(t, "merge_group", "", mergeGroupPayload(t, "checks_requested"))
	waitFor(t, "the redelivery to finish", func() bool { return h.deliveriesDone(t) == 6 })
	waitFor(t, "the group's jobs to finish", func() bool {
		return h.jobsOfKind(t, "merge_group", "") == h.jobsOfKind(t, "merge_group", "completed")
	})
	runs := h.runsOn(groupHead)
	if len(runs) != 1 {
		t.Fatalf("%d check runs on the group's head, want 1: %+v", len(runs), runs)
	}
	if r := runs[0]; r.Name != "review-policy" || r.Conclusion != "success" || !strings.Contains(r.Summary, "#2 passed") {
		t.Errorf("group check = %s %q\n%s", r.Conclusion, r.Title, r.Summary)
	}
	if n := h.fake.CountCalls("POST", "/repos/"+owner+"/"+repoName+"/check-runs"); n != 2 {
		t.Errorf("%d check runs created, want 2 (the pull request's and the group's)", n)
	}
}

func TestMergeGroupFailsNamingThePullRequestsThatDidNotPass(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", templatePolicy)
	// Pull request 3 is ahead of 2 in the group (a merge commit brings its
	// head in) and was never checked; 4 is open into master but not in the
	// group.
	third, fourth := strings.Repeat("3", 40), strings.Repeat("4", 40)
	for n, sha := range map[int]string{3: third, 4: fourth} {
		h.fake.AddPullRequest(owner, repoName, githubfake.PullRequest{Number: n, Title: "t", Body: "b",
			HeadRef: fmt.Sprint("f", n), HeadSHA: sha, BaseRef: "master", Author: owner, Files: []string{"README.md"}})
	}
	h.fake.SetCompare(owner, repoName, groupBase, groupHead, third, strings.Repeat("a", 40), groupHead)
	h.start(t, nil)
	h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", nil))
	waitFor(t, "the pull request's failing check", func() bool { r := h.runsOn(headSHA); return len(r) == 1 && r[0].Conclusion == "failure" })

	h.sendAll(t, "merge_group", mergeGroupPayload(t, "checks_requested"), 3)
	waitFor(t, "the deliveries to finish", func() bool { return h.deliveriesDone(t) == 4 })
	waitFor(t, "the group's jobs to finish", func() bool {
		n := h.jobsOfKind(t, "merge_group", "")
		return n > 0 && n == h.jobsOfKind(t, "merge_group", "completed")
	})
	runs := h.runsOn(groupHead)
	if len(runs) != 1 {
		t.Fatalf("%d check runs on the group's head, want 1: %+v", len(runs), runs)
	}
	r := runs[0]
	if r.Conclusion != "failure" || r.Title != "Merge group: #2, #3 did not pass the review policy" {
		t.Errorf("group check = %s %q", r.Conclusion, r.Title)
	}
	for _, want := range []string{"#2 did not pass: failure", "#3 has no review-policy check run"} {
		if !strings.Contains(r.Summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, r.Summary)
		}
	}
	if strings.Contains(r.Summary, "#4") {
		t.Errorf("pull request 4 is not in the group:\n%s", r.Summary)
	}
}

// TestEventsAPIBudget keeps what a policy push and a merge group cost at or
// below docs/api-budget.md, as TestAPIBudget does for pull-request events.
func TestEventsAPIBudget(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", budgetPolicy)
	h.fake.SetFile(owner, repoName, "master", ".github/pull_request_template.md", "## Summary\n\n## Testing\n")
	h.fake.AddTeam(owner, "writers", "alice", "bob")
	h.start(t, nil)
	h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", nil))
	h.settle(t)

	check := func(name string, from, maxCalls, maxCharge int) {
		t.Helper()
		got := h.cost(t, from)
		t.Logf("%s: %d calls, %d charged\n%s", name, got.calls, got.charged, h.callList(from))
		if got.calls > maxCalls || got.charged > maxCharge {
			t.Errorf("%s cost %d calls (%d charged), budget %d (%d): see docs/api-budget.md\n%s",
				name, got.calls, got.charged, maxCalls, maxCharge, h.callList(from))
		}
	}
	from := len(h.fake.Calls())
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", budgetPolicy+"# reviewed by the leads\n")
	h.send(t, "push", "", pushPayload(t, repoName, "master", ".github/review-policy.yml"))
	h.settle(t)
	check("push changing the policy, one open pull request", from, 5, 5)

	h.fake.SetCompare(owner, repoName, groupBase, groupHead, groupHead)
	from = len(h.fake.Calls())
	h.send(t, "merge_group", "", mergeGroupPayload(t, "checks_requested"))
	waitFor(t, "the group's check", func() bool { return h.jobsOfKind(t, "merge_group", "completed") == 1 })
	check("merge_group checks_requested, one pull request", from, 4, 3)
}

// A push to a busy branch starts at most 2 evaluations a second and at most
// 200 in all.
func TestPushSpreadsAndCapsItsEvaluations(t *testing.T) {
	t.Parallel()
	h := setup(t)
	for n := 3; n < 3+205; n++ {
		h.fake.AddPullRequest(owner, repoName, githubfake.PullRequest{Number: n, Title: "t", Body: "b",
			HeadRef: fmt.Sprint("f", n), HeadSHA: fmt.Sprintf("%040x", n), BaseRef: "master", Author: owner})
	}
	h.start(t, nil)
	h.send(t, "push", "", pushPayload(t, repoName, "master", ".github/review-policy.yml"))
	waitFor(t, "the push to be handled", func() bool { return h.deliveriesDone(t) == 1 })
	times := h.scheduledTimes(t, "evaluate")
	if len(times) != 200 {
		t.Fatalf("%d evaluate jobs for 206 open pull requests, want the cap of 200", len(times))
	}
	for i := 2; i < len(times); i++ {
		if gap := times[i].Sub(times[i-2]); gap < 900*time.Millisecond {
			t.Fatalf("evaluations %d and %d are scheduled %v apart: more than 2 a second", i-2, i, gap)
		}
	}
	if span := times[len(times)-1].Sub(times[0]); span > 101*time.Second {
		t.Errorf("the evaluations span %v, want about 100 s", span)
	}
}

// scheduledTimes lists when the jobs of a kind are (or were) due, earliest first.
func (h *harness) scheduledTimes(t *testing.T, kind string) []time.Time {
	t.Helper()
	db, err := sql.Open("sqlite", sqliteTestDSN(h.dbURL))
	must(t, err)
	defer db.Close()
	rows, err := db.Query(`SELECT scheduled_at FROM river_job WHERE kind = $1 ORDER BY scheduled_at`, kind)
	must(t, err)
	defer rows.Close()
	var out []time.Time
	for rows.Next() {
		var s string
		must(t, rows.Scan(&s))
		ts, err := time.Parse("2006-01-02 15:04:05.999999999-07:00", s)
		if err != nil {
			ts, err = time.Parse(time.RFC3339Nano, s)
		}
		must(t, err)
		out = append(out, ts)
	}
	must(t, rows.Err())
	return out
}
