package reviewers

import (
	"context"
	"slices"
	"strings"

	"github.com/reviewpolicy/reviewpolicy/policy"
)

// Teams lists every "@org/team" (lower-cased, sorted) whose members Select
// may need for a pull request changing files: the teams named by the
// policy's rules that match a changed file and, when the reviewers area
// uses CODEOWNERS, the teams owning a changed file. The handler fetches
// exactly these into Input.Teams, so a team named only in CODEOWNERS is
// expanded like a rule's team, and teams of rules that cannot match cost
// no request.
func Teams(ctx context.Context, p *policy.Policy, co *Codeowners, files []string) ([]string, error) {
	refs, err := refsFor(ctx, p, co, files)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, ref := range refs {
		if isTeam(ref) {
			out = append(out, strings.ToLower(ref))
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// Candidates lists every login (lower-cased, without "@", sorted) Select
// may ask or weigh for the same pull request: the people the matching rules
// and the changed files' owners name, and the members of their teams as
// found in teams (Input.Teams). Load and "busy" look-ups use it.
func Candidates(ctx context.Context, p *policy.Policy, co *Codeowners, files []string, teams map[string][]string) ([]string, error) {
	refs, err := refsFor(ctx, p, co, files)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, ref := range refs {
		if isTeam(ref) {
			for _, m := range teams[strings.ToLower(ref)] {
				out = append(out, strings.ToLower(m))
			}
			continue
		}
		out = append(out, strings.ToLower(strings.TrimPrefix(ref, "@")))
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// refsFor lists the references (logins and "@org/team", as written) of the
// rules that match a file and of the files' CODEOWNERS owners; e-mail
// owners are left out, since nobody can be requested by address.
func refsFor(ctx context.Context, p *policy.Policy, co *Codeowners, files []string) ([]string, error) {
	if p == nil || p.Reviewers == nil {
		return nil, nil
	}
	var refs []string
	idx := newFileIndex(ctx, files)
	for _, r := range p.Reviewers.Rules {
		if len(idx.match(r.Paths)) > 0 {
			refs = append(refs, r.Reviewers...)
		}
	}
	if idx.err != nil {
		return nil, idx.err
	}
	if !p.Reviewers.Codeowners {
		return refs, nil
	}
	// A file too costly to match is reported by Select; it needs nobody.
	owners, _ := co.Match(files)
	for _, o := range owners {
		for _, ref := range o {
			if !isEmail(ref) {
				refs = append(refs, ref)
			}
		}
	}
	return refs, nil
}
