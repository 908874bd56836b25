package web

import (
	"context"
	"strings"
	"testing"

	"github.com/reviewpolicy/reviewpolicy/simulate"
	"github.com/reviewpolicy/reviewpolicy/store"
)

// TestPullRequestPageShowsItsWhatIf: a policy pull request's page shows the
// report kept for the head it shows, its numbers, each difference's pull
// requests as links to their pages here, and hostile keys escaped; a report
// of another head, and a pull request without one, show nothing.
func TestPullRequestPageShowsItsWhatIf(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	ctx := context.Background()
	head, old := strings.Repeat("a", 40), strings.Repeat("b", 40)
	if err := e.store.PutPRSummary(ctx, store.PRSummary{InstallationID: instID, RepoID: 1, Owner: org, Repo: seenRepo, Number: 4,
		Title: "Tighten the policy", Author: "lead", State: "open", Snapshot: []byte(`{"head_sha":"` + head + `"}`), UpdatedAt: testNow}); err != nil {
		t.Fatal(err)
	}
	rep := simulate.Report{Repo: "Acme/web", Current: "policy in force", Proposed: "head", PRs: 60, Merged: 57,
		From: testNow.AddDate(0, -2, 0), To: testNow,
		Template: []simulate.Group{{Key: `section "Testing": missing <script>x</script>`, Current: []int{11}, Proposed: []int{11, 17, 18},
			Added: []int{17, 18}}},
		Spread: [2]simulate.Load{{Requests: 40, People: 4, Max: 19, Median: 8}, {Requests: 44, People: 5, Max: 12, Median: 9.5, None: []string{"zed"}}},
		SLA: simulate.SLA{Breached: simulate.Group{Key: "breached", Current: []int{21, 22}, Proposed: []int{21}, Removed: []int{22}},
			Clocked: [2]int{58, 58}, Reviewed: 55},
		Unknown: []string{"team membership then is unknown; today's is used"}}
	put := func(number int, sha string, r simulate.Report) {
		data, err := simulate.EncodeStored(sha, r)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.store.PutAnswer(ctx, simulate.StoredKey(1, number, sha), data, testNow); err != nil {
			t.Fatal(err)
		}
	}
	put(4, head, rep)
	stale := rep
	stale.PRs = 99
	put(4, old, stale)
	put(2, old, stale) // #2's snapshot names no head
	e.fake.GrantUser("ann", instID, org+"/"+seenRepo)
	c := e.signIn(t, "ann")

	code, page := get(t, c, e.srv.URL+"/Acme/web/pull/4")
	for _, want := range []string{`<h2 id="whatif-h">What-if of this policy change</h2>`, "head <code>aaaaaaa</code>",
		"last 60 closed pull requests (57 merged)", "&lt;script&gt;x&lt;/script&gt;", `<td class="num">&#43;2</td>`,
		`<a href="/Acme/web/pull/17">#17</a>`, `<a href="/Acme/web/pull/18">#18</a>`, `<a href="/Acme/web/pull/22">#22</a>`,
		"<caption>Template failures, by reason:", `<td class="num">19</td>`, "zed", "team membership then is unknown"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page (%d) lacks %q", code, want)
		}
	}
	if strings.Contains(page, "<script>x") || strings.Contains(page, "last 99") {
		t.Error("the page shows an unescaped key or another head's report")
	}
	_, page = get(t, c, e.srv.URL+"/Acme/web/pull/2")
	if strings.Contains(page, "What-if") {
		t.Error("a pull request without a report for its head shows a what-if")
	}
}
