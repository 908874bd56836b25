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
