package check

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// hostile are texts an author controls: headings, labels, checklist items,
// branch names, values of a proposed policy.
var hostile = []string{
	"@acme/everyone please look",
	"<img src=x onerror=alert(1)> </details> <details><summary>x",
	"Testing\n## Injected heading\n- [ ] injected box",
	"label ending in a fence\n```",
	"```go\nfmt.Println()",
	"[click](https://evil.example) ![i](https://evil.example/i.png) <https://evil.example>",
	"bare https://evil.example and www.evil.example and a@b.example",
	"fixes #1 and acme/other#2 and GH-3",
	"`code` `` double `` \\`escaped\\` trailing backslash \\",
	"**bold** _em_ ~~strike~~ | a | b |",
	"&amp; &lt;b&gt; &#64;acme &#x40;acme",
	"\u202eevil\u202c \u2066rtl\u2069 line\u2028sep\rcr\x00nul\x1b[31m",
	"   leading spaces and tab\there",
	"# heading at start",
	"> quote at start",
	"1. list at start",
	"<!-- comment",
	"invalid \xff utf-8",
}

// visible is what a reader should see of s: lines joined, controls and
// bidirectional overrides dropped.
func visible(s string) string {
	var b strings.Builder
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		switch {
		case isBreak(r):
			b.WriteRune(' ')
		case !isHidden(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

func TestInertRendersLiterally(t *testing.T) {
	t.Parallel()
	want := tags(render(t, "- a **b**: X c\n"))
	for _, s := range hostile {
		got := render(t, "- a **b**: "+Inert(s, 1000)+" c\n")
		if !slices.Equal(tags(got), want) {
			t.Errorf("Inert(%q) changes the structure:\n%s", s, got)
		}
		seen := text(got)
		if l := live.FindString(seen); l != "" {
			t.Errorf("Inert(%q) leaves %q live: %q", s, l, seen)
		}
		if plain := strings.TrimSpace(strings.ReplaceAll(seen, zwj, "")); plain != "a b: "+visible(s)+" c" {
			t.Errorf("Inert(%q) reads %q, want %q", s, plain, "a b: "+visible(s)+" c")
		}
	}
}

func TestCodeRendersLiterally(t *testing.T) {
	t.Parallel()
	for _, s := range hostile {
		got := render(t, "a "+Code(s, 1000)+" b\n")
		if tg := tags(got); !slices.Equal(tg, []string{"p", "code", "/code", "/p"}) {
			t.Errorf("Code(%q) renders %v:\n%s", s, tg, got)
		}
		code := text(got[strings.Index(got, "<code>"):strings.Index(got, "</code>")])
		if code != visible(s) {
			t.Errorf("Code(%q) shows %q, want %q", s, code, visible(s))
		}
	}
}

func TestFenceRendersLiterally(t *testing.T) {
	t.Parallel()
	for _, s := range hostile {
		s := s + "\n" + strings.Join(hostile, "\n") // many lines, fences among them
		got := render(t, "before\n\n"+Fence(s, 1<<20)+"after\n")
		if tg := tags(got); !slices.Equal(tg, []string{"p", "/p", "pre", "code", "/code", "/pre", "p", "/p"}) {
			t.Fatalf("Fence renders %v:\n%s", tg, got)
		}
		code := text(got[strings.Index(got, "<code>"):strings.Index(got, "</code>")])
		if want := blockVisible(s) + "\n"; code != want {
			t.Errorf("Fence shows %q, want %q", code, want)
		}
	}
}

// blockVisible is what a reader should see of s in a code block.
func blockVisible(s string) string {
	var b strings.Builder
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		switch {
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case r == '\r':
		case isBreak(r):
			b.WriteRune(' ')
		case !isHidden(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

func TestPlainHasNoMention(t *testing.T) {
	t.Parallel()
	for _, s := range hostile {
		got := Plain(s, 1000)
		if strings.ContainsAny(got, "\n\r\u2028\u2029") || live.MatchString(strings.NewReplacer("://", "", "www.", "", "#", "", "GH-", "").Replace(got)) {
			t.Errorf("Plain(%q) = %q", s, got)
		}
		if strings.ReplaceAll(got, zwj, "") != visible(s) {
			t.Errorf("Plain(%q) = %q, want the text kept", s, got)
		}
	}
}

// A megabyte of text costs at most n bytes, cut on a character boundary
// with the marker, whichever rune or escape falls at the limit.
func TestInertBounded(t *testing.T) {
	t.Parallel()
	huge := []string{strings.Repeat("é", 1<<19), strings.Repeat("<", 1<<20), strings.Repeat("@", 1<<20),
		strings.Repeat("`", 1<<20), strings.Repeat("a\n", 1<<19), strings.Repeat("\xff", 1<<20)}
	for _, s := range huge {
		for _, n := range []int{50, 51, 52, 53, 1000} {
			for name, f := range map[string]func(string, int) string{"Inert": Inert, "Plain": Plain, "Fence": Fence} {
				got := f(s, n)
				limit := n
				if name == "Fence" {
					limit = n + 2*(n+2) // the content, and the fences around it
				}
				if len(got) > limit || !utf8.ValidString(got) || !strings.Contains(got, Truncated) {
					t.Errorf("%s(%.10q…, %d) = %d bytes %q", name, s, n, len(got), got[:min(len(got), 80)])
				}
			}
		}
	}
	if got := Inert("far too long for it", 5); got != "" {
		t.Errorf("Inert with a budget below the marker's = %q", got)
	}
	if got := Inert("short", 1000); got != "short" {
		t.Errorf("Inert(short) = %q", got)
	}
}

func TestClipClosesAFence(t *testing.T) {
	t.Parallel()
	doc := "## Policy\n" + Fence(strings.Repeat("error line @acme/everyone\n", 5000), 1<<20) + "## After\n"
	got := Clip(doc, 5000)
	if len(got) > 5000 || !strings.HasSuffix(got, "\n\n"+Truncated+"\n") {
		t.Fatalf("Clip = %d bytes …%q", len(got), got[max(0, len(got)-60):])
	}
	h := render(t, got)
	if !strings.HasSuffix(h, "</code></pre>\n<p>"+Truncated+"</p>\n") {
		t.Errorf("the marker is not outside the code block:\n…%s", h[max(0, len(h)-200):])
	}
}

func TestIsMention(t *testing.T) {
	t.Parallel()
	for m, want := range map[string]bool{
		"@alice": true, "@a-b-c": true, "@acme/reviewers": true, "@acme/team_one": true, "@old--login-": true,
		"alice": false, "@": false, "@-x": false, "@acme/": false, "@acme/-x": false, "@acme/x y": false,
		"@acme/everyone <img>": false, "@x\n## h": false, "@" + strings.Repeat("a", 40): false,
		"@acme/a/b": false, "@al.ice": false, "@al[ice": false,
	} {
		if got := IsMention(m); got != want {
			t.Errorf("IsMention(%q) = %v, want %v", m, got, want)
		}
	}
}

// FuzzInert: whatever the text, Inert adds no structure, tag, mention,
// reference or link to the line it is put in, and keeps within its budget.
func FuzzInert(f *testing.F) {
	for _, s := range hostile {
		f.Add(s, 1000)
	}
	want := tags(renderOnce("- a **b**: X c\n"))
	f.Fuzz(func(t *testing.T, s string, n int) {
		n = 20 + abs(n)%2000
		out := Inert(s, n)
		if len(out) > n || !utf8.ValidString(out) {
			t.Fatalf("Inert(%q, %d) = %d bytes", s, n, len(out))
		}
		h := renderOnce("- a **b**: " + out + " c\n")
		if got := tags(h); !slices.Equal(got, want) {
			t.Fatalf("Inert(%q) = %q renders %v", s, out, got)
		}
		if l := live.FindString(text(h)); l != "" {
			t.Fatalf("Inert(%q) = %q leaves %q live", s, out, l)
		}
	})
}

func abs(n int) int {
	if n < 0 {
		return -(n + 1)
	}
	return n
}

// BenchmarkInertMegabyte: the cost is in the budget, not in the input.
func BenchmarkInertMegabyte(b *testing.B) {
	s := strings.Repeat("@acme/everyone <img src=x> ", 40000)
	b.ReportAllocs()
	for b.Loop() {
		Inert(s, 1000)
	}
}
