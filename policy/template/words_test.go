package template

import (
	"strings"
	"testing"
)

func TestCountWords(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want int
	}{
		{"", 0},
		{"   \t ", 0},
		{"-- ** ## [ ] () 🎉 ✅", 0},
		{"Fixes the login bug.", 4},
		{"don't won’t it's", 3},
		{"v2 uses HTTP/2 and 3 retries", 7},
		{"Größenänderung der Übersicht überprüft", 4},
		{"Исправлена ошибка входа", 3},
		{"테스트를 추가했습니다", 2},
		{"テストを追加しました", 10},
		{"修复了登录错误", 7},
		{"Ran テスト twice", 5},
		{"नमस्ते दुनिया", 2},   // combining vowel signs stay inside the word
		{"e\u0301te\u0301", 1}, // decomposed accents
		{"https://example.com/a-b", 5},
		{`<details><summary>Screenshots</summary><img src="https://x/y.png" width="300"></details>`, 1},
		{"<br/>line<br>", 1},
		{"a < b and c > d", 5},
		{"x<y unclosed", 3},
		{"<https://example.com> autolink", 1},
	}
	for _, tt := range tests {
		if got := countWords(tt.in); got != tt.want {
			t.Errorf("countWords(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestContentStripsMarkup(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want int
	}{
		{"- [ ] Unit tests", 2},
		{"- [x] Unit tests", 2},
		{"1. Ran the suite", 3},
		{"> 2) [X] Quoted", 1},
		{"## Sub heading", 2},
		{"plain 1. text", 3},
		{"&nbsp;", 0},
		{"[//]: # (a hidden comment)", 0},
		{"<!-- a comment -->", 0},
		{"Q&amp;A [in a link](https://example.com/many/words/here)", 5},
		{"<details><summary>Logs</summary>\n\nRan it\n</details>", 3},
	}
	for _, tt := range tests {
		d := parse(tt.in)
		got := 0
		for _, l := range d.lines {
			got += countWords(l.text)
		}
		if got != tt.want {
			t.Errorf("words of %q = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestNormalizeName(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"Testing", "Testing"},
		{"  🧪 Testing: ", "Testing"},
		{"**Testing**", "Testing"},
		{"`How` to  test?", "How to test"},
		{"✅ Checklist ✅", "Checklist"},
		{"C++", "C"},
		{"(Optional) Screenshots", "Optional) Screenshots"},
		{"📝 Beschreibung", "Beschreibung"},
		{"🇯🇵 テスト方法", "テスト方法"},
		{"---", ""},
	}
	for _, tt := range tests {
		if got := normalizeName(tt.in); got != tt.want {
			t.Errorf("normalizeName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if !strings.EqualFold(normalizeName("## ТЕСТИРОВАНИЕ"), normalizeName("Тестирование")) {
		t.Error("Cyrillic headings should match case-insensitively")
	}
}
