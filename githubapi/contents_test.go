package githubapi

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
)

// TestFileSizes: a file anyone can push to a branch is refused from its
// size before its content is fetched; one GitHub leaves out of the
// contents answer (from 1 MB) but within MaxTextFile is read as a blob.
func TestFileSizes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		size     int
		tooLarge bool
		blob     bool
	}{
		{100, false, false},
		{1_000_001, false, true},
		{MaxTextFile, false, true},
		{MaxTextFile + 1, true, false},
		{25 << 20, true, false},
	}
	for _, tt := range tests {
		text := "a: b\n" + strings.Repeat("#", tt.size-5)
		s := newSetup(t, map[string]string{".github/review-policy.yml": text})
		got, sha, found, err := s.newRepo(t).File(context.Background(), "acme", "app", ".github/review-policy.yml", "main")
		var big *TooLargeError
		switch {
		case tt.tooLarge && (!errors.As(err, &big) || big.Size != tt.size || sha == "" || !found):
			t.Errorf("%d bytes: err %v, sha %q, found %v; want a TooLargeError with the size and SHA", tt.size, err, sha, found)
		case !tt.tooLarge && (err != nil || got != text):
			t.Errorf("%d bytes: err %v, text of %d bytes", tt.size, err, len(got))
		}
		if got := s.fake.CountCalls(http.MethodGet, "/repos/acme/app/git/blobs/") == 1; got != tt.blob {
			t.Errorf("%d bytes: read as a blob = %v, want %v", tt.size, got, tt.blob)
		}
	}
}

// TestBlobCacheCountsBytes: the blob cache charges each text its size, so
// its bound is in bytes whoever chooses the files; a text read again is not
// fetched again.
func TestBlobCacheCountsBytes(t *testing.T) {
	t.Parallel()
	text := "a: b\n" + strings.Repeat("#", 200_000)
	s := newSetup(t, map[string]string{".github/review-policy.yml": text})
	ctx := context.Background()
	files, err := s.repo.GitHubDir(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	sha := files[".github/review-policy.yml"]
	for range 2 {
		if got, found, err := s.repo.Blob(ctx, ".github/review-policy.yml", "main", sha); err != nil || !found || got != text {
			t.Fatalf("Blob: %d bytes, %v, %v", len(got), found, err)
		}
	}
	if used := s.api.cache.blobs.Bytes(); used < len(text) || used > len(text)+1024 {
		t.Errorf("the cache charges %d bytes for a text of %d", used, len(text))
	}
	if n := s.fake.CountCalls(http.MethodGet, "/repos/acme/app/contents/.github/review-policy.yml"); n != 1 {
		t.Errorf("the text was fetched %d times, want once", n)
	}
}
