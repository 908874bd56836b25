package bytecache

import (
	"fmt"
	"testing"
)

func TestAccounting(t *testing.T) {
	t.Parallel()
	const overhead = 1 << 10
	c := New(10*overhead, overhead, 0)
	c.Add("a", 1, 0)
	c.Add("a", 2, 100) // replacing an entry replaces its cost
	if got, want := c.Bytes(), 100+1+overhead; got != want {
		t.Errorf("bytes = %d, want %d", got, want)
	}
	if v, ok := c.Get("a"); !ok || v != 2 {
		t.Errorf("a = %v, %v; want the replacement", v, ok)
	}
	c.Add("big", 3, 10*overhead) // over the whole budget: not stored
	if _, ok := c.Get("big"); ok || c.Bytes() != 100+1+overhead {
		t.Errorf("an entry over the budget was stored (bytes %d)", c.Bytes())
	}
	for i := 0; i < 100; i++ {
		c.Add(fmt.Sprint(i), i, 500)
	}
	if c.Bytes() > 10*overhead {
		t.Errorf("bytes = %d, over the budget", c.Bytes())
	}
	if v, ok := c.Get("99"); !ok || v != 99 {
		t.Errorf("the newest entry is missing")
	}
	if _, ok := c.Get("0"); ok {
		t.Errorf("the oldest entry was kept past the budget")
	}
}

// TestRecentlyUsedStays: a read marks an entry recently used, so the
// entries evicted first are those nobody read.
func TestRecentlyUsedStays(t *testing.T) {
	t.Parallel()
	c := New(3*100, 100, 0)
	c.Add("a", "a", 0)
	c.Add("b", "b", 0)
	c.Add("c", "c", 0) // 3 × 101 bytes: over, "a" goes
	if _, ok := c.Get("a"); ok {
		t.Fatalf("a survived an add over the budget")
	}
	c.Get("b")
	c.Add("d", "d", 0)
	if _, ok := c.Get("b"); !ok {
		t.Errorf("b, just read, was evicted")
	}
	if _, ok := c.Get("c"); ok {
		t.Errorf("c, read least recently, was kept")
	}
}

// TestMaxEntries: a count bound evicts the least recently used entry even
// while bytes remain.
func TestMaxEntries(t *testing.T) {
	t.Parallel()
	c := New(1<<20, 10, 2)
	c.Add("a", 1, 0)
	c.Add("b", 2, 0)
	c.Add("c", 3, 0)
	if _, ok := c.Get("a"); ok || c.Len() != 2 {
		t.Errorf("%d entries, a kept %v; want 2, a evicted", c.Len(), ok)
	}
	if c.Bytes() != 2*(1+10) {
		t.Errorf("bytes = %d, want the two entries' %d", c.Bytes(), 2*(1+10))
	}
}
