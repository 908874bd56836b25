package sla

import (
	"testing"
	"time"

	"github.com/reviewpolicy/reviewpolicy/policy"
)

func TestFirstReview(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2025, 3, 5, 10, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	member := func(login, state string, m int) policy.Review {
		return policy.Review{Author: login, State: state, SubmittedAt: at(m), Association: "MEMBER"}
	}
	tests := []struct {
		name    string
		reviews []policy.Review
		want    string // reviewer who stops the clock; "" none
	}{
		{"none", nil, ""},
		{"member comment", []policy.Review{member("carol", "COMMENTED", 5)}, "carol"},
		{"approval", []policy.Review{member("carol", "APPROVED", 5)}, "carol"},
		{"changes requested", []policy.Review{member("carol", "CHANGES_REQUESTED", 5)}, "carol"},
		{"dismissed still counts", []policy.Review{member("carol", "DISMISSED", 5)}, "carol"},
		{"lower-case state", []policy.Review{member("carol", "approved", 5)}, "carol"},
		{"pending does not count", []policy.Review{member("carol", "PENDING", 5)}, ""},
		{"unknown state", []policy.Review{member("carol", "WHATEVER", 5)}, ""},
		{"not submitted", []policy.Review{{Author: "carol", State: "COMMENTED", Association: "MEMBER"}}, ""},
		{"the author", []policy.Review{member("Author", "COMMENTED", 5)}, ""},
		{"outsider comment", []policy.Review{{Author: "drive-by", State: "COMMENTED", SubmittedAt: at(1), Association: "CONTRIBUTOR"}}, ""},
		{"first-time contributor approves", []policy.Review{{Author: "newbie", State: "APPROVED", SubmittedAt: at(1), Association: "FIRST_TIME_CONTRIBUTOR"}}, ""},
		{"first timer", []policy.Review{{Author: "newbie", State: "COMMENTED", SubmittedAt: at(1), Association: "FIRST_TIMER"}}, ""},
		{"no association", []policy.Review{{Author: "someone", State: "COMMENTED", SubmittedAt: at(1), Association: "NONE"}}, ""},
		{"association unknown", []policy.Review{{Author: "someone", State: "COMMENTED", SubmittedAt: at(1)}}, ""},
		{"requested outsider", []policy.Review{{Author: "consultant", State: "COMMENTED", SubmittedAt: at(1), Association: "NONE", Requested: true}}, "consultant"},
		{"owner", []policy.Review{{Author: "boss", State: "COMMENTED", SubmittedAt: at(1), Association: "OWNER"}}, "boss"},
		{"collaborator", []policy.Review{{Author: "ext", State: "COMMENTED", SubmittedAt: at(1), Association: "COLLABORATOR"}}, "ext"},
		{"bot by type", []policy.Review{{Author: "linter", State: "COMMENTED", SubmittedAt: at(1), Association: "MEMBER", AuthorBot: true}}, ""},
		{"bot by login", []policy.Review{member("dependabot[bot]", "APPROVED", 1), member("Copilot-Reviewer[BOT]", "COMMENTED", 2)}, ""},
		{"outsider first, member later", []policy.Review{
			{Author: "drive-by", State: "COMMENTED", SubmittedAt: at(1), Association: "CONTRIBUTOR"},
			member("carol", "COMMENTED", 9),
		}, "carol"},
		{"earliest wins, not the first listed", []policy.Review{member("late", "APPROVED", 9), member("early", "COMMENTED", 3)}, "early"},
		{"tie: first listed", []policy.Review{member("one", "COMMENTED", 3), member("two", "COMMENTED", 3)}, "one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := FirstReview(tt.reviews, "author")
			if ok != (tt.want != "") || got.Author != tt.want {
				t.Errorf("FirstReview = %q, %v; want %q", got.Author, ok, tt.want)
			}
			if ok && got.SubmittedAt.IsZero() {
				t.Error("returned review has no time")
			}
		})
	}
}

// TestOutsiderCommentKeepsClockRunning follows the clock through the
// function: an outsider's review leaves it running, a member's stops it.
func TestOutsiderCommentKeepsClockRunning(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2025, 3, 5, 10, 0, 0, 0, time.UTC)
	clock, _ := Clock{}.Start(t0)
	reviews := []policy.Review{{Author: "drive-by", State: "COMMENTED", SubmittedAt: t0.Add(time.Minute), Association: "NONE"}}
	if r, ok := FirstReview(reviews, "author"); ok {
		clock = clock.Review(r.SubmittedAt, r.Author)
	}
	if clock.State != Running {
		t.Fatalf("outsider's comment: clock %s, want running", clock.State)
	}
	reviews = append(reviews, policy.Review{Author: "carol", State: "COMMENTED", SubmittedAt: t0.Add(time.Hour), Association: "MEMBER"})
	if r, ok := FirstReview(reviews, "author"); ok {
		clock = clock.Review(r.SubmittedAt, r.Author)
	}
	if clock.State != Reviewed || clock.Reviewer != "carol" || !clock.FirstReviewAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("member's comment: clock %+v", clock)
	}
}
