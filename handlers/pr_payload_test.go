package handlers

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/google/go-github/v60/github"
)

// prReads is everything onPullRequest and what it calls read of an event.
func prReads(t *testing.T, ev *github.PullRequestEvent) map[string]any {
	t.Helper()
	pr := ev.GetPullRequest()
	var snap []byte
	if pr != nil { // recordPayload keeps nothing then
		var err error
		if snap, err = snapshotOf(pr); err != nil {
			t.Fatal(err)
		}
	}
	return map[string]any{
		"number": ev.GetNumber(), "repo": prRef(7, ev.Repo, ev.GetNumber()),
		"reviewer": ev.GetRequestedReviewer().GetLogin(), "team": ev.GetRequestedTeam().GetSlug(),
		"sender": ev.GetSender().GetType(), "state": pr.GetState(), "draft": pr.GetDraft(), "merged": pr.GetMerged(),
		"merged_by": pr.GetMergedBy().GetLogin(), "closed_at": pr.GetClosedAt(), "merged_at": pr.GetMergedAt(), "updated_at": pr.GetUpdatedAt(),
		"head": pr.GetHead().GetSHA(), "snapshot": string(snap), "has_pr": ev.PullRequest != nil,
	}
}

// TestTrimmedPayloadReadsAsGoGitHub: every real pull_request payload (and
// edge cases GitHub sends: null head repository, null entries, no pull
// request) gives the handler the same facts decoded into prEvent as into
// go-github's PullRequestEvent, the snapshot evaluation reads included.
func TestTrimmedPayloadReadsAsGoGitHub(t *testing.T) {
	files, err := filepath.Glob("../cmd/reviewpolicy/testdata/webhooks/pull_request/*.json")
	if err != nil || len(files) < 10 {
		t.Fatalf("fixtures: %v (%d)", err, len(files))
	}
	payloads := map[string][]byte{
		"null head repo and entries": []byte(`{"number": 3, "repository": {"id": 9, "name": "r", "owner": {"login": "o"}},
			"pull_request": {"number": 3, "state": "closed", "merged": true, "merged_by": {"login": "M"}, "closed_at": 1700000000, "merged_at": "2023-11-14T22:13:20Z",
			"updated_at": "2024-01-02T03:04:05Z", "head": {"ref": "x", "sha": "abc", "repo": null}, "base": {"ref": "main"},
			"labels": [null, {"name": "bug"}], "requested_reviewers": [null, {"login": "ann"}], "requested_teams": [null, {"slug": "t"}]},
			"requested_team": {"slug": "core"}, "sender": {"type": "Bot"}}`),
		"no pull request": []byte(`{"number": 4, "repository": null}`),
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		payloads[filepath.Base(f)] = data
	}
	for name, data := range payloads {
		var full github.PullRequestEvent
		var trimmed prEvent
		if err := json.Unmarshal(data, &full); err != nil {
			t.Fatalf("%s: go-github: %v", name, err)
		}
		if err := json.Unmarshal(data, &trimmed); err != nil {
			t.Fatalf("%s: trimmed: %v", name, err)
		}
		if want, got := prReads(t, &full), prReads(t, trimmed.event()); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: trimmed reads\n%v\nwant\n%v", name, got, want)
		}
	}
}

func TestTrimmedPayloadSeesWhatAnEditChanged(t *testing.T) {
	for payload, want := range map[string]bool{
		`{"changes": {"title": {"from": "a"}}}`:         false,
		`{"changes": {"body": {"from": "a"}}}`:          false,
		`{"changes": {"base": {"ref": {"from": "a"}}}}`: false,
		`{"changes": {"title": null}}`:                  true,
		`{"changes": {}}`:                               true,
		`{}`:                                            false, // no changes: treated as a change
	} {
		var full github.PullRequestEvent
		var trimmed prEvent
		if err := json.Unmarshal([]byte(payload), &full); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(payload), &trimmed); err != nil {
			t.Fatal(err)
		}
		c := full.Changes
		goGitHub := c != nil && c.Title == nil && c.Body == nil && c.Base == nil
		if got := trimmed.unchanged(); got != want || got != goGitHub {
			t.Errorf("%s: unchanged %v, want %v (go-github's reading %v)", payload, got, want, goGitHub)
		}
	}
}
