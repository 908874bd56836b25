package notify

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/reviewpolicy/reviewpolicy/internal/slackfake"
	"github.com/reviewpolicy/reviewpolicy/store"
)

const digestPolicy = `version: 1
sla:
  first_review: 8h
  working_hours: {timezone: Europe/Berlin, start: "08:00", end: "18:00"}
notify:
  slack: {channel: C1LEADS}
  digest: {at: "09:00", channel_at: "09:30"}
people:
  carol: {slack: U3CAROL, timezone: Europe/Berlin}
  dave: {slack: U4DAVE}
`

// Monday 2 March 2026, 09:05 in Berlin.
var digestNow = time.Date(2026, 3, 2, 8, 5, 0, 0, time.UTC)

func digestRows(t *testing.T) []store.NotifyPR {
	pol := mustPolicy(t, digestPolicy)
	row := func(n int, author string, requested []string, waiting bool, deadline time.Time) store.NotifyPR {
		pr := testPR()
		pr.Number, pr.Author, pr.Title = n, author, "Change "+string(rune('A'+n))
		body, _ := json.Marshal(NewSnapshot(pr, pol, requested, waiting, deadline))
		return store.NotifyPR{InstallationID: 1, RepoID: 7, Number: n, Snapshot: body, Open: true}
	}
	reviewed := row(4, "erin", nil, false, time.Time{})
	reviewed.Open, reviewed.ReviewedAt, reviewed.ReviewedAfter = false, digestNow.Add(-48*time.Hour), 3*time.Hour
	return []store.NotifyPR{
		row(1, "erin", []string{"carol"}, true, digestNow.Add(-time.Hour)),   // overdue
		row(2, "erin", []string{"carol"}, true, digestNow.Add(2*time.Hour)),  // at risk
		row(3, "carol", []string{"bob"}, true, digestNow.Add(7*time.Hour)),   // carol's own
		row(5, "erin", []string{"carol"}, false, digestNow.Add(9*time.Hour)), // draft: listed for carol, not waiting
		reviewed,
	}
}

func TestDigestsAtTheirTimeAndNoneWhenEmpty(t *testing.T) {
	t.Parallel()
	pl := Planner{Slack: true}
	msgs := pl.PlanDigests(digestRows(t), digestNow)
	if len(msgs) != 1 || msgs[0].Dest != "slack:U3CAROL" || msgs[0].Kind != KindDigest {
		t.Fatalf("at 09:05: %+v (want carol's alone: dave has nothing, bob no Slack ID, the channel's is at 09:30)", msgs)
	}
	var p Payload
	if err := json.Unmarshal(msgs[0].Payload, &p); err != nil {
		t.Fatal(err)
	}
	text := p.SlackText()
	waiting := text[strings.Index(text, "Waiting on you"):strings.Index(text, "Your pull requests")]
	if strings.Index(waiting, "#1 ") > strings.Index(waiting, "#2 ") || !strings.Contains(waiting, "#5 ") ||
		!strings.Contains(waiting, "overdue since Mon 2 Mar 08:05 CET") {
		t.Errorf("waiting on carol, oldest first:\n%s", text)
	}
	if mine := text[strings.Index(text, "Your pull requests"):]; !strings.Contains(mine, "#3 ") || strings.Contains(mine, "#1 ") {
		t.Errorf("carol's own:\n%s", text)
	}
	again := pl.PlanDigests(digestRows(t), digestNow.Add(10*time.Minute))
	if len(again) != 1 || again[0].Key != msgs[0].Key {
		t.Errorf("the same day's digest has another key: %v vs %v", again, msgs)
	}

	ch := pl.PlanDigests(digestRows(t), digestNow.Add(30*time.Minute))
	var channel *store.OutboxMessage
	for i := range ch {
		if ch[i].Dest == "slack:C1LEADS" {
			channel = &ch[i]
		}
	}
	if channel == nil {
		t.Fatalf("no channel digest at 09:35: %+v", ch)
	}
	if err := json.Unmarshal(channel.Payload, &p); err != nil {
		t.Fatal(err)
	}
	text = p.SlackText()
	for _, want := range []string{"3 pull requests wait", "*Overdue*", "#1 ", "*At risk (due within 4h)*", "#2 ",
		"*Open review requests:* carol 3, bob 1", "median 3h over 1 pull requests"} {
		if !strings.Contains(text, want) {
			t.Errorf("channel digest lacks %q:\n%s", want, text)
		}
	}
	for name, at := range map[string]time.Time{"after the window": digestNow.Add(3 * time.Hour),
		"on Saturday": digestNow.Add(5 * 24 * time.Hour), "before 09:00": digestNow.Add(-10 * time.Minute)} {
		if got := pl.PlanDigests(digestRows(t), at); len(got) != 0 {
			t.Errorf("%s: %d digests", name, len(got))
		}
	}
	// Nothing waits: no digest at all.
	rows := digestRows(t)
	for i := range rows {
		rows[i].Open = false
	}
	if got := pl.PlanDigests(rows, digestNow.Add(30*time.Minute)); len(got) != 0 {
		t.Errorf("nothing open, yet %d digests", len(got))
	}
}

// The sender plans the digests and sends each once, whichever replica
// plans it and however often.
func TestSenderSendsDigestsOnce(t *testing.T) {
	t.Parallel()
	st := openStore(t, dbURL(t, store.DialectSQLite))
	ctx := context.Background()
	for _, r := range digestRows(t) {
		if err := st.PutNotifyPR(ctx, r); err != nil {
			t.Fatal(err)
		}
		if !r.ReviewedAt.IsZero() {
			if err := st.CloseNotifyPR(ctx, r.RepoID, r.Number); err != nil {
				t.Fatal(err)
			}
		}
	}
	f := slackfake.New(t)
	f.AddUser("U3CAROL")
	f.AddChannel("C1LEADS", "leads", true)
	c := &clock{now: digestNow.Add(30 * time.Minute)}
	for range 2 { // two replicas
		s := newSender(st, f, c)
		if err := s.PlanDigests(ctx); err != nil {
			t.Fatal(err)
		}
		if err := s.PlanDigests(ctx); err != nil {
			t.Fatal(err)
		}
		drain(t, s)
	}
	if dm, posts := f.DMs("U3CAROL"), f.Messages("C1LEADS"); len(dm) != 1 || len(posts) != 1 ||
		!strings.Contains(dm[0].Text, "Your reviews today") || !strings.Contains(posts[0].Text, "Review digest") {
		t.Errorf("carol: %q\nchannel: %q", texts(dm), texts(posts))
	}
}

func texts(ms []slackfake.Message) string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Text)
	}
	return strings.Join(out, "\n---\n")
}
