package main

import (
	"slices"
	"sync"
	"time"
)

// e2eTracker matches each pull_request delivery to the check run the fake
// GitHub receives for its head SHA: the time between is the delivery's
// end-to-end latency.
type e2eTracker struct {
	mu     sync.Mutex
	sentAt map[string]time.Time // head SHA -> when its delivery went out
	pullOf map[string]string    // head SHA -> its pull request's key
	latest map[string]string    // pull request's key -> the last head sent
	got    []time.Duration
}

func newE2ETracker() *e2eTracker {
	return &e2eTracker{sentAt: map[string]time.Time{}, pullOf: map[string]string{}, latest: map[string]string{}}
}

// sent records a delivery going out at at.
func (e *e2eTracker) sent(d delivery, at time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if d.PR.Number != 0 {
		e.latest[d.PR.key()] = d.PR.Head
	}
	if d.SHA == "" {
		return
	}
	e.sentAt[d.SHA] = at
	if d.PR.Number != 0 {
		e.pullOf[d.SHA] = d.PR.key()
	}
}

// checked records a check run created on sha at at.
func (e *e2eTracker) checked(sha string, at time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if t, ok := e.sentAt[sha]; ok {
		e.got = append(e.got, at.Sub(t))
		delete(e.sentAt, sha)
		delete(e.pullOf, sha)
	}
}

// result returns the latencies seen, the tracked heads that got no check
// run although they were still their pull request's newest (missing), and
// those a later delivery of the same pull request replaced before their
// check run came (superseded: GitHub shows the newer head, and the server
// rightly checks that one only). examples names a few missing ones
// ("owner/repo#n sha"), to look for in the server's log.
func (e *e2eTracker) result() (got []time.Duration, missing, superseded int, examples []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for sha := range e.sentAt {
		if key, ok := e.pullOf[sha]; ok && e.latest[key] != sha {
			superseded++
		} else {
			missing++
			examples = append(examples, e.pullOf[sha]+" "+sha)
		}
	}
	slices.Sort(examples)
	return append([]time.Duration(nil), e.got...), missing, superseded, examples[:min(len(examples), 3)]
}
