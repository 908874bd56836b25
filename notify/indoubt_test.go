package notify

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/slack-go/slack"

	"github.com/reviewpolicy/reviewpolicy/internal/slackfake"
	"github.com/reviewpolicy/reviewpolicy/store"
)

// dieAfterPost lets a chat.postMessage reach Slack, then closes the
// sender's store before the answer comes back: the process died after
// Slack accepted the post and before anything recorded it.
type dieAfterPost struct {
	st   *store.Store
	died bool
}

func (d *dieAfterPost) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if strings.HasSuffix(r.URL.Path, "/chat.postMessage") && !d.died {
		d.died = true
		d.st.Close()
	}
	return resp, err
}

// A sender dies after Slack accepted its post. The next sender, once the
// lease has run out, finds the post in the conversation by the outbox key
// in its metadata, records its ts and sends nothing: one message, which
// the review then edits in place. For a DM and a channel post, on both
// engines.
func TestPostInDoubtIsLookedUpNotSentAgain(t *testing.T) {
	t.Parallel()
	eachEngine(t, []string{"dm", "channel"}, func(t *testing.T, engine, where string) {
		f, url, c, channel := inDoubtSetup(t, engine, where)
		f.SetScopes("chat:write", "im:write", "im:history", "channels:history")
		other := openStore(t, url)
		next := newSender(other, f, c)
		next.History = HistoryScopes{DMs: true, Channels: true}
		drain(t, next)
		msgs := f.Messages(channel)
		if len(msgs) != 1 {
			t.Fatalf("%d messages in %s, want 1: %+v", len(msgs), channel, msgs)
		}
		rec := recorded(t, other)
		if rec.State != store.OutboxSent || rec.SentTS != msgs[0].TS || rec.SentChannel != channel {
			t.Fatalf("recorded %s at %s/%s; the message is %s/%s", rec.State, rec.SentChannel, rec.SentTS, channel, msgs[0].TS)
		}
		if n := countCalls(f, "conversations.history"); n != 1 {
			t.Errorf("%d history look-ups, want 1", n)
		}
		enqueue(t, other, Planner{Slack: true}.Reviewed(testPR(), mustPolicy(t, testPolicy), "bob", 3*time.Hour, 1, c.Now()), c.Now())
		drain(t, next)
		if got := f.Messages(channel)[0]; !got.Edited || !strings.Contains(got.Text, "Reviewed by bob") {
			t.Errorf("after the review the message is %+v", got)
		}
	})
}

// Without the history scope a post in doubt cannot be looked up: it is
// sent again (at least once), and counted.
func TestPostInDoubtWithoutHistoryScopeIsSentAgainAndCounted(t *testing.T) {
	t.Parallel()
	eachEngine(t, []string{"dm"}, func(t *testing.T, engine, where string) {
		f, url, c, channel := inDoubtSetup(t, engine, where)
		next := newSender(openStore(t, url), f, c)
		next.Metrics = NewMetrics(prometheus.NewRegistry(), func() (float64, float64) { return 0, 0 })
		drain(t, next)
		if n := len(f.Messages(channel)); n != 2 {
			t.Fatalf("%d messages, want 2 (sent again)", n)
		}
		if n := countCalls(f, "conversations.history"); n != 0 {
			t.Errorf("%d history look-ups without the scope", n)
		}
		got := testutil.ToFloat64(next.Metrics.Messages.WithLabelValues(KindReviewRequested, "slack_dm", "resent_unverified"))
		if got != 1 {
			t.Errorf("resent_unverified = %v, want 1", got)
		}
	})
}

// eachEngine runs f in parallel subtests, for each engine and variant.
func eachEngine(t *testing.T, variants []string, f func(t *testing.T, engine, variant string)) {
	for _, engine := range engines {
		for _, v := range variants {
			t.Run(engine+"/"+v, func(t *testing.T) {
				t.Parallel()
				f(t, engine, v)
			})
		}
	}
}

// inDoubtSetup enqueues one message (a DM to alice, or the breach post in
// the leads' channel) and has a sender die after Slack accepted it; the
// clock is then past the dead sender's lease. It returns the channel the
// message landed in.
func inDoubtSetup(t *testing.T, engine, where string) (*slackfake.Fake, string, *clock, string) {
	t.Helper()
	url := dbURL(t, engine)
	f := slackfake.New(t)
	c := &clock{now: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
	f.SetClock(c.Now)
	f.AddUser("U1ALICE")
	f.AddChannel("C1LEADS", "leads", true)
	pol := mustPolicy(t, testPolicy)
	st := openStore(t, url)
	pl := Planner{Slack: true}
	p, channel := pl.ReviewRequested(testPR(), pol, []string{"alice"}, 1, time.Time{}, c.Now()), "D1ALICE"
	if where == "channel" {
		p, channel = pl.Breach(testPR(), pol, nil, 1, c.Now()), "C1LEADS"
		p.Messages = p.Messages[:1] // the channel post; not dave's DM
	}
	enqueue(t, st, p, c.Now())
	dying := openStore(t, url)
	tr := &dieAfterPost{st: dying}
	s := &Sender{Store: dying, Now: c.Now, Slack: slack.New(slackfake.Token, slack.OptionAPIURL(f.URL),
		slack.OptionHTTPClient(&http.Client{Transport: tr}))}
	if _, err := s.SendDue(context.Background()); err != nil && !strings.Contains(err.Error(), "closed") {
		t.Fatal(err)
	}
	if !tr.died || len(f.Messages(channel)) != 1 {
		t.Fatalf("the dying sender posted %d messages", len(f.Messages(channel)))
	}
	c.Add(DefaultLease + time.Second)
	return f, url, c, channel
}

func recorded(t *testing.T, st *store.Store) store.OutboxMessage {
	t.Helper()
	all, err := st.OutboxOf(context.Background(), testPR().RepoID, testPR().Number)
	if err != nil || len(all) == 0 {
		t.Fatalf("outbox: %d, %v", len(all), err)
	}
	return all[0]
}

func countCalls(f *slackfake.Fake, method string) int {
	n := 0
	for _, c := range f.Calls() {
		if c.Method == method {
			n++
		}
	}
	return n
}

// A look-up that fails is retried; the message is not posted meanwhile.
func TestPostInDoubtLookUpFailureIsRetried(t *testing.T) {
	t.Parallel()
	f, url, c, channel := inDoubtSetup(t, store.DialectSQLite, "dm")
	f.SetScopes("chat:write", "im:write", "im:history")
	f.FailNext("conversations.history", "internal_error")
	st := openStore(t, url)
	next := newSender(st, f, c)
	next.History = HistoryScopes{DMs: true}
	drain(t, next)
	if rec := recorded(t, st); rec.State != store.OutboxPending || len(f.Messages(channel)) != 1 {
		t.Fatalf("after a failed look-up: %s, %d messages", rec.State, len(f.Messages(channel)))
	}
	c.Add(10 * time.Minute)
	drain(t, next)
	if rec := recorded(t, st); rec.State != store.OutboxSent || len(f.Messages(channel)) != 1 || rec.SentTS != f.Messages(channel)[0].TS {
		t.Fatalf("after the retry: %+v, %d messages", rec, len(f.Messages(channel)))
	}
}
