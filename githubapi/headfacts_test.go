package githubapi

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/reviewpolicy/reviewpolicy/internal/githubfake"
)

// calls lists the fake's requests from the index from on, as "METHOD path".
func (s *setup) calls(from int) []string {
	var out []string
	for _, c := range s.fake.Calls()[from:] {
		if strings.Contains(c.Path, "access_tokens") {
			continue
		}
		out = append(out, c.Method+" "+c.Path)
	}
	return out
}

// TestFilesAndCommitPullsInOneQuery: a new head's files and the pull
// requests on it come from one GraphQL request, and the files are then
// known for the head without asking again.
func TestFilesAndCommitPullsInOneQuery(t *testing.T) {
	t.Parallel()
	s := newSetup(t, nil)
	s.fake.AddPullRequest("acme", "app", githubfake.PullRequest{Number: 1, HeadRef: "feat", HeadSHA: headSHA, Author: "alice",
		Files: []string{"src/a.go", "docs/b.md"}})
	s.fake.AddPullRequest("acme", "app", githubfake.PullRequest{Number: 2, HeadRef: "feat", HeadSHA: headSHA, BaseRef: "release", Author: "alice"})
	s.fake.AddPullRequest("acme", "app", githubfake.PullRequest{Number: 3, HeadRef: "other", HeadSHA: strings.Repeat("c", 40), Author: "bob"})
	ctx := context.Background()
	from := len(s.fake.Calls())
	files, pulls, err := s.repo.FilesAndCommitPulls(ctx, s.fake.URL+"graphql", 1, "main", headSHA)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(files, []string{"src/a.go", "docs/b.md"}) {
		t.Errorf("files = %v", files)
	}
	if pulls == nil {
		t.Fatal("the pull requests on the commit were not read")
	}
	var numbers []int
	for _, p := range pulls.Pulls {
		if !p.Open || p.HeadSHA != headSHA {
			t.Errorf("pull request %+v: want open, head %s", p, headSHA)
		}
		numbers = append(numbers, p.Number)
	}
	if slices.Sort(numbers); !slices.Equal(numbers, []int{1, 2}) {
		t.Errorf("pull requests on the commit = %v, want 1 and 2", numbers)
	}
	if got := s.calls(from); !slices.Equal(got, []string{"POST /graphql"}) {
		t.Errorf("requests = %v, want one GraphQL query", got)
	}
	// The cache is bounded by bytes (whoever opens a pull request chooses
	// its paths): the list is charged at least its paths' length.
	if used := s.api.cache.files.Bytes(); used < len("src/a.go")+len("docs/b.md")+2*16 {
		t.Errorf("the file list is charged %d bytes", used)
	}

	from = len(s.fake.Calls())
	again, pulls, err := s.repo.FilesAndCommitPulls(ctx, s.fake.URL+"graphql", 1, "main", headSHA)
	if err != nil || !slices.Equal(again, files) || pulls != nil {
		t.Errorf("second read: %v %+v %v; want the same files from the cache, no pull requests", again, pulls, err)
	}
	if got := s.calls(from); len(got) != 0 {
		t.Errorf("second read asked %v", got)
	}
}

