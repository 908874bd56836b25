package reviewers

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// CodeOwners is a parsed CODEOWNERS file (GitHub syntax).
type CodeOwners struct {
	rules []ownerRule // in file order; the last matching rule wins
}

type ownerRule struct {
	line    int
	pattern string
	prefix  string // literal text every match starts with; a cheap pre-check
	re      *regexp.Regexp
	owners  []string // "@user" and "@org/team" as written; emails dropped
}

var (
	userOwner = regexp.MustCompile(`^@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$`)
	teamOwner = regexp.MustCompile(`^@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?/[A-Za-z0-9_.-]+$`)
)

// ParseCodeOwners parses CODEOWNERS text. Like GitHub, it skips lines it
// cannot understand and keeps the rest, so the returned errors (one per
// skipped line) are for reporting, not a reason to ignore the file.
//
// Patterns follow GitHub's gitignore-like rules: a pattern with a slash at
// the start or in the middle is anchored at the repository root, otherwise it
// matches at any depth; a trailing slash matches only directories; a pattern
// matches a file or any directory above it, except that a final "/*" matches
// only the files directly inside. Owners are "@user" and "@org/team";
// e-mail addresses are accepted but dropped, since they cannot be requested
// by login. A pattern with no owners un-owns the files it matches.
func ParseCodeOwners(text string) (*CodeOwners, []error) {
	c := &CodeOwners{}
	var errs []error
	for n, line := range strings.Split(text, "\n") {
		n++ // 1-based for humans
		fields := strings.Fields(line)
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		rule, err := parseOwnerLine(fields)
		if err != nil {
			errs = append(errs, fmt.Errorf("CODEOWNERS line %d: %w", n, err))
			continue
		}
		rule.line = n
		c.rules = append(c.rules, rule)
	}
	return c, errs
}

func parseOwnerLine(fields []string) (ownerRule, error) {
	r := ownerRule{pattern: fields[0]}
	var err error
	if r.re, r.prefix, err = compileOwnersPattern(fields[0]); err != nil {
		return r, fmt.Errorf("pattern %q: %w", fields[0], err)
	}
	for _, f := range fields[1:] {
		switch {
		case strings.HasPrefix(f, "#"): // inline comment
			return r, nil
		case userOwner.MatchString(f) || teamOwner.MatchString(f):
			r.owners = append(r.owners, f)
		case strings.Contains(f, "@") && !strings.HasPrefix(f, "@"):
			// An e-mail address: GitHub maps it to a user we cannot see.
		default:
			return r, fmt.Errorf("owner %q is not @user, @org/team or an e-mail address", f)
		}
	}
	return r, nil
}

// compileOwnersPattern turns a CODEOWNERS pattern into an anchored regular
// expression, plus the literal prefix every match must start with.
func compileOwnersPattern(p string) (*regexp.Regexp, string, error) {
	switch {
	case strings.HasPrefix(p, "!"):
		return nil, "", errors.New("negation (!) is not supported in CODEOWNERS")
	case strings.ContainsAny(p, "[]"):
		return nil, "", errors.New("character ranges ([ ]) are not supported in CODEOWNERS")
	case strings.Contains(p, "***"):
		return nil, "", errors.New("three consecutive asterisks")
	}
	anchored := strings.HasPrefix(p, "/")
	p = strings.TrimPrefix(p, "/")
	dirOnly := strings.HasSuffix(p, "/")
	p = strings.TrimSuffix(p, "/")
	if p == "" {
		return nil, "", errors.New("empty pattern")
	}
	segs := strings.Split(p, "/")
	anchored = anchored || len(segs) > 1
	if !anchored && segs[0] != "**" {
		segs = append([]string{"**"}, segs...)
	}
	if dirOnly {
		segs = append(segs, "**") // "dir/" is "everything inside dir"
	}

	var b strings.Builder
	b.WriteString(`\A`)
	last := len(segs) - 1
	needSlash := false
	for i, s := range segs {
		switch {
		case s == "**" && i == 0 && i == last:
			b.WriteString(`.+`)
		case s == "**" && i == 0:
			b.WriteString(`(?:.+/)?`) // any leading directories, or none
		case s == "**" && i == last:
			b.WriteString(`/.+`) // anything inside
		case s == "**":
			b.WriteString(`(?:/.+)?`) // zero or more directories between
			needSlash = true
		default:
			if needSlash {
				b.WriteString("/")
			}
			b.WriteString(segmentRegexp(s))
			// A name also matches everything below it when it is a
			// directory; GitHub makes an exception for a final lone "*".
			if i == last && s != "*" {
				b.WriteString(`(?:/.+)?`)
			}
			needSlash = true
		}
	}
	b.WriteString(`\z`)
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, "", fmt.Errorf("compile: %w", err)
	}

	prefix := ""
	if anchored {
		prefix = p
		if i := strings.IndexAny(p, `*?\`); i >= 0 {
			prefix = p[:i]
		}
		// "a/**" matches "a/x" but the slash belongs to an optional group
		// in "a/**/b"; dropping it keeps the prefix a safe pre-check.
		prefix = strings.TrimSuffix(prefix, "/")
	}
	return re, prefix, nil
}

// segmentRegexp translates one path segment (no "/", not "**").
func segmentRegexp(s string) string {
	if s == "*" {
		return `[^/]+`
	}
	var b strings.Builder
	escaped := false
	for _, r := range s {
		switch {
		case escaped:
			b.WriteString(regexp.QuoteMeta(string(r)))
			escaped = false
		case r == '\\':
			escaped = true
		case r == '*':
			b.WriteString(`[^/]*`)
		case r == '?':
			b.WriteString(`[^/]`)
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	return b.String()
}

// Owners returns the owners of path ("@user" or "@org/team", as written) from
// the last matching rule; nil when no rule matches or the match un-owns it.
func (c *CodeOwners) Owners(path string) []string {
	if c == nil {
		return nil
	}
	path = strings.TrimPrefix(path, "/")
	for i := len(c.rules) - 1; i >= 0; i-- {
		r := &c.rules[i]
		if strings.HasPrefix(path, r.prefix) && r.re.MatchString(path) {
			return slices.Clone(r.owners)
		}
	}
	return nil
}
