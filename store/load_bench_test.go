package store

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
)

// ackRate is the webhook rate the product promises to acknowledge with p99
// under 10 ms on SQLite.
const ackRate = 500

// BenchmarkEnqueueDeliveryUnderLoad sends deliveries open loop at ackRate
// per second, each from its own goroutine as HTTP requests arrive, while ten
// workers run the resulting jobs against the same store the way the app's
// jobs do: read the delivery, look up and remember a GitHub object, with a
// pause standing in for GitHub calls. It reports the acknowledgement
// latency's p50, p99 and maximum, the figures the target is about.
//
//	go test -run '^$' -bench UnderLoad -benchtime 5000x ./store/
func BenchmarkEnqueueDeliveryUnderLoad(b *testing.B) {
	payload := []byte(`{"action":"opened","number":1,"pull_request":{"title":"Add feature"}}`)
	for _, e := range engines {
		b.Run(e.name, func(b *testing.B) {
			var s *Store
			workers := deliveryWorkers(func(ctx context.Context, job *river.Job[DeliveryArgs]) error {
				if _, err := s.Delivery(ctx, job.Args.DeliveryID); err != nil {
					return err
				}
				time.Sleep(2 * time.Millisecond) // GitHub
				k := ObjectKey{RepoID: 1, Number: int(job.ID % 200), Kind: "comment"}
				if _, _, err := s.GetObject(ctx, k); err != nil {
					return err
				}
				time.Sleep(2 * time.Millisecond) // GitHub
				return s.PutObject(ctx, k, Object{ID: job.ID})
			})
			s = openStore(b, e.newURL(b), Options{Workers: workers, MaxWorkers: 10})
			ctx := context.Background()
			if err := s.Start(ctx); err != nil {
				b.Fatal(err)
			}

			var (
				mu        sync.Mutex
				latencies []time.Duration
				wg        sync.WaitGroup
			)
			interval := time.Second / ackRate
			start := time.Now()
			i := 0
			for b.Loop() {
				due := start.Add(time.Duration(i) * interval)
				time.Sleep(time.Until(due)) // pacing, not timing: the load is open loop
				i++
				id, inst := strconv.Itoa(i), int64(i%3+1) // three installations, as the fair queue sees them
				wg.Go(func() {
					t0 := time.Now()
					ok, err := s.EnqueueDelivery(ctx, Delivery{ID: id, Event: "pull_request", InstallationID: inst, Payload: payload})
					d := time.Since(t0)
					if err != nil || !ok {
						b.Errorf("EnqueueDelivery(%s) = %v, %v", id, ok, err)
					}
					mu.Lock()
					latencies = append(latencies, d)
					mu.Unlock()
				})
			}
			wg.Wait()
			b.StopTimer()
			slices.Sort(latencies)
			pct := func(p float64) float64 {
				return float64(latencies[int(p*float64(len(latencies)-1))]) / float64(time.Millisecond)
			}
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
			b.ReportMetric(pct(1), "max-ms")
		})
	}
}
