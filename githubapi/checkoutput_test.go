package githubapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/reviewpolicy/reviewpolicy/policy/check"
)

// TestUpsertCheckRunWithinGitHubLimits: whatever report reaches the adapter
// (a combined summary of several pull requests, a merge group's), the
// request GitHub receives has a summary of at most 65535 bytes, at most 50
// annotations and messages of at most 64 KB without a mention.
func TestUpsertCheckRunWithinGitHubLimits(t *testing.T) {
	t.Parallel()
	s := newSetup(t, nil)
	huge := strings.Repeat("@acme/everyone <img src=x>\n", 40000) // about 1 MB
	rep := check.Report{Conclusion: check.Failure, Title: "x " + huge, Summary: "## Policy\n```\n" + huge + "```\n"}
	for range 60 {
		rep.Annotations = append(rep.Annotations, check.Annotation{Path: "a.yml", StartLine: 1, EndLine: 1, Message: huge})
	}
	if err := s.repo.UpsertCheckRun(context.Background(), headSHA, rep); err != nil {
		t.Fatal(err)
	}
	var sent struct {
		Output struct {
			Title, Summary string
			Annotations    []struct{ Message string }
		}
	}
	for _, c := range s.fake.Calls() {
		if c.Method == http.MethodPost && c.Path == "/repos/acme/app/check-runs" {
			if err := json.Unmarshal(c.Body, &sent); err != nil {
				t.Fatal(err)
			}
		}
	}
	out := sent.Output
	if len(out.Summary) > check.MaxSummary || !strings.HasSuffix(out.Summary, "```\n\n"+check.Truncated+"\n") {
		t.Errorf("summary of %d bytes ends %q", len(out.Summary), out.Summary[max(0, len(out.Summary)-40):])
	}
	if len(out.Title) > 1000 {
		t.Errorf("title of %d bytes", len(out.Title))
	}
	if n := len(out.Annotations); n != check.MaxAnnotations {
		t.Errorf("%d annotations in one request, want %d", n, check.MaxAnnotations)
	}
	for _, a := range out.Annotations {
		if len(a.Message) > check.MaxAnnotationMessage || strings.Contains(a.Message, "@acme") || strings.Contains(a.Message, "\n") {
			t.Fatalf("annotation message of %d bytes: %.80q", len(a.Message), a.Message)
		}
	}
}

// TestUpsertCommentWithinGitHubLimit: an oversized body is cut to 65535
// bytes with the marker kept, so the comment is still found again.
func TestUpsertCommentWithinGitHubLimit(t *testing.T) {
	t.Parallel()
	s := newSetup(t, nil)
	addPull(s)
	if err := s.repo.UpsertComment(context.Background(), 1, sticky(strings.Repeat("- fill in a section\n", 50000), true)); err != nil {
		t.Fatal(err)
	}
	got := s.fake.Comments("acme", "app", 1)
	if len(got) != 1 || len(got[0].Body) > check.MaxComment || !strings.HasPrefix(got[0].Body, check.Marker) ||
		!strings.HasSuffix(got[0].Body, check.Truncated+"\n") {
		t.Fatalf("comments: %d, body of %d bytes", len(got), len(got[0].Body))
	}
}
