package store

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestAnswersRoundTripReplaceAndPrune(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
		if _, found, err := s.Answer(ctx, "pr/o/r/1"); err != nil || found {
			t.Fatalf("empty store: found %v, err %v", found, err)
		}
		// Concurrent writers of one key (two what-if jobs) leave one value.
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := s.PutAnswer(ctx, "pr/o/r/1", []byte(`{"n":`+string(rune('0'+i))+`}`), t0); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		mustDo(t, s.PutAnswer(ctx, "team/@o/core", []byte(`["a"]`), t0.Add(48*time.Hour)))
		v, found, err := s.Answer(ctx, "pr/o/r/1")
		if err != nil || !found || !strings.HasPrefix(string(v), `{"n":`) {
			t.Fatalf("answer %q, %v, %v", v, found, err)
		}
		if err := s.PutAnswer(ctx, "big", make([]byte, maxAnswer+1), t0); err != nil {
			t.Fatal(err)
		}
		if _, found, _ := s.Answer(ctx, "big"); found {
			t.Error("an answer over the bound was stored")
		}
		n, err := s.PruneAnswers(ctx, t0.Add(24*time.Hour))
		if err != nil || n != 1 {
			t.Fatalf("pruned %d, %v; want the one older answer", n, err)
		}
		if _, found, _ := s.Answer(ctx, "team/@o/core"); !found {
			t.Error("the newer answer was pruned")
		}
	})
}
