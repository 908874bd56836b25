package handlers

import (
	"context"
	"testing"

	"github.com/reviewpolicy/reviewpolicy/internal/githubfake"
	"github.com/reviewpolicy/reviewpolicy/policy/sla"
)

// TestOutsiderReviewDoesNotStopTheClock reads reviews as GitHub sends them
// (through the fake and go-github) and asks sla.FirstReview who stops the
// clock: not an outsider's comment, not a bot, not the author.
func TestOutsiderReviewDoesNotStopTheClock(t *testing.T) {
	t.Parallel()
	s := newRepoSetup(t, nil)
	s.fake.AddPullRequest("acme", "app", githubfake.PullRequest{Number: 1, HeadRef: "feat",
		HeadSHA: "0123456789abcdef0123456789abcdef01234567", Author: "alice"})
	s.fake.AddReviewAs("acme", "app", 1, "passer-by", "COMMENTED", "NONE")
	s.fake.AddReviewAs("acme", "app", 1, "newcomer", "APPROVED", "FIRST_TIME_CONTRIBUTOR")
	s.fake.AddReviewAs("acme", "app", 1, "linter[bot]", "COMMENTED", "MEMBER")
	s.fake.AddReviewAs("acme", "app", 1, "alice", "COMMENTED", "OWNER")
	s.fake.AddReviewAs("acme", "app", 1, "pat", "PENDING", "MEMBER")

	ctx := context.Background()
	first := func(requested func(string) bool) (string, bool) {
		rs, err := s.gh.Reviews(ctx, s.ref.Number)
		if err != nil {
			t.Fatal(err)
		}
		r, ok := sla.FirstReview(ReviewFacts(rs, requested), "alice")
		if ok && r.SubmittedAt.IsZero() {
			t.Error("the first review has no time")
		}
		return r.Author, ok
	}
	if who, ok := first(nil); ok {
		t.Fatalf("the clock stopped on %s's review", who)
	}
	// Asked to review, the outsider's comment is the review the team owed.
	if who, ok := first(func(l string) bool { return l == "passer-by" }); !ok || who != "passer-by" {
		t.Errorf("requested outsider: %q, %v", who, ok)
	}
	s.fake.AddReviewAs("acme", "app", 1, "carol", "COMMENTED", "MEMBER")
	if who, ok := first(nil); !ok || who != "carol" {
		t.Errorf("a member's comment: %q, %v; want carol", who, ok)
	}
}
