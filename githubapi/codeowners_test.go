package githubapi

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/reviewpolicy/reviewpolicy/policy/reviewers"
)

// loadCodeowners loads main's CODEOWNERS as an evaluation would: through a
// new installation client, after listing .github.
func (s *setup) loadCodeowners(t *testing.T) *reviewers.Codeowners {
	t.Helper()
	ctx := context.Background()
	r := s.newRepo(t)
	base, err := r.GitHubDir(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	co, err := r.Codeowners(ctx, "main", base)
	if err != nil {
		t.Fatal(err)
	}
	return co
}

// padded is a CODEOWNERS text of exactly n bytes owning everything.
func padded(n int) string {
	head := "* @acme/backend @octocat_acme\n"
	return head + strings.Repeat("#", n-len(head))
}

func TestCodeownersLoadedOncePerBlob(t *testing.T) {
	t.Parallel()
	s := newSetup(t, map[string]string{
		".github/CODEOWNERS": "* @acme/backend\n/docs/ @octocat_acme\n",
		"CODEOWNERS":         "* @ignored\n", // .github/ comes first, as on GitHub
	})
	for range 3 {
		co := s.loadCodeowners(t)
		if got := co.Owners("docs/a.md"); !slices.Equal(got, []string{"@octocat_acme"}) {
			t.Fatalf("Owners = %q", got)
		}
	}
	if n := s.fake.CountCalls(http.MethodGet, "/repos/acme/app/contents/.github/CODEOWNERS"); n != 1 {
		t.Errorf("CODEOWNERS read %d times for one blob, want 1", n)
	}
	// A new version is a new blob: read and parsed again.
	s.fake.SetFile("acme", "app", "main", ".github/CODEOWNERS", "* @acme/web\n")
	if got := s.loadCodeowners(t).Owners("x"); !slices.Equal(got, []string{"@acme/web"}) {
		t.Errorf("after an edit: Owners = %q", got)
	}
}

func TestCodeownersFoundAtRootOrDocs(t *testing.T) {
	t.Parallel()
	for _, path := range []string{"CODEOWNERS", "docs/CODEOWNERS"} {
		s := newSetup(t, map[string]string{path: "*.go @gopher\n"})
		if got := s.loadCodeowners(t).Owners("a/b.go"); !slices.Equal(got, []string{"@gopher"}) {
			t.Errorf("%s: Owners = %q", path, got)
		}
	}
	if co := newSetup(t, nil).loadCodeowners(t); co != nil {
		t.Errorf("no CODEOWNERS anywhere gave %+v", co)
	}
}

// TestCodeownersSizes: GitHub's contents answer carries no content over
// 1 MB, so such a file is read as a blob; from 3 MiB it is not read at all.
func TestCodeownersSizes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		size    int
		ignored bool
		blob    bool
	}{
		{100, false, false},
		{2 << 20, false, true},
		{reviewers.MaxCodeownersSize - 1, false, true},
		{reviewers.MaxCodeownersSize, true, false},
	}
	for _, tt := range tests {
		s := newSetup(t, map[string]string{".github/CODEOWNERS": padded(tt.size)})
		co := s.loadCodeowners(t)
		if got := co.Ignored() != ""; got != tt.ignored {
			t.Errorf("%d bytes: ignored = %v (%q), want %v", tt.size, got, co.Ignored(), tt.ignored)
		}
		if !tt.ignored && !slices.Equal(co.Owners("x.go"), []string{"@acme/backend", "@octocat_acme"}) {
			t.Errorf("%d bytes: Owners = %q", tt.size, co.Owners("x.go"))
		}
		if got := s.fake.CountCalls(http.MethodGet, "/repos/acme/app/git/blobs/") == 1; got != tt.blob {
			t.Errorf("%d bytes: read as a blob = %v, want %v", tt.size, got, tt.blob)
		}
	}
}

// TestCodeownersCacheBoundedByWhatFilesHold: the parsed files are kept by
// what they hold, not by count. A file whose parse holds more than the
// cache's whole budget (a hostile one under GitHub's 3 MiB limit) still
// works, and is not kept; an ordinary one is.
func TestCodeownersCacheBoundedByWhatFilesHold(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	for i := 0; b.Len() < 2<<20; i++ {
		b.WriteString("/a" + strconv.Itoa(i) + " @u\n")
	}
	s := newSetup(t, map[string]string{".github/CODEOWNERS": b.String()})
	co := s.loadCodeowners(t)
	if co.Cost() <= codeownersCacheBytes {
		t.Fatalf("the hostile file costs %d, within the budget %d: the test needs a larger one", co.Cost(), codeownersCacheBytes)
	}
	if got := co.Owners("a12/x"); !slices.Equal(got, []string{"@u"}) {
		t.Errorf("Owners = %q", got)
	}
	if n, used := s.api.cache.codeowners.Len(), s.api.cache.codeowners.Bytes(); n != 0 || used != 0 {
		t.Errorf("after the hostile file the cache holds %d entries, %d bytes; want none", n, used)
	}

	s.fake.SetFile("acme", "app", "main", ".github/CODEOWNERS", "* @acme/web\n")
	first := s.loadCodeowners(t)
	if again := s.loadCodeowners(t); again != first {
		t.Error("an ordinary file was parsed again: it should be kept")
	}
	if n := s.api.cache.codeowners.Len(); n != 1 {
		t.Errorf("the cache holds %d entries; want the ordinary file's 1", n)
	}
}
