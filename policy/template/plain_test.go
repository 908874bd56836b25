package template

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/reviewpolicy/reviewpolicy/policy"
)

// plainLines are the lines the generated documents are made of: the subset
// plain reads and its edges, where a near miss must give up.
var plainLines = []string{
	"", "", "## Testing", "# A heading", "###### Six", "####### Seven", "#NoSpace", "## Closed ##", "##", "## ",
	"Plain prose with PAY-481 in it.", "Another line, with (parens) and 'quotes'.", "Ünïcode prose 测试", "trailing space ",
	"1. ordered", "2) ordered", "12 monkeys", "=====", "-----", "---", "***", "- - -", "> quote", "    indented code",
	"- item", "- [ ] open box", "- [x] done box", "- [X] Done", "- [y] not a box", "- [x]", "- [x]  two spaces",
	"- [ ]no space", "-  two spaces", "-", "- ", "* star item", "+ plus item",
	"  - nested item", "  - [x] nested box", "    - [ ] deeper box", "      - [ ] deepest", " - odd indent", "  continued",
	"<!-- comment -->", "<!--", "-->", "still in a comment", "<!-- open", "<!-->", "<!--->", "<!-- a --> <!-- b",
	"<div>", "</div>", "<details>", "```", "```go", "~~~", "````", "``` a`b", "  ```", "\t```", "\tcode with a tab",
	"code { braces }", "   ```", "`code` span", "**bold**", "_em_", "a & b", "&amp;", "a \\* b", "[link](x)", "a | b",
	"|---|---|", "a\tb", "text with \x00 nul", "<https://x>", "x <!-- y -->",
	"Multi `line", "code` end", "**Testing**", "**Testing**:", "[ref]", "a [ref]", "[ref]: /url", "a <!-- open", "close -->",
	"- [x] `code` box", "- **bold** item", "  - [ ] *em* nested", "## `Code` heading", "## Heading ##", "a\\", "hard break  ",
	"Open [link", "spans](x)", "__Bold__", "- [ ] ", "- [x] 1. a", "#\ttab heading", "Text &nbsp; entity", "a ~~strike~~",
	"- [ ] ~~struck~~ box", "Text <b>tag</b>", "a | b | c", "a --> b", "See https://x.y/z and @someone", "- [x] **Docs**",
	"# \u00a0", "## Testing\u00a0", "\u00a0lead", "- \u00a0item", "- [x] \u2028box", "Ünïcode\u0085", "# \f", "a\vb", "\u3000x",
}

// genDoc joins up to 14 random plainLines (often few), with or without a final newline.
func genDoc(r *rand.Rand) string {
	var b strings.Builder
	for i := range 1 + r.IntN(1+r.IntN(14)) {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(plainLines[r.IntN(len(plainLines))])
	}
	if r.IntN(2) == 0 {
		b.WriteByte('\n')
	}
	return b.String()
}

// TestPlainMatchesGoldmark checks that whenever the fast path accepts a
// document, its reading is goldmark's exactly.
func TestPlainMatchesGoldmark(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(14, 1))
	accepted := 0
	for range 60000 {
		if comparePlain(t, genDoc(r)) {
			accepted++
		}
	}
	t.Logf("accepted %d", accepted)
	if accepted < 1000 {
		t.Errorf("the fast path accepted only %d of the generated documents", accepted)
	}
}

// TestPlainReadsFilledTemplates: the common case, a template filled with
// prose and some inline markup, takes the fast path (else its speed is lost
// without a failure).
func TestPlainReadsFilledTemplates(t *testing.T) {
	t.Parallel()
	for name, s := range map[string]string{"template": repoTemplate, "filled": filledBody, "large": largeBody(64 << 10), "markup": markupBody(4 << 10), "some markup": markupChunks(64<<10, 40)} {
		if !comparePlain(t, s) {
			t.Errorf("%s: the fast path gave up", name)
		}
	}
}

// TestPlainGivesUpOnDenseMarkup: past maxAlone blocks with markup, one
// goldmark parse of the whole document is cheaper than one per block.
func TestPlainGivesUpOnDenseMarkup(t *testing.T) {
	t.Parallel()
	var b builder
	if src := capLines(markupBody(64 << 10)); b.plain(src) {
		t.Errorf("the fast path read %d blocks with markup alone, budget %d", strings.Count(src, "`Retry"), maxAlone(len(src)))
	}
}

