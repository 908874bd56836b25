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
// keeps "don't" one word). Chinese and Japanese do not separate words with
// spaces, so each Han, Hiragana or Katakana character counts as one word:
// "テストを追加" is 6 words, a fair stand-in for the 2-3 words a reader sees
// given that min_words thresholds are small. Hangul is spaced like English
// and counts by runs. Thai, Lao and similar unspaced scripts count a whole
// run as one word, which under-counts them.
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
