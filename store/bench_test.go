package store

import (
	"context"
	"strconv"
	"testing"
)

// BenchmarkEnqueueDelivery measures recording a new delivery and enqueuing
// its job in one transaction, the work done on every webhook request.
func BenchmarkEnqueueDelivery(b *testing.B) {
	payload := []byte(`{"action":"opened","number":1,"pull_request":{"title":"Add feature"}}`)
	for _, e := range engines {
		b.Run(e.name, func(b *testing.B) {
			s := openStore(b, e.newURL(b), Options{})
			ctx := context.Background()
			i := 0
			for b.Loop() {
				i++
				ok, err := s.EnqueueDelivery(ctx, Delivery{ID: strconv.Itoa(i), Event: "pull_request", InstallationID: int64(i%3 + 1), Payload: payload})
				if err != nil || !ok {
					b.Fatalf("EnqueueDelivery = %v, %v", ok, err)
				}
			}
		})
	}
}
