package notify

import (
	"encoding/json"
	"strings"
	"testing"
)

// User text cannot mention, link or break out of its line in Slack or
// Teams, and is bounded however long it is.
func TestHostileTextIsInertAndBounded(t *testing.T) {
	t.Parallel()
	evil := strings.Repeat("<!channel> <@U9EVIL> <https://evil.example|click> & *bold* `code`\n| > [x](https://evil.example) ", 20000)
	pr := testPR()
	pr.Title, pr.Author = evil, "mallory\n<!here>"
	for _, kind := range []string{KindReviewRequested, KindReminder, KindBreach} {
		p := Payload{Kind: kind, PR: pr, Reviewers: []Person{{Login: "<!everyone>"}}, ReviewedBy: "x<@U1>"}
		text := p.SlackText()
		if len(text) > 2000 {
			t.Errorf("%s: %d bytes", kind, len(text))
		}
		for _, bad := range []string{"<!channel>", "<!here>", "<!everyone>", "<@U9EVIL>", "<@U1>", "https://evil.example"} {
			if strings.Contains(text, bad) {
				t.Errorf("%s: %q got through:\n%s", kind, bad, text)
			}
		}
		// The first line is the one link, to the pull request.
		if strings.Count(text, "<") != 1 || !strings.Contains(text, "<"+pr.URL+"|") {
			t.Errorf("%s: links other than the pull request's:\n%s", kind, text)
		}
		card, _ := json.Marshal(p.TeamsCard())
		if strings.Contains(string(card), "://evil.example") || len(card) > 4000 {
			t.Errorf("%s: Teams card carries the link or is %d bytes", kind, len(card))
		}
	}
}
