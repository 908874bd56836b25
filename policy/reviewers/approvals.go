package reviewers

import (
	"slices"
	"strings"

	"github.com/reviewpolicy/reviewpolicy/policy"
)

// reviewState is what a person's submitted reviews add up to.
type reviewState struct {
	state    string // latest review still standing (APPROVED, CHANGES_REQUESTED, COMMENTED); "" none
	approved bool   // the latest APPROVED, CHANGES_REQUESTED or DISMISSED review is an approval
}

// latestReviews folds reviews per lower-cased author in submission order.
// As on GitHub, a comment does not withdraw an approval, while requested
// changes or a dismissal do; a dismissed review no longer counts as the
// person having reviewed, so they may be asked again.
func latestReviews(reviews []policy.Review) map[string]reviewState {
	sorted := slices.Clone(reviews)
	slices.SortStableFunc(sorted, func(a, b policy.Review) int { return a.SubmittedAt.Compare(b.SubmittedAt) })
	m := make(map[string]reviewState)
	for _, r := range sorted {
		k := strings.ToLower(r.Author)
		st := m[k]
		switch state := strings.ToUpper(r.State); state {
		case "APPROVED":
			st = reviewState{state: state, approved: true}
		case "CHANGES_REQUESTED":
			st = reviewState{state: state}
		case "DISMISSED":
			st = reviewState{}
		case "COMMENTED":
			if st.state == "" {
				st.state = state
			}
		default: // PENDING and unknown states are not submitted opinions
			continue
		}
		m[k] = st
	}
	return m
}
