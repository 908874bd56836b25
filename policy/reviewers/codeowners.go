package reviewers

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/reviewpolicy/reviewpolicy/policy/pathglob"
)

// MaxCodeownersSize is the size from which GitHub ignores a CODEOWNERS file:
// its documentation says the file "must be under 3 MB", and a file over the
// limit "will not be loaded". We read MB as MiB (3,145,728 bytes). Should
// GitHub mean 3,000,000 bytes, a file between the two is used here and
// ignored there; this constant is the one place to change.
const MaxCodeownersSize = 3 << 20

// maxPatternLen bounds one pattern, which becomes a regular expression
// (its line is skipped beyond it). Real patterns are far shorter.
const maxPatternLen = 4096

// matchBudget bounds the work of matching one set of paths to about a
// second (in pathglob's units of work). Real files stay far below it: anchored
// patterns are only tried on paths under their literal directories (see
// ownerNode), so a 20,000-line file of paths costs a few units per changed
// file. A hostile file of patterns that can match anywhere hits it, and
// matching stops with ErrCodeownersTooCostly instead of holding a worker
// for minutes.
const matchBudget = 40_000_000

// ErrCodeownersTooCostly reports that matching stopped at matchBudget.
var ErrCodeownersTooCostly = errors.New("CODEOWNERS has too many patterns that can match anywhere to match in bounded time")

// Codeowners is a parsed CODEOWNERS file (GitHub's syntax). Parse it once
// per file version (blob SHA) and match it against many paths; it is
// read-only after parsing and safe for concurrent use.
type Codeowners struct {
	rules    []*ownerRule // in file order; the last matching rule wins
	root     ownerNode    // anchored rules by their literal leading directories
	floating []int32      // rules that can match under any directory, ascending
	ignored  string
	skipped  []error // the first maxSkippedKept skipped lines
	// skippedCount counts every skipped line.
	skippedCount int
	// owners and nodes count what Cost charges besides the rules.
	owners, nodes int
	size          int // of the text parsed
}

const maxSkippedKept = 20

type ownerRule struct {
	line    int
	pattern *pathglob.Pattern
	owners  []string // "@user", "@org/team" or an e-mail address, as written
}

// ownerNode is a trie over literal path segments. An anchored pattern such
// as "/services/api/*.go" can only match paths under services/api, so it is
// stored there and never tried on other paths.
//
// Most nodes have one child or none, so children are a slice, searched in
// order, until there are more than fanOutMap of them: a map for every node
// made a hostile file of deep paths hold 66 times its size.
type ownerNode struct {
	children []ownerChild          // up to fanOutMap
	index    map[string]*ownerNode // instead, once there are more
	rules    []int32               // ascending
}

type ownerChild struct {
	seg  string
	node *ownerNode
}

const fanOutMap = 8

// child returns the child for seg, or nil.
func (n *ownerNode) child(seg string) *ownerNode {
	if n.index != nil {
		return n.index[seg]
	}
	for _, c := range n.children {
		if c.seg == seg {
			return c.node
		}
	}
	return nil
}

// addChild returns the child for seg, made if there is none (made true).
func (n *ownerNode) addChild(seg string) (child *ownerNode, made bool) {
	if c := n.child(seg); c != nil {
		return c, false
	}
	c := &ownerNode{}
	switch {
	case n.index != nil:
		n.index[seg] = c
	case len(n.children) == fanOutMap:
		n.index = make(map[string]*ownerNode, 2*fanOutMap)
		for _, e := range n.children {
			n.index[e.seg] = e.node
		}
		n.index[seg] = c
		n.children = nil
	default:
		n.children = append(n.children, ownerChild{seg, c})
	}
	return c, true
}

var (
	// GitHub logins: letters, digits and hyphens. Enterprise Managed Users
	// add "_shortcode" (@octocat_acme); older accounts may have hyphens
	// that new sign-ups may not, so hyphens and underscores are accepted
	// anywhere after the first character. Teams are @org/team-slug.
	userOwner  = regexp.MustCompile(`^@[A-Za-z0-9][A-Za-z0-9_-]{0,99}$`)
	teamOwner  = regexp.MustCompile(`^@[A-Za-z0-9][A-Za-z0-9_-]{0,99}/[A-Za-z0-9_.-]{1,100}$`)
	emailOwner = regexp.MustCompile(`^[A-Za-z0-9.!#$%&'+=?^_{}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,253}[A-Za-z0-9])?$`)
)

