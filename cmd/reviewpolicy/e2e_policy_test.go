package main

import (
	"strings"
	"testing"

	"github.com/reviewpolicy/reviewpolicy/internal/githubfake"
)

// changePolicy makes the pull request change the policy file to proposed.
func changePolicy(h *harness, proposed string) {
	h.fake.AddPullRequest(owner, repoName, githubfake.PullRequest{Number: prNumber, Title: "Tighten the review policy",
		Body: "Policy change.", HeadRef: "changes", HeadSHA: headSHA, BaseRef: "master", Author: owner,
		Files: []string{".github/review-policy.yml"}, State: "open"})
	h.fake.SetFile(owner, repoName, "changes", ".github/review-policy.yml", proposed)
}

func TestProposedPolicyWithErrorsGetsAnnotations(t *testing.T) {
	t.Parallel()
	h := setup(t)
	changePolicy(h, "version: 1\nreviewers:\n  strategy: fastest\n  cuont: 2\n")
	h.start(t, nil)
	h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", nil))
	waitFor(t, "a check run", func() bool { return len(h.checkRuns()) == 1 })
	run := h.checkRuns()[0]
	if run.Conclusion != "failure" || run.Title != "The proposed review policy is invalid" {
		t.Errorf("check = %s %q", run.Conclusion, run.Title)
	}
	if run.Annotations != 2 {
		t.Errorf("%d annotations, want one per error (2)\n%s", run.Annotations, run.Summary)
	}
	for _, want := range []string{":3:13:", ":4:3:", "did you mean count"} {
		if !strings.Contains(run.Summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, run.Summary)
		}
	}
}

func TestProposedPolicyCheckedAgainstTheRepository(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.fake.SetFile(owner, repoName, "master", "README.md", "# Hello\n")
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", "version: 1\n")
	h.fake.AddTeam(owner, "writers", "alice")
	h.fake.SetCollaborators(owner, repoName, "alice", owner)
	changePolicy(h, `version: 1
reviewers:
  rules:
    - {name: docs, paths: ["*.md"], reviewers: ["@Codertocat/writers"]}
    - {name: infra, paths: ["terraform/**"], reviewers: ["@Codertocat/ghosts", mallory]}
leads: [trudy]
`)
	h.start(t, nil)
	h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", nil))
	waitFor(t, "a check run", func() bool { return len(h.checkRuns()) == 1 })
	run := h.checkRuns()[0]
	if run.Conclusion != "failure" {
		t.Errorf("a policy naming a missing team must not pass: %s", run.Conclusion)
	}
	for _, want := range []string{
		// Values from the proposed file are shown inert: no mention, no emphasis.
		"line 5: team @\u200dCodertocat/ghosts does not exist",
		"line 5: mallory cannot review this repository",
		"line 6: trudy cannot review this repository",
		`rule "infra": its paths ("terraform/\*\*") match no file`,
		"rule docs added",
	} {
		if !strings.Contains(run.Summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, run.Summary)
		}
	}
	if strings.Contains(run.Summary, "rule docs: its paths") {
		t.Errorf("docs matches README.md but was reported:\n%s", run.Summary)
	}
	if run.Annotations != 4 {
		t.Errorf("%d annotations, want 4", run.Annotations)
	}
}

func TestOrganisationDefaultAndExtends(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.fake.AddRepo(owner, ".github", 1000, "main")
	// The app reads the default only where it is installed.
	h.fake.AddInstallation(installID, owner, owner+"/"+repoName, owner+"/.github")
	h.fake.SetFile(owner, ".github", "main", "review-policy.yml", templatePolicy+"enforcement: {template: warn}\n")
	h.start(t, nil)
	h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", nil))
	waitFor(t, "a check run", func() bool { return len(h.checkRuns()) == 1 })
	run := h.checkRuns()[0]
	if run.Conclusion != "neutral" || !strings.Contains(run.Summary, "organisation default") {
		t.Errorf("org default under warn: %s\n%s", run.Conclusion, run.Summary)
	}

	// The repository extends the default and turns the template to block.
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", "version: 1\nextends: org\nenforcement: {template: block}\n")
	h.send(t, "pull_request", "", payload(t, "pull_request/synchronize.payload.json", nil))
	waitFor(t, "the stricter check", func() bool { return h.checkRuns()[0].Conclusion == "failure" })
	if s := h.checkRuns()[0].Summary; !strings.Contains(s, "extending the organisation default") || !strings.Contains(s, "**Summary**") {
		t.Errorf("extends: org summary:\n%s", s)
	}
}

// hostileProposals are proposed policy files an author can push to cost
// the app memory and time: an alias bomb (1 MB string used 150 times),
// 15,000 rules, globs whose chained braces expand to 10^9 patterns, and a
// 3 MiB file (refused from its size, never fetched).
func hostileProposals() map[string]struct{ text, want string } {
	var bomb, rules strings.Builder
	bomb.WriteString("version: 1\nsla:\n  escalate_to:\n    - &big " + strings.Repeat("a", 1_000_000) + "\n")
	bomb.WriteString(strings.Repeat("    - *big\n", 150))
	rules.WriteString("version: 1\nreviewers:\n  rules:\n")
	for i := 0; i < 15000; i++ {
		rules.WriteString("    - {name: r" + strings.Repeat("x", i%7) + ", paths: [src/**], reviewers: [alice]}\n")
	}
	braces := "version: 1\nreviewers:\n  rules:\n    - {name: r, reviewers: [alice], paths: ['" +
		strings.Repeat("{a,b,c,d,e,f,g,h,i,j}/", 9) + "x']}\n"
	return map[string]struct{ text, want string }{
		"alias bomb":     {bomb.String(), "too large"},
		"15000 rules":    {rules.String(), "15000 rules; at most 200"},
		"chained braces": {braces, "more than 64 alternatives"},
		"3 MiB file":     {"version: 1\n" + strings.Repeat("#", 3<<20), "a policy file may be at most 1048576 (1 MiB)"},
	}
}

func TestHostileProposedPolicyIsRefusedBriefly(t *testing.T) {
	t.Parallel()
	for name, tt := range hostileProposals() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := setup(t)
			changePolicy(h, tt.text)
			h.start(t, nil)
			h.send(t, "pull_request", "", payload(t, "pull_request/opened.payload.json", nil))
			waitFor(t, "a check run", func() bool { return len(h.checkRuns()) == 1 })
			run := h.checkRuns()[0]
			if run.Conclusion != "failure" || run.Title != "The proposed review policy is invalid" {
				t.Errorf("check = %s %q", run.Conclusion, run.Title)
			}
			if !strings.Contains(run.Summary, tt.want) {
				t.Errorf("summary lacks %q:\n%.2000s", tt.want, run.Summary)
			}
			if len(run.Summary) > 8<<10 {
				t.Errorf("summary is %d bytes for one error", len(run.Summary))
			}
		})
	}
}
