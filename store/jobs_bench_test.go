package store

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
)

// BenchmarkNoopJobs measures how many jobs that do nothing one process runs
// a second (saturated: the queue is full before the workers start), with
// the serve default of 10 workers. What bounds it is how jobs are fetched:
// River fetches at most once per fetchCooldown and takes at most as many
// jobs as workers are free (10 per 20 ms was 500 jobs/s, whatever the
// machine). It reports jobs/s.
func BenchmarkNoopJobs(b *testing.B) {
	const jobs = 5000
	for _, e := range engines {
		b.Run(e.name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				var done atomic.Int64
				finished := make(chan struct{})
				workers := deliveryWorkers(func(context.Context, *river.Job[DeliveryArgs]) error {
					if done.Add(1) == jobs {
						close(finished)
					}
					return nil
				})
				s := openStore(b, e.newURL(b), Options{Workers: workers, MaxWorkers: 10, Logger: testLogger(b)})
				ctx := context.Background()
				for i := range jobs {
					if _, err := s.EnqueueDelivery(ctx, Delivery{ID: strconv.Itoa(i), Event: "ping"}); err != nil {
						b.Fatal(err)
					}
				}
				if err := moveIntake(ctx, s); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				start := time.Now()
				if err := s.Start(ctx); err != nil {
					b.Fatal(err)
				}
				select {
				case <-finished:
				case <-time.After(2 * time.Minute):
					b.Fatalf("%d of %d jobs in 2 minutes", done.Load(), jobs)
				}
				b.ReportMetric(float64(jobs)/time.Since(start).Seconds(), "jobs/s")
				b.StopTimer()
				if err := s.Stop(ctx); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}
