package check

import (
	"errors"
	"strings"
	"testing"

	"github.com/reviewpolicy/reviewpolicy/policy"
)

func TestWhatIfShowsOnlyForAValidProposedFileAndIsBounded(t *testing.T) {
	t.Parallel()
	const section = "### What-if: the last 3 closed pull requests under this policy\n"
	valid := Build(Input{Policy: &policy.Policy{Version: 1}, PolicySource: "x",
		Proposed: &Proposed{Path: policy.FileName, WhatIf: section}})
	if !strings.Contains(valid.Summary, section) {
		t.Errorf("the what-if is missing:\n%s", valid.Summary)
	}
	invalid := Build(Input{Policy: &policy.Policy{Version: 1}, PolicySource: "x",
		Proposed: &Proposed{Path: policy.FileName, Err: errors.New("bad"), WhatIf: section}})
	if strings.Contains(invalid.Summary, "What-if") {
		t.Errorf("an invalid file got a what-if:\n%s", invalid.Summary)
	}
	huge := Build(Input{Policy: &policy.Policy{Version: 1}, PolicySource: "x",
		Proposed: &Proposed{Path: policy.FileName, WhatIf: section + strings.Repeat("- a line of the replay\n", 10000)}})
	if len(huge.Summary) > maxWhatIf+4096 {
		t.Errorf("a %d-byte summary: the what-if is not bounded", len(huge.Summary))
	}
}