// comparePlain reports whether the fast path accepts s, and fails t when it
// reads s differently from goldmark.
func comparePlain(t *testing.T, s string) bool {
	t.Helper()
	src := capLines(s)
	var b builder
	if !b.plain(src) {
		return false
	}
	if len(b.doc.lines) == 0 {
		b.doc.lines = nil // plain preallocates; an empty document is the same
	}
	if want := parseGoldmark(src); !reflect.DeepEqual(b.doc, want) {
		t.Fatalf("%q:\nplain    %+v\ngoldmark %+v", s, b.doc, want)
	}
	return true
}

func FuzzPlainMatchesGoldmark(f *testing.F) {
	for _, s := range []string{filledBody, repoTemplate, "- a\n  - [x] b\n\n- c", "## A\n```\n\tx\n```\n<!--\nb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		comparePlain(t, normalizeNewlines(s))
	})
}

// markupBody is largeBody with inline markup (a code span, emphasis, a link)
// in every chunk.
func markupBody(size int) string {
	return markupChunks(size, -1)
}

// markupChunks is largeBody with inline markup in its first n chunks (all
// when n < 0).
func markupChunks(size, n int) string {
	return strings.Replace(largeBody(size), "Retry-After header", "`Retry-After` header, **see** [the RFC](https://example.com/rfc)", n)
}

// BenchmarkEvaluate64KiBSomeMarkup has inline markup in 40 paragraphs,
// within maxAlone: goldmark reads only those.
func BenchmarkEvaluate64KiBSomeMarkup(b *testing.B) {
	tp := fullPolicy()
	pr := policy.PullRequest{Title: "PAY-481 retry webhooks", Body: markupChunks(64<<10, 40), Files: []string{"migrations/1.sql"}}
	benchEvaluate(b, tp, pr)
}

// BenchmarkEvaluate64KiBMarkup is BenchmarkEvaluate64KiB with inline markup
// in every chunk: more blocks with markup than maxAlone, so goldmark reads
// the whole description (after the fast path gave up).
func BenchmarkEvaluate64KiBMarkup(b *testing.B) {
	tp := fullPolicy()
	body := markupBody(64 << 10)
	pr := policy.PullRequest{Title: "PAY-481 retry webhooks", Body: body, Files: []string{"migrations/1.sql"}}
	benchEvaluate(b, tp, pr)
}

// hostilePlainInputs are 64 KiB inputs inside the fast path's subset, or
// failing only at their end, meant to make it slow.
func hostilePlainInputs(n int) map[string]string {
	var deep strings.Builder
	for i := 0; deep.Len() < n; i++ {
		deep.WriteString(strings.Repeat("  ", i%2000) + "- [ ] a\n")
	}
	return map[string]string{
		"nested lists":          deep.String(),
		"closed comments":       strings.Repeat("<!-- a -->\n", n/11),
		"one open comment":      "<!--\n" + strings.Repeat("a\n", n/2),
		"fences":                strings.Repeat("```\n", n/4),
		"headings":              strings.Repeat("## a\n", n/5),
		"prose then a bracket":  strings.Repeat("some plain words\n", n/17) + "[",
		"items then a backtick": strings.Repeat("- [x] a\n", n/8) + "`",
	}
}

func BenchmarkParseHostilePlain(b *testing.B) {
	benchParse(b, hostilePlainInputs(64<<10))
}

// benchParse runs parse on each input in a sub-benchmark of its name.
func benchParse(b *testing.B, inputs map[string]string) {
	for name, in := range inputs {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			for b.Loop() {
				parse(in)
			}
		})
	}
}

// TestNormalNameShortcut checks that names normalizeName returns at once are
// the names it would compute.
func TestNormalNameShortcut(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(14, 2))
	const alphabet = "aZ09 *_`~:\t\n\x7f-é"
	shortcuts := 0
	for range 100000 {
		b := make([]byte, 1+r.IntN(8))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		s := string(b)
		if isNormalName(s) {
			shortcuts++
			if got := renormalizeName(s); got != s {
				t.Fatalf("isNormalName(%q) but normalizeName makes it %q", s, got)
			}
		}
	}
	if shortcuts < 100 {
		t.Errorf("only %d names took the shortcut", shortcuts)
	}
}
