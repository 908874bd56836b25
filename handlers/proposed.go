package handlers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/reviewpolicy/reviewpolicy/githubapi"
	"github.com/reviewpolicy/reviewpolicy/policy"
	"github.com/reviewpolicy/reviewpolicy/policy/check"
)

// Budgets of the proposed-policy audit. A proposed file is written by the
// pull request's author, so its audit must end however large it is; it is
// advice, so when it cannot finish it says so rather than fail the job.
const (
	// maxAuditedRefs bounds the API calls one policy change can cost.
	maxAuditedRefs = 50
	// auditTimeout bounds the audit's time, API calls included, well
	// inside workers.job_timeout.
	auditTimeout = 20 * time.Second
	// maxAuditMatches bounds the glob matches spent looking for rules that
	// match no file (globs × files of the base tree and the pull request):
	// a few seconds of the worst globs the parser accepts.
	maxAuditMatches = 2_000_000
	// ctxCheckEvery is how many matches run between looks at the context.
	ctxCheckEvery = 1024
)

// tooLargeToAudit is the finding when the audit stops at a budget.
const tooLargeToAudit = "the proposed policy is too large to audit here (%s); " +
	"teams, users and rules matching no file were not all checked"

// proposed validates the policy file as the pull request changes it, so a
// lead sees its errors (as annotations at the exact lines), what would not
// work in this repository, and its effect, before merging.
func (a *App) proposed(ctx context.Context, gh *githubapi.Repo, pr *github.PullRequest, files []string, current *policy.Policy) (*check.Proposed, error) {
	owner, repo := gh.Owner, gh.Name
	if head := pr.GetHead().GetRepo(); head != nil && head.GetOwner().GetLogin() != "" {
		owner, repo = head.GetOwner().GetLogin(), head.GetName()
	}
	text, sha, found, err := gh.File(ctx, owner, repo, policy.FileName, pr.GetHead().GetSHA())
	out := &check.Proposed{Path: policy.FileName}
	if big, ok := errors.AsType[*githubapi.TooLargeError](err); ok {
		out.Err = policy.TooLarge(policy.FileName, big.Size)
		return out, nil
	}
	if err != nil {
		return nil, err
	}
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
	out.Findings, err = auditWithin(ctx, auditTimeout, func(ctx context.Context) ([]check.Finding, error) {
		return a.audit(ctx, gh, pr.GetBase().GetRef(), files, p.file.Policy, text)
	})
	return out, err
}

// auditWithin runs audit under a deadline of its own. When that deadline,
// not ctx's, ends it, the findings so far are kept and the audit reports
// itself too large instead of failing the evaluation; when ctx ends (the
// job's timeout, shutdown), the error is returned as is.
func auditWithin(ctx context.Context, timeout time.Duration, audit func(context.Context) ([]check.Finding, error)) ([]check.Finding, error) {
	auditCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	findings, err := audit(auditCtx)
	if err != nil && ctx.Err() == nil && auditCtx.Err() != nil {
		findings = append(findings, check.Finding{Line: 1, Column: 1,
			Msg: fmt.Sprintf(tooLargeToAudit, "it took over "+timeout.String())})
		err = nil
	}
	return findings, err
}

// audit goes beyond syntax: teams that do not exist, users who cannot
// review this repository, rules whose paths match no file. On error it
// still returns the findings made so far.
func (a *App) audit(ctx context.Context, gh *githubapi.Repo, baseRef string, prFiles []string, p *policy.Policy, text string) ([]check.Finding, error) {
	findings, err := auditRefs(ctx, gh, p, text)
	if err != nil || p.Reviewers == nil || len(p.Reviewers.Rules) == 0 {
		return findings, err
	}
	unmatched, err := unmatchedRules(ctx, gh, baseRef, prFiles, p, text)
	return append(findings, unmatched...), err
}

