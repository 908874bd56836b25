package githubfake

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/google/go-github/v60/github"
)

func TestCompare(t *testing.T) {
	t.Parallel()
	f, c := setup(t)
	ctx := context.Background()
	var commits []string
	for i := range 150 {
		commits = append(commits, fmt.Sprintf("%040x", i+1))
	}
	f.SetCompare(owner, name, "base1", "head1", commits...)

	var got []string
	opt := &github.ListOptions{PerPage: 100}
	for {
		cmp, resp, err := c.Repositories.CompareCommits(ctx, owner, name, "base1", "head1", opt)
		if err != nil {
			t.Fatal(err)
		}
		if cmp.GetTotalCommits() != len(commits) || cmp.GetStatus() != "ahead" {
			t.Errorf("total_commits %d, status %q", cmp.GetTotalCommits(), cmp.GetStatus())
		}
		for _, cm := range cmp.Commits {
			got = append(got, cm.GetSHA())
		}
		if resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	if len(got) != len(commits) || got[0] != commits[0] || got[149] != commits[149] {
		t.Errorf("paged commits = %d, first %v", len(got), got[:min(len(got), 1)])
	}
	_, resp, err := c.Repositories.CompareCommits(ctx, owner, name, "head1", "base1", nil)
	if resp == nil || resp.StatusCode != http.StatusNotFound || err == nil {
		t.Errorf("a comparison never set: %v, want 404", err)
	}
}
