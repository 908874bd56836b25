package template

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// headingsOf renders the headings of a parsed document as "level:name".
func headingsOf(d document) []string {
	var out []string
	for _, h := range d.headings {
		out = append(out, fmt.Sprintf("%d:%s", h.level, h.name))
	}
	return out
}

func TestParseHeadings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"atx levels", "# One\n## Two\n###### Six\n####### Seven", []string{"1:One", "2:Two", "6:Six"}},
		{"atx closing hashes", "## Testing ##\n# C#\n### Notes ###   ", []string{"2:Testing", "1:C", "3:Notes"}},
		{"atx needs a space", "#hashtag\n##Testing", nil},
		{"atx indented up to three spaces", "   ## Yes\n    ## No (code)", []string{"2:Yes"}},
		{"atx tab indent is code", "\t## No", nil},
		{"empty atx", "##\n## ##", []string{"2:", "2:"}},
		{"emoji and punctuation trimmed", "## 🧪 Testing:\n## ✅ Checklist ✅", []string{"2:Testing", "2:Checklist"}},
		{"setext", "Description\n===========\n\nTesting\n-------", []string{"1:Description", "2:Testing"}},
		{"setext multi-line paragraph", "How it was\ntested\n---", []string{"2:How it was tested"}},
		{"setext one character underline", "Testing\n-", []string{"2:Testing"}},
		{"thematic break is not setext", "text\n\n---\n\n***", nil},
		{"list item then dashes is no heading", "- item\n---\n- [ ] task\n----", nil},
		{"lazy list continuation is no heading", "- item\ncontinued\n---", nil},
		{"block quote then dashes", "> quoted\n---", nil},
		{"bold line", "**Testing**\n__Notes__\n**Why?**:\n***Both***", []string{"7:Testing", "7:Notes", "7:Why", "7:Both"}},
		{"partly bold is not a heading", "**Testing** done\nsome **bold** text\n****\n** **", nil},
		{"bold line in a list is not a heading", "- **Testing**", nil},
		{"bold line underlined becomes setext", "**Testing**\n---", []string{"2:Testing"}},
		{"backtick fence", "```\n## Inside\n```\n## After", []string{"2:After"}},
		{"tilde fence with info", "~~~markdown\n# Inside\n~~~\n# After", []string{"1:After"}},
		{"longer fence needs longer close", "````\n```\n## Inside\n````\n## After", []string{"2:After"}},
		{"tilde does not close backticks", "```\n~~~\n# Inside\n```\n# After", []string{"1:After"}},
		{"indented fence", "   ```\n# Inside\n   ```\n# After", []string{"1:After"}},
		{"four-space fence is not a fence", "    ```\n# Real", []string{"1:Real"}},
		{"backtick info with backtick is inline code", "``` a ` b\n# Real", []string{"1:Real"}},
		{"unclosed fence runs to the end", "# Before\n```\n# Inside", []string{"1:Before"}},
		{"heading in comment", "<!--\n## Hidden\n-->\n## Shown <!-- note -->", []string{"2:Shown"}},
		{"fence in comment", "<!-- ``` -->\n## Shown", []string{"2:Shown"}},
		{"linked and escaped headings", "## [Testing](https://example.com)\n## Q&amp;A\n## 1\\. Steps\n## `go test`", []string{"2:Testing", "2:Q&A", "2:1. Steps", "2:go test"}},
		{"headings in quotes and lists", "> ## Quoted\n- ## Listed\n1. Item\n   Setext\n   ---", []string{"2:Quoted", "2:Listed", "2:Item Setext"}},
		{"bold line in a quote is not a heading", "> **Quoted**", nil},
		{"inline code with an open comment hides nothing", "Fixes `<!--` here\n## After", []string{"2:After"}},
		{"open comment starting a line hides the rest", "text\n\n<!-- open\n## Hidden", nil},
		{"html block then heading", "<details>\n<summary>Logs</summary>\n\n## Shown\n</details>", []string{"2:Shown"}},
		{"cjk and cyrillic", "## テスト\n## Описание\n## Überprüfung", []string{"2:テスト", "2:Описание", "2:Überprüfung"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := headingsOf(parse(tt.in))
			if !slices.Equal(got, tt.want) {
				t.Errorf("headings of %q = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseBoxesAndLines(t *testing.T) {
	t.Parallel()
	d := parse("Intro <!-- note --> text\n\n- [ ] One *item*\n  more of it\n- [x] [Two](https://example.com/PAY-1)\n" +
		"- plain\n\n> - [X] quoted\n\n```\n- [ ] in code\n```\n<!--\n- [ ] in a comment\n-->\n[//]: # (- [ ] hidden)\n")
	wantBoxes := []box{{"One item more of it", false}, {"Two", true}, {"quoted", true}}
	if !slices.Equal(d.boxes, wantBoxes) {
		t.Errorf("boxes = %+v, want %+v", d.boxes, wantBoxes)
	}
	wantLines := []line{
		{text: "Intro  text", comment: true},
		{text: "One item", box: ' '}, {text: "more of it"},
		{text: "Two", box: 'x'},
		{text: "plain"},
		{text: "quoted", box: 'x'},
		{text: "- [ ] in code", code: true},
		{text: "", comment: true},
	}
	if !slices.Equal(d.lines, wantLines) {
		t.Errorf("lines = %+v\nwant %+v", d.lines, wantLines)
	}
	if !slices.Equal(d.links, []string{"https://example.com/PAY-1"}) {
		t.Errorf("links = %q", d.links)
	}
}

func TestParseUnclosedCommentInHTMLBlockHidesTheRest(t *testing.T) {
	t.Parallel()
	d := parse("## A\n<div><!-- open\n\n## B\n- [ ] box\n")
	if got := headingsOf(d); !slices.Equal(got, []string{"2:A"}) || len(d.boxes) != 0 {
		t.Errorf("headings %q, boxes %+v: want only A, as GitHub's sanitiser hides the rest", got, d.boxes)
	}
}

func TestParseCapsLongLines(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", maxLineBytes) // two bytes each: the cut falls inside the line
	d := parse("## A\n" + long + " PAY-1\n## B\n")
	if got := headingsOf(d); !slices.Equal(got, []string{"2:A", "2:B"}) {
		t.Fatalf("headings %q, want A and B", got)
	}
	if l := d.lines[1].text; len(l) != maxLineBytes || !utf8.ValidString(l) || strings.Contains(l, "PAY-1") {
		t.Errorf("long line kept %d bytes (valid UTF-8: %v), want it cut to %d", len(l), utf8.ValidString(l), maxLineBytes)
	}
	if d := parse(strings.Repeat("a\n", maxDocBytes)); len(d.lines) != maxDocBytes/2 {
		t.Errorf("document not cut at %d bytes: %d lines", maxDocBytes, len(d.lines))
	}
}

// hostileInputs are inputs on which a Markdown parser may go quadratic.
func hostileInputs(n int) map[string]string {
	return map[string]string{
		"nested quotes":        strings.Repeat(">", n),
		"nested quote lines":   strings.Repeat("> ", n/4) + "\n" + strings.Repeat(">", n/2),
		"nested lists":         strings.Repeat("- ", n/2),
		"open links":           strings.Repeat("[a](", n/4),
		"brackets":             strings.Repeat("[", n),
		"emphasis":             strings.Repeat("**a", n/6) + strings.Repeat("a**", n/6),
		"open comments":        strings.Repeat("a <!--\n", n/7),
		"backticks":            strings.Repeat("`a``", n/4),
		"link definitions":     strings.Repeat("[a]: b\n", n/7) + strings.Repeat("[a]", n/6),
		"task boxes":           strings.Repeat("- [ ] x\n", n/8),
		"setext headings":      strings.Repeat("a\n=\n", n/4),
		"table rows":           "|a|b|\n|-|-|\n" + strings.Repeat("|x|y|\n", n/6),
		"html blocks":          strings.Repeat("<div>\n", n/6),
		"entities and escapes": strings.Repeat("&amp;\\*", n/7),
	}
}

// BenchmarkParseHostile parses inputs of GitHub's largest description (64 Ki
// characters) meant to make a parser slow. Goldmark is quadratic in a line's
// length on some; capLines keeps each of these in tens of milliseconds,
// except "link definitions" (goldmark is quadratic in definitions per
// paragraph: about 120 ms at 64 KiB, 1.6 s at maxDocBytes).
func BenchmarkParseHostile(b *testing.B) {
	benchParse(b, hostileInputs(64<<10))
}
