package reviewers

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// TestCodeownersCost: the estimate a byte-bounded cache charges for a
// parsed file is at least the memory the file holds, and at most twice
// it, for hostile shapes near the size limit and for an ordinary file.
// Not parallel: it reads the heap's size around the parse.
func TestCodeownersCost(t *testing.T) {
	size := MaxCodeownersSize - 256
	if raceEnabled || testing.Short() {
		size /= 4
	}
	shapes := []struct {
		name string
		line func(i int) string
	}{
		{"many rules", func(i int) string { return fmt.Sprintf("/a%d @u\n", i) }},
		{"deep directories", func(i int) string { return fmt.Sprintf("/d%d/e/f/g/h/i/j/k/*.go @org/t%d x@y.z\n", i, i) }},
		{"floating patterns", func(i int) string { return fmt.Sprintf("*.x%d @u%d\n", i, i) }},
		{"many owners", func(i int) string { return fmt.Sprint("/a", i) + strings.Repeat(" @u", 50) + "\n" }},
		{"ordinary", func(i int) string {
			return fmt.Sprintf("# area %d\n/services/s%d/ @org/team-%d\n/services/s%d/**/*.sql @org/dba @lead%d\n", i, i, i%40, i, i%7)
		}},
	}
	for _, s := range shapes {
		var b strings.Builder
		for i := 0; b.Len() < size; i++ {
			b.WriteString(s.line(i))
		}
		text := b.String()
		held, co := heldBy(func() *Codeowners { c, _ := ParseCodeowners(text); return c })
		cost := co.Cost()
		t.Logf("%s: %d bytes of text hold %d bytes; cost %d (%.2fx)", s.name, len(text), held, cost, float64(cost)/float64(held))
		if cost < held || cost > 2*held {
			t.Errorf("%s: cost %d for %d bytes held; want between them and twice them", s.name, cost, held)
		}
	}
}

// heldBy returns what parse's result holds on the heap, and the result.
func heldBy(parse func() *Codeowners) (int, *Codeowners) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	co := parse()
	runtime.GC()
	runtime.ReadMemStats(&after)
	held := int(after.HeapAlloc) - int(before.HeapAlloc)
	runtime.KeepAlive(co)
	return held, co
}
