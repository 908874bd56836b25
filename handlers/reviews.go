package handlers

import (
	"github.com/google/go-github/v60/github"

	"github.com/reviewpolicy/reviewpolicy/policy"
)

// ReviewFacts is what the policy packages see of GitHub's reviews: who,
// what, when, whether the account is a bot, and the author_association
// GitHub reports, which sla.FirstReview uses to tell a reviewer from a
// passer-by. requested, if not nil, reports whether a login had been asked
// to review (GitHub drops a request once the person reviews, so only the
// caller can know).
func ReviewFacts(rs []*github.PullRequestReview, requested func(login string) bool) []policy.Review {
	out := make([]policy.Review, 0, len(rs))
	for _, r := range rs {
		login := r.GetUser().GetLogin()
		out = append(out, policy.Review{
			Author:      login,
			State:       r.GetState(),
			SubmittedAt: r.GetSubmittedAt().Time,
			AuthorBot:   r.GetUser().GetType() == "Bot",
			Association: r.GetAuthorAssociation(),
			Requested:   requested != nil && requested(login),
		})
	}
	return out
}
