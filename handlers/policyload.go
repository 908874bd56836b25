package handlers

import (
	"context"
	"errors"
	"fmt"

	"github.com/reviewpolicy/reviewpolicy/bytecache"
	"github.com/reviewpolicy/reviewpolicy/githubapi"
	"github.com/reviewpolicy/reviewpolicy/policy"
	"github.com/reviewpolicy/reviewpolicy/policy/check"
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

// parseCached parses a policy file once per (path, blob SHA): the same
// blob always parses the same, and most evaluations read an unchanged one.
// cache is a.policies.base for base-branch and organisation files and
// a.policies.proposed for a pull request's own.
func (a *App) parseCached(cache *bytecache.Cache, label, sha, text string) parsed {
	key := label + "@" + sha
	if v, ok := cache.Get(key); ok {
		return v.(parsed)
	}
	f, err := policy.ParseFile(label, []byte(text))
	p := parsed{file: f, err: err}
	cost := len(text)
	if err != nil {
		cost += len(err.Error())
	}
	cache.Add(key, p, cost)
	return p
}

// loadPolicy reads the policy from the base branch, never from the pull
// request's head, so an author cannot weaken the policy that judges them.
// Without a repository file, or with "extends: org", the organisation's
// default in its ".github" repository applies.
func (a *App) loadPolicy(ctx context.Context, gh *githubapi.Repo, baseRef string, files githubapi.BaseFiles) (loaded, error) {
	var repoFile *policy.File
	// The branch name is the repository's to choose (backticks included).
	repoSource := fmt.Sprintf("%s on %s", check.Code(policy.FileName, 200), check.Code(baseRef, 200))
	if sha, ok := files[policy.FileName]; ok {
		p, err := a.parseBlob(ctx, gh, policy.FileName, baseRef, sha)
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
	org, orgSource, err := a.loadOrgPolicy(ctx, gh.Installation, gh.Owner)
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

// parseBlob parses the policy file path at ref, whose blob SHA a listing
// gave; a blob parsed before costs no request.
func (a *App) parseBlob(ctx context.Context, gh *githubapi.Repo, path, ref, sha string) (parsed, error) {
	key := path + "@" + sha
	if v, ok := a.policies.base.Get(key); ok {
		return v.(parsed), nil
	}
	text, found, err := gh.Blob(ctx, path, ref, sha)
	if big, ok := errors.AsType[*githubapi.TooLargeError](err); ok {
		return parsed{err: policy.TooLarge(path, big.Size)}, nil
	}
	if err != nil || !found {
		return parsed{}, err
	}
	return a.parseCached(a.policies.base, path, sha, text), nil
}

func (a *App) loadOrgPolicy(ctx context.Context, in *githubapi.Installation, owner string) (parsed, string, error) {
	source := fmt.Sprintf("the organisation default (%s)", check.Code(owner+"/.github/"+policy.OrgFileName, 200))
	file, err := a.orgPolicyFile(ctx, in, owner)
	if big, ok := errors.AsType[*githubapi.TooLargeError](err); ok {
		return parsed{err: policy.TooLarge(owner+"/.github/"+policy.OrgFileName, big.Size)}, source, nil
	}
	if err != nil || !file.found {
		return parsed{}, source, err
	}
	text, sha := file.text, file.sha
	p := a.parseCached(a.policies.base, owner+"/.github/"+policy.OrgFileName, sha, text)
	if p.err == nil && p.file.Policy.Extends != "" {
		// The default is the end of the chain; a loop would never resolve.
		p = parsed{err: fmt.Errorf("%s/.github/%s: the organisation default cannot itself say extends", owner, policy.OrgFileName)}
	}
	return p, source, nil
}
