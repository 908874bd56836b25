package policy

import (
	"os"
	"regexp"
	"strconv"
	"testing"
)

// yamlBlock finds the ```yaml blocks of a Markdown file.
var yamlBlock = regexp.MustCompile("(?ms)^```yaml\n(.*?)^```")

// TestDocsExamples keeps docs/policy.md honest: every YAML example in it
// must be a valid policy, for both the parser and the schema.
func TestDocsExamples(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../docs/policy.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := yamlBlock.FindAllSubmatch(doc, -1)
	if len(blocks) < 4 {
		t.Fatalf("found %d yaml blocks in docs/policy.md, want the three examples and the extends one", len(blocks))
	}
	sch := compileSchema(t)
	for i, b := range blocks {
		if _, err := Parse("docs/policy.md example", b[1]); err != nil {
			t.Errorf("example %d does not parse:\n%s\n%v", i+1, b[1], err)
		}
		if err := validateSchema(sch, b[1]); err != nil {
			t.Errorf("example %d fails the schema:\n%s\n%v", i+1, b[1], err)
		}
	}
}

// TestDocsMentionEveryKey: each key the parser knows appears in the reference.
func TestDocsMentionEveryKey(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../docs/policy.md")
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{"version", "extends", "leads", "template", "sections", "heading", "min_words", "when",
		"paths", "labels", "lines_changed", "files_changed", "ticket", "pattern", "in", "checklist", "skip", "authors", "drafts",
		"reviewers", "strategy", "expertise", "half_life", "learners", "max_open_requests", "reassign_after", "count", "codeowners", "rules", "name", "required_approvals",
		"people", "timezone", "away", "sla", "first_review", "working_hours", "days", "start", "end",
		"holidays", "remind_before", "escalate_to", "enforcement"}
	for _, k := range keys {
		if !regexp.MustCompile("\\| `" + k + "` \\|").Match(doc) {
			t.Errorf("docs/policy.md has no reference row for `%s`", k)
		}
	}
}

// TestDocsLimits keeps the "Limits" table of docs/policy.md equal to the
// constants the parser enforces.
func TestDocsLimits(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../docs/policy.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{
		"File size":                       "1 MiB (" + strconv.Itoa(MaxFileSize) + " bytes)",
		"Text of all values, counting":    "2 MiB (" + strconv.Itoa(MaxExpandedBytes) + " bytes)",
		"Values in the document":          strconv.Itoa(maxNodes),
		"Nesting depth":                   strconv.Itoa(maxDepth),
		"One string value":                strconv.Itoa(MaxValueLen) + " bytes",
		"Items in any list":               strconv.Itoa(MaxListLen),
		"Rules in `reviewers.rules`":      strconv.Itoa(MaxRules),
		"Sections in `template.sections`": strconv.Itoa(MaxSections),
		"Globs in one rule":               strconv.Itoa(MaxPathsPerRule),
		"Patterns one glob":               strconv.Itoa(MaxGlobAlternatives),
		"Patterns all globs":              strconv.Itoa(MaxGlobWork),
	}
	for label, value := range rows {
		row := regexp.MustCompile(`(?m)^\| ` + regexp.QuoteMeta(label) + `[^|]*\| ` + regexp.QuoteMeta(value) + ` \|$`)
		if !row.Match(doc) {
			t.Errorf("docs/policy.md Limits has no row %q with value %q", label, value)
		}
	}
}
