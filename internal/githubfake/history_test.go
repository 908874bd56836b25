package githubfake

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/google/go-github/v60/github"
)

func TestClosedPullRequestHistory(t *testing.T) {
	t.Parallel()
	f, c := setup(t)
	ctx := context.Background()
	opened := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	f.AddPullRequest(owner, name, PullRequest{Number: 8, HeadRef: "x", HeadSHA: "fff", BaseSHA: "base8", Author: "bob",
		State: "closed", CreatedAt: opened, ClosedAt: opened.Add(3 * time.Hour), MergedAt: opened.Add(3 * time.Hour)})
	f.RequestReviewAt(owner, name, 8, "bob", "alice", opened.Add(time.Hour))
	f.RequestReviewAt(owner, name, 8, "bob", "@"+owner+"/core", opened.Add(30*time.Minute))
	f.AddReviewAt(owner, name, 8, "alice", "approved", "MEMBER", opened.Add(2*time.Hour))

	prs, _, err := c.PullRequests.List(ctx, owner, name, &github.PullRequestListOptions{State: "closed", Sort: "updated", Direction: "desc"})
	if err != nil || len(prs) != 1 {
		t.Fatalf("closed = %v, %v; want #8 only", numbers(prs), err)
	}
	p := prs[0]
	if !p.GetMergedAt().Time.Equal(opened.Add(3*time.Hour)) || !p.GetCreatedAt().Time.Equal(opened) || p.GetBase().GetSHA() != "base8" ||
		!p.GetUpdatedAt().Time.Equal(opened.Add(3*time.Hour)) {
		t.Errorf("times and base: created %v merged %v updated %v base %q", p.GetCreatedAt(), p.GetMergedAt(), p.GetUpdatedAt(), p.GetBase().GetSHA())
	}
	events, _, err := c.Issues.ListIssueTimeline(ctx, owner, name, 8, nil)
	if err != nil || len(events) != 3 {
		t.Fatalf("timeline = %d events, %v; want 3", len(events), err)
	}
	if events[0].GetRequestedTeam().GetSlug() != "core" || events[1].GetReviewer().GetLogin() != "alice" ||
		events[2].GetEvent() != "reviewed" || events[2].GetState() != "approved" {
		t.Errorf("timeline out of order or shape: %s %s %s", events[0].GetEvent(), events[1].GetEvent(), events[2].GetEvent())
	}
	reviews, _, err := c.PullRequests.ListReviews(ctx, owner, name, 8, nil)
	if err != nil || len(reviews) != 1 || !reviews[0].GetSubmittedAt().Time.Equal(opened.Add(2*time.Hour)) {
		t.Errorf("reviews = %v, %v; want alice's at 12:00", reviews, err)
	}
}

func TestRepositoryInstallationTakesTheAppJWT(t *testing.T) {
	t.Parallel()
	f, c := setup(t)
	ctx := context.Background()
	atr, err := ghinstallation.NewAppsTransport(http.DefaultTransport, f.AppID(), f.PrivateKeyPEM())
	if err != nil {
		t.Fatal(err)
	}
	app := github.NewClient(&http.Client{Transport: atr})
	app.BaseURL, _ = url.Parse(f.URL)
	inst, _, err := app.Apps.FindRepositoryInstallation(ctx, owner, name)
	if err != nil || inst.GetID() != instID {
		t.Fatalf("installation = %v, %v; want %d", inst, err, instID)
	}
	f.AddRepo("other-org", "secret", 2, "main")
	_, resp, err := app.Apps.FindRepositoryInstallation(ctx, "other-org", "secret")
	if got := statusOf(t, resp, err); got != http.StatusNotFound {
		t.Errorf("a repository no installation sees: %d, want 404", got)
	}
	_, resp, err = c.Apps.FindRepositoryInstallation(ctx, owner, name) // an installation token
	if got := statusOf(t, resp, err); got != http.StatusUnauthorized {
		t.Errorf("with an installation token: %d, want 401", got)
	}
}
