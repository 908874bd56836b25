package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // time zones must resolve the same on every host, with or without /usr/share/zoneinfo

	"gopkg.in/yaml.v3"
)

// Version is the policy file format this package reads.
const Version = 1

// MaxFileSize is the largest policy file Parse reads. Real policies are a
// few kilobytes; the cap keeps a hostile file from costing memory and time.
const MaxFileSize = 1 << 20

const (
	// maxNodes bounds the YAML tree after alias expansion, so that a small
	// file cannot unfold into billions of values (an "alias bomb"). A file
	// under MaxFileSize without aliases never comes near it.
	maxNodes = 1 << 18
	// maxDepth bounds nesting. The format is at most six levels deep.
	maxDepth = 64
	// maxErrors stops a broken file from producing an unreadable report:
	// the first maxErrors are kept, the rest only counted.
	maxErrors = 100
	// maxCounted stops counting: past it, long lists are not checked
	// further, and the count says "more than".
	maxCounted = 10000
)

// File is a parsed policy file together with what it spelled out itself.
//
// Policy has every default filled in, which is what evaluation needs. To
// layer a repository file over the organisation default ("extends: org"),
// Resolve also needs to know which settings the file actually wrote, and a
// default cannot tell. Areas (template, reviewers, sla) and people are
// visible in Policy itself (nil area, missing login); enforcement modes are
// not, so File records them. Keeping this out of Policy leaves the shared
// type free of parsing bookkeeping.
type File struct {
	Policy *Policy
	set    struct{ template, reviewers, sla bool } // enforcement keys the file wrote
}

// Parse reads and validates a policy file. filename only labels errors.
// On failure the error is an ErrorList with every problem found.
func Parse(filename string, data []byte) (*Policy, error) {
	f, err := ParseFile(filename, data)
	if err != nil {
		return nil, err
	}
	return f.Policy, nil
}

// TooLarge is the error for a policy file of size bytes, over MaxFileSize:
// what Parse says of it, for a caller that learns the size before reading.
func TooLarge(filename string, size int) error {
	return ErrorList{&Error{File: filename,
		Msg: fmt.Sprintf("file is %d bytes; a policy file may be at most %d (1 MiB)", size, MaxFileSize)}}
}

// ParseFile is Parse, keeping what Resolve needs to apply "extends: org".
func ParseFile(filename string, data []byte) (*File, error) {
	d := &decoder{file: filename}
	if len(data) > MaxFileSize {
		return nil, TooLarge(filename, len(data))
	}
	root := d.readYAML(data)
	if root == nil {
		return nil, d.errs
	}
	f := d.document(root)
	if len(d.errs) > 0 {
		d.errs.sort()
		d.summarise()
		return nil, d.errs
	}
	return f, nil
}

// yamlLineError matches the position yaml.v3 puts into its syntax errors.
var yamlLineError = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// readYAML returns the single document's root node, or nil after recording
// why there is none.
func (d *decoder) readYAML(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			d.errs = append(d.errs, &Error{File: d.file, Line: 1, Column: 1,
				Msg: `empty policy file; start it with "version: 1"`})
		} else {
			d.yamlError(data, err)
		}
		return nil
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		d.yamlError(data, err)
		return nil
	default:
		d.errorf(&next, "a policy file holds one YAML document; remove the second one (after ---)")
		return nil
	}
	if len(doc.Content) == 0 { // only comments
		d.errs = append(d.errs, &Error{File: d.file, Line: 1, Column: 1,
			Msg: `empty policy file; start it with "version: 1"`})
		return nil
	}
	root := doc.Content[0]
	b := &budget{nodes: maxNodes, bytes: MaxExpandedBytes}
	if at := b.walk(root, 0); at != nil {
		d.errorf(at, "document is too large or too deep here: more than %d values, %d bytes of text or %d levels "+
			"(an alias counts its value each time it is used)", maxNodes, MaxExpandedBytes, maxDepth)
		return nil
	}
	return root
}

