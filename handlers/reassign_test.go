package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/reviewpolicy/reviewpolicy/internal/githubfake"
)

const reassignPolicy = `version: 1
reviewers:
  reassign_after: 2h
  rules:
    - {name: any, paths: ["**"], reviewers: [bob, carol, dave]}
sla:
  first_review: 24h
  working_hours: {timezone: UTC, start: "09:00", end: "17:00"}
`

type reassignHarness struct {
	app  *App
	fake *githubfake.Fake
	mu   sync.Mutex
	now  time.Time
	ref  repoRef
}

func newReassignHarness(t *testing.T) *reassignHarness {
	t.Helper()
	h := &reassignHarness{fake: githubfake.New(t), now: time.Date(2025, 3, 7, 16, 0, 0, 0, time.UTC)} // a Friday
	h.fake.AddRepo(slaOwner, slaRepo, slaRepoID, "main")
	h.fake.AddInstallation(slaInst, slaOwner)
	h.fake.SetFile(slaOwner, slaRepo, "main", ".github/review-policy.yml", reassignPolicy)
	h.fake.AddPullRequest(slaOwner, slaRepo, githubfake.PullRequest{Number: slaNumber, Title: "Add things", HeadRef: "feat",
		HeadSHA: "0123456789abcdef0123456789abcdef01234567", BaseRef: "main", Author: "alice", Files: []string{"svc/a.go"}, State: "open"})
	h.fake.RequestReviewers(slaOwner, slaRepo, slaNumber, "erin") // a person asked erin
	h.app = newTestApp(t, h.fake, h.clock)
	h.ref = repoRef{Installation: slaInst, RepoID: slaRepoID, Owner: slaOwner, Repo: slaRepo, Number: slaNumber}
	return h
}

func (h *reassignHarness) clock() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.now
}

func (h *reassignHarness) set(t time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.now = t
}

func (h *reassignHarness) evaluate(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	if err := h.app.requestEvaluation(ctx, h.ref); err != nil {
		t.Fatal(err)
	}
	if err := runEvaluations(ctx, h.app); err != nil {
		t.Fatal(err)
	}
}

// fire runs the reassignment timer of login once, then the evaluations it asked for.
func (h *reassignHarness) fire(t *testing.T, login string) error {
	t.Helper()
	if err := h.work(login); err != nil {
		return err
	}
	return runEvaluations(context.Background(), h.app)
}

// work runs the reassignment timer of login once.
func (h *reassignHarness) work(login string) error {
	w := &reassignWorker{app: h.app}
	job := &river.Job[reassignArgs]{JobRow: &rivertype.JobRow{ID: 1, Attempt: 1, Kind: reassignArgs{}.Kind()},
		Args: reassignArgs{Installation: slaInst, RepoID: slaRepoID, Owner: slaOwner, Repo: slaRepo, Number: slaNumber, Login: login}}
	return w.Work(context.Background(), job)
}

func (h *reassignHarness) withdrawals(t *testing.T) [][]string {
	var out [][]string
	for _, c := range h.fake.Calls() {
		if c.Method == http.MethodDelete && strings.HasSuffix(c.Path, "/requested_reviewers") {
			var body struct{ Reviewers []string }
			if err := json.Unmarshal(c.Body, &body); err != nil {
				t.Fatal(err)
			}
			out = append(out, body.Reviewers)
		}
	}
	return out
}

