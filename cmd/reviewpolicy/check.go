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

// checkCmd evaluates a policy against a saved pull_request payload offline
// and prints what the check run would say. Nothing is sent anywhere; facts
// the payload lacks (changed files, reviews, the repository's template) come
// from optional files.
func checkCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	policyPath := fs.String("policy", policy.FileName, "policy file")
	eventPath := fs.String("event", "", "saved pull_request webhook payload (JSON)")
	filesPath := fs.String("files", "", "changed files: a JSON array of paths, or GitHub's list-files response")
	reviewsPath := fs.String("reviews", "", "reviews: GitHub's list-reviews response (JSON)")
	templatePath := fs.String("template", "", "the repository's pull-request template")
	codeownersPath := fs.String("codeowners", "", "the repository's CODEOWNERS file")
	nowFlag := fs.String("now", "", "evaluate at this RFC 3339 time (default: now)")
	if err := fs.Parse(args); err != nil {
		return exitError{2}
	}
	if *eventPath == "" {
		fmt.Fprintln(stderr, "check: --event is required")
		return exitError{2}
	}
	now := time.Now()
	if *nowFlag != "" {
		t, err := time.Parse(time.RFC3339, *nowFlag)
		if err != nil {
			return fmt.Errorf("check: --now: %w", err)
		}
		now = t
	}
	data, err := readPolicy(*policyPath)
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	pol, perr := policy.Parse(*policyPath, data)

	var ev github.PullRequestEvent
	if err := readJSON(*eventPath, &ev); err != nil {
		return err
	}
	if ev.PullRequest == nil {
		return fmt.Errorf("check: %s is not a pull_request payload", *eventPath)
	}
	pr := ev.PullRequest
	files, err := readFiles(*filesPath)
	if err != nil {
		return err
	}
	var reviews []*github.PullRequestReview
	if *reviewsPath != "" {
		if err := readJSON(*reviewsPath, &reviews); err != nil {
			return err
		}
	}
	tmpl, err := readOptional(*templatePath)
	if err != nil {
		return err
	}
	owners, err := readOptional(*codeownersPath)
	if err != nil {
		return err
	}

	f := decide.Facts{Policy: pol, PolicyErr: perr, PolicySource: check.Code(*policyPath, 200), Repo: ev.GetRepo().GetFullName(),
		PR: handlers.PullRequestFacts(pr, files), Template: tmpl, CodeOwners: owners}
	for _, u := range pr.RequestedReviewers {
		f.Requested = append(f.Requested, u.GetLogin())
	}
	f.Reviews = handlers.ReviewFacts(reviews, nil)
	if !pr.GetDraft() {
		// Offline, the clock starts when the pull request was opened.
		f.Clock, _ = sla.Clock{}.Start(pr.GetCreatedAt().Time)
		f.ClockFound = true
	}
	rep := decide.Decide(f, now).Report
	fmt.Fprintf(stdout, "conclusion: %s\ntitle: %s\n\n%s", rep.Conclusion, rep.Title, rep.Summary)
	return nil
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
