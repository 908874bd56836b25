package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/reviewpolicy/reviewpolicy/internal/githubfake/openapitrim"
)

const committed = "../../testdata/openapi/api.github.com.trimmed.json"

func TestInputIsRequired(t *testing.T) {
	noEnv := func(string) string { return "" }
	if err := run([]string{"-out", filepath.Join(t.TempDir(), "x.json")}, noEnv, io.Discard); err == nil {
		t.Error("run without -in or $GITHUB_OPENAPI_PATH passed")
	}
	env := func(string) string { return "/nonexistent/api.github.com.json" }
	if err := run([]string{"-out", filepath.Join(t.TempDir(), "x.json")}, env, io.Discard); err == nil ||
		!strings.Contains(err.Error(), "/nonexistent/api.github.com.json") {
		t.Errorf("run with a missing $GITHUB_OPENAPI_PATH = %v; want an error naming it", err)
	}
}

// Trimming the committed copy again changes nothing but its provenance: a
// check that the committed file is what trimspec writes, and that the
// gzipped output round-trips.
func TestTrimmingTheCommittedCopyIsStable(t *testing.T) {
	out := filepath.Join(t.TempDir(), "again.json.gz")
	env := func(string) string { return committed }
	if err := run([]string{"-out", out}, env, io.Discard); err != nil {
		t.Fatalf("run: %v", err)
	}
	gz, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatalf("output is not gzip: %v", err)
	}
	again, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(committed)
	if err != nil {
		t.Fatal(err)
	}
	var a, b openapitrim.Document
	if err := json.Unmarshal(again, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(want, &b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a.Paths, b.Paths) || !reflect.DeepEqual(a.Components, b.Components) {
		t.Error("trimming the committed copy changed its paths or components")
	}
	if !reflect.DeepEqual(a.Meta.ServedPaths, b.Meta.ServedPaths) {
		t.Errorf("served paths %v, committed %v", a.Meta.ServedPaths, b.Meta.ServedPaths)
	}
}
