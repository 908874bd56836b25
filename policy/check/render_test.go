package check

import (
	"bytes"
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	gmhtml "github.com/yuin/goldmark/renderer/html"
)

// gfm renders markdown as GitHub does as far as structure goes (CommonMark
// with tables, strikethrough, task lists and bare-URL links), passing raw
// HTML through so that any HTML that got in shows.
var gfm = goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(gmhtml.WithUnsafe()))

// render returns markdown's HTML.
func render(t *testing.T, md string) string {
	t.Helper()
	return renderOnce(md)
}

func renderOnce(md string) string {
	var b bytes.Buffer
	if err := gfm.Convert([]byte(md), &b); err != nil {
		panic(err) // goldmark writes to memory: it does not fail
	}
	return b.String()
}

var tagRE = regexp.MustCompile(`<[^>]*>`)

// tags returns the sequence of HTML tags in h, attributes dropped.
func tags(h string) []string {
	var out []string
	for _, m := range tagRE.FindAllString(h, -1) {
		name, _, _ := strings.Cut(strings.Trim(m, "</>"), " ")
		if strings.HasPrefix(m, "</") {
			name = "/" + name
		}
		out = append(out, name)
	}
	return out
}

// text returns what a reader sees of h.
func text(h string) string { return html.UnescapeString(tagRE.ReplaceAllString(h, "")) }

// live finds what GitHub would turn into a mention, an issue reference or a
// link in rendered text.
var live = regexp.MustCompile(`(?i)(^|[^a-z0-9_])@[a-z0-9]|(^|[^a-z0-9_&])#[0-9]|(^|[^a-z0-9_])gh-[0-9]|://|www\.`)
