package simulate

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"
)

func event(name string, at time.Time) *github.Timeline {
	return &github.Timeline{Event: github.String(name), CreatedAt: &github.Timestamp{Time: at}}
}

func TestTimelineFacts(t *testing.T) {
	t.Parallel()
	opened := at(0, 9)
	asked := event("review_requested", at(0, 10))
	asked.Reviewer = &github.User{Login: github.String("alice")}
	team := event("review_requested", at(0, 11))
	team.RequestedTeam = &github.Team{Slug: github.String("core")}
	events := []*github.Timeline{event("ready_for_review", at(0, 12)), asked, team, event("labeled", at(0, 13)),
		event("convert_to_draft", at(1, 9)), event("convert_to_draft", at(1, 10)), event("ready_for_review", at(1, 12)),
		event("convert_to_draft", at(2, 9))}
	want := []Period{{From: opened, To: at(0, 12)}, {From: at(1, 9), To: at(1, 12)}, {From: at(2, 9)}}
	if got := drafts(events, opened); !slices.Equal(got, want) {
		t.Errorf("drafts %v, want %v", got, want)
	}
	reqs := requests(events, "acme")
	if len(reqs) != 2 || reqs[0].Reviewer != "alice" || reqs[1].Reviewer != "@acme/core" || !reqs[1].At.Equal(at(0, 11)) {
		t.Errorf("requests %+v", reqs)
	}
	if got := drafts([]*github.Timeline{asked}, opened); len(got) != 0 {
		t.Errorf("no draft events gave %v", got)
	}
}
