package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/reviewpolicy/reviewpolicy/analytics"
	"github.com/reviewpolicy/reviewpolicy/policy"
	"github.com/reviewpolicy/reviewpolicy/policy/decide"
	"github.com/reviewpolicy/reviewpolicy/policy/sla"
	"github.com/reviewpolicy/reviewpolicy/policy/template"
	"github.com/reviewpolicy/reviewpolicy/store"
)

// The history the web pages read (store.PRSummary, store.PREvent) is
// written here, beside the evaluation and the webhooks that feed it. Every
// write is idempotent (a summary replaces the last, an event has a key), so
// retried jobs and repeated deliveries record nothing twice.

// snapText bounds each piece of user text kept in a snapshot.
const snapText = 1000

// recordEvent adds one event of r's pull request.
func (a *App) recordEvent(ctx context.Context, w store.Writes, r repoRef, kind, actor, key string, at time.Time) error {
	return w.RecordPREvent(ctx, store.PREvent{RepoID: r.RepoID, Owner: r.Owner, Repo: r.Repo, Number: r.Number,
		Key: kind + ":" + key, Kind: kind, Actor: actor, At: at})
}

// recordTeamEvent adds a team's review request or its removal, keyed by
// the delivery as a person's are: GitHub sends one delivery per request,
// the app's own requests included, and redelivers it with the same ID.
func (a *App) recordTeamEvent(ctx context.Context, w store.Writes, r repoRef, kind, slug, deliveryID string, at time.Time) error {
	return w.RecordPREvent(ctx, store.PREvent{RepoID: r.RepoID, Owner: r.Owner, Repo: r.Repo, Number: r.Number,
		Key: kind + ":" + slug + ":" + deliveryID, Kind: kind, Actor: slug, Detail: "@" + strings.ToLower(r.Owner) + "/" + slug, At: at})
}

// recordPullRequestEvent records what a pull_request delivery tells the
// history: requests, readiness, merging and closing.
func (a *App) recordPullRequestEvent(ctx context.Context, w store.Writes, r repoRef, deliveryID, action string, ev *github.PullRequestEvent, now time.Time) error {
	pr := ev.GetPullRequest()
	login := strings.ToLower(ev.GetRequestedReviewer().GetLogin())
	team := strings.ToLower(ev.GetRequestedTeam().GetSlug())
	switch {
	case action == "review_requested" && team != "":
		return a.recordTeamEvent(ctx, w, r, store.EventTeamRequested, team, deliveryID, now)
	case action == "review_request_removed" && team != "":
		return a.recordTeamEvent(ctx, w, r, store.EventTeamUnrequested, team, deliveryID, now)
	case action == "review_requested" && login != "":
		return a.recordEvent(ctx, w, r, store.EventRequested, login, login+":"+deliveryID, now)
	case action == "review_request_removed" && login != "":
		return a.recordEvent(ctx, w, r, store.EventUnrequested, login, login+":"+deliveryID, now)
	case (action == "opened" && !pr.GetDraft()) || action == "ready_for_review":
		return a.recordEvent(ctx, w, r, store.EventReady, "", deliveryID, now)
	case action == "closed":
		state, kind := "closed", store.EventClosed
		if pr.GetMerged() {
			state, kind = "merged", store.EventMerged
		}
		at := timeOr(pr.ClosedAt, now)
		if err := w.MarkPRState(ctx, r.RepoID, r.Number, state, at); err != nil {
			return err
		}
		return a.recordEvent(ctx, w, r, kind, strings.ToLower(pr.GetMergedBy().GetLogin()), fmt.Sprint(at.Unix()), at)
	}
	return nil
}

// teamSlugs turns "@org/slug" references into slugs.
func teamSlugs(refs []string) []string {
	out := make([]string, 0, len(refs))
	for _, ref := range refs {
		out = append(out, ref[strings.LastIndex(ref, "/")+1:])
	}
	return out
}