// A reviewer the app asked on Friday 16:00 who stays silent for 2 working
// hours (16:00-17:00, then Monday 09:00-10:00) is replaced on Monday at
// 10:00: the app asks the next candidate and withdraws only its own
// request, never the one a person made.
func TestReassignAfterWorkingTimeWithdrawsOnlyTheAppsRequest(t *testing.T) {
	t.Parallel()
	h := newReassignHarness(t)
	h.evaluate(t)
	if users, _ := h.fake.RequestedReviewers(slaOwner, slaRepo, slaNumber); !slices.Equal(slices.Sorted(slices.Values(users)), []string{"bob", "erin"}) {
		t.Fatalf("requested %v, want erin (a person's) and bob (the app's)", users)
	}
	var scheduled int
	if err := h.app.Store.DB.QueryRow(`SELECT COUNT(*) FROM river_job WHERE kind = 'reassign_timer' AND scheduled_at >= $1`,
		time.Date(2025, 3, 10, 10, 0, 0, 0, time.UTC).Format("2006-01-02 15:04:05")).Scan(&scheduled); err != nil {
		t.Fatal(err)
	}
	if scheduled != 1 {
		t.Errorf("%d reassignment timers scheduled for Monday 10:00, want 1", scheduled)
	}

	// Friday 18:00: four wall-clock hours, one working hour. Not yet.
	h.set(time.Date(2025, 3, 7, 18, 0, 0, 0, time.UTC))
	if err := h.fire(t, "bob"); !isSnooze(err) {
		t.Fatalf("timer on Friday evening: %v, want a snooze until Monday", err)
	}
	if w := h.withdrawals(t); len(w) != 0 {
		t.Fatalf("withdrew %v before the time", w)
	}

	// Monday 10:00: due. Two timer runs at once withdraw bob, once or
	// twice but only bob, and carol is asked once.
	h.set(time.Date(2025, 3, 10, 10, 0, 1, 0, time.UTC))
	atOnce(2, func() {
		if err := h.work("bob"); err != nil {
			t.Error(err)
		}
	})
	if err := runEvaluations(context.Background(), h.app); err != nil {
		t.Fatal(err)
	}
	for _, w := range h.withdrawals(t) {
		if !slices.Equal(w, []string{"bob"}) {
			t.Errorf("withdrew %v; only bob's request is the app's", w)
		}
	}
	users, _ := h.fake.RequestedReviewers(slaOwner, slaRepo, slaNumber)
	if !slices.Equal(slices.Sorted(slices.Values(users)), []string{"carol", "erin"}) {
		t.Errorf("requested %v, want erin kept and carol asked", users)
	}
	runs := h.fake.CheckRuns(slaOwner, slaRepo)
	if !strings.Contains(runs[0].Summary, "🔁 bob did not respond within 2h of working time") {
		t.Errorf("the check does not say so:\n%s", runs[0].Summary)
	}
	if cs := h.fake.Comments(slaOwner, slaRepo, slaNumber); len(cs) != 1 || !strings.Contains(cs[0].Body, "🔁 bob did not respond") {
		t.Errorf("the sticky comment does not say so: %+v", cs)
	}

	// bob is never asked again, and carol, who reviews, is not replaced.
	h.fake.AddReview(slaOwner, slaRepo, slaNumber, "carol", "COMMENTED")
	h.set(time.Date(2025, 3, 10, 13, 0, 0, 0, time.UTC))
	if err := h.fire(t, "carol"); err != nil {
		t.Fatal(err)
	}
	h.evaluate(t)
	if n := len(h.withdrawals(t)); n > 2 {
		t.Errorf("%d withdrawals, want bob's only", n)
	}
	if req, _, _ := h.app.Store.AppRequestOf(context.Background(), slaRepoID, slaNumber, "carol"); !req.Open {
		t.Errorf("carol's request was withdrawn although she reviewed")
	}
	var bobAsked int
	for _, c := range h.fake.Calls() {
		if c.Method == http.MethodPost && strings.HasSuffix(c.Path, "/requested_reviewers") && strings.Contains(string(c.Body), `"bob"`) {
			bobAsked++
		}
	}
	if bobAsked != 1 {
		t.Errorf("bob asked %d times, want once", bobAsked)
	}
}

// A request the app made on Friday 16:00, before the policy set
// reassign_after, gets its timer from the first evaluations under the new
// setting, counted from the request in working hours (Monday 10:00), once
// however many of them run at once.
func TestReassignTimerForARequestMadeBefore(t *testing.T) {
	t.Parallel()
	h := newReassignHarness(t)
	h.fake.SetFile(slaOwner, slaRepo, "main", ".github/review-policy.yml", strings.Replace(reassignPolicy, "  reassign_after: 2h\n", "", 1))
	h.evaluate(t)
	timers := func(where string, args ...any) int {
		t.Helper()
		var n int
		if err := h.app.Store.DB.QueryRow(`SELECT COUNT(*) FROM river_job WHERE kind = 'reassign_timer'`+where, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if users, _ := h.fake.RequestedReviewers(slaOwner, slaRepo, slaNumber); !slices.Contains(users, "bob") || timers("") != 0 {
		t.Fatalf("requested %v with %d timers; want bob asked by the app, no timer", users, timers(""))
	}

	h.fake.SetFile(slaOwner, slaRepo, "main", ".github/review-policy.yml", reassignPolicy)
	h.set(time.Date(2025, 3, 10, 9, 30, 0, 0, time.UTC))
	atOnce(3, func() {
		if err := h.app.requestEvaluation(context.Background(), h.ref); err != nil {
			t.Error(err)
		}
		// Another runner holding the pull request's lease snoozes this one.
		if err := runEvaluations(context.Background(), h.app); err != nil && !isSnooze(err) {
			t.Error(err)
		}
	})
	h.evaluate(t)
	monday10 := time.Date(2025, 3, 10, 10, 0, 0, 0, time.UTC).Format("2006-01-02 15:04:05")
	if all, due := timers(""), timers(` AND scheduled_at >= $1 AND scheduled_at < $2`, monday10,
		time.Date(2025, 3, 10, 10, 0, 1, 0, time.UTC).Format("2006-01-02 15:04:05")); all != 1 || due != 1 {
		t.Errorf("%d timers, %d due Monday 10:00; want one, due then", all, due)
	}
	h.set(time.Date(2025, 3, 10, 10, 0, 1, 0, time.UTC))
	if err := h.fire(t, "bob"); err != nil {
		t.Fatal(err)
	}
	if w := h.withdrawals(t); len(w) != 1 || !slices.Equal(w[0], []string{"bob"}) {
		t.Errorf("withdrew %v, want bob's request", w)
	}
}

// atOnce runs fn n times concurrently and waits for them.
func atOnce(n int, fn func()) {
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() { defer wg.Done(); fn() }()
	}
	wg.Wait()
}
