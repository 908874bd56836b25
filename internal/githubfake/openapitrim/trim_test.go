package openapitrim

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// synthetic builds a description with every served path (each operation
// referencing schema "kept", which references "nested") and one unserved
// path referencing "dropped".
func synthetic(t *testing.T, extraPaths map[string]any) []byte {
	t.Helper()
	paths := map[string]any{}
	for _, p := range ServedPaths {
		paths[p] = map[string]any{
			"parameters": []any{},
			"get": map[string]any{"responses": map[string]any{"200": map[string]any{
				"description": "ok",
				"content":     map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/kept"}}},
			}}},
		}
	}
	paths["/unserved/{id}"] = map[string]any{
		"summary": "x",
		"post":    map[string]any{"requestBody": map[string]any{"$ref": "#/components/schemas/dropped"}},
		"delete":  map[string]any{"responses": map[string]any{}},
	}
	for p, v := range extraPaths {
		paths[p] = v
	}
	doc := map[string]any{
		"openapi": "3.0.3",
		"info":    map[string]any{"version": "1.2.3", "title": "t"},
		"paths":   paths,
		"components": map[string]any{"schemas": map[string]any{
			"kept":    map[string]any{"properties": map[string]any{"a": map[string]any{"$ref": "#/components/schemas/nested"}}},
			"nested":  map[string]any{"type": "string"},
			"dropped": map[string]any{"type": "integer"},
		}},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTrimKeepsServedPathsAndTheirClosure(t *testing.T) {
	out, err := Trim(synthetic(t, nil))
	if err != nil {
		t.Fatalf("Trim: %v", err)
	}
	var d Document
	if err := json.Unmarshal(out, &d); err != nil {
		t.Fatalf("trimmed output is not JSON: %v", err)
	}
	if err := CheckServed(&d); err != nil {
		t.Errorf("CheckServed on fresh output: %v", err)
	}
	if got := string(d.Paths[ServedPaths[0]]["get"]); !strings.Contains(got, "#/components/schemas/kept") {
		t.Errorf("served operation lost its body: %s", got)
	}
	un := d.Paths["/unserved/{id}"]
	if len(un) != 2 || string(un["post"]) != string(stub) || string(un["delete"]) != string(stub) {
		t.Errorf("unserved path = %v; want post and delete stubs only", un)
	}
	schemas := d.Components["schemas"]
	if schemas["kept"] == nil || schemas["nested"] == nil || schemas["dropped"] != nil {
		t.Errorf("schemas kept = %v; want kept and nested (through kept), not dropped", keys(schemas))
	}
	if d.Meta.SourceInfo != "1.2.3" || len(d.Meta.SourceSHA256) != 64 {
		t.Errorf("meta = %+v", d.Meta)
	}
	again, _ := Trim(synthetic(t, nil))
	if string(again) != string(out) {
		t.Error("Trim is not deterministic")
	}
}

func TestTrimErrors(t *testing.T) {
	dangling := map[string]any{ServedPaths[0]: map[string]any{"get": map[string]any{"$ref": "#/components/schemas/nowhere"}}}
	if _, err := Trim(synthetic(t, dangling)); err == nil || !strings.Contains(err.Error(), "nowhere") {
		t.Errorf("dangling $ref: err = %v", err)
	}
	var doc map[string]any
	json.Unmarshal(synthetic(t, nil), &doc)
	delete(doc["paths"].(map[string]any), ServedPaths[1])
	b, _ := json.Marshal(doc)
	if _, err := Trim(b); err == nil || !strings.Contains(err.Error(), ServedPaths[1]) {
		t.Errorf("served path missing: err = %v", err)
	}
}

func TestCheckServedDetectsAStaleCopy(t *testing.T) {
	out, err := Trim(synthetic(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	var d Document
	json.Unmarshal(out, &d)
	d.Meta.ServedPaths = d.Meta.ServedPaths[1:]
	if err := CheckServed(&d); err == nil || !strings.Contains(err.Error(), "go generate") {
		t.Errorf("CheckServed with a path missing = %v; want an error saying to regenerate", err)
	}
	d.Meta = nil
	if err := CheckServed(&d); err == nil {
		t.Error("CheckServed without metadata passed")
	}
}

// The committed rules must each find their operation in the committed
// trimmed copy; Patch fails on a rule whose operation is stubbed or gone.
func TestPatchAppliesCommittedRules(t *testing.T) {
	trimmed, err := os.ReadFile("../testdata/openapi/api.github.com.trimmed.json")
	if err != nil {
		t.Fatal(err)
	}
	rules, err := os.ReadFile("../testdata/openapi/upstream-request-body-diffs.json")
	if err != nil {
		t.Fatal(err)
	}
	var d Document
	if err := json.Unmarshal(trimmed, &d); err != nil {
		t.Fatal(err)
	}
	if err := Patch(&d, rules); err != nil {
		t.Fatalf("Patch: %v", err)
	}
	create := string(d.Paths["/repos/{owner}/{repo}/check-runs"]["post"])
	if !strings.Contains(create, `"oneOf"`) || strings.Contains(create, `"discriminator"`) {
		t.Errorf("check-run creation after Patch: want oneOf without discriminator")
	}
	stubbed := `{"x":{"pointer":"/paths/~1unserved/post/requestBody","anyOf":[]}}`
	if err := Patch(&d, []byte(stubbed)); err == nil {
		t.Error("Patch of an operation the copy lacks passed")
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
