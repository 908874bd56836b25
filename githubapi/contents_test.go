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
