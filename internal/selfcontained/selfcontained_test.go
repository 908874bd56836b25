package selfcontained

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The shared test data sits next to the maintainers' checkout but not next
// to a user's clone. Its names are assembled here, so that this file holds
// none of them and needs no exemption.
var (
	sharedDir   = "sha" + "red"
	sharedData  = sharedDir + "/testdata"
	parentDir   = ".." + "/" + sharedDir
	machinePath = "/work/" + sharedDir
)

// outside are the ways a file has referred to the shared test data.
var outside = [][]byte{[]byte(parentDir), []byte(sharedData), []byte(machinePath)}

// exempt may name the shared data: SOURCE.md files record where a copy
// came from.
func exempt(rel string) bool {
	return filepath.Base(rel) == "SOURCE.md"
}

func TestNothingRefersOutsideTheRepository(t *testing.T) {
	root := moduleRoot(t)
	files := trackedFiles(t, root)
	if len(files) < 100 {
		t.Fatalf("found only %d files under %s; the listing is broken", len(files), root)
	}
	for _, f := range references(t, root, files) {
		t.Errorf("%s: commit the data in the repository instead (with a SOURCE.md)", f)
	}
}

// The check must be able to fail: it finds a reference in an ordinary file
// and lets SOURCE.md through.
func TestReferencesAreFound(t *testing.T) {
	root := t.TempDir()
	write := func(name, content string) {
		p := filepath.Join(root, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("pkg/spec.go", "package pkg\n\nvar p = \""+parentDir+"/testdata/github-openapi/api.github.com.json\"\n")
	write("pkg/clean.go", "package pkg\n")
	write("pkg/testdata/SOURCE.md", "copied from "+sharedData+"/github-webhooks\n")
	got := references(t, root, []string{"pkg/spec.go", "pkg/clean.go", "pkg/testdata/SOURCE.md", "gone.go"})
	want := []string{`pkg/spec.go:3 refers to "` + parentDir + `"`, `pkg/spec.go:3 refers to "` + sharedData + `"`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("references = %q, want %q", got, want)
	}
}

// references reports, as "file:line refers to pattern", each place where a
// listed file (relative to root) names data outside the repository.
func references(t *testing.T, root string, files []string) []string {
	t.Helper()
	var found []string
	for _, rel := range files {
		if exempt(rel) {
			continue
		}
		data, err := os.ReadFile(filepath.Join(root, rel))
		if os.IsNotExist(err) {
			continue // deleted in the work tree, not yet committed
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, pat := range outside {
			if i := bytes.Index(data, pat); i >= 0 {
				line := 1 + bytes.Count(data[:i], []byte("\n"))
				found = append(found, fmt.Sprintf("%s:%d refers to %q", rel, line, pat))
			}
		}
	}
	return found
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			t.Fatalf("no go.mod above %s", dir)
		}
	}
}

// trackedFiles lists the files git tracks (so build output and local
// scratch files do not count); without git, e.g. in an exported tree, it
// walks the tree, skipping hidden directories.
func trackedFiles(t *testing.T, root string) []string {
	t.Helper()
	out, err := exec.Command("git", "-C", root, "ls-files", "-z").Output()
	if err == nil && len(out) > 0 {
		return strings.Split(strings.TrimRight(string(out), "\x00"), "\x00")
	}
	t.Logf("git ls-files unavailable (%v); walking %s", err, root)
	var files []string
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != root && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(root, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}
