package main

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// A reviewer asked again after they reviewed (GitHub's "re-request
// review") or after their request was removed gets a new DM each time, and
// one only, however often and concurrently each request is delivered.
func TestReRequestedReviewerIsToldAgainOncePerRequest(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", `version: 1
notify: {}
people:
  carol: {slack: U3CAROL}
`)
	h.fake.RequestReviewers(owner, repoName, prNumber, "carol")
	sl := newSlack(t)
	h.start(t, slackEnv(sl))
	// Payloads as GitHub sends them: the pull request as it is now.
	fresh := func(pr map[string]any, requested ...string) {
		reviewers := []any{}
		for _, l := range requested {
			reviewers = append(reviewers, map[string]any{"login": l, "type": "User"})
		}
		pr["requested_reviewers"] = reviewers
		pr["updated_at"] = time.Now().UTC().Format(time.RFC3339)
	}
	var first []byte
	deliverRequest := func(round int) {
		t.Helper()
		requested := payload(t, "pull_request/review_requested.payload.json", func(m map[string]any) {
			m["requested_reviewer"].(map[string]any)["login"] = "carol"
			fresh(m["pull_request"].(map[string]any), "carol")
		})
		if first == nil {
			first = requested
		}
		var wg sync.WaitGroup
		for k := range 4 { // two deliveries, each twice, all at once
			wg.Add(1)
			go func() {
				defer wg.Done()
				h.send(t, "pull_request", fmt.Sprintf("request-%d-%d", round, k%2), requested)
			}()
		}
		wg.Wait()
		h.settle(t)
	}
	want := func(n int, why string) {
		t.Helper()
		waitFor(t, why, func() bool { return len(sl.DMs("U3CAROL")) >= n })
		time.Sleep(1500 * time.Millisecond) // more than a sender's poll: a double would be here
		if got := len(sl.DMs("U3CAROL")); got != n {
			t.Fatalf("%s: carol has %d DMs, want %d:\n%s", why, got, n, texts(sl.DMs("U3CAROL")))
		}
	}
	deliverRequest(1)
	want(1, "the first request's DM")

	// carol reviews (GitHub drops her request), then is asked again.
	h.fake.AddReview(owner, repoName, prNumber, "carol", "COMMENTED")
	h.send(t, "pull_request_review", "", payload(t, "pull_request_review/submitted.payload.json", func(m map[string]any) {
		m["review"].(map[string]any)["user"].(map[string]any)["login"] = "carol"
		fresh(m["pull_request"].(map[string]any))
	}))
	h.settle(t)
	want(1, "no DM for the review")
	h.fake.RequestReviewers(owner, repoName, prNumber, "carol")
	deliverRequest(2)
	want(2, "the re-request's DM")

	// Her request is removed, then made again.
	h.fake.RemoveReviewRequest(owner, repoName, prNumber, "carol")
	h.send(t, "pull_request", "", payload(t, "pull_request/review_request_removed.payload.json", func(m map[string]any) {
		m["requested_reviewer"].(map[string]any)["login"] = "carol"
		fresh(m["pull_request"].(map[string]any))
	}))
	h.settle(t)
	h.fake.RequestReviewers(owner, repoName, prNumber, "carol")
	deliverRequest(3)
	want(3, "the request after the removal")
	// A late redelivery of the first request changes nothing.
	h.send(t, "pull_request", "request-1-0", first)
	h.settle(t)
	want(3, "after a late redelivery")
}
