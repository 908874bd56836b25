// Package simulate answers "what would this policy change have done?": it
// replays a repository's recent closed pull requests under the policy in
// force and a proposed one, with the facts as they were, and reports the
// differences per area with the pull requests behind each.
//
// Replay is pure (facts in, report out) and evaluates through the same
// policy/decide.Decide the server uses, so a replay cannot drift from what
// the app would have decided. Gathering the facts from GitHub, with an
// on-disk cache, lives in gather.go; rendering in render*.go.
package simulate

import (
	"time"

	"github.com/reviewpolicy/reviewpolicy/policy"
)

// History is the recorded facts of a repository's recent pull requests.
type History struct {
	Repo string // "owner/name"
	PRs  []PR
	// Teams is each "@org/slug" (lower case) with its members as read when
	// the history was gathered: today's membership, not the one then.
	Teams map[string][]string
	// MissingTeams are teams that could not be read (gone, or hidden).
	MissingTeams []string
	// TeamsAt is when Teams was read.
	TeamsAt time.Time
	// Listed is how many closed pull requests GitHub listed; Unread of them
	// were not read within the gatherer's request budget and are not in PRs.
	Listed, Unread int
	// UnreadTeams are teams not read within the budget: taken as empty.
	UnreadTeams []string
}

// PR is one closed pull request as it was.
type PR struct {
	Number    int
	URL       string // its page, for the report's links
	Title     string
	Body      string
	Branch    string
	Author    string
	AuthorBot bool
	Labels    []string
	Files     []string
	// Additions and Deletions are the line counts GitHub lists.
	Additions, Deletions int
	CreatedAt, ClosedAt  time.Time
	MergedAt             time.Time // zero: closed without merging
	BaseSHA              string
	// Template and CodeOwners are the base's files as of BaseSHA ("" none).
	Template, CodeOwners string
	Reviews              []policy.Review
	// Requests are the timeline's review_requested events, oldest first.
	Requests []Request
	// Drafts are the periods it was a draft (convert_to_draft and
	// ready_for_review events), oldest first; To is zero while it stayed one.
	Drafts []Period
}

// Period is a stretch of time; a zero To has not ended.
type Period struct {
	From, To time.Time
}

// Request is one review_requested event.
type Request struct {
	At       time.Time
	Reviewer string // a login, or "@org/slug" for a team
}

// Merged reports whether the pull request was merged.
func (p PR) Merged() bool { return !p.MergedAt.IsZero() }

// facts is what the evaluators see of the pull request.
func (p PR) facts() policy.PullRequest {
	// FilesChanged counts a renamed file's two names twice (GitHub once):
	// the listing is all a replay has.
	return policy.PullRequest{Number: p.Number, Title: p.Title, Body: p.Body, Branch: p.Branch, Author: p.Author,
		AuthorBot: p.AuthorBot, Labels: p.Labels, Files: p.Files,
		LinesChanged: p.Additions + p.Deletions, FilesChanged: len(p.Files)}
}

// firstRequest is when review was first asked, and whether it ever was.
func (p PR) firstRequest() (time.Time, bool) {
	var first time.Time
	for _, r := range p.Requests {
		if first.IsZero() || r.At.Before(first) {
			first = r.At
		}
	}
	return first, !first.IsZero()
}

// reviewsBefore are the reviews submitted before t, each marked Requested
// when its author had been asked before submitting it (GitHub drops a
// request once answered, so only the timeline tells).
func (p PR) reviewsBefore(t time.Time) []policy.Review {
	var out []policy.Review
	for _, r := range p.Reviews {
		if !t.IsZero() && r.SubmittedAt.After(t) {
			continue
		}
		r.Requested = r.Requested || p.requestedBefore(r.Author, r.SubmittedAt)
		out = append(out, r)
	}
	return out
}

func (p PR) requestedBefore(login string, t time.Time) bool {
	for _, q := range p.Requests {
		if !q.At.After(t) && equalFold(q.Reviewer, login) {
			return true
		}
	}
	return false
}
