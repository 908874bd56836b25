package sla

import (
	"strings"

	"github.com/reviewpolicy/reviewpolicy/policy"
)

// FirstReview returns the review that stops the clock: the earliest
// submitted review (ties: the first listed) that
//
//   - is submitted: APPROVED, CHANGES_REQUESTED or COMMENTED, or DISMISSED,
//     since a dismissed review was still a response (dismissal is about
//     what may merge, not about whether anyone looked); PENDING reviews
//     are drafts nobody else can see, and unknown states do not count;
//   - is not by the pull request's author (compared case-insensitively);
//   - is not by a bot (account type Bot, or a login ending in "[bot]");
//   - is by someone who can review: author_association OWNER, MEMBER or
//     COLLABORATOR, or a person whose review was requested. A drive-by
//     comment from an outsider (CONTRIBUTOR, FIRST_TIME_CONTRIBUTOR,
//     FIRST_TIMER, MANNEQUIN, NONE) is welcome but is not the review the
//     team owes, so the clock keeps running.
//
// ok is false when no review qualifies.
func FirstReview(reviews []policy.Review, author string) (first policy.Review, ok bool) {
	for _, r := range reviews {
		if !stopsClock(r, author) {
			continue
		}
		if !ok || r.SubmittedAt.Before(first.SubmittedAt) {
			first, ok = r, true
		}
	}
	return first, ok
}

func stopsClock(r policy.Review, author string) bool {
	switch {
	case r.SubmittedAt.IsZero():
		return false
	case !submitted[strings.ToUpper(r.State)]:
		return false
	case r.Author == "" || strings.EqualFold(r.Author, author):
		return false
	case r.AuthorBot || strings.HasSuffix(strings.ToLower(r.Author), "[bot]"):
		return false
	}
	return r.Requested || canReview[strings.ToUpper(r.Association)]
}

var (
	submitted = map[string]bool{"APPROVED": true, "CHANGES_REQUESTED": true, "COMMENTED": true, "DISMISSED": true}
	canReview = map[string]bool{"OWNER": true, "MEMBER": true, "COLLABORATOR": true}
)
