package main

import (
	"context"
	"time"
)

// clockKey is the context key under which a test hands serve its clock:
// the end-to-end tests move time on (a night, to the next morning) to see
// that a message due later waits, then goes. Nothing in production sets
// it, and it is not a flag: serve reads time.Now.
type clockKey struct{}

// clockOf is the clock serve's notifications (their due times, the
// outbox's sender) and evaluations read.
func clockOf(ctx context.Context) func() time.Time {
	if now, ok := ctx.Value(clockKey{}).(func() time.Time); ok {
		return now
	}
	return time.Now
}
