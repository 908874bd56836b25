package githubfake

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// repoInstallationPath is the one repository endpoint that takes the app's
// JWT rather than an installation token: how an app finds which of its
// installations sees a repository.
const repoInstallationPath = "/repos/{owner}/{repo}/installation"

// timelineEvent is one event of a pull request's timeline as the fake keeps
// it: review requests (with the person or team asked) and reviews.
type timelineEvent struct {
	id             int64
	event, actor   string
	reviewer, team string // review_requested: one of them is set (team: its slug)
	state          string // reviewed
	at             time.Time
	reviewID       int64
}

// AddReviewAt records a submitted review at a given time, by an author with
// the given author_association, and its "reviewed" timeline event. Like
// AddReview, it removes the author from the requested reviewers.
func (f *Fake) AddReviewAt(owner, repoName string, number int, author, reviewState, association string, at time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.mustPull(owner, repoName, number)
	id := f.st.newID()
	p.reviews = append(p.reviews, review{id: id, author: author, state: strings.ToUpper(reviewState),
		association: association, submitted: at.UTC()})
	p.timeline = append(p.timeline, timelineEvent{id: f.st.newID(), event: "reviewed", actor: author,
		state: strings.ToLower(reviewState), at: at.UTC(), reviewID: id})
	p.requestedUsers = removeFold(p.requestedUsers, author)
}

// RequestReviewAt records that requester asked reviewer (a login, or
// "@org/slug" for a team) for a review at a given time: a review_requested
// event on the timeline. It does not change the current requests, which
// for a closed pull request GitHub no longer shows.
func (f *Fake) RequestReviewAt(owner, repoName string, number int, requester, reviewer string, at time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.mustPull(owner, repoName, number)
	ev := timelineEvent{id: f.st.newID(), event: "review_requested", actor: requester, at: at.UTC()}
	if _, slug, isTeam := strings.Cut(reviewer, "/"); isTeam && strings.HasPrefix(reviewer, "@") {
		ev.team = slug
	} else {
		ev.reviewer = reviewer
	}
	p.timeline = append(p.timeline, ev)
}

// times formats the pull request's timestamps for its JSON; zero ones
// default to def (created, updated) or null (closed, merged).
func (p *pull) times(def string) (created, updated string, closed, merged any) {
	created, updated = def, def
	if !p.CreatedAt.IsZero() {
		created, updated = p.CreatedAt.UTC().Format(time.RFC3339), p.CreatedAt.UTC().Format(time.RFC3339)
	}
	last := p.CreatedAt
	for _, t := range []time.Time{p.ClosedAt, p.MergedAt} {
		if t.After(last) {
			last = t
		}
	}
	if !last.IsZero() {
		updated = last.UTC().Format(time.RFC3339)
	}
	if !p.ClosedAt.IsZero() {
		closed = p.ClosedAt.UTC().Format(time.RFC3339)
	}
	if !p.MergedAt.IsZero() {
		merged = p.MergedAt.UTC().Format(time.RFC3339)
	}
	return created, updated, closed, merged
}

// baseSHA is the commit the pull request's base points at.
func (p *pull) baseSHA() string {
	if p.BaseSHA != "" {
		return p.BaseSHA
	}
	return blobSHA(p.BaseRef)
}

// listTimeline answers a pull request's (issue's) timeline, oldest first:
// the review_requested and reviewed events the test recorded.
func listTimeline(q *request) response {
	f := q.fake
	f.mu.Lock()
	defer f.mu.Unlock()
	r, found := q.repoFor()
	if !found {
		return notFound
	}
	n, _ := strconv.Atoi(q.params["issue_number"])
	p, found := r.pulls[n]
	if !found {
		return notFound
	}
	events := append([]timelineEvent(nil), p.timeline...)
	sort.SliceStable(events, func(a, b int) bool { return events[a].at.Before(events[b].at) })
	out := make([]any, len(events))
	for i, ev := range events {
		out[i] = f.timelineJSON(r, p, ev)
	}
	page, header := paginate(q, out)
	return response{status: http.StatusOK, body: page, header: header}
}

func (f *Fake) timelineJSON(r *repo, p *pull, ev timelineEvent) map[string]any {
	ts := ev.at.Format(time.RFC3339)
	m := map[string]any{"id": ev.id, "node_id": nodeID("E", ev.id), "event": ev.event, "actor": f.userJSON(ev.actor),
		"url": f.apiURL("repos/%s/issues/events/%d", full(r), ev.id), "commit_id": nil, "commit_url": nil, "created_at": ts}
	switch ev.event {
	case "review_requested":
		m["review_requester"] = f.userJSON(ev.actor)
		if ev.team != "" {
			m["requested_team"] = f.teamsJSON(r, []string{ev.team})[0]
		} else {
			m["requested_reviewer"] = f.userJSON(ev.reviewer)
		}
	case "reviewed":
		// GitHub's reviewed events carry the review's id, user and time.
		m = map[string]any{"id": ev.reviewID, "node_id": nodeID("PRR", ev.reviewID), "event": "reviewed",
			"user": f.userJSON(ev.actor), "state": ev.state, "submitted_at": ts, "body": nil,
			"author_association": "MEMBER", "commit_id": p.HeadSHA,
			"html_url":         fmt.Sprintf("https://github.com/%s/pull/%d#pullrequestreview-%d", full(r), p.Number, ev.reviewID),
			"pull_request_url": f.apiURL("repos/%s/pulls/%d", full(r), p.Number),
			"_links":           map[string]any{}}
	}
	return m
}

// getRepoInstallation finds the app's installation that sees the
// repository (app JWT); 404 when none does.
func getRepoInstallation(q *request) response {
	f := q.fake
	f.mu.Lock()
	defer f.mu.Unlock()
	r, found := f.st.repos[repoKey(q.params["owner"], q.params["repo"])]
	if !found {
		return notFound
	}
	ids := make([]int64, 0, len(f.st.installations))
	for id := range f.st.installations {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(a, b int) bool { return ids[a] < ids[b] })
	for _, id := range ids {
		if inst := f.st.installations[id]; inst.canAccess(r) {
			return ok(f.installationJSON(inst))
		}
	}
	return notFound
}
