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
	return map[string]Payload{
		"review requested": {Kind: KindReviewRequested, PR: pr, Deadline: due, Zone: "Europe/Berlin"},
		"reminder":         {Kind: KindReminder, PR: pr, Deadline: due, Zone: "Europe/Berlin"},
		"breach": {Kind: KindBreach, PR: pr, Reviewers: []Person{alice, {Login: "bob"}},
			Escalate: []Person{{Login: "dave", Slack: "U0456EFGH"}, {Login: "@acme/leads"}}},
		"breach, after the review": {Kind: KindBreach, PR: pr, Reviewers: []Person{alice, {Login: "bob"}},
			Escalate: []Person{{Login: "dave", Slack: "U0456EFGH"}}, ReviewedBy: "alice", After: 26*time.Hour + 10*time.Minute},
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
