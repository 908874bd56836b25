package main

import (
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
)

const commandsPolicy = `version: 1
leads: ["@Codertocat/tech-leads"]
template:
  sections:
    - {heading: Testing}
reviewers:
  rules:
    - {name: docs, paths: ["*.md"], reviewers: [carol]}
sla:
  first_review: 24h
`

// commentPayload is an issue_comment webhook for a comment on the pull request.
func commentPayload(t *testing.T, action string, id int64, login, userType, body string) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"action":       action,
		"installation": map[string]any{"id": installID},
		"repository":   map[string]any{"id": repoID, "name": repoName, "full_name": owner + "/" + repoName, "owner": map[string]any{"login": owner}},
		"issue":        map[string]any{"number": prNumber, "pull_request": map[string]any{"url": "https://api.github.com/repos/x/y/pulls/2"}},
		"comment": map[string]any{"id": id, "body": body, "created_at": "2026-03-04T10:00:00Z",
			"user": map[string]any{"login": login, "type": userType}},
		"sender": map[string]any{"login": login, "type": userType},
	})
	must(t, err)
	return b
}

// say adds a comment to the fake and delivers its "created" event n times
// at once, as GitHub's redeliveries and retries may.
func (h *harness) say(t *testing.T, login, body string, n int) int64 {
	t.Helper()
	id := h.fake.AddComment(owner, repoName, prNumber, login, body)
	p := commentPayload(t, "created", id, login, "User", body)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() { defer wg.Done(); h.send(t, "issue_comment", "", p) }()
	}
	wg.Wait()
	h.settle(t)
	return id
}

func (h *harness) replies(t *testing.T) []string {
	var out []string
	for _, c := range h.fake.Comments(owner, repoName, prNumber) {
		if c.Author == h.fake.BotLogin() && strings.HasPrefix(c.Body, "😕") {
			out = append(out, c.Body)
		}
	}
	return out
}

func (h *harness) stickyBody(t *testing.T) string {
	for _, c := range h.fake.Comments(owner, repoName, prNumber) {
		if c.Author == h.fake.BotLogin() && strings.HasPrefix(c.Body, "<!-- reviewpolicy:sticky -->") {
			return c.Body
		}
	}
	return ""
}

func TestCommandsByAllowedAndDisallowedPeople(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", commandsPolicy)
	h.fake.AddTeam(owner, "tech-leads", "lee")
	h.start(t, nil)
	h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", nil))
	h.settle(t)

	// explain: anyone; delivered three times at once, one reaction.
	id := h.say(t, "randy", "/reviewpolicy explain", 3)
	if got := h.fake.Reactions(owner, repoName, id); !slices.Equal(got, []string{"+1"}) {
		t.Errorf("explain reactions %v, want [+1]", got)
	}
	if s := h.stickyBody(t); !strings.Contains(s, "The current decision and its reasons (asked by randy)") ||
		!strings.Contains(s, "## Reviewers") {
		t.Errorf("sticky comment does not explain:\n%s", s)
	}

	// skip template and snooze by someone who is not a lead: refused, one reply.
	id = h.say(t, "randy", "/reviewpolicy skip template urgent\n/reviewpolicy snooze 4h because", 3)
	if got := h.fake.Reactions(owner, repoName, id); !slices.Equal(got, []string{"confused"}) {
		t.Errorf("refused skip reactions %v, want [confused]", got)
	}
	if r := h.replies(t); len(r) != 1 || !strings.Contains(r[0], "skip template may be run by a lead") ||
		!strings.Contains(r[0], "snooze may be run by a lead") || strings.Contains(r[0], "@") {
		t.Errorf("replies %q, want one inert reply saying who may", r)
	}
	if run := h.checkRuns()[0]; strings.Contains(run.Summary, "skipped for this head") || strings.Contains(run.Summary, "snoozed") {
		t.Errorf("a refused command took effect:\n%s", run.Summary)
	}

	// The lead skips the template and snoozes the SLA.
	id = h.say(t, "lee", "/reviewpolicy skip template urgent fix\n/reviewpolicy snooze 4h waiting for vendor", 2)
	if got := h.fake.Reactions(owner, repoName, id); !slices.Equal(got, []string{"+1"}) {
		t.Errorf("lead's reactions %v, want [+1]", got)
	}
	run := h.checkRuns()[0]
	for _, want := range []string{"skipped for this head by lee (a lead): urgent fix", "snoozed 4h by lee: waiting for vendor",
		"first review due by"} {
		if !strings.Contains(run.Summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, run.Summary)
		}
	}
	if strings.Contains(run.Summary, "**Testing**") {
		t.Errorf("the template is still judged:\n%s", run.Summary)
	}

	// Ignored: a command in a fence, in a quote, in an edited comment, or
	// written by a bot.
	ignored := []int64{
		h.say(t, "lee", "```\n/reviewpolicy snooze 2h x\n```", 1),
		h.say(t, "lee", "> /reviewpolicy snooze 2h x", 1),
	}
	edited := h.fake.AddComment(owner, repoName, prNumber, "lee", "/reviewpolicy snooze 2h x")
	h.send(t, "issue_comment", "", commentPayload(t, "edited", edited, "lee", "User", "/reviewpolicy snooze 2h x"))
	bot := h.fake.AddComment(owner, repoName, prNumber, "helper[bot]", "/reviewpolicy snooze 2h x")
	h.send(t, "issue_comment", "", commentPayload(t, "created", bot, "helper[bot]", "Bot", "/reviewpolicy snooze 2h x"))
	h.settle(t)
	for _, id := range append(ignored, edited, bot) {
		if got := h.fake.Reactions(owner, repoName, id); len(got) != 0 {
			t.Errorf("comment %d got reactions %v, want none", id, got)
		}
	}
	if run := h.checkRuns()[0]; strings.Contains(run.Summary, "snoozed 2h") {
		t.Errorf("an ignored snooze took effect:\n%s", run.Summary)
	}
	if r := h.replies(t); len(r) != 1 {
		t.Errorf("%d replies in all, want 1", len(r))
	}
}

