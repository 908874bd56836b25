package policy

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

func mustParse(t testing.TB, src string) *Policy {
	t.Helper()
	p, err := Parse("p.yml", []byte(src))
	if err != nil {
		t.Fatalf("Parse:\n%s\n%v", src, err)
	}
	return p
}

func TestDescribe(t *testing.T) {
	t.Parallel()
	old := mustParse(t, `version: 1
template:
  sections:
    - {heading: Summary, min_words: 10}
    - {heading: Risk}
  checklist: none
reviewers:
  rules:
    - {name: backend, paths: ["svc/**"], reviewers: ["@acme/backend"]}
    - {name: docs, paths: ["docs/**"], reviewers: [erin]}
people:
  alice: {timezone: Europe/Berlin}
  bob: {away: true}
sla:
  first_review: 24h
  holidays: ["2026-12-25"]
`)
	new := mustParse(t, `version: 1
template:
  sections:
    - {heading: Summary, min_words: 20}
    - {heading: Rollback, when: {paths: ["migrations/**"]}}
  checklist: all
  ticket: {pattern: 'ACME-[0-9]+', in: [title]}
reviewers:
  strategy: round-robin
  rules:
    - {name: backend, paths: ["svc/**", "*.go"], reviewers: ["@acme/backend"], count: 2}
    - {name: security, paths: ["auth/**"], reviewers: ["@acme/tech-leads", carol], required_approvals: 1}
people:
  bob: {away: false}
  carol: {timezone: Asia/Tokyo}
sla:
  first_review: 8h
  working_hours: {timezone: Europe/Berlin, start: "09:00", end: "17:00"}
  holidays: ["2026-12-26"]
  remind_before: 90m
enforcement:
  sla: block
`)
	want := []string{
		"template: section Summary min words 10 → 20",
		"template: section Rollback added (when paths migrations/**)",
		"template: section Risk removed",
		"template: ticket required: pattern ACME-[0-9]+ in title",
		"template: checklist none → all",
		"reviewers: strategy load-balance → round-robin",
		"reviewers: rule backend paths svc/** → svc/**, *.go",
		"reviewers: rule backend count default → 2",
		"reviewers: rule security added: paths auth/**, reviewers @acme/tech-leads, carol, required approvals 1",
		"reviewers: rule docs removed",
		"people: alice removed",
		"people: bob away on → off",
		"people: carol added (timezone Asia/Tokyo)",
		"sla: first review 24h → 8h",
		"sla: working hours around the clock → mon, tue, wed, thu, fri 09:00–17:00 Europe/Berlin",
		"sla: holidays added: 2026-12-26",
		"sla: holidays removed: 2026-12-25",
		"sla: remind before none → 1h30m",
		"enforcement: sla warn → block",
	}
	got := Describe(old, new)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Describe =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Deterministic: people come from a map, yet the order never changes.
	for i := 0; i < 20; i++ {
		if again := Describe(old, new); !reflect.DeepEqual(again, got) {
			t.Fatalf("Describe is not deterministic:\n%v\n%v", got, again)
		}
	}
}

func TestDescribeAreas(t *testing.T) {
	t.Parallel()
	withSLA := mustParse(t, "version: 1\nsla: {first_review: 4h}\ntemplate: {}\n")
	without := mustParse(t, "version: 1\nreviewers: {codeowners: true}\n")
	got := Describe(withSLA, without)
	want := []string{
		"template: area removed",
		"reviewers: area added",
		"reviewers: strategy none → load-balance",
		"reviewers: count 0 → 1",
		"reviewers: codeowners off → on",
		"sla: area removed",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Describe =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestDescribeEqual(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/valid/full.yml")
	if err != nil {
		t.Fatal(err)
	}
	a, b := mustParse(t, string(data)), mustParse(t, string(data))
	if got := Describe(a, b); len(got) != 0 {
		t.Errorf("Describe of equal policies = %q, want nothing", got)
	}
	if got := Describe(nil, nil); len(got) != 0 {
		t.Errorf("Describe(nil, nil) = %q", got)
	}
	if got := Describe(nil, a); len(got) < 10 || got[0] != "extends: extends none → org" {
		t.Errorf("Describe(nil, full) = %q, want every setting listed", got)
	}
}

func TestFormatDuration(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		0: "", 24 * time.Hour: "24h", 90 * time.Minute: "1h30m", 45 * time.Minute: "45m",
		90 * time.Second: "1m30s", 48 * time.Hour: "48h",
	} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestDescribeNewKeys(t *testing.T) {
	t.Parallel()
	old, err := Parse("old.yml", []byte("version: 1\nreviewers:\n  rules: [{name: big, paths: [\"**\"], reviewers: [a]}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	new, err := Parse("new.yml", []byte(`version: 1
leads: [carol]
reviewers:
  strategy: expertise
  expertise: {half_life: 30d, learners: 1}
  max_open_requests: 4
  reassign_after: 8h
  rules: [{name: big, paths: ["**"], reviewers: [a], when: {lines_changed: ">500", authors: [first_time]}}]
`))
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(Describe(old, new), "\n")
	for _, want := range []string{"leads none → carol", "strategy load-balance → expertise",
		"expertise half_life 2160h, learners 0 → half_life 720h, learners 1", "max_open_requests no cap → 4",
		"reassign_after none → 8h", "rule big condition always → when lines_changed >500 and authors first_time"} {
		if !strings.Contains(got, want) {
			t.Errorf("Describe lacks %q:\n%s", want, got)
		}
	}
}
