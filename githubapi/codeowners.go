package githubapi

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/reviewpolicy/reviewpolicy/policy/reviewers"
)

// Codeowners returns the CODEOWNERS file of branch ref, parsed once per
// blob SHA, or nil when the branch has none. Like GitHub, it uses the first
// of CodeownersPaths; base is the branch's .github listing, so a file there
// whose blob was parsed before costs no request. A file of 3 MiB or more is
// not downloaded: GitHub ignores it, and the result says so.
func (r *Repo) Codeowners(ctx context.Context, ref string, base BaseFiles) (*reviewers.Codeowners, error) {
	for _, p := range CodeownersPaths {
		if strings.HasPrefix(p, ".github/") {
			sha, listed := base[p]
			if !listed {
				continue
			}
			if v, ok := r.api.cache.codeowners.Get(sha); ok {
				return v.(*reviewers.Codeowners), nil
			}
		}
		fc, _, resp, err := r.c.Repositories.GetContents(ctx, r.Owner, r.Name, p, &github.RepositoryContentGetOptions{Ref: ref})
		if resp != nil && resp.StatusCode == http.StatusNotFound || err == nil && fc == nil {
			continue // absent, or a directory
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s:%s@%s: %w", r, p, ref, err)
		}
		return r.parseCodeowners(ctx, fc)
	}
	return nil, nil
}

// parseCodeowners parses a CODEOWNERS file the contents endpoint described.
func (r *Repo) parseCodeowners(ctx context.Context, fc *github.RepositoryContent) (*reviewers.Codeowners, error) {
	sha := fc.GetSHA()
	if v, ok := r.api.cache.codeowners.Get(sha); ok {
		return v.(*reviewers.Codeowners), nil
	}
	var co *reviewers.Codeowners
	if size := fc.GetSize(); size >= reviewers.MaxCodeownersSize {
		co = reviewers.TooLargeCodeowners(size)
	} else {
		text, err := r.contentText(ctx, fc)
		if err != nil {
			return nil, err
		}
		co, _ = reviewers.ParseCodeowners(text)
	}
	r.api.cache.codeowners.Add(sha, co, co.Cost())
	return co, nil
}

// contentText is a file's text: from the contents answer, or for files
// over 1 MB, which that answer carries without content, from the blob.
func (r *Repo) contentText(ctx context.Context, fc *github.RepositoryContent) (string, error) {
	if fc.GetEncoding() != "none" {
		text, err := fc.GetContent()
		if err != nil {
			return "", fmt.Errorf("decoding %s:%s: %w", r, fc.GetPath(), err)
		}
		return text, nil
	}
	return r.blobText(ctx, r.Owner, r.Name, fc.GetSHA())
}
