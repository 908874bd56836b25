package store

import (
	"context"
	"crypto/sha256"
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
				hash := sha256.Sum256([]byte(strconv.Itoa(i))) // as the webhook's HMAC: 32 bytes
				ok, err := s.EnqueueDelivery(ctx, Delivery{ID: strconv.Itoa(i), Event: "pull_request", InstallationID: int64(i%3 + 1),
					Payload: payload, BodyHash: hash[:]})
				if err != nil || !ok {
					b.Fatalf("EnqueueDelivery = %v, %v", ok, err)
				}
			}
		})
	}
}
