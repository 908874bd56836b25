package simulate

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func hostileReport() Report {
	return Report{Repo: "o/r", PRs: 2, Links: map[int]string{7: "https://github.com/o/r/pull/7", 8: "javascript:alert(1)"},
		Template: []Group{{Key: "section \"<script>x</script>\x1b[31m\": missing", Proposed: []int{7, 8}, Added: []int{7, 8}}},
		SLA:      SLA{Breached: Group{Key: "breached", Current: []int{8}, Removed: []int{8}}},
		Unknown:  []string{"busy status then is unknown"}}
}

func TestRenderText(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := Write(&b, hostileReport(), FormatText); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{": 0 -> 2 (+2)", "only proposed: #7 #8", "https://github.com/o/r/pull/7",
		"breached: 1 -> 0 (-1)", "only in force: #8", "- busy status then is unknown"} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b") {
		t.Errorf("an escape sequence reached the terminal:\n%q", out)
	}
}

func TestRenderHTMLEscapesAndDropsUnsafeLinks(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := Write(&b, hostileReport(), FormatHTML); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.Contains(out, "<script>") || strings.Contains(out, "javascript:") {
		t.Errorf("hostile text is live in the page:\n%s", out)
	}
	if !strings.Contains(out, `<a href="https://github.com/o/r/pull/7">#7</a>`) {
		t.Errorf("no link to #7:\n%s", out)
	}
}

func TestRenderJSONRoundTrips(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := Write(&b, hostileReport(), FormatJSON); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Template) != 1 || len(back.Template[0].Added) != 2 || back.Links[7] == "" {
		t.Errorf("round trip lost data: %+v", back)
	}
	if err := Write(&b, Report{}, "xml"); err == nil {
		t.Error("an unknown format was accepted")
	}
}

func TestMarkdownListsTheLargestDifferencesInert(t *testing.T) {
	t.Parallel()
	r := hostileReport()
	r.Template = append(r.Template, Group{Key: "@everyone ping", Current: []int{7}, Removed: []int{7}})
	var added []int
	for n := 100; n < 130; n++ {
		added = append(added, n)
	}
	r.Load = []Group{{Key: "carol", Proposed: added, Added: added}}
	md := Markdown(r)
	for _, want := range []string{"[#\u200d7](https://github.com/o/r/pull/7)", "reviewer carol: 0 → 30", "and 20 more",
		"| first-review SLA breaches | 1 | 0 |"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "javascript:") || strings.Contains(md, "<script>") || strings.Contains(md, "@everyone") {
		t.Errorf("hostile text is live:\n%s", md)
	}
	if strings.Index(md, "- reviewer carol") > strings.Index(md, "- template") {
		t.Errorf("the largest difference (carol, 30) is not first:\n%s", md)
	}
	if len(md) > MaxMarkdown {
		t.Errorf("section of %d bytes, over %d", len(md), MaxMarkdown)
	}
}

// TestEncodeStored: a stored report decodes to the same numbers, its keys
// clipped, the caller's report untouched; an oversized one is refused.
func TestEncodeStored(t *testing.T) {
	long := strings.Repeat("k", maxKey+50)
	r := Report{Repo: "acme/widgets", PRs: 3, Template: []Group{{Key: long, Current: []int{1}, Proposed: []int{1, 2}, Added: []int{2}}}}
	data, err := EncodeStored("abc", r)
	if err != nil {
		t.Fatal(err)
	}
	var got Stored
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if got.Head != "abc" || got.Report.PRs != 3 || len(got.Report.Template[0].Added) != 1 || len(got.Report.Template[0].Key) >= len(long) {
		t.Errorf("round trip: %+v", got)
	}
	if r.Template[0].Key != long {
		t.Error("EncodeStored changed the caller's report")
	}
	big := Report{Unknown: make([]string, MaxStored/100)}
	for i := range big.Unknown {
		big.Unknown[i] = strings.Repeat("u", 150)
	}
	if _, err := EncodeStored("abc", big); !errors.Is(err, ErrTooLarge) {
		t.Errorf("an oversized report: err %v, want ErrTooLarge", err)
	}
}
