package handlers

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/reviewpolicy/reviewpolicy/policy"
)

// loaded is the policy in force for one pull request.
type loaded struct {
	policy *policy.Policy // nil: none anywhere (or err)
	source string
	err    error // the policy in force is invalid
}

type parsed struct {
	file *policy.File
	err  error
}

// parseCached parses a policy file once per (path, blob SHA).
func (a *App) parseCached(label, sha, text string) parsed {
	key := label + "@" + sha
	if v, ok := a.cache.policies.Get(key); ok {
		return v.(parsed)
	}
	f, err := policy.ParseFile(label, []byte(text))
	p := parsed{file: f, err: err}
	a.cache.policies.Add(key, p)
	return p
}

// baseFiles is what the base branch's .github directory holds: path ->
// blob SHA. One listing (revalidated with ETags, so usually a free 304)
// replaces a probe per file, and a blob SHA seen before needs no fetch.
type baseFiles map[string]string

func (a *App) listGitHubDir(ctx context.Context, c *github.Client, r repoRef, ref string) (baseFiles, error) {
	_, dir, resp, err := c.Repositories.GetContents(ctx, r.Owner, r.Repo, ".github", &github.RepositoryContentGetOptions{Ref: ref})
	if resp != nil && resp.StatusCode == http.StatusNotFound {
		return baseFiles{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing .github of %s/%s@%s: %w", r.Owner, r.Repo, ref, err)
	}
	files := make(baseFiles, len(dir))
	for _, f := range dir {
		if f.GetType() == "file" {
			files[f.GetPath()] = f.GetSHA()
		}
	}
	return files, nil
}

// blob returns a file's text, fetching it only when its SHA is new.
func (a *App) blob(ctx context.Context, c *github.Client, r repoRef, path, ref, sha string) (string, bool, error) {
	if v, ok := a.cache.blobs.Get(sha); ok {
		return v.(string), true, nil
	}
	text, got, found, err := getFile(ctx, c, r.Owner, r.Repo, path, ref)
	if err != nil || !found {
		return "", found, err
	}
	a.cache.blobs.Add(got, text)
	return text, true, nil
}

// loadPolicy reads the policy from the base branch, never from the pull
// request's head, so an author cannot weaken the policy that judges them.
// Without a repository file, or with "extends: org", the organisation's
// default in its ".github" repository applies.
func (a *App) loadPolicy(ctx context.Context, c *github.Client, r repoRef, baseRef string, files baseFiles) (loaded, error) {
	var repoFile *policy.File
	repoSource := fmt.Sprintf("`%s` on `%s`", policy.FileName, baseRef)
	if sha, ok := files[policy.FileName]; ok {
		p, err := a.parseBlob(ctx, c, r, policy.FileName, baseRef, sha)
		if err != nil {
			return loaded{}, err
		}
		if p.err != nil {
			return loaded{source: repoSource, err: p.err}, nil
		}
		repoFile = p.file
		if repoFile.Policy.Extends != "org" {
			return loaded{policy: repoFile.Policy, source: repoSource}, nil
		}
	}
	org, orgSource, err := a.loadOrgPolicy(ctx, c, r.Owner)
	if err != nil {
		return loaded{}, err
	}
	if org.err != nil {
		return loaded{source: orgSource, err: org.err}, nil
	}
	switch {
	case repoFile != nil:
		var base *policy.Policy
		if org.file != nil {
			base = org.file.Policy
		}
		return loaded{policy: policy.Resolve(repoFile, base), source: repoSource + " extending the organisation default"}, nil
	case org.file != nil:
		return loaded{policy: org.file.Policy, source: orgSource}, nil
	}
	return loaded{}, nil
}

func (a *App) parseBlob(ctx context.Context, c *github.Client, r repoRef, path, ref, sha string) (parsed, error) {
	key := path + "@" + sha
	if v, ok := a.cache.policies.Get(key); ok {
		return v.(parsed), nil
	}
	text, found, err := a.blob(ctx, c, r, path, ref, sha)
	if err != nil || !found {
		return parsed{}, err
	}
	return a.parseCached(path, sha, text), nil
}

func (a *App) loadOrgPolicy(ctx context.Context, c *github.Client, owner string) (parsed, string, error) {
	source := fmt.Sprintf("the organisation default (`%s/.github/%s`)", owner, policy.OrgFileName)
	text, sha, found, err := getFile(ctx, c, owner, ".github", policy.OrgFileName, "")
	if err != nil || !found {
		return parsed{}, source, err
	}
	p := a.parseCached(owner+"/.github/"+policy.OrgFileName, sha, text)
	if p.err == nil && p.file.Policy.Extends != "" {
		// The default is the end of the chain; a loop would never resolve.
		p = parsed{err: fmt.Errorf("%s/.github/%s: the organisation default cannot itself say extends", owner, policy.OrgFileName)}
	}
	return p, source, nil
}

// firstOf reads the first of paths the base branch has: those in .github
// from the listing, the others (repository root, docs/) by probing, as
// GitHub itself looks in all three places.
func (a *App) firstOf(ctx context.Context, c *github.Client, r repoRef, ref string, files baseFiles, paths []string) (string, error) {
	for _, p := range paths {
		if sha, ok := files[p]; ok {
			text, _, err := a.blob(ctx, c, r, p, ref, sha)
			return text, err
		}
	}
	for _, p := range paths {
		if strings.HasPrefix(p, ".github/") {
			continue
		}
		text, sha, found, err := getFile(ctx, c, r.Owner, r.Repo, p, ref)
		if err != nil {
			return "", err
		}
		if found {
			a.cache.blobs.Add(sha, text)
			return text, nil
		}
	}
	return "", nil
}

// templatePaths are where GitHub looks for a pull-request template.
var templatePaths = []string{
	".github/pull_request_template.md", ".github/PULL_REQUEST_TEMPLATE.md",
	"pull_request_template.md", "docs/pull_request_template.md",
}

var codeownersPaths = []string{".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"}
