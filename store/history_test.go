package store

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestPRSummaryRoundTripAndUpdates(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
		p := PRSummary{InstallationID: 7, RepoID: 11, Owner: "Acme", Repo: "Web", Number: 3, Title: "Fix it",
			Author: "Dev", State: "open", Conclusion: "failure", Requested: []string{"Ann", "bob"},
			TemplateFailures: []string{"section", "ticket"}, StartedAt: t0, DeadlineAt: t0.Add(24 * time.Hour),
			BreachedAt: t0.Add(25 * time.Hour), Snapshot: []byte(`{"a":1}`), UpdatedAt: t0}
		if err := s.PutPRSummary(ctx, p); err != nil {
			t.Fatal(err)
		}
		got, ok, err := s.PRSummaryOf(ctx, "acme", "WEB", 3)
		if err != nil || !ok {
			t.Fatalf("PRSummaryOf = %v, %v", ok, err)
		}
		if got.Owner != "acme" || got.Author != "dev" || !slices.Equal(got.Requested, []string{"ann", "bob"}) ||
			!slices.Equal(got.TemplateFailures, []string{"section", "ticket"}) || !got.DeadlineAt.Equal(p.DeadlineAt) ||
			string(got.Snapshot) != `{"a":1}` || !got.FirstReviewAt.IsZero() {
			t.Fatalf("got %+v", got)
		}
		// A later write keeps the first breach, and an older one changes nothing.
		later := p
		later.BreachedAt, later.FirstReviewAt, later.UpdatedAt, later.Conclusion = t0.Add(30*time.Hour), t0.Add(26*time.Hour), t0.Add(time.Hour), "success"
		older := p
		older.UpdatedAt, older.Conclusion = t0.Add(-time.Hour), "neutral"
		for _, w := range []PRSummary{later, older} {
			if err := s.PutPRSummary(ctx, w); err != nil {
				t.Fatal(err)
			}
		}
		got, _, _ = s.PRSummaryOf(ctx, "acme", "web", 3)
		if got.Conclusion != "success" || !got.BreachedAt.Equal(p.BreachedAt) || !got.FirstReviewAt.Equal(later.FirstReviewAt) {
			t.Fatalf("after updates: %+v", got)
		}
		if err := s.MarkPRState(ctx, 11, 3, "merged", t0.Add(40*time.Hour)); err != nil {
			t.Fatal(err)
		}
		list, err := s.PRSummaries(ctx, SummaryQuery{Owner: "ACME", ClosedSince: t0.Add(41 * time.Hour)})
		if err != nil || len(list) != 0 {
			t.Fatalf("merged before ClosedSince still listed: %v %v", list, err)
		}
		list, err = s.PRSummaries(ctx, SummaryQuery{Owner: "acme", Repo: "web", ClosedSince: t0})
		if err != nil || len(list) != 1 || list[0].State != "merged" || list[0].Snapshot != nil {
			t.Fatalf("PRSummaries = %+v, %v", list, err)
		}
		if _, ok, _ := s.PRSummaryOf(ctx, "acme", "other", 3); ok {
			t.Fatal("found in another repository")
		}
	})
}

func TestPREventsOnceUnderRepeatedWrites(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
		ev := PREvent{RepoID: 11, Owner: "Acme", Repo: "web", Number: 3, Key: "reviewed:ann:1", Kind: EventReviewed,
			Actor: "Ann", Inside: true, At: t0}
		var wg sync.WaitGroup
		var mu sync.Mutex
		won := 0
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := s.AddPREvent(ctx, ev)
				if err != nil {
					t.Error(err)
				}
				if ok {
					mu.Lock()
					won++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if won != 1 {
			t.Fatalf("%d writers saw the event as new, want 1", won)
		}
		other := ev
		other.Key, other.Kind, other.Actor, other.At, other.Inside = "requested:bob:d1", EventRequested, "bob", t0.Add(-time.Hour), false
		if _, err := s.AddPREvent(ctx, other); err != nil {
			t.Fatal(err)
		}
		evs, err := s.PREvents(ctx, 11, 3)
		if err != nil || len(evs) != 2 || evs[0].Kind != EventRequested || evs[1].Actor != "ann" || !evs[1].Inside || evs[0].Inside {
			t.Fatalf("PREvents = %+v, %v", evs, err)
		}
		got, err := s.OwnerEvents(ctx, EventQuery{Owner: "acme", Kinds: []string{EventReviewed}, Since: t0})
		if err != nil || len(got) != 1 || got[0].Key != "reviewed:ann:1" {
			t.Fatalf("OwnerEvents = %+v, %v", got, err)
		}
		if got, _ := s.OwnerEvents(ctx, EventQuery{Owner: "acme", Actor: "BOB", Since: t0.Add(-2 * time.Hour)}); len(got) != 1 || got[0].Actor != "bob" {
			t.Fatalf("events of bob: %+v", got)
		}
		if got, _ := s.OwnerEvents(ctx, EventQuery{Owner: "acme", Repo: "nope", Since: t0.Add(-2 * time.Hour)}); len(got) != 0 {
			t.Fatalf("other repo: %+v", got)
		}
		n, err := s.PruneHistory(ctx, t0)
		if err != nil || n != 1 {
			t.Fatalf("PruneHistory = %d, %v; want 1", n, err)
		}
		if evs, _ := s.PREvents(ctx, 11, 3); len(evs) != 1 {
			t.Fatalf("after prune: %+v", evs)
		}
	})
}