// yamlError turns yaml.v3's "yaml: line N: msg" into a positioned Error.
func (d *decoder) yamlError(data []byte, err error) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 1 // yaml.v3 leaves "line N" out for problems on the first line
	if m := yamlLineError.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
		if yamlParserProblems[msg] {
			line++ // yaml.v3 counts lines from 0 for parser (not scanner) errors
		}
	} else if name, ok := strings.CutPrefix(msg, "unknown anchor '"); ok {
		line = lineOf(data, "*"+strings.TrimSuffix(name, "' referenced"))
	}
	d.errs = append(d.errs, &Error{File: d.file, Line: line, Msg: inert("invalid YAML: " + msg)})
}

// yamlParserProblems are the messages of yaml.v3's parser stage (see
// parserc.go); its scanner stage reports 1-based lines, the parser 0-based.
var yamlParserProblems = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected '-' indicator":    true,
	"did not find expected <document start>": true,
	"did not find expected <stream-start>":   true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"found duplicate %TAG directive":         true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
}

// lineOf returns the 1-based line of the first occurrence of s in data, or
// 1 when it does not occur.
func lineOf(data []byte, s string) int {
	i := bytes.Index(data, []byte(s))
	if i < 0 {
		return 1
	}
	return bytes.Count(data[:i], []byte("\n")) + 1
}

// budget is what is left of the limits on the tree as the decoder will
// see it, with every alias expanded.
type budget struct{ nodes, bytes int }

// walk spends the budget on n and what it holds, following aliases, and
// returns the node at which it ran out (nil: within budget). An alias
// spends its value's bytes again each time, which is what the decoder and
// error messages would cost. Self-referencing anchors run out of depth
// rather than looping.
func (b *budget) walk(n *yaml.Node, depth int) *yaml.Node {
	b.nodes--
	b.bytes -= len(n.Value)
	if b.nodes < 0 || b.bytes < 0 || depth > maxDepth {
		return n
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		if at := b.walk(n.Alias, depth+1); at != nil {
			return n // the alias is where the lead can see the cost
		}
		return nil
	}
	for _, c := range n.Content {
		if at := b.walk(c, depth+1); at != nil {
			return at
		}
	}
	return nil
}

// decoder turns a YAML node tree into a Policy, recording every problem
// instead of stopping at the first. Each method reports problems at the
// node that holds them and returns the best value it can, so that checks
// further on still run.
type decoder struct {
	file     string
	errs     ErrorList
	dropped  int // errors past maxErrors, counted but not kept
	globWork int // alternatives of every glob so far, against MaxGlobWork
}

// errorf records a problem at n. Past maxErrors it only counts it, so a
// hostile file cannot make the report (or the memory behind it) large.
func (d *decoder) errorf(n *yaml.Node, format string, args ...any) {
	if len(d.errs) >= maxErrors {
		d.dropped++
		return
	}
	d.errs = append(d.errs, &Error{File: d.file, Line: n.Line, Column: n.Column,
		Msg: inert(fmt.Sprintf(format, args...))})
}

// full reports whether counting has stopped, so that loops over long lists
// can stop early instead of checking values nobody will see.
func (d *decoder) full() bool { return d.dropped >= maxCounted }

// summarise ends a list cut at maxErrors with the count of the rest.
func (d *decoder) summarise() {
	if d.dropped == 0 {
		return
	}
	more := strconv.Itoa(d.dropped)
	if d.full() {
		more = "more than " + more
	}
	d.errs = append(d.errs, &Error{File: d.file, Msg: "and " + more + " more errors; fix these first"})
}

