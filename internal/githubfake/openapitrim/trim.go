package openapitrim

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// MetaKey is the top-level extension of a trimmed description that records
// what it was made from and which paths it keeps in full.
const MetaKey = "x-githubfake-trimmed"

// Meta is the value stored under MetaKey.
type Meta struct {
	Generator    string   `json:"generator"`
	SourceSHA256 string   `json:"source_sha256"`
	SourceInfo   string   `json:"source_info_version"`
	ServedPaths  []string `json:"served_paths"`
}

// Document is the part of an OpenAPI description that trimming and patching
// touch; everything else in an operation stays raw JSON.
type Document struct {
	OpenAPI    json.RawMessage                       `json:"openapi"`
	Info       json.RawMessage                       `json:"info"`
	Meta       *Meta                                 `json:"x-githubfake-trimmed,omitempty"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components map[string]map[string]json.RawMessage `json:"components"`
}

// stub stands for an operation GitHub has and the trimmed copy does not
// keep: the fake's router still finds it, so "GitHub has it but the fake
// does not serve it" stays distinct from "GitHub has no such endpoint".
var stub = json.RawMessage(`{"responses":{"default":{"description":"not kept by openapitrim"}}}`)

// pathItemFields are the members of a path item that are not operations.
var pathItemFields = map[string]bool{"parameters": true, "summary": true, "description": true, "servers": true, "$ref": true}

// Trim keeps the operations of ServedPaths in full, reduces every other
// operation to a stub, and keeps only the components the kept operations
// reach through $ref. It does not patch upstream rules (see Patch): the
// output stays a subset of its input.
func Trim(full []byte) ([]byte, error) {
	var doc Document
	if err := json.Unmarshal(full, &doc); err != nil {
		return nil, fmt.Errorf("openapitrim: parse description: %w", err)
	}
	served := make(map[string]bool, len(ServedPaths))
	for _, p := range ServedPaths {
		if _, ok := doc.Paths[p]; !ok {
			return nil, fmt.Errorf("openapitrim: served path %s missing from the description", p)
		}
		served[p] = true
	}
	for p, item := range doc.Paths {
		if served[p] {
			continue
		}
		for key := range item {
			if pathItemFields[key] {
				delete(item, key)
				continue
			}
			item[key] = stub
		}
	}
	pathsJSON, err := json.Marshal(doc.Paths)
	if err != nil {
		return nil, fmt.Errorf("openapitrim: encode paths: %w", err)
	}
	if doc.Components, err = reachableComponents(doc.Components, pathsJSON); err != nil {
		return nil, err
	}
	var info struct {
		Version string `json:"version"`
	}
	_ = json.Unmarshal(doc.Info, &info) // only recorded for provenance
	sum := sha256.Sum256(full)
	doc.Meta = &Meta{
		Generator:    "internal/githubfake/cmd/trimspec (go generate ./internal/githubfake); do not edit",
		SourceSHA256: hex.EncodeToString(sum[:]),
		SourceInfo:   info.Version,
		ServedPaths:  slices.Sorted(slices.Values(ServedPaths)),
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("openapitrim: encode: %w", err)
	}
	return out, nil
}

var refRE = regexp.MustCompile(`"\$ref"\s*:\s*"#/components/([^/"]+)/([^"]+)"`)

// reachableComponents keeps the components that roots reference, directly
// or through other components; a $ref to nothing is an error, since the
// loader would fail on it later with less context.
func reachableComponents(all map[string]map[string]json.RawMessage, roots json.RawMessage) (map[string]map[string]json.RawMessage, error) {
	kept := map[string]map[string]json.RawMessage{}
	queue := [][]byte{roots}
	for len(queue) > 0 {
		chunk := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		for _, m := range refRE.FindAllSubmatch(chunk, -1) {
			kind, name := string(m[1]), unescapePointer(string(m[2]))
			if _, ok := kept[kind][name]; ok {
				continue
			}
			v, ok := all[kind][name]
			if !ok {
				return nil, fmt.Errorf("openapitrim: dangling $ref #/components/%s/%s", kind, name)
			}
			if kept[kind] == nil {
				kept[kind] = map[string]json.RawMessage{}
			}
			kept[kind][name] = v
			queue = append(queue, v)
		}
	}
	return kept, nil
}

func unescapePointer(s string) string {
	return strings.NewReplacer("~1", "/", "~0", "~").Replace(s)
}

// CheckServed reports whether a trimmed description keeps exactly
// ServedPaths; a mismatch means the committed copy predates an edit of the
// list and must be generated again.
func CheckServed(doc *Document) error {
	if doc.Meta == nil {
		return fmt.Errorf("openapitrim: description has no %s member: not made by trimspec", MetaKey)
	}
	want := slices.Sorted(slices.Values(ServedPaths))
	if !slices.Equal(doc.Meta.ServedPaths, want) {
		return fmt.Errorf("openapitrim: the trimmed description keeps %v but ServedPaths is %v; run `go generate ./internal/githubfake`",
			doc.Meta.ServedPaths, want)
	}
	return nil
}
