package template

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// countWords counts the words in s.
//
// A word is a run of letters and numbers (combining marks continue it, so
// Devanagari or decomposed accents stay one word; an apostrophe inside it
// keeps "don't" one word). HTML tags are markup, not words. Chinese and
// Japanese do not separate words with spaces, so each Han, Hiragana or
// Katakana character counts as one word: "テストを追加" is 6 words, a fair
// stand-in for the 2-3 words a reader sees given that min_words thresholds
// are small. Hangul is spaced like English and counts by runs. Thai, Lao and
// similar unspaced scripts count a whole run as one word, under-counting them.
func countWords(s string) int {
	n := 0
	inWord := false
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
				if !inWord {
					n++
					inWord = true
				}
			case c == '\'' && inWord:
			case c == '<':
				// HTML tags (<details>, <img src=...>, <br/>) and autolinks are markup.
				if end := htmlTagEnd(s[i:]); end > 0 {
					i += end
				}
				inWord = false
			default:
				inWord = false
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case isCJK(r):
			n++
			inWord = false
		case unicode.IsLetter(r) || unicode.IsNumber(r):
			if !inWord {
				n++
				inWord = true
			}
		case inWord && (unicode.IsMark(r) || r == '’'):
		default:
			inWord = false
		}
	}
	return n
}

// htmlTagEnd returns the length of the tag that s starts with, after its
// '<': "<" then a letter, '/' or '!', up to the next '>' on the line. It
// returns 0 for text such as "a < b".
func htmlTagEnd(s string) int {
	if s == "" || !(isASCIILetter(s[0]) || s[0] == '/' || s[0] == '!') {
		return 0
	}
	return strings.IndexByte(s, '>') + 1
}

func isASCIILetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// isCJK reports a Han, Hiragana or Katakana character.
func isCJK(r rune) bool {
	return r >= 0x2E80 && (unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) ||
		unicode.Is(unicode.Katakana, r))
}

// normalizeName reduces a heading to what a reader would call its name, so
// that "## 🧪 Testing:" and "**testing**" both name the section "Testing":
// emphasis markers are dropped, leading and trailing characters that are not
// letters or numbers (punctuation, emoji, spaces) are trimmed, and inner
// whitespace is collapsed. Compare names with strings.EqualFold.
func normalizeName(s string) string {
	if isNormalName(s) {
		return s
	}
	return renormalizeName(s)
}

// renormalizeName is normalizeName without the shortcut.
func renormalizeName(s string) string {
	s = strings.Map(func(r rune) rune {
		switch r {
		case '*', '_', '`', '~':
			return -1
		}
		return r
	}, s)
	s = strings.TrimFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) })
	return strings.Join(strings.Fields(s), " ")
}

// isNormalName reports an ASCII name that normalizeName would return
// unchanged (most box and heading texts), sparing it three copies.
func isNormalName(s string) bool {
	if s == "" || !isASCIIAlnum(s[0]) || !isASCIIAlnum(s[len(s)-1]) {
		return false
	}
	for i := range len(s) {
		switch c := s[i]; {
		case c >= utf8.RuneSelf, c == '*', c == '_', c == '`', c == '~', c < ' ',
			c == ' ' && s[i+1] == ' ': // s ends with an alphanumeric, so s[i+1] exists
			return false
		}
	}
	return true
}

func isASCIIAlnum(c byte) bool { return isASCIILetter(c) || '0' <= c && c <= '9' }
