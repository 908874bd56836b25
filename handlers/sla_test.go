package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/reviewpolicy/reviewpolicy/internal/githubfake"
	"github.com/reviewpolicy/reviewpolicy/policy/check"
	"github.com/reviewpolicy/reviewpolicy/policy/sla"
	"github.com/reviewpolicy/reviewpolicy/store"
)

const (
	slaOwner   = "acme"
	slaRepo    = "app"
	slaRepoID  = 4711
	slaInst    = 99
	slaNumber  = 7
	slaPolicy  = "version: 1\nsla:\n  first_review: 1h\n  escalate_to: [\"@acme/leads\", frank]\n"
	escalateTo = "/repos/acme/app/pulls/7/requested_reviewers"
)

// slaNow is the harness's clock: the breach fell due an hour ago.
var slaNow = time.Date(2025, 3, 5, 12, 0, 0, 0, time.UTC)

// slaHarness is an App wired to the fake GitHub and a real SQLite store,
// with a running SLA clock (generation 1) whose breach is due. Workers are
// not started: tests call the timer worker's Work as River would.
type slaHarness struct {
	app  *App
	fake *githubfake.Fake
}

func newSLAHarness(t *testing.T, policyYAML string) *slaHarness {
	t.Helper()
	fake := githubfake.New(t)
	fake.AddRepo(slaOwner, slaRepo, slaRepoID, "main")
	fake.AddInstallation(slaInst, slaOwner)
	fake.AddTeam(slaOwner, "leads", "dave", "erin")
	if policyYAML != "" {
		fake.SetFile(slaOwner, slaRepo, "main", ".github/review-policy.yml", policyYAML)
	}
	fake.AddPullRequest(slaOwner, slaRepo, githubfake.PullRequest{Number: slaNumber, Title: "Add things",
		HeadRef: "feat", HeadSHA: "0123456789abcdef0123456789abcdef01234567", Author: "alice", Files: []string{"README.md"}})
	fake.RequestReviewers(slaOwner, slaRepo, slaNumber, "carol")

	app := newTestApp(t, fake, func() time.Time { return slaNow })
	st := app.Store

	clock, _ := sla.Clock{}.Start(slaNow.Add(-2 * time.Hour))
	state, err := json.Marshal(clock)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.PutSLA(context.Background(), store.SLARecord{InstallationID: slaInst, RepoID: slaRepoID, Owner: slaOwner,
		Repo: slaRepo, Number: slaNumber, State: state, Generation: clock.Generation, Waiting: true, UpdatedAt: slaNow}); err != nil {
		t.Fatal(err)
	}
	return &slaHarness{app: app, fake: fake}
}

// fire runs one attempt of the breach timer as job id.
func (h *slaHarness) fire(id int64, attempt int) error { return h.fireEvent("breach", id, attempt) }