// ParseCodeowners parses CODEOWNERS text. Like GitHub, it skips lines it
// cannot understand and keeps the rest; the returned errors (the first
// skipped lines, as Skipped also reports) are for reporting. A file of
// MaxCodeownersSize bytes or more is ignored whole, as GitHub ignores it:
// the result owns nothing and Ignored says why.
//
// Patterns mean what package pathglob says, the meaning policies' paths
// share. GitHub documents three gitignore features that do not work in
// CODEOWNERS, and their lines are skipped: "!" negation, "[ ]" ranges, and
// "\#" to escape a pattern that starts with "#" (a line starting with "#"
// is a comment). "\ " escapes a space inside a pattern.
// Owners are @user, @org/team and e-mail addresses; a pattern with no owners
// un-owns the files it matches.
func ParseCodeowners(text string) (*Codeowners, []error) {
	if len(text) >= MaxCodeownersSize {
		return TooLargeCodeowners(len(text)), nil
	}
	c := &Codeowners{size: len(text)}
	for n, line := range strings.Split(text, "\n") {
		n++ // 1-based for humans
		fields := splitFields(strings.TrimSuffix(line, "\r"))
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		rule, err := parseOwnerLine(fields)
		if err != nil {
			// A hostile file may have a million bad lines: keep a few.
			if c.skippedCount++; len(c.skipped) < maxSkippedKept {
				c.skipped = append(c.skipped, fmt.Errorf("CODEOWNERS line %d: %w", n, err))
			}
			continue
		}
		rule.line = n
		c.add(rule)
	}
	return c, slices.Clone(c.skipped)
}

// TooLargeCodeowners is the result for a file of size bytes, at least
// MaxCodeownersSize: ignored, owning nothing. A caller that knows the size
// from a directory listing need not download such a file at all.
func TooLargeCodeowners(size int) *Codeowners {
	return &Codeowners{ignored: fmt.Sprintf(
		"CODEOWNERS is %s; GitHub ignores CODEOWNERS files of 3 MiB or more, and so does this check", formatSize(size))}
}

// Ignored is why the whole file is ignored ("" when it is used).
func (c *Codeowners) Ignored() string {
	if c == nil {
		return ""
	}
	return c.ignored
}

// Cost estimates the bytes the parsed file holds, for a cache bounded by
// memory: a file near MaxCodeownersSize holds 35 to 120 MB, depending on
// its shape (many rules, deep directories, many owners), and 32 of them
// counted as 32 entries would be gigabytes. The charges per rule, owner
// and directory node were measured on such files; TestCodeownersCost keeps
// the estimate between the memory held and twice that.
func (c *Codeowners) Cost() int {
	if c == nil {
		return 0
	}
	const perRule, perOwner, perNode, perByte = 320, 44, 180, 4
	return perRule*len(c.rules) + perOwner*c.owners + perNode*c.nodes + perByte*c.size + len(c.ignored)
}

// Skipped lists the first lines skipped for a syntax GitHub does not
// accept, and how many were skipped in all.
func (c *Codeowners) Skipped() ([]error, int) {
	if c == nil {
		return nil, 0
	}
	return slices.Clone(c.skipped), c.skippedCount
}

// add files a parsed rule in the trie or among the floating rules.
func (c *Codeowners) add(r *ownerRule) {
	i := int32(len(c.rules))
	c.rules = append(c.rules, r)
	c.owners += len(r.owners)
	dirs := r.pattern.Dirs()
	if len(dirs) == 0 {
		c.floating = append(c.floating, i)
		return
	}
	node := &c.root
	for _, d := range dirs {
		var made bool
		if node, made = node.addChild(d); made {
			c.nodes++
		}
	}
	node.rules = append(node.rules, i)
}

// splitFields splits a line at whitespace that no backslash escapes; the
// backslashes stay, for the pattern compiler to read.
func splitFields(line string) []string {
	var fields []string
	var b strings.Builder
	escaped := false
	for _, r := range line {
		switch {
		case escaped:
			b.WriteRune(r)
			escaped = false
		case r == '\\':
			b.WriteRune(r)
			escaped = true
		case unicode.IsSpace(r):
			if b.Len() > 0 {
				fields = append(fields, b.String())
				b.Reset()
			}
		default:
			b.WriteRune(r)
		}
	}
	if b.Len() > 0 {
		fields = append(fields, b.String())
	}
	return fields
}

