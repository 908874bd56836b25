package policy

import "maps"

// Resolve returns the policy in force for a repository whose file is repo,
// given the organisation default org (nil when the organisation has none).
//
// Without "extends: org" the repository file stands alone. With it, the
// result starts from org and the repository file overrides it:
//   - an area (template, reviewers, sla) the file sets replaces the org's
//     area as a whole, so a rule list is never half one and half the other;
//   - people merge by login, the file's entry winning;
//   - enforcement merges per key: only the modes the file wrote override.
//
// The result shares areas with its inputs; policies are read-only once
// parsed.
func Resolve(repo *File, org *Policy) *Policy {
	p := repo.Policy
	if p.Extends != "org" || org == nil {
		return p
	}
	out := *org
	out.Version, out.Extends = p.Version, p.Extends
	if p.Template != nil {
		out.Template = p.Template
	}
	if p.Reviewers != nil {
		out.Reviewers = p.Reviewers
	}
	if p.SLA != nil {
		out.SLA = p.SLA
	}
	if p.Leads != nil { // a repository naming its leads replaces the organisation's
		out.Leads = p.Leads
	}
	if len(org.People)+len(p.People) > 0 {
		out.People = make(map[string]Person, len(org.People)+len(p.People))
		maps.Copy(out.People, org.People)
		maps.Copy(out.People, p.People)
	}
	if repo.set.template {
		out.Enforcement.Template = p.Enforcement.Template
	}
	if repo.set.reviewers {
		out.Enforcement.Reviewers = p.Enforcement.Reviewers
	}
	if repo.set.sla {
		out.Enforcement.SLA = p.Enforcement.SLA
	}
	return &out
}
