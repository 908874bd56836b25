package policy

import (
	"reflect"
	"testing"
	"time"
)

func mustParseFile(t *testing.T, src string) *File {
	t.Helper()
	f, err := ParseFile("p.yml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestResolve(t *testing.T) {
	t.Parallel()
	org := mustParse(t, `version: 1
template:
  sections: [{heading: Summary}]
reviewers:
  count: 2
  rules: [{name: all, paths: ["**"], reviewers: ["@acme/devs"]}]
people:
  alice: {timezone: Europe/Berlin}
  bob: {timezone: UTC}
sla: {first_review: 2d}
enforcement: {template: warn, sla: off}
`)
	repo := mustParseFile(t, `version: 1
extends: org
reviewers:
  rules: [{name: api, paths: ["api/**"], reviewers: [carol]}]
people:
  bob: {away: true}
  carol: {}
enforcement: {sla: block}
`)
	got := Resolve(repo, org)

	if got.Template != org.Template || got.SLA != org.SLA {
		t.Error("areas the repository does not set come from the org")
	}
	if got.Reviewers != repo.Policy.Reviewers || got.Reviewers.Count != 1 || len(got.Reviewers.Rules) != 1 {
		t.Errorf("reviewers = %+v: the repository's area replaces the org's whole", got.Reviewers)
	}
	wantPeople := map[string]Person{
		"alice": org.People["alice"],
		"bob":   {Away: true},
		"carol": {},
	}
	if !reflect.DeepEqual(got.People, wantPeople) {
		t.Errorf("people = %+v, want %+v", got.People, wantPeople)
	}
	if want := (Enforcement{Template: ModeWarn, Reviewers: ModeBlock, SLA: ModeBlock}); got.Enforcement != want {
		t.Errorf("enforcement = %+v, want %+v (per key, repository wins where it wrote one)", got.Enforcement, want)
	}
	if got.Extends != "org" || got.SLA.FirstReview != 48*time.Hour {
		t.Errorf("extends %q, first review %v", got.Extends, got.SLA.FirstReview)
	}
	if len(org.People) != 2 || len(org.Reviewers.Rules) != 1 {
		t.Error("Resolve modified the org policy")
	}
}

func TestResolveWithoutExtends(t *testing.T) {
	t.Parallel()
	org := mustParse(t, "version: 1\nsla: {}\n")
	repo := mustParseFile(t, "version: 1\nreviewers: {}\n")
	if got := Resolve(repo, org); got != repo.Policy || got.SLA != nil {
		t.Errorf("a file without extends stands alone, got %+v", got)
	}
	extending := mustParseFile(t, "version: 1\nextends: org\n")
	if got := Resolve(extending, nil); got != extending.Policy {
		t.Error("without an org default the repository file stands alone")
	}
	// The defaults a repository file did not write must not hide the org's modes.
	org = mustParse(t, "version: 1\nenforcement: {template: off, reviewers: warn, sla: block}\n")
	if got := Resolve(extending, org); got.Enforcement != org.Enforcement {
		t.Errorf("enforcement = %+v, want the org's %+v", got.Enforcement, org.Enforcement)
	}
}
