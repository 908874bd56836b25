package simulate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/reviewpolicy/reviewpolicy/policy"
)

func parse(t testing.TB, src string) *policy.Policy {
	t.Helper()
	p, err := policy.Parse("p.yml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// mon is Monday 7 December 2026, 00:00 UTC.
var mon = time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)

func at(day, hour int) time.Time { return mon.Add(time.Duration(day*24+hour) * time.Hour) }

// pr is a merged pull request opened at open and closed a week later.
func pr(n int, open time.Time, body string, files ...string) PR {
	return PR{Number: n, URL: fmt.Sprintf("https://github.com/o/r/pull/%d", n), Title: "change", Body: body,
		Author: "dev", Files: files, CreatedAt: open, ClosedAt: open.Add(7 * 24 * time.Hour),
		MergedAt: open.Add(7 * 24 * time.Hour)}
}

func review(who, state string, t time.Time) policy.Review {
	return policy.Review{Author: who, State: state, SubmittedAt: t, Association: "MEMBER"}
}

func find(t *testing.T, gs []Group, key string) Group {
	t.Helper()
	for _, g := range gs {
		if g.Key == key {
			return g
		}
	}
	t.Fatalf("no group %q in %+v", key, gs)
	return Group{}
}

func TestReplay(t *testing.T) {
	t.Parallel()
	const withSummary = "## Summary\nthis changes the widget parser\n"
	const withBoth = withSummary + "## Testing\nunit tests cover it\n"
	tests := []struct {
		name              string
		current, proposed string
		history           []PR
		check             func(t *testing.T, r Report)
	}{{
		name:     "a new required section fails the pull requests without it",
		current:  "version: 1\ntemplate: {sections: [{heading: Summary}]}\n",
		proposed: "version: 1\ntemplate: {sections: [{heading: Summary}, {heading: Testing}]}\n",
		history:  []PR{pr(1, at(0, 9), withSummary), pr(2, at(0, 10), withBoth), pr(3, at(0, 11), "no sections")},
		check: func(t *testing.T, r Report) {
			g := find(t, r.Template, `section "Testing": missing`)
			if !slices.Equal(g.Added, []int{1, 3}) || len(g.Current) != 0 || len(g.Removed) != 0 {
				t.Errorf("testing group %+v, want added [1 3]", g)
			}
			g = find(t, r.Template, `section "Summary": missing`)
			if !slices.Equal(g.Current, []int{3}) || g.Changed() {
				t.Errorf("summary group %+v, want #3 under both", g)
			}
		},
	}, {
		name:     "a new rule moves load, and people named but never asked show",
		current:  "version: 1\nreviewers: {strategy: round-robin, rules: [{name: all, paths: [\"**\"], reviewers: [alice, bob]}]}\n",
		proposed: "version: 1\nreviewers: {strategy: round-robin, rules: [{name: all, paths: [\"**\"], reviewers: [alice, bob]}, {name: docs, paths: [\"*.md\"], reviewers: [carol, dave], count: 2}]}\n",
		history: []PR{pr(1, at(0, 9), "", "a.go"), pr(2, at(0, 10), "", "b.go"), pr(3, at(0, 11), "", "c.md"),
			pr(4, at(0, 12), "", "d.md")},
		check: func(t *testing.T, r Report) {
			if l := r.Spread[0]; l.Requests != 4 || l.Max != 2 || l.People != 2 || l.Median != 2 {
				t.Errorf("current spread %+v, want 4 requests, 2 each", l)
			}
			if g := find(t, r.Load, "carol"); !slices.Equal(g.Added, []int{3, 4}) {
				t.Errorf("carol %+v, want added [3 4]", g)
			}
			if l := r.Spread[1]; l.Requests != 8 || l.People != 4 {
				t.Errorf("proposed spread %+v, want 8 requests over 4 people", l)
			}
		},
	}, {
		name:     "a rule only its author could review has no candidate",
		current:  "version: 1\n",
		proposed: "version: 1\nreviewers: {rules: [{name: solo, paths: [\"**\"], reviewers: [dev]}]}\n",
		history:  []PR{pr(1, at(0, 9), "", "a.go")},
		check: func(t *testing.T, r Report) {
			if g := find(t, r.NoCandidate, "solo"); !slices.Equal(g.Added, []int{1}) {
				t.Errorf("solo %+v, want added [1]", g)
			}
			if r.Spread[1].Requests != 0 || len(r.Spread[1].None) != 0 {
				t.Errorf("spread %+v: the author is no candidate", r.Spread[1])
			}
		},
	}, {
		name:     "merged without the required approval, or approved only after the merge",
		current:  "version: 1\nreviewers: {rules: [{name: core, paths: [\"**\"], reviewers: [alice, bob]}]}\n",
		proposed: "version: 1\nreviewers: {rules: [{name: core, paths: [\"**\"], reviewers: [alice, bob], required_approvals: 1}]}\n",
		history: func() []PR {
			ok, none, late, closed := pr(1, at(0, 9), "", "a.go"), pr(2, at(0, 9), "", "a.go"), pr(3, at(0, 9), "", "a.go"), pr(4, at(0, 9), "", "a.go")
			ok.Reviews = []policy.Review{review("alice", "APPROVED", at(1, 9))}
			none.Reviews = []policy.Review{review("bob", "COMMENTED", at(1, 9)), review("mallory", "APPROVED", at(1, 9))}
			late.Reviews = []policy.Review{review("bob", "APPROVED", late.MergedAt.Add(time.Hour))}
			closed.MergedAt = time.Time{}
			return []PR{ok, none, late, closed}
		}(),
		check: func(t *testing.T, r Report) {
			g := find(t, r.Blocked, "core")
			if !slices.Equal(g.Added, []int{2, 3}) || len(g.Current) != 0 {
				t.Errorf("blocked %+v, want added [2 3]: #1 approved, #4 never merged", g)
			}
			if r.Merged != 3 {
				t.Errorf("merged %d, want 3", r.Merged)
			}
		},
	}, {
		name:     "working hours: a weekend no longer breaches, a slow weekday still does",
		current:  "version: 1\nsla: {first_review: 24h}\n",
		proposed: "version: 1\nsla: {first_review: 8h, working_hours: {timezone: UTC, days: [mon, tue, wed, thu, fri], start: \"09:00\", end: \"17:00\"}}\n",
		history: func() []PR {
			weekend, slow, quick, never := pr(1, at(4, 15), ""), pr(2, at(0, 9), ""), pr(3, at(0, 9), ""), pr(4, at(0, 9), "")
			weekend.Requests = []Request{{At: at(4, 16), Reviewer: "alice"}} // Friday 16:00
			weekend.Reviews = []policy.Review{review("alice", "APPROVED", at(7, 10))}
			slow.Requests = []Request{{At: at(0, 9), Reviewer: "alice"}}
			slow.Reviews = []policy.Review{review("alice", "COMMENTED", at(1, 12))} // 27h wall, 11h working
			quick.Requests = []Request{{At: at(0, 9), Reviewer: "alice"}}
			quick.Reviews = []policy.Review{review("alice", "APPROVED", at(0, 16))} // 7h both
			never.Reviews = []policy.Review{review("alice", "APPROVED", at(0, 10))} // nobody asked
			return []PR{weekend, slow, quick, never}
		}(),
		check: func(t *testing.T, r Report) {
			b := r.SLA.Breached
			if !slices.Equal(b.Current, []int{1, 2}) || !slices.Equal(b.Proposed, []int{2}) || !slices.Equal(b.Removed, []int{1}) {
				t.Errorf("breaches %+v, want current [1 2], proposed [2], removed [1]", b)
			}
			if r.SLA.Clocked != [2]int{3, 3} {
				t.Errorf("clocked %v, want 3 under each", r.SLA.Clocked)
			}
			// Wall-clock to first review as it was: 66h, 27h, 7h, and 1h
			// from the opening for the one nobody asked: median (7+27)/2.
			if r.SLA.Reviewed != 4 || r.SLA.MedianFirstReview != 17*time.Hour {
				t.Errorf("first review: %d, median %v, want 4, 17h", r.SLA.Reviewed, r.SLA.MedianFirstReview)
			}
			if r.SLA.MedianWorking[1] != 7*time.Hour {
				t.Errorf("median working time %v, want 7h (2h, 11h, 7h)", r.SLA.MedianWorking[1])
			}
		},
	}, {
		name:     "a policy asking at the opening starts the clock there",
		current:  "version: 1\nsla: {first_review: 4h}\n",
		proposed: "version: 1\nreviewers: {rules: [{name: all, paths: [\"**\"], reviewers: [alice]}]}\nsla: {first_review: 4h}\n",
		history: func() []PR {
			p := pr(1, at(0, 9), "", "a.go")
			p.Requests = []Request{{At: at(0, 15), Reviewer: "alice"}}
			p.Reviews = []policy.Review{review("alice", "APPROVED", at(0, 16))}
			return []PR{p}
		}(),
		check: func(t *testing.T, r Report) {
			if !slices.Equal(r.SLA.Breached.Added, []int{1}) {
				t.Errorf("breaches %+v: asked at 09:00 and reviewed at 16:00 is 7h, over 4h", r.SLA.Breached)
			}
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := History{Repo: "o/r", PRs: tc.history}
			tc.check(t, Replay(h, parse(t, tc.current), parse(t, tc.proposed), "current", "proposed"))
		})
	}
}

func TestTeamsUseTodaysMembershipAndSayItIsUnknown(t *testing.T) {
	t.Parallel()
	p := parse(t, "version: 1\nreviewers: {rules: [{name: all, paths: [\"**\"], reviewers: [\"@o/core\"]}]}\n")
	h := History{Repo: "o/r", PRs: []PR{pr(1, at(0, 9), "", "a.go")}, Teams: map[string][]string{"@o/core": {"zed"}},
		TeamsAt: at(9, 0)}
	r := Replay(h, nil, p, "none", "p.yml")
	if g := find(t, r.Load, "zed"); !slices.Equal(g.Added, []int{1}) {
		t.Errorf("zed %+v, want asked on #1", g)
	}
	found := false
	for _, u := range r.Unknown {
		found = found || slices.Contains([]string{"A team's membership then is unknown: today's membership (read 2026-12-16 00:00 UTC) was used."}, u)
	}
	if !found {
		t.Errorf("unknowns %q do not say today's membership was used", r.Unknown)
	}
}

func TestReplayStopsWhenTheContextEnds(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	h := History{Repo: "o/r", PRs: []PR{pr(1, at(0, 9), "", "a.go")}}
	if _, err := ReplayContext(ctx, h, nil, parse(t, "version: 1\n"), "a", "b"); !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want context.Canceled", err)
	}
}