const reassignCommandPolicy = `version: 1
reviewers:
  rules:
    - {name: docs, paths: ["*.md"], reviewers: [carol, dave, erin]}
`

// reassign: refused for a bystander; the author's replaces the app's
// request with the named candidate, once however often it is delivered.
func TestReassignCommand(t *testing.T) {
	t.Parallel()
	h := reassignSetup(t, reassignCommandPolicy)

	id := h.say(t, "randy", "/reviewpolicy reassign", 2)
	if got := h.fake.Reactions(owner, repoName, id); !slices.Equal(got, []string{"confused"}) {
		t.Errorf("bystander's reassign: reactions %v", got)
	}
	if r := h.replies(t); len(r) != 1 || !strings.Contains(r[0], "reassign may be run by the author, a lead or a requested reviewer") {
		t.Errorf("replies %q", r)
	}

	id = h.say(t, owner, "/reviewpolicy reassign @erin", 3)
	if got := h.fake.Reactions(owner, repoName, id); !slices.Equal(got, []string{"+1"}) {
		t.Errorf("author's reassign: reactions %v", got)
	}
	users, _ := h.fake.RequestedReviewers(owner, repoName, prNumber)
	if !slices.Equal(users, []string{"erin"}) {
		t.Errorf("requested %v, want erin (named) instead of carol", users)
	}
	deletes := 0
	for _, c := range h.fake.Calls() {
		if c.Method == "DELETE" && strings.HasSuffix(c.Path, "/requested_reviewers") {
			deletes++
			if !strings.Contains(string(c.Body), `"carol"`) || strings.Contains(string(c.Body), "erin") {
				t.Errorf("withdrew %s", c.Body)
			}
		}
	}
	if deletes != 1 {
		t.Errorf("%d withdrawals, want 1", deletes)
	}
	run := h.checkRuns()[0]
	for _, want := range []string{"codertocat asked to reassign; the app withdrew its request of carol", "erin: rule docs matched README.md; named with /reviewpolicy reassign"} {
		if !strings.Contains(run.Summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, run.Summary)
		}
	}
	if r := h.replies(t); len(r) != 1 {
		t.Errorf("%d replies, want 1", len(r))
	}
}

