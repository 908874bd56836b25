package pathglob

import "errors"

// expand returns the brace-free patterns that a Policy pattern's braces
// stand for, at most MaxAlternatives. In CODEOWNERS braces are literal.
// Escapes and classes are copied as they are, for parse to read; a "," or
// "}" outside braces is literal.
func expand(p string, syntax Syntax) ([]string, error) {
	if syntax != Policy {
		return []string{p}, nil
	}
	alts, _, err := expandSeq(p, 0, false)
	return alts, err
}

// expandSeq expands p from i up to an unmatched "," or "}" when inGroup,
// or to the end, and returns where it stopped.
func expandSeq(p string, i int, inGroup bool) ([]string, int, error) {
	alts := []string{""}
	add := func(text string) {
		for k := range alts {
			alts[k] += text
		}
	}
	for i < len(p) {
		switch c := p[i]; {
		case c == '\\' && i+1 < len(p):
			add(p[i : i+2])
			i += 2
		case c == '[':
			n := classLen(p[i:])
			add(p[i : i+n])
			i += n
		case inGroup && (c == ',' || c == '}'):
			return alts, i, nil
		case c == '{':
			group, end, err := expandGroup(p, i+1)
			if err != nil {
				return nil, 0, err
			}
			if len(alts)*len(group) > MaxAlternatives {
				return nil, 0, ErrTooManyAlternatives
			}
			alts = product(alts, group)
			i = end
		default:
			add(p[i : i+1])
			i++
		}
	}
	if inGroup {
		return nil, 0, errors.New(`unclosed "{"`)
	}
	return alts, i, nil
}

// expandGroup expands the alternatives of a group whose "{" is just before
// i, and returns the index after its "}".
func expandGroup(p string, i int) ([]string, int, error) {
	var all []string
	for {
		alts, end, err := expandSeq(p, i, true)
		if err != nil {
			return nil, 0, err
		}
		if all = append(all, alts...); len(all) > MaxAlternatives {
			return nil, 0, ErrTooManyAlternatives
		}
		if p[end] == '}' {
			return all, end + 1, nil
		}
		i = end + 1
	}
}

func product(heads, tails []string) []string {
	out := make([]string, 0, len(heads)*len(tails))
	for _, h := range heads {
		for _, t := range tails {
			out = append(out, h+t)
		}
	}
	return out
}

// classLen is the length of the class starting at s[0] == '[', or 1 when
// it is unclosed (parse then reports it).
func classLen(s string) int {
	i := 1
	if i < len(s) && (s[i] == '!' || s[i] == '^') {
		i++
	}
	for ; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case ']':
			return i + 1
		}
	}
	return 1
}