func TestDraftTimeDoesNotCountTowardTheSLA(t *testing.T) {
	t.Parallel()
	p := parse(t, "version: 1\nsla: {first_review: 4h}\n")
	opened, midway, plain := pr(1, at(0, 9), ""), pr(2, at(0, 9), ""), pr(3, at(0, 9), "")
	for _, x := range []*PR{&opened, &midway, &plain} {
		x.Requests = []Request{{At: at(0, 9), Reviewer: "alice"}}
		x.Reviews = []policy.Review{review("alice", "APPROVED", at(0, 17))} // 8h after the request
	}
	opened.Drafts = []Period{{From: at(0, 9), To: at(0, 15)}}  // 2h ready: met
	midway.Drafts = []Period{{From: at(0, 10), To: at(0, 14)}} // 4h ready: breached at the limit
	r := Replay(History{Repo: "o/r", PRs: []PR{opened, midway, plain}}, p, p, "a", "b")
	if got := r.SLA.Breached.Current; !slices.Equal(got, []int{2, 3}) {
		t.Errorf("breached %v, want [2 3]: #1 counted only its 2 ready hours", got)
	}
	if r.SLA.MedianWorking[0] != 4*time.Hour {
		t.Errorf("median %v, want 4h (2h, 4h, 8h)", r.SLA.MedianWorking[0])
	}
}

