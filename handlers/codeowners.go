package handlers

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-github/v60/github"
	lru "github.com/hashicorp/golang-lru"

	"github.com/reviewpolicy/reviewpolicy/policy"
	"github.com/reviewpolicy/reviewpolicy/policy/reviewers"
)

// codeownersCacheSize bounds the parsed CODEOWNERS files kept, one per blob
// SHA: a file near GitHub's 3 MiB limit parses into tens of megabytes.
const codeownersCacheSize = 32

func (a *App) codeownersCache() *lru.Cache {
	a.ownersOnce.Do(func() { a.owners, _ = lru.New(codeownersCacheSize) })
	return a.owners
}

// codeowners returns the base branch's CODEOWNERS file, parsed once per
// blob SHA, or nil when the branch has none. Like GitHub, it uses the first
// of .github/CODEOWNERS, CODEOWNERS and docs/CODEOWNERS. A file of 3 MiB or
// more is not downloaded: GitHub ignores it, and the result says so.
func (a *App) codeowners(ctx context.Context, c *github.Client, r repoRef, ref string, base baseFiles) (*reviewers.Codeowners, error) {
	for _, p := range codeownersPaths {
		if strings.HasPrefix(p, ".github/") {
			sha, listed := base[p]
			if !listed {
				continue
			}
			if v, ok := a.codeownersCache().Get(sha); ok {
				return v.(*reviewers.Codeowners), nil
			}
		}
		fc, _, resp, err := c.Repositories.GetContents(ctx, r.Owner, r.Repo, p, &github.RepositoryContentGetOptions{Ref: ref})
		if resp != nil && resp.StatusCode == http.StatusNotFound || err == nil && fc == nil {
			continue // absent, or a directory
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s/%s:%s@%s: %w", r.Owner, r.Repo, p, ref, err)
		}
		return a.parseCodeowners(ctx, c, r, fc)
	}
	return nil, nil
}

// parseCodeowners parses a CODEOWNERS file the contents endpoint described.
func (a *App) parseCodeowners(ctx context.Context, c *github.Client, r repoRef, fc *github.RepositoryContent) (*reviewers.Codeowners, error) {
	sha := fc.GetSHA()
	if v, ok := a.codeownersCache().Get(sha); ok {
		return v.(*reviewers.Codeowners), nil
	}
	var co *reviewers.Codeowners
	if size := fc.GetSize(); size >= reviewers.MaxCodeownersSize {
		co = reviewers.TooLargeCodeowners(size)
	} else {
		text, err := contentText(ctx, c, r, fc)
		if err != nil {
			return nil, err
		}
		co, _ = reviewers.ParseCodeowners(text)
	}
	a.codeownersCache().Add(sha, co)
	return co, nil
}

// contentText is a file's text: from the contents answer, or for files
// over 1 MB, which that answer carries without content, from the blob.
func contentText(ctx context.Context, c *github.Client, r repoRef, fc *github.RepositoryContent) (string, error) {
	if fc.GetEncoding() != "none" {
		text, err := fc.GetContent()
		if err != nil {
			return "", fmt.Errorf("decoding %s/%s:%s: %w", r.Owner, r.Repo, fc.GetPath(), err)
		}
		return text, nil
	}
	blob, _, err := c.Git.GetBlob(ctx, r.Owner, r.Repo, fc.GetSHA())
	if err != nil {
		return "", fmt.Errorf("reading blob %s of %s/%s:%s: %w", fc.GetSHA(), r.Owner, r.Repo, fc.GetPath(), err)
	}
	if blob.GetEncoding() != "base64" {
		return blob.GetContent(), nil
	}
	data, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(blob.GetContent(), "\n", ""))
	if err != nil {
		return "", fmt.Errorf("decoding blob %s of %s/%s: %w", fc.GetSHA(), r.Owner, r.Repo, err)
	}
	return string(data), nil
}

// reviewerFacts is what the reviewer selection needs beyond the pull
// request: the parsed CODEOWNERS (nil unless the area uses it, or when the
// branch has none), the members of every team the selection may need
// (reviewers.Teams: the matching rules' and the changed files' owners'),
// and everyone it may weigh (reviewers.Candidates), for load and busy
// look-ups.
type reviewerFacts struct {
	codeowners *reviewers.Codeowners
	teams      map[string][]string // "@org/team" lower-cased -> members
	candidates []string            // lower-cased logins
}

func (a *App) gatherReviewerFacts(ctx context.Context, c *github.Client, r repoRef, ref string, base baseFiles,
	p *policy.Policy, files []string) (reviewerFacts, error) {
	var f reviewerFacts
	if p.Reviewers == nil {
		return f, nil
	}
	if p.Reviewers.Codeowners {
		var err error
		if f.codeowners, err = a.codeowners(ctx, c, r, ref, base); err != nil {
			return f, err
		}
	}
	f.teams = map[string][]string{}
	for _, team := range reviewers.Teams(p, f.codeowners, files) {
		org, slug, _ := splitTeam(team)
		members, found, err := teamMembers(ctx, c, org, slug)
		if err != nil {
			return f, err
		}
		if found {
			f.teams[team] = members
		}
	}
	f.candidates = reviewers.Candidates(p, f.codeowners, files, f.teams)
	return f, nil
}

// loadsOf reads the open review load of logins (lower-cased).
func (a *App) loadsOf(ctx context.Context, inst int64, logins []string) (map[string]reviewers.Load, error) {
	got, err := a.Store.Loads(ctx, inst, logins)
	if err != nil {
		return nil, err
	}
	out := make(map[string]reviewers.Load, len(got))
	for k, v := range got {
		out[k] = reviewers.Load{Open: v.Open, LastRequested: v.LastRequested}
	}
	return out, nil
}
