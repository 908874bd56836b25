package handlers

import (
	"context"
	"fmt"

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

// loadPolicy reads the policy from the base branch, never from the pull
// request's head, so an author cannot weaken the policy that judges them.
// Without a repository file, or with "extends: org", the organisation's
// default in its ".github" repository applies.
func (a *App) loadPolicy(ctx context.Context, c *github.Client, r repoRef, baseRef string) (loaded, error) {
	text, sha, found, err := getFile(ctx, c, r.Owner, r.Repo, policy.FileName, baseRef)
	if err != nil {
		return loaded{}, err
	}
	var repoFile *policy.File
	repoSource := fmt.Sprintf("`%s` on `%s`", policy.FileName, baseRef)
	if found {
		p := a.parseCached(policy.FileName, sha, text)
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

func (a *App) loadOrgPolicy(ctx context.Context, c *github.Client, owner string) (parsed, string, error) {
	source := fmt.Sprintf("the organisation default (`%s/.github/%s`)", owner, policy.OrgFileName)
	text, sha, found, err := getFile(ctx, c, owner, ".github", policy.OrgFileName, "")
	if err != nil || !found {
		return parsed{}, source, err
	}
	return a.parseCached(owner+"/.github/"+policy.OrgFileName, sha, text), source, nil
}

// templatePaths are where GitHub looks for a pull-request template, in the
// order it prefers them.
var templatePaths = []string{
	".github/pull_request_template.md",
	"pull_request_template.md",
	"docs/pull_request_template.md",
	".github/PULL_REQUEST_TEMPLATE.md",
	"PULL_REQUEST_TEMPLATE.md",
	"docs/PULL_REQUEST_TEMPLATE.md",
}

// repoTemplate reads the repository's pull-request template from the base
// branch; "" when it has none.
func repoTemplate(ctx context.Context, c *github.Client, r repoRef, baseRef string) (string, error) {
	for _, p := range templatePaths {
		text, _, found, err := getFile(ctx, c, r.Owner, r.Repo, p, baseRef)
		if err != nil || found {
			return text, err
		}
	}
	return "", nil
}

var codeownersPaths = []string{".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"}

func codeOwners(ctx context.Context, c *github.Client, r repoRef, baseRef string) (string, error) {
	for _, p := range codeownersPaths {
		text, _, found, err := getFile(ctx, c, r.Owner, r.Repo, p, baseRef)
		if err != nil || found {
			return text, err
		}
	}
	return "", nil
}