func TestTeams(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		if err := s.PutTeam(ctx, "Acme", "Web", []string{"Ann", "bob"}); err != nil {
			t.Fatal(err)
		}
		if err := s.PutTeam(ctx, "acme", "web", []string{"carol"}); err != nil {
			t.Fatal(err)
		}
		got, err := s.Teams(ctx, "ACME")
		if err != nil || !slices.Equal(got["web"], []string{"carol"}) || len(got) != 1 {
			t.Fatalf("Teams = %v, %v", got, err)
		}
	})
}

func TestHistoryIncrementalReadsAndInvolving(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
		put := func(n int, author string, requested ...string) {
			t.Helper()
			if err := s.PutPRSummary(ctx, PRSummary{RepoID: 1, Owner: "o", Repo: "r", Number: n, Author: author, State: "open",
				Requested: requested, UpdatedAt: t0}); err != nil {
				t.Fatal(err)
			}
		}
		put(1, "ann")
		put(2, "bob", "annette", "carl")
		put(3, "dan", "ann")
		got, err := s.PRSummaries(ctx, SummaryQuery{Owner: "o", Involving: "Ann"})
		if err != nil || len(got) != 2 || got[0].Number != 1 || got[1].Number != 3 {
			t.Fatalf("Involving ann = %+v, %v (annette is not ann)", got, err)
		}
		mark := time.Now()
		time.Sleep(2 * time.Millisecond)
		if got, _ := s.PRSummaries(ctx, SummaryQuery{Owner: "o", ChangedSince: mark}); len(got) != 0 {
			t.Fatalf("changed since the mark before any write: %+v", got)
		}
		// A closing changes the row even though it is long closed by the window's measure.
		if err := s.MarkPRState(ctx, 1, 2, "merged", t0.Add(-365*24*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddPREvent(ctx, PREvent{RepoID: 1, Owner: "o", Repo: "r", Number: 2, Key: "k", Kind: EventMerged,
			At: t0.Add(-365 * 24 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		got, err = s.PRSummaries(ctx, SummaryQuery{Owner: "o", ChangedSince: mark})
		if err != nil || len(got) != 1 || got[0].Number != 2 || got[0].State != "merged" {
			t.Fatalf("changed since = %+v, %v", got, err)
		}
		evs, err := s.OwnerEvents(ctx, EventQuery{Owner: "o", RecordedSince: mark})
		if err != nil || len(evs) != 1 || evs[0].Key != "k" {
			t.Fatalf("recorded since = %+v, %v", evs, err)
		}
	})
}

// Team review requests: the summary keeps the teams requested now (a later
// evaluation replaces them), and a team's request event is recorded once
// under concurrent and repeated writes of the same delivery.
func TestTeamRequestsInSummaryAndEvents(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
		p := PRSummary{RepoID: 5, Owner: "o", Repo: "r", Number: 1, State: "open", Requested: []string{"ann"},
			RequestedTeams: []string{"Core", "docs"}, UpdatedAt: t0}
		if err := s.PutPRSummary(ctx, p); err != nil {
			t.Fatal(err)
		}
		got, _, err := s.PRSummaryOf(ctx, "o", "r", 1)
		if err != nil || !slices.Equal(got.RequestedTeams, []string{"core", "docs"}) || !slices.Equal(got.Requested, []string{"ann"}) {
			t.Fatalf("summary = %+v, %v", got, err)
		}
		p.RequestedTeams, p.UpdatedAt = nil, t0.Add(time.Minute)
		if err := s.PutPRSummary(ctx, p); err != nil {
			t.Fatal(err)
		}
		if list, err := s.PRSummaries(ctx, SummaryQuery{Owner: "o"}); err != nil || len(list) != 1 || len(list[0].RequestedTeams) != 0 {
			t.Fatalf("after the teams' requests ended: %+v, %v", list, err)
		}
		ev := PREvent{RepoID: 5, Owner: "o", Repo: "r", Number: 1, Key: EventTeamRequested + ":core:d7",
			Kind: EventTeamRequested, Actor: "core", Detail: "@o/core", At: t0}
		var wg sync.WaitGroup
		for range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 2 {
					if _, err := s.AddPREvent(ctx, ev); err != nil {
						t.Error(err)
					}
				}
			}()
		}
		wg.Wait()
		evs, err := s.OwnerEvents(ctx, EventQuery{Owner: "o", Kinds: []string{EventTeamRequested}, Since: t0})
		if err != nil || len(evs) != 1 || evs[0].Actor != "core" || evs[0].Detail != "@o/core" {
			t.Fatalf("team request events = %+v, %v", evs, err)
		}
	})
}