// elem is the path of a list element, built only when a message needs it.
func elem(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// errAt records a problem with the value at path ("reviewers.rules[0].name").
func (d *decoder) errAt(n *yaml.Node, path, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if path != "" {
		msg = path + ": " + msg
	}
	d.errorf(n, "%s", msg)
}

// resolve follows an alias to the node it names.
func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// describeNode names a node's type the way the error messages need it.
func describeNode(n *yaml.Node) string {
	n = resolve(n)
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!str":
			return "a string"
		case "!!int":
			return "an integer"
		case "!!float":
			return "a number"
		case "!!bool":
			return "a boolean"
		case "!!null":
			return "nothing (null)"
		case "!!timestamp":
			return "a date"
		}
	}
	return "a " + strings.TrimPrefix(n.ShortTag(), "!!")
}

func isNull(n *yaml.Node) bool {
	n = resolve(n)
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// field is a known key of a mapping and its value.
type field struct {
	key  string
	val  *yaml.Node
	path string // dotted path of the value, for messages
}

// fields checks that n is a mapping with only known keys, each once, and
// returns its entries in file order. Unknown keys get a "did you mean" hint.
func (d *decoder) fields(n *yaml.Node, path string, known ...string) []field {
	m := resolve(n)
	if m.Kind != yaml.MappingNode {
		d.errAt(n, path, "expected a mapping with keys %s, got %s", strings.Join(known, ", "), describeNode(n))
		return nil
	}
	var out []field
	first := map[string]*yaml.Node{}
	for i := 0; i+1 < len(m.Content) && !d.full(); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		key, ok := d.key(k, path)
		if !ok {
			continue
		}
		if prev, dup := first[key]; dup {
			d.errAt(k, path, "duplicate key %s (first set on line %d)", key, prev.Line)
			continue
		}
		first[key] = k
		if !contains(known, key) {
			d.errAt(k, path, "unknown key %s%s", q(key), didYouMean(key, known))
			continue
		}
		out = append(out, field{key: key, val: v, path: join(path, key)})
	}
	return out
}

// optFields is fields for areas, where an empty value ("sla:") means "use
// the area with its defaults".
func (d *decoder) optFields(n *yaml.Node, path string, known ...string) []field {
	if isNull(n) {
		return nil
	}
	return d.fields(n, path, known...)
}

// key returns a mapping key, which must be a plain string.
func (d *decoder) key(k *yaml.Node, path string) (string, bool) {
	switch {
	case k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge":
		d.errAt(k, path, "merge keys (<<) are not supported; repeat the settings or use an alias for the whole value")
	case k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str":
		d.errAt(k, path, "keys must be strings, got %s", describeNode(k))
	default:
		return k.Value, true
	}
	return "", false
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// str returns a string scalar.
func (d *decoder) str(n *yaml.Node, path string) (string, bool) {
	v := resolve(n)
	if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!str" {
		d.errAt(n, path, "expected a string, got %s", describeNode(n))
		return "", false
	}
	if !d.shortEnough(n, path, v.Value) {
		return "", false
	}
	return v.Value, true
}

// shortEnough reports whether a string value is within MaxValueLen.
func (d *decoder) shortEnough(n *yaml.Node, path, s string) bool {
	if len(s) > MaxValueLen {
		d.errAt(n, path, "value is %d bytes long; at most %d are allowed", len(s), MaxValueLen)
		return false
	}
	return true
}

// nonEmpty returns a string scalar that is not blank.
func (d *decoder) nonEmpty(n *yaml.Node, path string) (string, bool) {
	s, ok := d.str(n, path)
	if ok && strings.TrimSpace(s) == "" {
		d.errAt(n, path, "must not be empty")
		return "", false
	}
	return s, ok
}

// list returns the elements of a sequence; what says what it should hold.
func (d *decoder) list(n *yaml.Node, path, what string, nonEmpty bool) []*yaml.Node {
	v := resolve(n)
	if v.Kind != yaml.SequenceNode {
		d.errAt(n, path, "expected a list of %s, got %s", what, describeNode(n))
		return nil
	}
	if nonEmpty && len(v.Content) == 0 {
		d.errAt(n, path, "list must not be empty")
	}
	if len(v.Content) > MaxListLen {
		d.errAt(n, path, "list has %d items; at most %d are allowed", len(v.Content), MaxListLen)
		return nil
	}
	return v.Content
}