// TestFilesAndCommitPullsFallsBackToREST: what GraphQL cannot tell as REST
// does is read through REST: a renamed file's previous path (rules match
// it), more than 100 files, a pull request that moved on from the head or
// the base asked about; no GraphQL endpoint asks REST only.
func TestFilesAndCommitPullsFallsBackToREST(t *testing.T) {
	t.Parallel()
	many := make([]string, 150)
	for i := range many {
		many[i] = fmt.Sprintf("f%03d.go", i)
	}
	for _, tc := range []struct {
		name      string
		pr        githubfake.PullRequest
		noGraphQL bool
		want      []string // files, nil: many
		requests  []string
		pulls     bool
	}{
		{name: "renamed", pr: githubfake.PullRequest{Files: []string{"new/a.go", "b.go"}, Renamed: map[string]string{"new/a.go": "secret/a.go"}},
			want: []string{"new/a.go", "secret/a.go", "b.go"}, requests: []string{"POST /graphql", "GET /repos/acme/app/pulls/1/files"}, pulls: true},
		{name: "150 files", pr: githubfake.PullRequest{Files: many},
			requests: []string{"POST /graphql", "GET /repos/acme/app/pulls/1/files", "GET /repos/acme/app/pulls/1/files"}, pulls: true},
		// The commit asked about is no pull request's head any more: GitHub
		// does not know it here, so there are no pull requests to read.
		{name: "moved on", pr: githubfake.PullRequest{Files: []string{"a.go"}, HeadSHA: strings.Repeat("d", 40)},
			want: []string{"a.go"}, requests: []string{"POST /graphql", "GET /repos/acme/app/pulls/1/files"}},
		// The pull request's base changed since the evaluation read it:
		// its files are the new base's, so REST is asked as with a new head.
		{name: "new base", pr: githubfake.PullRequest{Files: []string{"a.go"}, BaseRef: "release"},
			want: []string{"a.go"}, requests: []string{"POST /graphql", "GET /repos/acme/app/pulls/1/files"}, pulls: true},
		{name: "no GraphQL", pr: githubfake.PullRequest{Files: []string{"a.go"}}, noGraphQL: true,
			want: []string{"a.go"}, requests: []string{"GET /repos/acme/app/pulls/1/files"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newSetup(t, nil)
			pr := tc.pr
			pr.Number, pr.HeadRef, pr.Author = 1, "feat", "alice"
			if pr.HeadSHA == "" {
				pr.HeadSHA = headSHA
			}
			s.fake.AddPullRequest("acme", "app", pr)
			url := s.fake.URL + "graphql"
			if tc.noGraphQL {
				url = ""
			}
			from := len(s.fake.Calls())
			files, pulls, err := s.repo.FilesAndCommitPulls(context.Background(), url, 1, "main", headSHA)
			if err != nil {
				t.Fatal(err)
			}
			want := cmpOr(tc.want, many)
			if !slices.Equal(files, want) {
				t.Errorf("files = %v, want %v", files, want)
			}
			if (pulls != nil) != tc.pulls {
				t.Errorf("pull requests read: %v, want %v", pulls != nil, tc.pulls)
			}
			if got := s.calls(from); !slices.Equal(got, tc.requests) {
				t.Errorf("requests = %v, want %v", got, tc.requests)
			}
		})
	}
}

func cmpOr(a, b []string) []string {
	if a != nil {
		return a
	}
	return b
}

// TestFilesAndCommitPullsDistrustsErrors: an answer with errors (here an
// unknown pull request) is not used; the files are read as before, and the
// pull requests on the commit are left to be listed when publishing.
func TestFilesAndCommitPullsDistrustsErrors(t *testing.T) {
	t.Parallel()
	s := newSetup(t, nil)
	from := len(s.fake.Calls())
	_, pulls, err := s.repo.FilesAndCommitPulls(context.Background(), s.fake.URL+"graphql", 9, "main", headSHA)
	if err == nil || !strings.Contains(err.Error(), "acme/app#9") || pulls != nil {
		t.Errorf("unknown pull request: pulls %+v, err %v; want REST's error", pulls, err)
	}
	if got := s.calls(from); !slices.Equal(got, []string{"POST /graphql", "GET /repos/acme/app/pulls/9/files"}) {
		t.Errorf("requests = %v", got)
	}
}

// TestFilesAndCommitPullsWithoutAnAnswer: GraphQL failing as a whole (its
// own rate limit, an outage) costs no evaluation: the files are read
// through REST, the commit's pull requests when publishing.
func TestFilesAndCommitPullsWithoutAnAnswer(t *testing.T) {
	t.Parallel()
	s := newSetup(t, nil)
	s.fake.AddPullRequest("acme", "app", githubfake.PullRequest{Number: 1, HeadRef: "feat", HeadSHA: headSHA, Author: "alice", Files: []string{"a.go"}})
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "rate limited", http.StatusForbidden)
	}))
	t.Cleanup(down.Close)
	from := len(s.fake.Calls())
	files, pulls, err := s.repo.FilesAndCommitPulls(context.Background(), down.URL, 1, "main", headSHA)
	if err != nil || !slices.Equal(files, []string{"a.go"}) || pulls != nil {
		t.Errorf("got %v, %+v, %v; want REST's files and no pull requests", files, pulls, err)
	}
	if got := s.calls(from); !slices.Equal(got, []string{"GET /repos/acme/app/pulls/1/files"}) {
		t.Errorf("requests to GitHub = %v", got)
	}
}
