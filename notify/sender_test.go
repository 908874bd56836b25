package notify

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/reviewpolicy/reviewpolicy/internal/slackfake"
	"github.com/reviewpolicy/reviewpolicy/policy"
	"github.com/reviewpolicy/reviewpolicy/store"
)

const testPolicy = `version: 1
sla:
  first_review: 8h
  escalate_to: [dave, "@acme/leads"]
notify:
  slack: {channel: C1LEADS}
people:
  alice: {slack: U1ALICE, timezone: Europe/Berlin}
  dave: {slack: U4DAVE}
`

func testPR() PR {
	return PR{Installation: 1, RepoID: 7, Owner: "acme", Repo: "api", Number: 12,
		Title: "Fix <!channel> & <@U9X|x>", Author: "erin", URL: "https://github.com/acme/api/pull/12",
		Files: 3, Additions: 40, Deletions: 2}
}

func mustPolicy(t testing.TB, src string) *policy.Policy {
	t.Helper()
	p, err := policy.Parse("p.yml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func enqueue(t testing.TB, st *store.Store, p Plan, now time.Time) {
	t.Helper()
	if _, err := st.EnqueueOutbox(context.Background(), p.Messages, now); err != nil {
		t.Fatal(err)
	}
}

func drain(t testing.TB, s *Sender) {
	t.Helper()
	for {
		n, err := s.SendDue(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

func TestRequestBreachThenReviewedEditsInPlace(t *testing.T) {
	t.Parallel()
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			st := openStore(t, dbURL(t, engine))
			f := slackfake.New(t)
			f.AddUser("U1ALICE")
			f.AddUser("U4DAVE")
			f.AddChannel("C1LEADS", "leads", true)
			c := &clock{now: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
			pol := mustPolicy(t, testPolicy)
			pl := Planner{Slack: true}
			deadline := c.Now().Add(8 * time.Hour)
			req := pl.ReviewRequested(testPR(), pol, []string{"alice", "bob"}, 1, deadline, c.Now())
			if len(req.Messages) != 2 || req.Messages[1].State != store.OutboxFailed || len(req.Problems) != 1 ||
				req.Problems[0] != "bob has no Slack ID in people" {
				t.Fatalf("plan: %+v", req)
			}
			enqueue(t, st, req, c.Now())
			enqueue(t, st, req, c.Now()) // a redelivery: nothing new
			s := newSender(st, f, c)
			reg := prometheus.NewRegistry()
			s.Metrics = NewMetrics(reg, func() (float64, float64) { return 0, 0 })
			drain(t, s)
			dm := f.DMs("U1ALICE")
			if len(dm) != 1 || !strings.Contains(dm[0].Text, "Review requested") ||
				!strings.Contains(dm[0].Text, "Mon 2 Mar 19:00 CET") || !strings.Contains(dm[0].Text, "+40 −2") {
				t.Fatalf("alice's DMs: %+v", dm)
			}
			if strings.Contains(dm[0].Text, "<!channel>") || strings.Contains(dm[0].Text, "<@U9X") ||
				!strings.Contains(dm[0].Text, "&lt;!channel&gt; &amp;") {
				t.Errorf("the title is not inert: %s", dm[0].Text)
			}
			c.Add(8 * time.Hour)
			enqueue(t, st, pl.Breach(testPR(), pol, []string{"alice"}, 1, c.Now()), c.Now())
			drain(t, s)
			posts := f.Messages("C1LEADS")
			if len(posts) != 1 || !strings.Contains(posts[0].Text, "Review overdue") ||
				!strings.Contains(posts[0].Text, "<@U1ALICE>") || !strings.Contains(posts[0].Text, "<@U4DAVE>") ||
				!strings.Contains(posts[0].Text, "acme/leads") {
				t.Fatalf("channel: %+v", posts)
			}
			if d := f.DMs("U4DAVE"); len(d) != 1 || !strings.Contains(d[0].Text, "Review overdue") {
				t.Errorf("dave (escalate_to) was not told: %+v", d)
			}
			c.Add(time.Hour)
			enqueue(t, st, pl.Reviewed(testPR(), pol, "alice", 9*time.Hour, 2, c.Now()), c.Now())
			drain(t, s)
			for _, m := range append(f.DMs("U1ALICE"), append(f.Messages("C1LEADS"), f.DMs("U4DAVE")...)...) {
				if !m.Edited || !strings.Contains(m.Text, "Reviewed by alice after 9h") {
					t.Errorf("not edited to say who reviewed: %+v", m)
				}
			}
			if n := len(f.Messages("C1LEADS")); n != 1 {
				t.Errorf("%d channel posts after the review, want the one edited", n)
			}
			if got := testutil.ToFloat64(s.Metrics.Messages.WithLabelValues(KindReviewRequested, "slack_dm", "sent")); got != 1 {
				t.Errorf("sent DMs counted %v, want 1", got)
			}
		})
	}
}

// A 429 makes the message wait Retry-After (every replica: the store
// defers the destination), then it goes once; a 500 is retried with
// backoff.
func TestRateLimitAndTransientErrors(t *testing.T) {
	t.Parallel()
	st := openStore(t, dbURL(t, store.DialectSQLite))
	f := slackfake.New(t)
	f.AddChannel("C1LEADS", "leads", true)
	c := &clock{now: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
	pol := mustPolicy(t, testPolicy)
	enqueue(t, st, Planner{Slack: true}.Breach(testPR(), pol, []string{"alice"}, 1, c.Now()), c.Now())
	s := newSender(st, f, c)
	f.RateLimitNext("chat.postMessage", 30)
	drain(t, s)
	if n := len(f.Messages("C1LEADS")); n != 0 {
		t.Fatalf("posted %d despite the 429", n)
	}
	c.Add(29 * time.Second)
	drain(t, s)
	if n := len(f.Messages("C1LEADS")); n != 0 {
		t.Fatal("posted before Retry-After ended")
	}
	c.Add(time.Second)
	f.FailNext("chat.postMessage", "internal_error")
	drain(t, s)
	c.Add(4 * time.Second)
	drain(t, s)
	if n := len(f.Messages("C1LEADS")); n != 0 {
		t.Fatal("retried before the backoff")
	}
	c.Add(time.Second)
	drain(t, s)
	c.Add(time.Hour)
	drain(t, s)
	if n := len(f.Messages("C1LEADS")); n != 1 {
		t.Fatalf("%d posts after the 429 and the 500, want 1", n)
	}
	all, _ := st.OutboxOf(context.Background(), 7, 12)
	if len(all) != 2 || all[0].State != store.OutboxSent || all[0].Attempts != 3 {
		t.Errorf("outbox: %+v", all)
	}
}

func TestRefusalsFailOnceAndAreReported(t *testing.T) {
	t.Parallel()
	st := openStore(t, dbURL(t, store.DialectSQLite))
	f := slackfake.New(t) // no channel C1LEADS, no user U4DAVE
	c := &clock{now: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
	pol := mustPolicy(t, testPolicy)
	enqueue(t, st, Planner{Slack: true}.Breach(testPR(), pol, nil, 1, c.Now()), c.Now())
	s := newSender(st, f, c)
	s.Metrics = NewMetrics(prometheus.NewRegistry(), func() (float64, float64) { return 0, 0 })
	var mu sync.Mutex
	var reasons []string
	s.OnFailure = func(_ context.Context, m store.OutboxMessage, why string) {
		mu.Lock()
		reasons = append(reasons, m.Dest+" "+why)
		mu.Unlock()
	}
	drain(t, s)
	c.Add(time.Hour)
	drain(t, s)
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(reasons, ";") != "slack:C1LEADS channel_not_found;slack:U4DAVE user_not_found" {
		t.Errorf("failures: %q", reasons)
	}
	if got := testutil.ToFloat64(s.Metrics.Failures.WithLabelValues(KindBreach, "slack_channel", "channel_not_found")); got != 1 {
		t.Errorf("channel_not_found counted %v", got)
	}
}

// Three replicas send one outbox at once: each message reaches Slack
// once. A sender that died holding messages leaves them to the others
// when its lease ends.
func TestReplicasAndACrashSendEachMessageOnce(t *testing.T) {
	t.Parallel()
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			url := dbURL(t, engine)
			f := slackfake.New(t)
			c := &clock{now: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
			pol := mustPolicy(t, testPolicy)
			first := openStore(t, url)
			const prs = 30
			for i := range prs {
				pr := testPR()
				pr.Number = i + 1
				enqueue(t, first, Planner{Slack: true}.ReviewRequested(pr, pol, []string{"alice"}, 1, time.Time{}, c.Now()), c.Now())
			}
			f.AddUser("U1ALICE")
			// The dead sender leased five and never reported.
			if got, err := first.ClaimOutbox(context.Background(), "dead", c.Now(), DefaultLease, 5); err != nil || len(got) != 5 {
				t.Fatalf("dead claim: %d, %v", len(got), err)
			}
			var wg sync.WaitGroup
			var sent atomic.Int64
			for r := range 3 {
				st := first
				if r > 0 {
					st = openStore(t, url)
				}
				s := newSender(st, f, c)
				s.ChannelGap = -1 // one DM channel and a frozen clock; pacing is tested elsewhere
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range 50 {
						n, err := s.SendDue(context.Background())
						if err != nil {
							t.Error(err)
							return
						}
						sent.Add(int64(n))
						if n == 0 {
							return
						}
					}
				}()
			}
			wg.Wait()
			if n := len(f.DMs("U1ALICE")); n != prs-5 {
				t.Fatalf("%d DMs before the dead lease ended, want %d", n, prs-5)
			}
			c.Add(DefaultLease + time.Second)
			last := newSender(first, f, c)
			last.ChannelGap = -1
			drain(t, last)
			if n := len(f.DMs("U1ALICE")); n != prs {
				t.Errorf("%d DMs in all, want %d (each once)", n, prs)
			}
			seen := map[string]bool{}
			for _, m := range f.DMs("U1ALICE") {
				if seen[m.Text] {
					t.Errorf("sent twice: %s", m.Text)
				}
				seen[m.Text] = true
			}
		})
	}
}

// Posts into one channel keep ChannelGap apart; the rest wait, none is lost.
func TestChannelPacing(t *testing.T) {
	t.Parallel()
	st := openStore(t, dbURL(t, store.DialectSQLite))
	f := slackfake.New(t)
	f.AddChannel("C1LEADS", "leads", true)
	f.PerChannelPerSecond = 1
	c := &clock{now: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
	f.SetClock(c.Now)
	pol := mustPolicy(t, "version: 1\nsla: {}\nnotify: {slack: {channel: C1LEADS}}\n")
	for i := range 3 {
		pr := testPR()
		pr.Number = i + 1
		enqueue(t, st, Planner{Slack: true}.Breach(pr, pol, nil, 1, c.Now()), c.Now())
	}
	s := newSender(st, f, c)
	for i := 1; i <= 3; i++ {
		drain(t, s)
		if n := len(f.Messages("C1LEADS")); n != i {
			t.Fatalf("after %d s: %d posts, want %d", i-1, n, i)
		}
		c.Add(time.Second)
	}
	for _, call := range f.Calls() {
		if call.Status == http.StatusTooManyRequests {
			t.Error("Slack had to rate-limit the app")
		}
	}
}

// A breach reaches Teams as an Adaptive Card, and its review as one
// follow-up card.
func TestTeamsWebhookGetsAnAdaptiveCard(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var bodies []string
	teams := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := r.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		mu.Lock()
		bodies = append(bodies, b.String())
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	defer teams.Close()
	st := openStore(t, dbURL(t, store.DialectSQLite))
	c := &clock{now: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
	pol := mustPolicy(t, "version: 1\nsla: {}\nnotify: {teams: backend-leads}\n")
	p := Planner{Teams: map[string]bool{"backend-leads": true}}.Breach(testPR(), pol, []string{"alice"}, 1, c.Now())
	if len(p.Messages) != 1 || len(p.Problems) != 0 {
		t.Fatalf("plan: %+v", p)
	}
	enqueue(t, st, p, c.Now())
	s := &Sender{Store: st, Now: c.Now, Teams: map[string]string{"backend-leads": teams.URL}}
	drain(t, s)
	mu.Lock()
	defer mu.Unlock()
	if len(bodies) != 1 || !strings.Contains(bodies[0], `"contentType":"application/vnd.microsoft.card.adaptive"`) ||
		!strings.Contains(bodies[0], "Review overdue") || !strings.Contains(bodies[0], `"type":"AdaptiveCard"`) {
		t.Errorf("teams got %q", bodies)
	}
	mu.Unlock()
	// The review: Teams posts cannot be edited, so one follow-up card goes
	// to the same webhook, once, though the update runs twice (a retry, a
	// second replica) and two senders drain at once.
	pl := Planner{Teams: map[string]bool{"backend-leads": true}}
	for gen := range 2 {
		enqueue(t, st, pl.Reviewed(testPR(), pol, "bob", 3*time.Hour, gen+1, c.Now()), c.Now())
	}
	other := &Sender{Store: st, Now: c.Now, Teams: s.Teams}
	var wg sync.WaitGroup
	for _, snd := range []*Sender{s, other} {
		wg.Add(1)
		go func() { defer wg.Done(); drain(t, snd) }()
	}
	wg.Wait()
	c.Add(2 * time.Second) // past the webhook's pacing
	drain(t, s)
	mu.Lock()
	if len(bodies) != 2 || !strings.Contains(bodies[1], "Overdue review done") || !strings.Contains(bodies[1], `"value":"bob"`) ||
		!strings.Contains(bodies[1], "3h; it was overdue") {
		t.Errorf("after the review teams got %d posts:\n%s", len(bodies), strings.Join(bodies, "\n"))
	}
	missing := Planner{Slack: true}.Breach(testPR(), pol, nil, 1, c.Now())
	if len(missing.Problems) != 1 || !strings.Contains(missing.Problems[0], "backend-leads is not in the server's configuration") {
		t.Errorf("unconfigured webhook: %+v", missing)
	}
}

func TestQuietHoursWaitForThePersonsMorning(t *testing.T) {
	t.Parallel()
	pol := mustPolicy(t, `version: 1
sla:
  working_hours: {timezone: Europe/Berlin, start: "09:00", end: "17:00"}
notify: {}
people:
  alice: {slack: U1ALICE, timezone: America/Los_Angeles}
  bob: {slack: U2BOB}
`)
	// Monday 20:00 in Berlin: 11:00 in Los Angeles.
	now := time.Date(2026, 3, 2, 19, 0, 0, 0, time.UTC)
	p := Planner{Slack: true}.ReviewRequested(testPR(), pol, []string{"alice", "bob"}, 1, time.Time{}, now)
	due := map[string]time.Time{}
	for _, m := range p.Messages {
		due[m.Person] = m.DueAt
	}
	if !due["alice"].Equal(now) {
		t.Errorf("alice (working now in Los Angeles) waits until %s", due["alice"])
	}
	if want := time.Date(2026, 3, 3, 8, 0, 0, 0, time.UTC); !due["bob"].Equal(want) {
		t.Errorf("bob (Berlin, after hours) due %s, want Tuesday 09:00 CET (%s)", due["bob"], want)
	}
	// A breach goes to the channel at once even at night.
	pol.Notify.SlackChannel = "C1LEADS"
	b := Planner{Slack: true}.Breach(testPR(), pol, nil, 1, now.Add(8*time.Hour))
	if len(b.Messages) != 1 || !b.Messages[0].DueAt.Equal(now.Add(8*time.Hour)) {
		t.Errorf("breach: %+v", b.Messages)
	}
}

func TestEventsAndTransportsOff(t *testing.T) {
	t.Parallel()
	now := time.Now()
	pol := mustPolicy(t, testPolicy+"")
	if p := (Planner{}).ReviewRequested(testPR(), pol, []string{"alice"}, 1, time.Time{}, now); len(p.Messages)+len(p.Problems) != 0 {
		t.Errorf("no transport configured, yet: %+v", p)
	}
	pol.Notify.Events = map[string]bool{KindBreach: true}
	if p := (Planner{Slack: true}).ReviewRequested(testPR(), pol, []string{"alice"}, 1, time.Time{}, now); len(p.Messages) != 0 {
		t.Errorf("review_requested is off, yet: %+v", p)
	}
	pol.Notify = nil
	if p := (Planner{Slack: true}).Breach(testPR(), pol, []string{"alice"}, 1, now); len(p.Messages) != 0 {
		t.Errorf("no notify area, yet: %+v", p)
	}
	_ = fmt.Sprint()
}

// A DM held for the morning is not sent before, and is sent once then.
func TestHeldDMGoesWhenTheWindowOpens(t *testing.T) {
	t.Parallel()
	st := openStore(t, dbURL(t, store.DialectSQLite))
	f := slackfake.New(t)
	f.AddUser("U2BOB")
	pol := mustPolicy(t, `version: 1
sla:
  working_hours: {timezone: Europe/Berlin, start: "09:00", end: "17:00"}
notify: {}
people:
  bob: {slack: U2BOB}
`)
	c := &clock{now: time.Date(2026, 3, 2, 23, 0, 0, 0, time.UTC)} // Tuesday 00:00 in Berlin
	enqueue(t, st, Planner{Slack: true}.ReviewRequested(testPR(), pol, []string{"bob"}, 0, time.Time{}, c.Now()), c.Now())
	s := newSender(st, f, c)
	for range 8 { // through the night, hour by hour
		drain(t, s)
		if n := len(f.DMs("U2BOB")); n != 0 {
			t.Fatalf("bob got a DM at %s", c.Now().In(pol.SLA.WorkingHours.Location))
		}
		c.Add(time.Hour)
	}
	c.Add(time.Hour) // 09:00 in Berlin
	drain(t, s)
	drain(t, s)
	if n := len(f.DMs("U2BOB")); n != 1 {
		t.Errorf("bob got %d DMs at 09:00, want 1", n)
	}
}