// fireEvent runs one attempt of a timer ("remind" or "breach") as job id.
func (h *slaHarness) fireEvent(event string, id int64, attempt int) error {
	w := &slaWorker{app: h.app}
	job := &river.Job[slaTimerArgs]{
		JobRow: &rivertype.JobRow{ID: id, Attempt: attempt, Kind: slaTimerArgs{}.Kind()},
		Args: slaTimerArgs{Installation: slaInst, RepoID: slaRepoID, Owner: slaOwner, Repo: slaRepo,
			Number: slaNumber, Generation: 1, Event: event},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := w.Work(ctx, job); err != nil {
		return err
	}
	// The evaluation the timer asks for runs as its own job.
	return runEvaluations(ctx, h.app)
}

func (h *slaHarness) breaches() float64 {
	return testutil.ToFloat64(h.app.Metrics.SLABreaches.WithLabelValues(slaOwner + "/" + slaRepo))
}

// escalations returns the bodies of the review requests GitHub accepted.
func (h *slaHarness) escalations(t *testing.T) []githubfake.Call {
	t.Helper()
	var out []githubfake.Call
	for _, c := range h.fake.Calls() {
		if c.Method == http.MethodPost && c.Path == escalateTo && c.Status == http.StatusCreated {
			out = append(out, c)
		}
	}
	return out
}

func (h *slaHarness) requested() (users, teams []string) {
	return h.fake.RequestedReviewers(slaOwner, slaRepo, slaNumber)
}

func isSnooze(err error) bool {
	var s *rivertype.JobSnoozeError
	return errors.As(err, &s)
}

func TestSLAEscalationRetriedAfterA502(t *testing.T) {
	t.Parallel()
	h := newSLAHarness(t, slaPolicy)
	h.fake.FailNext(http.MethodPost, escalateTo, http.StatusBadGateway, nil)

	err := h.fire(1, 1)
	if err == nil || isSnooze(err) {
		t.Fatalf("first attempt with GitHub failing: err = %v, want a retryable error", err)
	}
	if users, teams := h.requested(); len(teams) != 0 || slices.Contains(users, "frank") {
		t.Fatalf("leads requested although GitHub failed: %v %v", users, teams)
	}
	if n := h.breaches(); n != 1 {
		t.Errorf("breaches after the failed attempt = %v, want 1", n)
	}

	// River retries the same job: it takes its own lease again and finishes.
	if err := h.fire(1, 2); err != nil {
		t.Fatalf("retry: %v", err)
	}
	users, teams := h.requested()
	if !slices.Equal(teams, []string{"leads"}) || !slices.Equal(users, []string{"carol", "frank"}) {
		t.Errorf("after the retry: users %v, teams %v; want carol and frank, leads", users, teams)
	}
	if n := len(h.escalations(t)); n != 1 {
		t.Errorf("%d accepted escalation requests, want 1", n)
	}
	if n := h.fake.CountCalls(http.MethodPost, escalateTo); n != 2 {
		t.Errorf("%d escalation requests sent, want 2 (the 502, then the retry)", n)
	}

	// A duplicate timer, or another retry, finds the escalation done.
	if err := h.fire(2, 1); err != nil {
		t.Fatalf("duplicate timer: %v", err)
	}
	if n := h.fake.CountCalls(http.MethodPost, escalateTo); n != 2 {
		t.Errorf("the duplicate timer sent a request: %d in all", n)
	}
	if n := h.breaches(); n != 1 {
		t.Errorf("breaches = %v, want 1 per clock generation", n)
	}
	var sticky, mentions []string
	for _, c := range h.fake.Comments(slaOwner, slaRepo, slaNumber) {
		if strings.HasPrefix(c.Body, check.Marker) {
			sticky = append(sticky, c.Body)
		} else if strings.HasPrefix(c.Body, mentionPrefix) {
			mentions = append(mentions, c.Body)
		}
	}
	if len(sticky) != 1 || !strings.Contains(sticky[0], "overdue") {
		t.Errorf("the breach is not in the sticky comment: %q", sticky)
	}
	// The retries and the duplicate timer post one new comment, which
	// notifies the people it mentions.
	if len(mentions) != 1 || !strings.Contains(mentions[0], "overdue") {
		t.Errorf("mention comments: %q, want one about the breach", mentions)
	}
}

// TestSLAEscalationAsksOnlyForMissingLeads: GitHub carried out a request
// whose answer was lost (frank is requested); the retry asks only for
// the team.
func TestSLAEscalationAsksOnlyForMissingLeads(t *testing.T) {
	t.Parallel()
	h := newSLAHarness(t, slaPolicy)
	h.fake.RequestReviewers(slaOwner, slaRepo, slaNumber, "frank")
	if err := h.fire(1, 1); err != nil {
		t.Fatal(err)
	}
	calls := h.escalations(t)
	if len(calls) != 1 {
		t.Fatalf("%d escalation requests, want 1", len(calls))
	}
	var body struct {
		Reviewers     []string `json:"reviewers"`
		TeamReviewers []string `json:"team_reviewers"`
	}
	if err := json.Unmarshal(calls[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	if len(body.Reviewers) != 0 || !slices.Equal(body.TeamReviewers, []string{"leads"}) {
		t.Errorf("escalation asked for %+v, want only the team", body)
	}
}

func TestSLABreachFiredConcurrentlyEscalatesOnce(t *testing.T) {
	t.Parallel()
	for round := range 3 {
		h := newSLAHarness(t, slaPolicy)
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			// Two duplicate timers, each delivered twice (a rescued job
			// running beside its first attempt).
			wg.Go(func() { errs[i] = h.fire(int64(1+i%2), 1+i/2) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil && !isSnooze(err) {
				t.Errorf("round %d: run %d: %v", round, i, err)
			}
		}
		if n := len(h.escalations(t)); n != 1 {
			t.Errorf("round %d: %d accepted escalation requests, want 1", round, n)
		}
		if n := h.breaches(); n != 1 {
			t.Errorf("round %d: breaches = %v, want 1", round, n)
		}
		if _, teams := h.requested(); !slices.Equal(teams, []string{"leads"}) {
			t.Errorf("round %d: teams %v", round, teams)
		}
	}
}

// TestSLATimerFollowsThePolicyInForce: when the timer fires, an SLA that
// is off, removed, or a policy that is gone means nothing happens: no
// breach counted, no escalation, no comment or check run.
func TestSLATimerFollowsThePolicyInForce(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, policy string }{
		{"sla off", slaPolicy + "enforcement: {sla: off}\n"},
		{"sla area removed", "version: 1\nreviewers:\n  rules:\n    - {name: docs, paths: [\"*.md\"], reviewers: [carol]}\n"},
		{"no policy", ""},
		{"invalid policy", "version: 1\nsla: {first_review: soon}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newSLAHarness(t, tt.policy)
			for i, event := range []string{"remind", "breach"} {
				if err := h.fireEvent(event, int64(i+1), 1); err != nil {
					t.Fatalf("Work(%s): %v", event, err)
				}
			}
			if n := h.breaches(); n != 0 {
				t.Errorf("breaches = %v, want 0", n)
			}
			for _, c := range h.fake.Calls() {
				// Reads only; and the installation token.
				if c.Method != http.MethodGet && !strings.HasPrefix(c.Path, "/app/installations/") {
					t.Errorf("wrote to GitHub: %s %s", c.Method, c.Path)
				}
			}
			if users, teams := h.requested(); len(teams) != 0 || !slices.Equal(users, []string{"carol"}) {
				t.Errorf("requested %v %v", users, teams)
			}
		})
	}
}

// TestSLATimerSnoozesWhenThePolicyMovedTheDeadline: the policy in force
// gives more time than the one that scheduled the timer.
func TestSLATimerSnoozesWhenThePolicyMovedTheDeadline(t *testing.T) {
	t.Parallel()
	h := newSLAHarness(t, strings.Replace(slaPolicy, "first_review: 1h", "first_review: 3h", 1))
	err := h.fire(1, 1)
	var s *rivertype.JobSnoozeError
	if !errors.As(err, &s) || s.Duration != time.Hour {
		t.Fatalf("Work = %v, want a snooze of 1h (the deadline is now at 3h)", err)
	}
	if n := h.breaches(); n != 0 || len(h.escalations(t)) != 0 {
		t.Errorf("breaches %v, escalations %d before the new deadline", n, len(h.escalations(t)))
	}
}

// TestSLATimerOnADraftPausesTheClock: the pull request became a draft and
// the event was missed; the timer escalates nothing and the evaluation it
// runs pauses the clock.
func TestSLATimerOnADraftPausesTheClock(t *testing.T) {
	t.Parallel()
	h := newSLAHarness(t, slaPolicy)
	h.fake.AddPullRequest(slaOwner, slaRepo, githubfake.PullRequest{Number: slaNumber, Title: "Add things", Draft: true,
		HeadRef: "feat", HeadSHA: "0123456789abcdef0123456789abcdef01234567", Author: "alice", Files: []string{"README.md"}})
	if err := h.fire(1, 1); err != nil {
		t.Fatal(err)
	}
	if n := h.breaches(); n != 0 || len(h.escalations(t)) != 0 {
		t.Errorf("draft: breaches %v, escalations %d", n, len(h.escalations(t)))
	}
	rec, _, err := h.app.Store.SLA(context.Background(), slaRepoID, slaNumber)
	if err != nil || rec.Waiting || rec.Generation != 2 {
		t.Errorf("clock after the timer on a draft: waiting %v, generation %d, %v; want paused at generation 2", rec.Waiting, rec.Generation, err)
	}
}