// within reports whether the list at n has at most limit items; what
// names them for the message. Callers check before decoding the items, so
// an oversized list costs no work beyond counting.
func (d *decoder) within(n *yaml.Node, path, what string, limit int) bool {
	v := resolve(n)
	if v.Kind == yaml.SequenceNode && len(v.Content) > limit {
		d.errAt(n, path, "%d %s; at most %d are allowed", len(v.Content), what, limit)
		return false
	}
	return true
}

// stringList returns a list of strings, each checked by check (nil: any
// non-empty string), which may rewrite the value. Duplicates are errors.
func (d *decoder) stringList(n *yaml.Node, path, what string, nonEmpty bool, check func(string) (string, error)) []string {
	var out []string
	seen := map[string]int{}
	for i, e := range d.list(n, path, what, nonEmpty) {
		if d.full() {
			break
		}
		v := resolve(e)
		if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!str" {
			d.errAt(e, path, "expected a list of %s, got %s in it", what, describeNode(e))
			continue
		}
		s := v.Value
		if !d.shortEnough(e, elem(path, i), s) {
			continue
		}
		if strings.TrimSpace(s) == "" {
			d.errAt(e, elem(path, i), "must not be empty")
			continue
		}
		if check != nil {
			var err error
			if s, err = check(s); err != nil {
				d.errAt(e, elem(path, i), "%v", err)
				continue
			}
		}
		if line, dup := seen[strings.ToLower(s)]; dup {
			d.errAt(e, elem(path, i), "%s is listed twice (first on line %d)", s, line)
			continue
		}
		seen[strings.ToLower(s)] = e.Line
		out = append(out, s)
	}
	return out
}

// integer returns an integer scalar no smaller than lo.
func (d *decoder) integer(n *yaml.Node, path string, lo int) (int, bool) {
	v := resolve(n)
	var i int
	if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!int" {
		d.errAt(n, path, "expected an integer, got %s", describeNode(n))
		return 0, false
	}
	if err := v.Decode(&i); err != nil {
		d.errAt(n, path, "integer %s is out of range", v.Value)
		return 0, false
	}
	if i < lo {
		d.errAt(n, path, "must be at least %d, got %d", lo, i)
		return 0, false
	}
	return i, true
}

// boolean returns a true/false scalar.
func (d *decoder) boolean(n *yaml.Node, path string) bool {
	v := resolve(n)
	var b bool
	if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!bool" || v.Decode(&b) != nil {
		d.errAt(n, path, "expected true or false, got %s", describeNode(n))
	}
	return b
}

// enum returns a string that must be one of allowed.
func (d *decoder) enum(n *yaml.Node, path string, allowed ...string) (string, bool) {
	s, ok := d.str(n, path)
	if !ok {
		return "", false
	}
	if !contains(allowed, s) {
		d.errAt(n, path, "unknown value %s (want %s)%s", q(s), strings.Join(allowed, ", "), didYouMean(s, allowed))
		return "", false
	}
	return s, true
}

// duration returns a positive duration such as "24h" or "2d".
func (d *decoder) duration(n *yaml.Node, path string) (time.Duration, bool) {
	v := resolve(n)
	if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!str" {
		d.errAt(n, path, "expected a duration such as 24h, 90m or 2d, got %s", describeNode(n))
		return 0, false
	}
	dur, err := parseDuration(v.Value)
	if err != nil {
		d.errAt(n, path, "%v", err)
		return 0, false
	}
	return dur, true
}

// location returns a loaded IANA time zone.
func (d *decoder) location(n *yaml.Node, path string) (string, *time.Location) {
	name, ok := d.str(n, path)
	if !ok {
		return "", nil
	}
	loc, err := loadLocation(name)
	if err != nil {
		d.errAt(n, path, "%v", err)
		return "", nil
	}
	return name, loc
}