func TestBaseFilesAsOfEachPullRequest(t *testing.T) {
	t.Parallel()
	p := parse(t, "version: 1\ntemplate: {sections: [{heading: Summary}]}\nreviewers: {codeowners: true}\n")
	old, late := pr(1, at(0, 9), "## Summary\nTODO: describe\n", "a.go"), pr(2, at(1, 9), "## Summary\nTODO: describe\n", "a.go")
	old.CodeOwners, late.CodeOwners = "*.go @carol\n", "*.go @dave\n"
	late.Template = "## Summary\nTODO: describe\n" // the body is only the template's text there
	r := Replay(History{Repo: "o/r", PRs: []PR{old, late}}, nil, p, "none", "p")
	if g := find(t, r.Load, "carol"); !slices.Equal(g.Proposed, []int{1}) {
		t.Errorf("carol %+v, want #1 only (its base's CODEOWNERS)", g)
	}
	if g := find(t, r.Load, "dave"); !slices.Equal(g.Proposed, []int{2}) {
		t.Errorf("dave %+v, want #2 only", g)
	}
	if g := find(t, r.Template, `section "Summary": placeholder`); !slices.Equal(g.Proposed, []int{2}) {
		t.Errorf("placeholder %+v, want #2 only (#1's base had no template)", g)
	}
}
