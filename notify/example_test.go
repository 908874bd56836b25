package notify

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
)

// examplePayloads are the messages docs/notifications.md shows.
func examplePayloads() map[string]Payload {
	pr := PR{Installation: 1, RepoID: 7, Owner: "acme", Repo: "api", Number: 42, Title: "Retry webhook deliveries <b>now</b>",
		Author: "erin", URL: "https://github.com/acme/api/pull/42", Files: 4, Additions: 120, Deletions: 8}
	due := time.Date(2026, 3, 3, 15, 0, 0, 0, time.UTC)
	alice := Person{Login: "alice", Slack: "U0123ABCD"}
	other := PR{Owner: "acme", Repo: "web", Number: 7, Title: "Dark mode", URL: "https://github.com/acme/web/pull/7"}
	mine := PR{Owner: "acme", Repo: "api", Number: 45, Title: "Rate-limit the export", URL: "https://github.com/acme/api/pull/45"}
	return map[string]Payload{
		"review requested": {Kind: KindReviewRequested, PR: pr, Deadline: due, Zone: "Europe/Berlin"},
		"reminder":         {Kind: KindReminder, PR: pr, Deadline: due, Zone: "Europe/Berlin"},
		"breach": {Kind: KindBreach, PR: pr, Reviewers: []Person{alice, {Login: "bob"}},
			Escalate: []Person{{Login: "dave", Slack: "U0456EFGH"}, {Login: "@acme/leads"}}},
		"breach, after the review": {Kind: KindBreach, PR: pr, Reviewers: []Person{alice, {Login: "bob"}},
			Escalate: []Person{{Login: "dave", Slack: "U0456EFGH"}}, ReviewedBy: "alice", After: 26*time.Hour + 10*time.Minute},
		"personal digest": {Kind: KindDigest, Zone: "Europe/Berlin",
			Waiting: []DigestItem{{PR: pr, Deadline: due.Add(-26 * time.Hour), Overdue: true}, {PR: other, Deadline: due}},
			Mine:    []DigestItem{{PR: mine, Deadline: due.Add(3 * time.Hour)}}},
		"channel digest": {Kind: KindDigest, Channel: true, Zone: "Europe/Berlin", WaitingCount: 5,
			Breached: []DigestItem{{PR: pr, Deadline: due.Add(-26 * time.Hour), Overdue: true}},
			AtRisk:   []DigestItem{{PR: other, Deadline: due}},
			Load:     []Load{{Login: "alice", Open: 3}, {Login: "bob", Open: 2}, {Login: "carol", Open: 1}},
			TTFR:     4*time.Hour + 30*time.Minute, Reviewed: 12},
	}
}

// TestDocsShowRealMessages: each example in docs/notifications.md is what
// the code renders, character for character.
func TestDocsShowRealMessages(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../docs/notifications.md")
	if err != nil {
		t.Fatal(err)
	}
	for name, p := range examplePayloads() {
		block := "<!-- example: " + name + " -->\n```text\n" + p.SlackText() + "\n```"
		if !strings.Contains(string(doc), block) {
			t.Errorf("docs/notifications.md lacks the %q example, which renders as:\n%s", name, block)
		}
	}
	card, _ := json.MarshalIndent(examplePayloads()["breach"].TeamsCard(), "", "  ")
	if !strings.Contains(string(doc), "```json\n"+string(card)+"\n```") {
		t.Errorf("docs/notifications.md lacks the Teams card, which renders as:\n%s", card)
	}
}
