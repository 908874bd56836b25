package store

import (
	"context"
	"sync"
	"testing"
)

// A request keeps its generation while it stands, however often and
// concurrently it is seen; a person asked again after their request ended
// (they reviewed, or were removed) gets the next one.
func TestNoteRequestsGenerations(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		note := func(asked ...string) map[string]int {
			t.Helper()
			g, err := s.NoteRequests(ctx, 7, 1, asked)
			if err != nil {
				t.Fatal(err)
			}
			return g
		}
		if g := note("alice", "Bob"); g["alice"] != 0 || g["bob"] != 0 || len(g) != 2 {
			t.Fatalf("first requests: %v", g)
		}
		if g := note("bob", "alice"); g["alice"] != 0 || g["bob"] != 0 {
			t.Fatalf("seen again: %v", g)
		}
		note("bob") // alice reviewed: GitHub no longer lists her
		var wg sync.WaitGroup
		got := make([]map[string]int, 8)
		for i := range got {
			wg.Add(1)
			go func() {
				defer wg.Done()
				g, err := s.NoteRequests(ctx, 7, 1, []string{"alice", "bob"})
				if err != nil {
					t.Error(err)
				}
				got[i] = g
			}()
		}
		wg.Wait()
		for _, g := range got {
			if g["alice"] != 1 || g["bob"] != 0 {
				t.Fatalf("re-requested, concurrently seen: %v, want alice 1, bob 0", got)
			}
		}
		note() // both removed
		if g := note("ALICE"); g["alice"] != 2 {
			t.Fatalf("asked a third time: %v", g)
		}
		if g, err := s.NoteRequests(ctx, 7, 2, []string{"alice"}); err != nil || g["alice"] != 0 {
			t.Fatalf("another pull request: %v, %v", g, err)
		}
	})
}
