package template

import (
	"encoding/json"
	"fmt"
	"html"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// specExample is one example of the CommonMark spec (see testdata/README.md).
type specExample struct {
	Example  int    `json:"example"`
	Section  string `json:"section"`
	Markdown string `json:"markdown"`
	HTML     string `json:"html"`
}

var (
	headingHTML = regexp.MustCompile(`(?s)<h([1-6])>(.*?)</h[1-6]>`)
	codeHTML    = regexp.MustCompile(`(?s)<pre><code(?: class="[^"]*")?>(.*?)</code></pre>`)
	commentHTML = regexp.MustCompile(`(?s)<!--.*?-->`)
)

// TestCommonMarkSpecBlocks checks the reader against the spec's examples for
// block structure: the headings it finds (level and name), the lines it takes
// for code, and the words it sees outside code must be those of the HTML that
// the spec says the example renders to.
func TestCommonMarkSpecBlocks(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("testdata/commonmark-spec-blocks.json")
	if err != nil {
		t.Fatal(err)
	}
	var examples []specExample
	if err := json.Unmarshal(raw, &examples); err != nil {
		t.Fatal(err)
	}
	if len(examples) != 268 {
		t.Fatalf("read %d examples, want 268", len(examples))
	}
	for _, ex := range examples {
		d := parse(ex.Markdown)
		name := fmt.Sprintf("example %d (%s)", ex.Example, ex.Section)
		if got, want := specHeadings(d), htmlHeadings(ex.HTML); !slices.Equal(got, want) {
			t.Errorf("%s: headings %q, want %q\nmarkdown: %q", name, got, want, ex.Markdown)
		}
		if got, want := specCode(d), htmlCode(ex.HTML); !slices.Equal(got, want) {
			t.Errorf("%s: code lines %q, want %q\nmarkdown: %q", name, got, want, ex.Markdown)
		}
		if got, want := specWords(d), htmlWords(ex.HTML); !slices.Equal(got, want) {
			t.Errorf("%s: words %q, want %q\nmarkdown: %q", name, got, want, ex.Markdown)
		}
	}
}

// specHeadings lists the real headings of d as "level:name".
func specHeadings(d document) []string {
	var out []string
	for _, h := range d.headings {
		if h.level != boldLevel {
			out = append(out, fmt.Sprintf("%d:%s", h.level, h.name))
		}
	}
	return out
}

// htmlHeadings lists the <hN> elements of rendered HTML as "level:name".
func htmlHeadings(s string) []string {
	var out []string
	for _, m := range headingHTML.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1]+":"+normalizeName(html.UnescapeString(stripTags(m[2]))))
	}
	return out
}

// specCode lists the lines d takes as code.
func specCode(d document) []string {
	var out []string
	for _, l := range d.lines {
		if l.code {
			out = append(out, l.text)
		}
	}
	return out
}

// htmlCode lists the lines of the <pre><code> elements of rendered HTML.
func htmlCode(s string) []string {
	var out []string
	for _, m := range codeHTML.FindAllStringSubmatch(s, -1) {
		if c := html.UnescapeString(m[1]); c != "" {
			out = append(out, strings.Split(strings.TrimSuffix(c, "\n"), "\n")...)
		}
	}
	return out
}

// specWords lists the words d sees outside code.
func specWords(d document) []string {
	var b strings.Builder
	for _, l := range d.lines {
		if !l.code {
			b.WriteString(l.text)
			b.WriteByte('\n')
		}
	}
	return wordsOf(b.String())
}

// htmlWords lists the words rendered HTML shows outside <pre><code>.
func htmlWords(s string) []string {
	s = codeHTML.ReplaceAllString(s, " ")
	s = commentHTML.ReplaceAllString(s, " ")
	var b strings.Builder
	for l := range strings.SplitSeq(s, "\n") {
		b.WriteString(html.UnescapeString(stripTags(l)))
		b.WriteByte('\n')
	}
	return wordsOf(b.String())
}

func wordsOf(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) })
}
