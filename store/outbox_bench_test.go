package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// BenchmarkOutbox measures the outbox's own cost per message, without the
// network: enqueue (one transaction per event of 4 messages, as a breach
// makes), then claim in batches of 20, record each post's start and mark it
// sent, as a Sender does for Slack.
// It reports messages per second through the whole cycle.
func BenchmarkOutbox(b *testing.B) {
	for _, e := range engines {
		b.Run(e.name, func(b *testing.B) {
			s := openStore(b, e.newURL(b), Options{})
			ctx := context.Background()
			now := time.Now()
			const perEvent, batch = 4, 20
			i := 0
			start := time.Now()
			for b.Loop() {
				var msgs []OutboxMessage
				for range perEvent {
					i++
					msgs = append(msgs, OutboxMessage{Key: fmt.Sprint("k", i), InstallationID: 1, RepoID: 7, Owner: "o",
						Repo: "r", Number: i / 8, Kind: "breach", Dest: "slack:C1", Payload: []byte(`{"kind":"breach"}`)})
				}
				if _, err := s.EnqueueOutbox(ctx, msgs, now); err != nil {
					b.Fatal(err)
				}
				if i%batch != 0 {
					continue
				}
				got, err := s.ClaimOutbox(ctx, "bench", now, time.Minute, batch)
				if err != nil {
					b.Fatal(err)
				}
				for _, m := range got {
					if ok, err := s.MarkOutboxPosting(ctx, m.ID, "bench", now); !ok || err != nil {
						b.Fatalf("posting: %v, %v", ok, err)
					}
					if ok, err := s.MarkOutboxSent(ctx, m.ID, "bench", "C1", "1.1", now); !ok || err != nil {
						b.Fatalf("mark: %v, %v", ok, err)
					}
				}
			}
			b.ReportMetric(float64(i)/time.Since(start).Seconds(), "msgs/s")
		})
	}
}