// reassign @x when x cannot be asked: 😕 and one reply saying why, nothing
// withdrawn or requested, however often the comment is delivered at once.
func TestReassignNamedPersonCheckedAtCommandTime(t *testing.T) {
	t.Parallel()
	h := reassignSetup(t, reassignCommandPolicy+
		"people:\n  dave: {away: true}\n")
	posts := len(h.requestBodies(t))
	for i, c := range []struct{ name, why string }{
		{"mallory", "mallory is not a candidate of a rule that applies to this pull request"},
		{"dave", "dave cannot be asked: away"},
		{"carol", "carol is already requested"},
		{owner, strings.ToLower(owner) + " is the author"},
	} {
		id := h.say(t, owner, "/reviewpolicy reassign @"+c.name, 3)
		if got := h.fake.Reactions(owner, repoName, id); !slices.Equal(got, []string{"confused"}) {
			t.Errorf("reassign @%s: reactions %v, want [confused]", c.name, got)
		}
		r := h.replies(t)
		if len(r) != i+1 || !strings.Contains(r[i], c.why) || strings.Contains(r[i], "@") {
			t.Errorf("reassign @%s: replies %q, want %d, the last inert and saying %q", c.name, r, i+1, c.why)
		}
	}
	if got := h.requested(); !slices.Equal(got, []string{"carol"}) {
		t.Errorf("requested %v, want carol still", got)
	}
	for _, c := range h.fake.Calls() {
		if c.Method == "DELETE" && strings.HasSuffix(c.Path, "/requested_reviewers") {
			t.Errorf("a refused reassign withdrew %s", c.Body)
		}
	}
	if n := len(h.requestBodies(t)); n != posts {
		t.Errorf("%d review requests after refused reassigns, want %d", n, posts)
	}
}

// A failure after a comment's commands are recorded (GitHub refusing the
// withdrawal once) loses nothing: the retry and a redelivery finish the
// reassign exactly once, and the reply is posted once.
func TestReassignCommandResumesAfterAFailure(t *testing.T) {
	t.Parallel()
	h := reassignSetup(t, reassignCommandPolicy)
	h.fake.FailNext("DELETE", "/repos/"+owner+"/"+repoName+"/pulls/", 502, nil)
	body := "/reviewpolicy reassign @erin\n/reviewpolicy snooze 4h not a lead"
	id := h.say(t, owner, body, 1)
	p := commentPayload(t, "created", id, owner, "User", body)
	h.send(t, "issue_comment", "", p) // GitHub's redelivery, besides the job's own retry
	waitFor(t, "erin to be asked instead of carol", func() bool { return slices.Equal(h.requested(), []string{"erin"}) })
	h.send(t, "issue_comment", "", p)
	h.settle(t)

	failed, withdrawn := 0, 0
	for _, c := range h.fake.Calls() {
		if c.Method == "DELETE" && strings.HasSuffix(c.Path, "/requested_reviewers") {
			if c.Status >= 300 {
				failed++
			} else {
				withdrawn++
			}
		}
	}
	if failed != 1 || withdrawn != 1 {
		t.Errorf("%d failed and %d done withdrawals, want 1 and 1", failed, withdrawn)
	}
	erin := 0
	for _, b := range h.requestBodies(t) {
		if slices.Contains(b, "erin") {
			erin++
		}
	}
	if erin != 1 {
		t.Errorf("erin requested %d times, want once", erin)
	}
	if got := h.fake.Reactions(owner, repoName, id); !slices.Equal(got, []string{"confused"}) {
		t.Errorf("reactions %v, want [confused] (the snooze was refused)", got)
	}
	if r := h.replies(t); len(r) != 1 || !strings.Contains(r[0], "snooze may be run by a lead") {
		t.Errorf("replies %q, want one", r)
	}
}

// reassignSetup starts the app with the policy and opens the pull request,
// which the app asks carol to review.
func reassignSetup(t *testing.T, policy string) *harness {
	t.Helper()
	h := setup(t)
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", policy)
	h.start(t, nil)
	h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", nil))
	h.settle(t)
	if got := h.requested(); !slices.Equal(got, []string{"carol"}) {
		t.Fatalf("requested %v, want [carol]", got)
	}
	return h
}
