package decide

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/reviewpolicy/reviewpolicy/policy"
)

// endsAfter is a context whose Err turns to context.Canceled after n
// calls, so a test can tell a check inside a loop from one at the start.
type endsAfter struct {
	context.Context
	n atomic.Int64
}

func (c *endsAfter) Err() error {
	if c.n.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

// TestDecideStopsWhenTheContextEnds: the loops over rules × files and
// sections × files look at the context as they go, so job_timeout holds
// for the costliest policy the caps accept.
func TestDecideStopsWhenTheContextEnds(t *testing.T) {
	t.Parallel()
	worst := worstAccepted(t)

	var sections strings.Builder
	sections.WriteString("version: 1\ntemplate:\n  sections:\n")
	for i := range policy.MaxSections {
		fmt.Fprintf(&sections, "    - {heading: S%d, when: {paths: [\"**/*x*y*%d*/**\"]}}\n", i, i)
	}
	tp, err := policy.Parse("p.yml", []byte(sections.String()))
	if err != nil {
		t.Fatal(err)
	}
	templ := Facts{Policy: tp, Repo: "o/r", PR: worst.PR}

	for name, f := range map[string]Facts{"rules": worst, "sections": templ} {
		// A few checks pass; the loops must meet the end long before
		// they finish (hundreds of thousands of matches).
		ctx := &endsAfter{Context: context.Background()}
		ctx.n.Store(5)
		if _, err := DecideContext(ctx, f, now); !errors.Is(err, context.Canceled) {
			t.Errorf("%s: DecideContext after the context ended = %v, want context.Canceled", name, err)
		}
		if _, err := DecideContext(context.Background(), f, now); err != nil {
			t.Errorf("%s: DecideContext with a live context: %v", name, err)
		}
	}
}
