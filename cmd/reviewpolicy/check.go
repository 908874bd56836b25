package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/reviewpolicy/reviewpolicy/handlers"
	"github.com/reviewpolicy/reviewpolicy/policy"
	"github.com/reviewpolicy/reviewpolicy/policy/check"
	"github.com/reviewpolicy/reviewpolicy/policy/decide"
	"github.com/reviewpolicy/reviewpolicy/policy/sla"
)

// checkFlags are checkCmd's inputs, each a path or empty.
type checkFlags struct {
	policy, event, files, reviews, template, codeowners string
	now                                                 time.Time
}

// checkCmd evaluates a policy against a saved pull_request payload offline
// and prints what the check run would say. Nothing is sent anywhere; facts
// the payload lacks (changed files, reviews, the repository's template) come
// from optional files.
func checkCmd(args []string, stdout, stderr io.Writer) error {
	in, err := parseCheckFlags(args, stderr)
	if err != nil {
		return err
	}
	f, pr, err := loadCheckFacts(in)
	if err != nil {
		return err
	}
	if !pr.GetDraft() {
		// Offline, the clock starts when the pull request was opened.
		f.Clock, _ = sla.Clock{}.Start(pr.GetCreatedAt().Time)
		f.ClockFound = true
	}
	rep := decide.Decide(f, in.now).Report
	fmt.Fprintf(stdout, "conclusion: %s\ntitle: %s\n\n%s", rep.Conclusion, rep.Title, rep.Summary)
	return nil
}

func parseCheckFlags(args []string, stderr io.Writer) (checkFlags, error) {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var in checkFlags
	fs.StringVar(&in.policy, "policy", policy.FileName, "policy file")
	fs.StringVar(&in.event, "event", "", "saved pull_request webhook payload (JSON)")
	fs.StringVar(&in.files, "files", "", "changed files: a JSON array of paths, or GitHub's list-files response")
	fs.StringVar(&in.reviews, "reviews", "", "reviews: GitHub's list-reviews response (JSON)")
	fs.StringVar(&in.template, "template", "", "the repository's pull-request template")
	fs.StringVar(&in.codeowners, "codeowners", "", "the repository's CODEOWNERS file")
	nowFlag := fs.String("now", "", "evaluate at this RFC 3339 time (default: now)")
	if err := fs.Parse(args); err != nil {
		return in, exitError{2}
	}
	if in.event == "" {
		fmt.Fprintln(stderr, "check: --event is required")
		return in, exitError{2}
	}
	in.now = time.Now()
	if *nowFlag != "" {
		t, err := time.Parse(time.RFC3339, *nowFlag)
		if err != nil {
			return in, fmt.Errorf("check: --now: %w", err)
		}
		in.now = t
	}
	return in, nil
}

// loadCheckFacts reads the policy, the payload and the optional files into
// the facts an evaluation takes.
func loadCheckFacts(in checkFlags) (decide.Facts, *github.PullRequest, error) {
	var f decide.Facts
	data, err := readPolicy(in.policy)
	if err != nil {
		return f, nil, fmt.Errorf("check: %w", err)
	}
	pol, perr := policy.Parse(in.policy, data)
	var ev github.PullRequestEvent
	if err := readJSON(in.event, &ev); err != nil {
		return f, nil, err
	}
	if ev.PullRequest == nil {
		return f, nil, fmt.Errorf("check: %s is not a pull_request payload", in.event)
	}
	pr := ev.PullRequest
	files, err := readFiles(in.files)
	if err != nil {
		return f, nil, err
	}
	var reviews []*github.PullRequestReview
	if in.reviews != "" {
		if err := readJSON(in.reviews, &reviews); err != nil {
			return f, nil, err
		}
	}
	tmpl, err := readOptional(in.template)
	if err != nil {
		return f, nil, err
	}
	owners, err := readOptional(in.codeowners)
	if err != nil {
		return f, nil, err
	}
	f = decide.Facts{Policy: pol, PolicyErr: perr, PolicySource: check.Code(in.policy, 200), Repo: ev.GetRepo().GetFullName(),
		PR: handlers.PullRequestFacts(pr, files), Template: tmpl, CodeOwners: owners}
	for _, u := range pr.RequestedReviewers {
		f.Requested = append(f.Requested, u.GetLogin())
	}
	f.Reviews = handlers.ReviewFacts(reviews, nil)
	return f, pr, nil
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("check: %s: %w", path, err)
	}
	return nil
}

func readOptional(path string) (string, error) {
	if path == "" {
		return "", nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("check: %w", err)
	}
	return string(data), nil
}

// readFiles accepts a plain list of paths or GitHub's list-files objects.
func readFiles(path string) ([]string, error) {
	if path == "" {
		return nil, nil
	}
	var paths []string
	if err := readJSON(path, &paths); err == nil {
		return paths, nil
	}
	var objs []*github.CommitFile
	if err := readJSON(path, &objs); err != nil {
		return nil, err
	}
	for _, f := range objs {
		paths = append(paths, f.GetFilename())
	}
	return paths, nil
}