// auditRefs reports teams that do not exist or are empty and users who
// cannot review this repository.
func auditRefs(ctx context.Context, gh *githubapi.Repo, p *policy.Policy, text string) ([]check.Finding, error) {
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
	refs = append(refs, p.Leads...)
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
				return findings, err
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
			return findings, err
		}
		if !can {
			findings = append(findings, check.Finding{Line: line, Column: col, Blocking: true,
				Msg: fmt.Sprintf("%s cannot review this repository (not a collaborator, or no such user)", login)})
		}
	}
	return findings, nil
}

// unmatchedRules finds the rules whose paths match no file of the base
// branch or the pull request: most likely a typo. A tree GitHub cut short
// proves nothing.
func unmatchedRules(ctx context.Context, gh *githubapi.Repo, baseRef string, prFiles []string, p *policy.Policy, text string) ([]check.Finding, error) {
	tree, err := gh.Tree(ctx, baseRef)
	if err != nil || tree.GetTruncated() {
		return nil, err
	}
	paths := slices.Clone(prFiles)
	for _, e := range tree.Entries {
		if e.GetType() == "blob" {
			paths = append(paths, e.GetPath())
		}
	}
	return findUnmatched(ctx, p.Reviewers.Rules, paths, text, &matchBudget{left: maxAuditMatches})
}

// matchBudget is what is left of the glob matches one audit may spend.
type matchBudget struct{ left int }

// errOverBudget ends an audit that has spent its matchBudget.
var errOverBudget = errors.New("match budget spent")

// findUnmatched reports each rule none of whose globs matches a path. Most
// rules match one of the first files they try, so it does not refuse by
// the worst case up front; it spends the budget as it goes, says so when
// the budget runs out, and looks at the context every ctxCheckEvery
// matches, so that neither size nor time is unbounded.
func findUnmatched(ctx context.Context, rules []policy.Rule, paths []string, text string, b *matchBudget) ([]check.Finding, error) {
	var findings []check.Finding
	for i, rule := range rules {
		matched, err := matchesSome(ctx, rule.Paths, paths, b)
		if errors.Is(err, errOverBudget) {
			return append(findings, check.Finding{Line: 1, Column: 1, Msg: fmt.Sprintf(tooLargeToAudit,
				fmt.Sprintf("%d rules × %d files ran out of the budget of %d glob matches at rule %d",
					len(rules), len(paths), maxAuditMatches, i+1))}), nil
		}
		if err != nil {
			return findings, err
		}
		if matched {
			continue
		}
		line, col := locate(text, rule.Name)
		findings = append(findings, check.Finding{Line: line, Column: col,
			Msg: fmt.Sprintf("rule %s: its paths (%s) match no file in the repository",
				policy.Excerpt(rule.Name), excerpts(rule.Paths, 3))})
	}
	return findings, nil
}

// matchesSome reports whether any path matches any of globs, spending the
// budget one match at a time and checking ctx every ctxCheckEvery.
func matchesSome(ctx context.Context, globs, paths []string, b *matchBudget) (bool, error) {
	for _, f := range paths {
		for _, g := range globs {
			if b.left <= 0 {
				return false, errOverBudget
			}
			if b.left%ctxCheckEvery == 0 {
				if err := ctx.Err(); err != nil {
					return false, err
				}
			}
			b.left--
			if policy.MatchPath(g, f) {
				return true, nil
			}
		}
	}
	return false, nil
}

// excerpts lists at most n values, each bounded, and how many were left out.
func excerpts(values []string, n int) string {
	out := make([]string, 0, n+1)
	for i, v := range values {
		if i == n {
			out = append(out, fmt.Sprintf("and %d more", len(values)-n))
			break
		}
		out = append(out, policy.Excerpt(v))
	}
	return strings.Join(out, ", ")
}

// locate finds the first line and column where needle is written as a
// value in the file, for annotations (the parsed policy keeps no positions
// for values). It allocates nothing: it runs once per finding over a file
// of up to 1 MiB.
func locate(text, needle string) (line, col int) {
	i := strings.Index(text, needle)
	if i < 0 || needle == "" {
		return 1, 1
	}
	start := strings.LastIndexByte(text[:i], '\n') + 1
	return strings.Count(text[:i], "\n") + 1, i - start + 1
}
