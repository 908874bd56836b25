package githubapi

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-github/v60/github"
)

// TemplatePaths are where GitHub looks for a pull-request template, in its
// order.
var TemplatePaths = []string{
	".github/pull_request_template.md", ".github/PULL_REQUEST_TEMPLATE.md",
	"pull_request_template.md", "docs/pull_request_template.md",
}

// CodeownersPaths are where GitHub looks for CODEOWNERS; the first found
// applies.
var CodeownersPaths = []string{".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"}

// MaxTextFile is the largest file File reads: policy files and templates.
// Anyone can push a larger one to a branch; it is refused from its size in
// the listing, before its content is fetched or decoded.
const MaxTextFile = 1 << 20

// TooLargeError reports a file over MaxTextFile.
type TooLargeError struct {
	Path string
	Size int
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s is %d bytes; at most %d (1 MiB) is read", e.Path, e.Size, MaxTextFile)
}

// File returns a file's text and blob SHA at ref ("": the default branch)
// in any repository the installation sees (a fork's head, the
// organisation's ".github"); found is false on 404 or for a directory. A
// file over MaxTextFile gives a *TooLargeError with its SHA.
func (in *Installation) File(ctx context.Context, owner, repo, path, ref string) (text, sha string, found bool, err error) {
	fc, _, resp, err := in.c.Repositories.GetContents(ctx, owner, repo, path, &github.RepositoryContentGetOptions{Ref: ref})
	if resp != nil && resp.StatusCode == http.StatusNotFound {
		return "", "", false, nil
	}
	if err != nil {
		return "", "", false, fmt.Errorf("reading %s/%s:%s@%s: %w", owner, repo, path, ref, err)
	}
	if fc == nil { // a directory
		return "", "", false, nil
	}
	if fc.GetSize() > MaxTextFile {
		return "", fc.GetSHA(), true, &TooLargeError{Path: path, Size: fc.GetSize()}
	}
	if fc.GetEncoding() == "none" {
		// GitHub leaves out the content from 1 MB (10^6 bytes), under
		// MaxTextFile: the blob has it.
		text, err = in.blobText(ctx, owner, repo, fc.GetSHA())
	} else {
		text, err = fc.GetContent()
	}
	if err != nil {
		return "", "", false, fmt.Errorf("decoding %s/%s:%s: %w", owner, repo, path, err)
	}
	return text, fc.GetSHA(), true, nil
}

// blobText reads a blob's text through the Git data API.
func (in *Installation) blobText(ctx context.Context, owner, repo, sha string) (string, error) {
	blob, _, err := in.c.Git.GetBlob(ctx, owner, repo, sha)
	if err != nil {
		return "", fmt.Errorf("reading blob %s of %s/%s: %w", sha, owner, repo, err)
	}
	if blob.GetEncoding() != "base64" {
		return blob.GetContent(), nil
	}
	data, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(blob.GetContent(), "\n", ""))
	if err != nil {
		return "", fmt.Errorf("decoding blob %s of %s/%s: %w", sha, owner, repo, err)
	}
	return string(data), nil
}

// BaseFiles is what a branch's .github directory holds: path -> blob SHA.
// One listing (revalidated with ETags, so usually a free 304) replaces a
// probe per file, and a blob SHA seen before needs no fetch.
type BaseFiles map[string]string

// GitHubDir lists the files of the .github directory at ref.
func (r *Repo) GitHubDir(ctx context.Context, ref string) (BaseFiles, error) {
	_, dir, resp, err := r.c.Repositories.GetContents(ctx, r.Owner, r.Name, ".github", &github.RepositoryContentGetOptions{Ref: ref})
	if resp != nil && resp.StatusCode == http.StatusNotFound {
		return BaseFiles{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing .github of %s@%s: %w", r, ref, err)
	}
	files := make(BaseFiles, len(dir))
	for _, f := range dir {
		if f.GetType() == "file" {
			files[f.GetPath()] = f.GetSHA()
		}
	}
	return files, nil
}

// Blob returns the text of path at ref, whose blob SHA a listing gave,
// fetching it only when the SHA is new; found is false when the file is
// gone since the listing.
func (r *Repo) Blob(ctx context.Context, path, ref, sha string) (text string, found bool, err error) {
	if v, ok := r.api.cache.blobs.Get(sha); ok {
		return v.(string), true, nil
	}
	text, got, found, err := r.File(ctx, r.Owner, r.Name, path, ref)
	if err != nil || !found {
		return "", found, err
	}
	r.api.cache.blobs.Add(got, text, len(text))
	return text, true, nil
}

// FirstOf reads the first of paths the branch ref has: those in .github
// from its listing, the others (repository root, docs/) by probing, as
// GitHub itself looks in all three places. "" when there is none, and
// when the first is over MaxTextFile: no real template is that large.
func (r *Repo) FirstOf(ctx context.Context, ref string, files BaseFiles, paths []string) (string, error) {
	for _, p := range paths {
		if sha, ok := files[p]; ok {
			text, _, err := r.Blob(ctx, p, ref, sha)
			if _, big := errors.AsType[*TooLargeError](err); big {
				return "", nil
			}
			return text, err
		}
	}
	for _, p := range paths {
		if strings.HasPrefix(p, ".github/") {
			continue
		}
		text, sha, found, err := r.File(ctx, r.Owner, r.Name, p, ref)
		if _, big := errors.AsType[*TooLargeError](err); big {
			return "", nil
		}
		if err != nil {
			return "", err
		}
		if found {
			r.api.cache.blobs.Add(sha, text, len(text))
			return text, nil
		}
	}
	return "", nil
}
