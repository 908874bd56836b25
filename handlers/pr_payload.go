package handlers

import "github.com/google/go-github/v60/github"

// prEvent is the part of a pull_request payload the handler reads. Decoding
// go-github's whole PullRequestEvent (both branches' repositories, every
// user's URLs) was 28% of the server's CPU in a pull_request-only run
// (issue 18); the fields below are all onPullRequest and what it calls
// read, and pullRequest gives them to the rest as go-github's type. They
// are decoded with decodeSparse: json.Unmarshal still scanned the whole
// payload twice, and was a third of the server's CPU once deliveries were
// handled in the move.
type prEvent struct {
	Number  int `json:"number"`
	Changes *struct {
		Title *struct{} `json:"title"`
		Body  *struct{} `json:"body"`
		Base  *struct{} `json:"base"`
	} `json:"changes"`
	Repo              *repoPayload `json:"repository"`
	PullRequest       *prFields    `json:"pull_request"`
	RequestedReviewer *userPayload `json:"requested_reviewer"`
	RequestedTeam     *struct {
		Slug *string `json:"slug"`
	} `json:"requested_team"`
	Sender *userPayload `json:"sender"`
}

// reviewEvent is the part of a pull_request_review payload the handler
// reads.
type reviewEvent struct {
	Review *struct {
		User *userPayload `json:"user"`
	} `json:"review"`
	Repo        *repoPayload `json:"repository"`
	PullRequest *prFields    `json:"pull_request"`
}

// event is the payload as go-github's type, holding what reviewEvent keeps.
func (e *reviewEvent) event() *github.PullRequestReviewEvent {
	ev := &github.PullRequestReviewEvent{Repo: e.Repo.repository(), PullRequest: e.PullRequest.pullRequest()}
	if e.Review != nil {
		ev.Review = &github.PullRequestReview{User: e.Review.User.user()}
	}
	return ev
}

type userPayload struct {
	Login *string `json:"login"`
	Type  *string `json:"type"`
}

type repoPayload struct {
	ID    *int64       `json:"id"`
	Name  *string      `json:"name"`
	Owner *userPayload `json:"owner"`
}

type branchPayload struct {
	Ref  *string      `json:"ref"`
	SHA  *string      `json:"sha"`
	Repo *repoPayload `json:"repo"`
}

type prFields struct {
	Number    *int              `json:"number"`
	State     *string           `json:"state"`
	Title     *string           `json:"title"`
	Body      *string           `json:"body"`
	Draft     *bool             `json:"draft"`
	Merged    *bool             `json:"merged"`
	MergedAt  *github.Timestamp `json:"merged_at"`
	ClosedAt  *github.Timestamp `json:"closed_at"`
	UpdatedAt *github.Timestamp `json:"updated_at"`
	User      *userPayload      `json:"user"`
	MergedBy  *userPayload      `json:"merged_by"`
	Head      *branchPayload    `json:"head"`
	Base      *branchPayload    `json:"base"`
	Labels    []*struct {
		Name *string `json:"name"`
	} `json:"labels"`
	RequestedReviewers []*userPayload `json:"requested_reviewers"`
	RequestedTeams     []*struct {
		Slug *string `json:"slug"`
	} `json:"requested_teams"`
}

func (u *userPayload) user() *github.User {
	if u == nil {
		return nil
	}
	return &github.User{Login: u.Login, Type: u.Type}
}

func (r *repoPayload) repository() *github.Repository {
	if r == nil {
		return nil
	}
	return &github.Repository{ID: r.ID, Name: r.Name, Owner: r.Owner.user()}
}

func (b *branchPayload) branch() *github.PullRequestBranch {
	if b == nil {
		return nil
	}
	return &github.PullRequestBranch{Ref: b.Ref, SHA: b.SHA, Repo: b.Repo.repository()}
}

// pullRequest is the payload's pull request as go-github's type, holding
// the fields prFields keeps; nil if the payload has none.
func (p *prFields) pullRequest() *github.PullRequest {
	if p == nil {
		return nil
	}
	pr := &github.PullRequest{Number: p.Number, State: p.State, Title: p.Title, Body: p.Body, Draft: p.Draft,
		Merged: p.Merged, MergedAt: p.MergedAt, ClosedAt: p.ClosedAt, UpdatedAt: p.UpdatedAt, User: p.User.user(), MergedBy: p.MergedBy.user(),
		Head: p.Head.branch(), Base: p.Base.branch()}
	// A null entry stays nil, as go-github decodes it.
	for _, l := range p.Labels {
		var label *github.Label
		if l != nil {
			label = &github.Label{Name: l.Name}
		}
		pr.Labels = append(pr.Labels, label)
	}
	for _, u := range p.RequestedReviewers {
		pr.RequestedReviewers = append(pr.RequestedReviewers, u.user())
	}
	for _, t := range p.RequestedTeams {
		var team *github.Team
		if t != nil {
			team = &github.Team{Slug: t.Slug}
		}
		pr.RequestedTeams = append(pr.RequestedTeams, team)
	}
	return pr
}

// event is the payload as go-github's type, holding what prEvent keeps.
func (e *prEvent) event() *github.PullRequestEvent {
	ev := &github.PullRequestEvent{Number: &e.Number, Repo: e.Repo.repository(), PullRequest: e.PullRequest.pullRequest(),
		RequestedReviewer: e.RequestedReviewer.user(), Sender: e.Sender.user()}
	if e.RequestedTeam != nil {
		ev.RequestedTeam = &github.Team{Slug: e.RequestedTeam.Slug}
	}
	return ev
}

// unchanged says an edited event changed nothing the policy reads.
func (e *prEvent) unchanged() bool {
	c := e.Changes
	return c != nil && c.Title == nil && c.Body == nil && c.Base == nil
}
