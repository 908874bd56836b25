package check

import (
	"fmt"
	"strings"
)

// mentions renders the people and teams a notice calls: each that looks
// like a GitHub login or @org/team is mentioned, anything else is shown
// inert, and at most maxListed are named.
func mentions(ms []string) string {
	var out []string
	for i, m := range ms {
		if i == maxListed {
			out = append(out, fmt.Sprintf("and %d more", len(ms)-i))
			break
		}
		if IsMention(m) {
			out = append(out, m)
		} else {
			out = append(out, Inert(m, maxName))
		}
	}
	return strings.Join(out, " ")
}

// IsMention reports whether m is "@login" or "@org/team" as GitHub spells
// them: a login is 1 to 39 letters, digits or hyphens (some old ones have
// doubled or trailing hyphens); a team
// slug is letters, digits, hyphens and underscores.
func IsMention(m string) bool {
	rest, ok := strings.CutPrefix(m, "@")
	if !ok {
		return false
	}
	login, team, isTeam := strings.Cut(rest, "/")
	if !isLogin(login) {
		return false
	}
	return !isTeam || isSlug(team)
}

func isLogin(s string) bool {
	if len(s) == 0 || len(s) > 39 || s[0] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) && s[i] != '-' {
			return false
		}
	}
	return true
}

func isSlug(s string) bool {
	if len(s) == 0 || len(s) > 100 || !isAlnum(s[0]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) && s[i] != '-' && s[i] != '_' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}
