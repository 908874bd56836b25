package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

// compileSchema compiles the embedded Schema once per test.
func compileSchema(t testing.TB) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Schema))
	if err != nil {
		t.Fatalf("schema.json is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource("schema.json", doc); err != nil {
		t.Fatalf("add schema: %v", err)
	}
	sch, err := c.Compile("schema.json")
	if err != nil {
		t.Fatalf("compile schema: %v", err)
	}
	return sch
}

// validateSchema checks a YAML document against the schema, the way an
// editor with a YAML language server does: YAML first becomes JSON values.
func validateSchema(sch *jsonschema.Schema, data []byte) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("yaml: %w", err)
	}
	var v any // an empty document is null
	if len(doc.Content) > 0 {
		var err error
		if v, err = jsonValue(doc.Content[0], 0); err != nil {
			return err
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("to JSON: %w", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("from JSON: %w", err)
	}
	return sch.Validate(inst)
}

// jsonValue converts a YAML node to the values encoding/json produces.
// Timestamps stay text, as YAML language servers treat them.
func jsonValue(n *yaml.Node, depth int) (any, error) {
	if depth > maxDepth {
		return nil, errors.New("too deep")
	}
	switch n.Kind {
	case yaml.AliasNode:
		return jsonValue(n.Alias, depth+1)
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			v, err := jsonValue(n.Content[i+1], depth+1)
			if err != nil {
				return nil, err
			}
			m[n.Content[i].Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		l := []any{}
		for _, c := range n.Content {
			v, err := jsonValue(c, depth+1)
			if err != nil {
				return nil, err
			}
			l = append(l, v)
		}
		return l, nil
	}
	if n.ShortTag() == "!!timestamp" {
		return n.Value, nil
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

func testdataFiles(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", dir, "*.yml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no files in testdata/%s: %v", dir, err)
	}
	files := map[string][]byte{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files[filepath.Base(p)] = b
	}
	return files
}

// want is an expected error, written in a test file as "# want: 3:14: text".
type want struct {
	line, col int
	fragment  string
}

var wantComment = regexp.MustCompile(`(?m)^# want: (\d+):(\d+): (.+)$`)

func wants(data []byte) []want {
	var ws []want
	for _, m := range wantComment.FindAllSubmatch(data, -1) {
		line, _ := strconv.Atoi(string(m[1]))
		col, _ := strconv.Atoi(string(m[2]))
		ws = append(ws, want{line, col, string(m[3])})
	}
	return ws
}

// checkErrors asserts that err reports exactly the wanted problems.
func checkErrors(t *testing.T, err error, ws []want) {
	t.Helper()
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("Parse error = %v (%T), want an ErrorList", err, err)
	}
	if len(list) != len(ws) {
		t.Errorf("got %d errors, want %d:\n%v", len(list), len(ws), err)
	}
	for _, w := range ws {
		found := false
		for _, e := range list {
			if e.Line == w.line && e.Column == w.col && strings.Contains(e.Msg, w.fragment) {
				found = true
			}
		}
		if !found {
			t.Errorf("missing error %d:%d: %s\ngot:\n%v", w.line, w.col, w.fragment, err)
		}
	}
}

// TestTestdata keeps the parser and the schema in agreement.
func TestTestdata(t *testing.T) {
	t.Parallel()
	sch := compileSchema(t)
	for name, data := range testdataFiles(t, "valid") {
		t.Run("valid/"+name, func(t *testing.T) {
			if _, err := Parse(name, data); err != nil {
				t.Errorf("Parse: %v", err)
			}
			if err := validateSchema(sch, data); err != nil {
				t.Errorf("schema: %v", err)
			}
		})
	}
	for name, data := range testdataFiles(t, "invalid") {
		t.Run("invalid/"+name, func(t *testing.T) {
			ws := wants(data)
			if len(ws) == 0 {
				t.Fatal(`file has no "# want: line:col: text" comment`)
			}
			_, err := Parse(name, data)
			checkErrors(t, err, ws)
			if validateSchema(sch, data) == nil {
				t.Error("schema accepts the file; if only the parser can reject it, move it to invalid-semantic/")
			}
		})
	}
	for name, data := range testdataFiles(t, "invalid-semantic") {
		t.Run("invalid-semantic/"+name, func(t *testing.T) {
			ws := wants(data)
			if len(ws) == 0 {
				t.Fatal(`file has no "# want: line:col: text" comment`)
			}
			_, err := Parse(name, data)
			checkErrors(t, err, ws)
			// Files here document the schema's limits; one it rejects belongs in invalid/.
			if err := validateSchema(sch, data); err != nil {
				t.Errorf("schema rejects the file, move it to invalid/: %v", err)
			}
		})
	}
}