// recordEvaluation leaves the pull request's summary and snapshot after an
// evaluation for the evaluation's end to write (g.summary), and stores its
// reviews (with whether each fell in the reviewer's working hours), a
// changed template result, and the policy's teams.
func (a *App) recordEvaluation(ctx context.Context, r repoRef, g *gathered, d decide.Decision, now time.Time) error {
	f := g.facts
	if pr := g.pr; pr.GetState() == "closed" {
		// A closed pull request is not evaluated: its page keeps the last
		// evaluation, and only its state changes.
		state := "closed"
		if pr.GetMerged() {
			state = "merged"
		}
		if err := a.Store.MarkPRState(ctx, r.RepoID, r.Number, state, timeOr(pr.ClosedAt, now)); err != nil {
			return err
		}
		return a.recordReviews(ctx, r, f)
	}
	snap := pageSnapshotOf(g, d, now)
	data, err := json.Marshal(snap)
	if err != nil {
		return err
	}
	sum := store.PRSummary{InstallationID: r.Installation, RepoID: r.RepoID, Owner: r.Owner, Repo: r.Repo,
		Number: r.Number, Title: clipText(f.PR.Title), Author: f.PR.Author, State: "open", Draft: f.PR.Draft,
		Conclusion: d.Report.Conclusion, Requested: f.Requested, RequestedTeams: teamSlugs(f.RequestedTeams),
		Snapshot: data, UpdatedAt: now}
	var failures []string
	if snap.Template != nil {
		failures = failingKinds(snap.Template.Items)
		sum.TemplateFailures = failures
	}
	if s := snap.SLA; s != nil {
		sum.StartedAt, sum.FirstReviewAt = s.StartedAt, s.FirstReviewAt
		if s.State == string(sla.Running) {
			sum.DeadlineAt = s.Deadline
		}
		if s.Breached && s.State == string(sla.Running) {
			sum.BreachedAt = s.Deadline
		}
	}
	g.summary = &sum // written with the evaluation's end (evaluate.go)
	if snap.Template != nil {
		key := g.headSHA + ":" + strings.Join(failures, ",")
		if err := a.recordEvent(ctx, a.Store.Writes, r, store.EventTemplate, "", key, now); err != nil {
			return err
		}
	}
	if err := a.recordReviews(ctx, r, f); err != nil {
		return err
	}
	for team, members := range f.Teams {
		if err := a.Store.PutTeam(ctx, r.Owner, strings.TrimPrefix(team[strings.LastIndex(team, "/")+1:], "@"), members); err != nil {
			return err
		}
	}
	return nil
}

// recordReviews records each submitted review once, keyed by its reviewer
// and time, with whether it was inside the reviewer's working hours: the
// SLA's window in the reviewer's own zone (policy people) when set.
func (a *App) recordReviews(ctx context.Context, r repoRef, f decide.Facts) error {
	for _, rv := range f.Reviews {
		if rv.AuthorBot || rv.SubmittedAt.IsZero() || strings.EqualFold(rv.Author, f.PR.Author) {
			continue
		}
		login := strings.ToLower(rv.Author)
		e := store.PREvent{RepoID: r.RepoID, Owner: r.Owner, Repo: r.Repo, Number: r.Number,
			Key: fmt.Sprintf("%s:%s:%d", store.EventReviewed, login, rv.SubmittedAt.UnixMicro()), Kind: store.EventReviewed,
			Actor: login, Detail: strings.ToLower(rv.State), Inside: reviewerWindow(f.Policy, login).Inside(rv.SubmittedAt),
			At: rv.SubmittedAt}
		if err := a.Store.RecordPREvent(ctx, e); err != nil {
			return err
		}
	}
	return nil
}

// reviewerWindow is the working window a review is judged against.
func reviewerWindow(p *policy.Policy, login string) analytics.Window {
	w := analytics.DefaultWindow(nil)
	if p == nil {
		return w
	}
	if p.SLA != nil && p.SLA.WorkingHours != nil {
		wh := p.SLA.WorkingHours
		w = analytics.Window{Loc: wh.Location, Days: wh.Days, Start: wh.Start, End: wh.End}
	}
	if person, ok := p.People[login]; ok && person.Location != nil {
		w.Loc = person.Location
	}
	return w
}

func failingKinds(items []analytics.Item) []string {
	var out []string
	for _, it := range items {
		if it.Status != string(template.Met) && !slices.Contains(out, it.Kind) {
			out = append(out, it.Kind)
		}
	}
	return out
}

func clipText(s string) string {
	if len(s) <= snapText {
		return s
	}
	cut := snapText
	for cut > 0 && s[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
		cut--
	}
	return s[:cut] + "…"
}

// recordBreach records a breach of one clock generation, once.
func (a *App) recordBreach(ctx context.Context, t slaTimerArgs) error {
	r := repoRef{Installation: t.Installation, RepoID: t.RepoID, Owner: t.Owner, Repo: t.Repo, Number: t.Number}
	now := a.Now()
	if err := a.Store.MarkPRBreached(ctx, t.RepoID, t.Number, now); err != nil {
		return err
	}
	return a.recordEvent(ctx, a.Store.Writes, r, store.EventBreached, "", fmt.Sprint(t.Generation), now)
}

// detailsURL is the web page of pull request number of r's repository, ""
// without a public URL. Path segments are escaped, as GitHub's names only
// hold safe characters but the URL is built from webhook text.
func (a *App) detailsURL(r repoRef, number int) string {
	if a.PublicURL == "" {
		return ""
	}
	return strings.TrimSuffix(a.PublicURL, "/") + "/" + url.PathEscape(r.Owner) + "/" + url.PathEscape(r.Repo) +
		"/pull/" + strconv.Itoa(number)
}
