package template

import (
	"fmt"
	"slices"
	"testing"
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

func TestParseComments(t *testing.T) {
	t.Parallel()
	d := parse("a <!-- x --> b <!-- y\nstill y\nend --> c\n<!-- z -->\nplain")
	want := []line{
		{text: "a  b ", comment: true},
		{text: "", comment: true},
		{text: " c", comment: true},
		{text: "", comment: true},
		{text: "plain"},
	}
	if !slices.Equal(d.lines, want) {
		t.Errorf("lines = %+v, want %+v", d.lines, want)
	}
}

func TestParseComment_notStrippedInCode(t *testing.T) {
	t.Parallel()
	d := parse("```html\n<!-- kept -->\n```")
	if got := d.lines[1]; got.text != "<!-- kept -->" || !got.code || got.comment {
		t.Errorf("line in code = %+v, want the comment kept as code", got)
	}
	if !d.lines[0].fence || !d.lines[2].fence {
		t.Errorf("fence lines not marked: %+v", d.lines)
	}
}

func TestParseNewlines(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"## A\r\ntext\r\n## B", "## A\rtext\r## B", "## A\ntext\n## B"} {
		d := parse(in)
		if got := headingsOf(d); !slices.Equal(got, []string{"2:A", "2:B"}) {
			t.Errorf("headings of %q = %q", in, got)
		}
		if len(d.lines) != 3 || d.lines[1].text != "text" {
			t.Errorf("lines of %q = %+v, want 3 lines without CR", in, d.lines)
		}
	}
}

func TestATXHeadingText(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"## Testing ##", "Testing"},
		{"## Testing##", "Testing##"},
		{"# C#", "C#"},
		{"# Issue #12 ###  ", "Issue #12"},
		{"### ###", ""},
		{"#", ""},
	}
	for _, tt := range tests {
		if _, got, ok := atxHeading(tt.in); !ok || got != tt.want {
			t.Errorf("atxHeading(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
}

func TestSectionEnd(t *testing.T) {
	t.Parallel()
	d := parse("## A\n### A.1\ntext\n**Bold**\nmore\n## B\n**C**\nc\n**D**\n# E")
	// Lines: 0 ## A, 1 ### A.1, 2, 3 **Bold**, 4, 5 ## B, 6 **C**, 7, 8 **D**, 9 # E.
	want := map[string]int{"A": 5, "A.1": 5, "Bold": 5, "B": 9, "C": 8, "D": 9, "E": 10}
	for h, hd := range d.headings {
		if got := d.sectionEnd(h); got != want[hd.name] {
			t.Errorf("section %q ends at line %d, want %d", hd.name, got, want[hd.name])
		}
	}
}

func TestTask(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in     string
		text   string
		ticked bool
		ok     bool
	}{
		{"- [ ] Tests", "Tests", false, true},
		{"- [x] Tests", "Tests", true, true},
		{"* [X] Docs", "Docs", true, true},
		{"+ [ ] Plus", "Plus", false, true},
		{"1. [ ] First", "First", false, true},
		{"12) [x] Paren", "Paren", true, true},
		{"    - [ ] Nested", "Nested", false, true},
		{"\t* [x] Tab nested", "Tab nested", true, true},
		{"> - [ ] Quoted", "Quoted", false, true},
		{"- [ ]", "", false, true},
		{"- [ ]no space", "", false, false},
		{"-[ ] no bullet space", "", false, false},
		{"- [y] other", "", false, false},
		{"- [] empty box", "", false, false},
		{"[ ] no bullet", "", false, false},
		{"- plain item", "", false, false},
		{"1234567890. [ ] too long a number", "", false, false},
	}
	for _, tt := range tests {
		text, ticked, ok := task(tt.in)
		if text != tt.text || ticked != tt.ticked || ok != tt.ok {
			t.Errorf("task(%q) = %q, %v, %v; want %q, %v, %v", tt.in, text, ticked, ok, tt.text, tt.ticked, tt.ok)
		}
	}
}
