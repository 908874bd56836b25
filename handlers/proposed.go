package handlers

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/reviewpolicy/reviewpolicy/githubapi"
	"github.com/reviewpolicy/reviewpolicy/policy"
	"github.com/reviewpolicy/reviewpolicy/policy/check"
)

// maxAuditedRefs bounds the API calls one policy change can cost.
const maxAuditedRefs = 50

// proposed validates the policy file as the pull request changes it, so a
// lead sees its errors (as annotations at the exact lines), what would not
// work in this repository, and its effect, before merging.
func (a *App) proposed(ctx context.Context, gh *githubapi.Repo, pr *github.PullRequest, files []string, current *policy.Policy) (*check.Proposed, error) {
	owner, repo := gh.Owner, gh.Name
	if head := pr.GetHead().GetRepo(); head != nil && head.GetOwner().GetLogin() != "" {
		owner, repo = head.GetOwner().GetLogin(), head.GetName()
	}
	text, sha, found, err := gh.File(ctx, owner, repo, policy.FileName, pr.GetHead().GetSHA())
	if err != nil {
		return nil, err
	}
	out := &check.Proposed{Path: policy.FileName}
	if !found {
		out.Changes = []string{"the policy file is deleted: the organisation default (if any) will apply"}
		return out, nil
	}
	p := a.parseCached(a.policies.proposed, policy.FileName, sha, text)
	if p.err != nil {
		out.Err = p.err
		return out, nil
	}
	out.Changes = policy.Describe(current, p.file.Policy)
	out.Findings, err = a.audit(ctx, gh, pr.GetBase().GetRef(), files, p.file.Policy, text)
	return out, err
}

// audit goes beyond syntax: teams that do not exist, users who cannot
// review this repository, rules whose paths match no file.
func (a *App) audit(ctx context.Context, gh *githubapi.Repo, baseRef string, prFiles []string, p *policy.Policy, text string) ([]check.Finding, error) {
	var findings []check.Finding
	var refs []string
	if p.Reviewers != nil {
		for _, rule := range p.Reviewers.Rules {
			refs = append(refs, rule.Reviewers...)
		}
	}
	if p.SLA != nil {
		refs = append(refs, p.SLA.EscalateTo...)
	}
	slices.Sort(refs)
	refs = slices.Compact(refs)
	if len(refs) > maxAuditedRefs {
		refs = refs[:maxAuditedRefs]
	}
	for _, ref := range refs {
		line, col := locate(text, ref)
		if org, slug, ok := splitTeam(ref); ok {
			members, found, err := gh.TeamMembers(ctx, org, slug)
			if err != nil {
				return nil, err
			}
			switch {
			case !found:
				findings = append(findings, check.Finding{Line: line, Column: col, Blocking: true,
					Msg: fmt.Sprintf("team %s does not exist or the app cannot see it", ref)})
			case len(members) == 0:
				findings = append(findings, check.Finding{Line: line, Column: col,
					Msg: fmt.Sprintf("team %s has no members", ref)})
			}
			continue
		}
		login := strings.TrimPrefix(ref, "@")
		can, err := gh.IsCollaborator(ctx, login)
		if err != nil {
			return nil, err
		}
		if !can {
			findings = append(findings, check.Finding{Line: line, Column: col, Blocking: true,
				Msg: fmt.Sprintf("%s cannot review this repository (not a collaborator, or no such user)", login)})
		}
	}
	if p.Reviewers == nil || len(p.Reviewers.Rules) == 0 {
		return findings, nil
	}
	unmatched, err := unmatchedRules(ctx, gh, baseRef, prFiles, p, text)
	if err != nil {
		return nil, err
	}
	return append(findings, unmatched...), nil
}

// unmatchedRules finds the rules whose paths match no file of the base
// branch or the pull request: most likely a typo. A tree GitHub cut short
// proves nothing.
func unmatchedRules(ctx context.Context, gh *githubapi.Repo, baseRef string, prFiles []string, p *policy.Policy, text string) ([]check.Finding, error) {
	tree, err := gh.Tree(ctx, baseRef)
	if err != nil {
		return nil, err
	}
	paths := slices.Clone(prFiles)
	for _, e := range tree.Entries {
		if e.GetType() == "blob" {
			paths = append(paths, e.GetPath())
		}
	}
	var findings []check.Finding
	for _, rule := range p.Reviewers.Rules {
		if tree.GetTruncated() || slices.ContainsFunc(paths, func(f string) bool { return policy.MatchAny(rule.Paths, f) }) {
			continue
		}
		line, col := locate(text, rule.Name)
		findings = append(findings, check.Finding{Line: line, Column: col,
			Msg: fmt.Sprintf("rule %s: its paths (%s) match no file in the repository", rule.Name, strings.Join(rule.Paths, ", "))})
	}
	return findings, nil
}

// locate finds the first line and column where needle is written as a
// value in the file, for annotations (the parsed policy keeps no positions
// for values).
func locate(text, needle string) (line, col int) {
	for i, l := range strings.Split(text, "\n") {
		if j := strings.Index(l, needle); j >= 0 {
			return i + 1, j + 1
		}
	}
	return 1, 1
}
