package handlers

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/reviewpolicy/reviewpolicy/internal/githubfake"
	"github.com/reviewpolicy/reviewpolicy/store"
)

// TestTeamEventsForgetTheOrganisationsTeams: membership, team and
// organization events of an organisation bump its teams' version (so every
// replica reads the members again); one without an organisation bumps
// nothing.
func TestTeamEventsForgetTheOrganisationsTeams(t *testing.T) {
	t.Parallel()
	app := newTestApp(t, githubfake.New(t), func() time.Time { return time.Now() })
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	for i, ev := range []string{"membership", "team", "organization"} {
		d := store.Delivery{Event: ev, Action: "added", Payload: []byte(`{"organization":{"login":"Acme"}}`)}
		if err := app.dispatch(ctx, d, log); err != nil {
			t.Fatal(err)
		}
		if v, _ := app.Store.FactVersion(ctx, teamsScope("acme")); v != int64(i+1) {
			t.Errorf("after %s: version %d, want %d", ev, v, i+1)
		}
	}
	d := store.Delivery{Event: "membership", Action: "added", Payload: []byte(`{"team":{"slug":"x"}}`)}
	if err := app.dispatch(ctx, d, log); err != nil {
		t.Fatal(err)
	}
	if v, _ := app.Store.FactVersion(ctx, teamsScope("acme")); v != 3 {
		t.Errorf("an event without an organisation moved the version to %d", v)
	}
}

// TestCachedFactFollowsItsVersionAndTTL: a cached read is used while its
// scope's version is unchanged and for at most factsTTL.
func TestCachedFactFollowsItsVersionAndTTL(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 3, 5, 12, 0, 0, 0, time.UTC)
	app := newTestApp(t, githubfake.New(t), func() time.Time { return now })
	ctx := context.Background()
	reads := 0
	read := func() (any, int, error) { reads++; return reads, 8, nil }
	get := func() any {
		v, err := app.cachedFact(ctx, "base:1:main", "dir:base:1:main", read)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	get()
	if get(); reads != 1 {
		t.Fatalf("%d reads for an unchanged version, want 1", reads)
	}
	if err := app.Store.BumpFactVersion(ctx, "base:1:main"); err != nil {
		t.Fatal(err)
	}
	if v := get(); reads != 2 || v != 2 {
		t.Errorf("after a bump: %d reads, value %v", reads, v)
	}
	now = now.Add(factsTTL)
	if get(); reads != 3 {
		t.Errorf("after the TTL: %d reads, want 3", reads)
	}
}