func parseOwnerLine(fields []string) (*ownerRule, error) {
	if len(fields[0]) > maxPatternLen {
		return nil, fmt.Errorf("pattern longer than %d bytes", maxPatternLen)
	}
	pattern, err := pathglob.Compile(fields[0], pathglob.Codeowners)
	if err != nil {
		return nil, fmt.Errorf("pattern %q: %w", fields[0], err)
	}
	r := &ownerRule{pattern: pattern}
	for _, f := range fields[1:] {
		switch {
		case strings.HasPrefix(f, "#"): // inline comment
			return r, nil
		case userOwner.MatchString(f) || teamOwner.MatchString(f) || emailOwner.MatchString(f):
			r.owners = append(r.owners, f)
		default:
			return nil, fmt.Errorf("owner %q is not @user, @org/team or an e-mail address", clip(f, 64))
		}
	}
	return r, nil
}

// Owners returns the owners of path (as written) from the last matching
// rule; nil when no rule matches or the match un-owns it, and nil when
// matching would exceed its time bound.
func (c *Codeowners) Owners(path string) []string {
	owners, _ := c.Match([]string{path})
	if len(owners) == 0 {
		return nil
	}
	return owners[0]
}

// Match returns, for each path, the owners from the last matching rule
// (nil: unowned). It stops with ErrCodeownersTooCostly when the paths and
// the file's patterns need more than a bounded amount of work.
func (c *Codeowners) Match(paths []string) ([][]string, error) {
	out := make([][]string, len(paths))
	if c == nil || len(c.rules) == 0 {
		return out, nil
	}
	budget := matchBudget
	for i, p := range paths {
		r, err := c.lastMatch(strings.TrimPrefix(p, "/"), &budget)
		if err != nil {
			return nil, err
		}
		if r >= 0 {
			out[i] = slices.Clone(c.rules[r].owners)
		}
	}
	return out, nil
}

// lastMatch returns the index of the last rule matching path, or -1. It
// walks the candidate lists (the floating rules and those stored along the
// path's directories, each ascending) from the end, highest index first.
func (c *Codeowners) lastMatch(path string, budget *int) (int, error) {
	lists := [][]int32{c.floating}
	node := &c.root
	for seg := range strings.SplitSeq(path, "/") {
		if node = node.child(seg); node == nil {
			break
		}
		lists = append(lists, node.rules)
	}
	pos := make([]int, len(lists))
	for i, l := range lists {
		pos[i] = len(l) - 1
	}
	for {
		best := -1
		for i, l := range lists {
			if pos[i] >= 0 && (best < 0 || l[pos[i]] > lists[best][pos[best]]) {
				best = i
			}
		}
		if best < 0 {
			return -1, nil
		}
		idx := lists[best][pos[best]]
		pos[best]--
		if c.rules[idx].pattern.MatchBudget(path, budget) {
			return int(idx), nil
		}
		if *budget < 0 {
			return -1, ErrCodeownersTooCostly
		}
	}
}

// Teams lists the "@org/team" owners the file names, first spelling of
// each, in file order.
func (c *Codeowners) Teams() []string { return c.ownersWhere(isTeam) }

// Users lists the logins (without "@") of the people the file names.
func (c *Codeowners) Users() []string {
	users := c.ownersWhere(func(o string) bool { return strings.HasPrefix(o, "@") && !isTeam(o) })
	for i, u := range users {
		users[i] = u[1:]
	}
	return users
}

// Emails lists the e-mail owners: GitHub maps them to accounts, but a
// review cannot be requested by e-mail address, so they are only reported.
func (c *Codeowners) Emails() []string { return c.ownersWhere(isEmail) }

func (c *Codeowners) ownersWhere(keep func(string) bool) []string {
	if c == nil {
		return nil
	}
	var out []string
	seen := make(map[string]bool)
	for _, r := range c.rules {
		for _, o := range r.owners {
			if k := strings.ToLower(o); keep(o) && !seen[k] {
				seen[k] = true
				out = append(out, o)
			}
		}
	}
	return out
}

func isEmail(owner string) bool {
	return !strings.HasPrefix(owner, "@") && strings.Contains(owner, "@")
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func formatSize(n int) string {
	return fmt.Sprintf("%.1f MiB (%d bytes)", float64(n)/(1<<20), n)
}
