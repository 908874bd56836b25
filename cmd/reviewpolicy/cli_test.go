package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCLI(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	err = run(context.Background(), args, func(string) string { return "" }, &out, &errb)
	return out.String(), errb.String(), err
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	must(t, os.WriteFile(p, []byte(content), 0o600))
	return p
}

func exitCode(err error) int {
	var ex exitError
	if errors.As(err, &ex) {
		return ex.code
	}
	if err != nil {
		return 1
	}
	return 0
}

func TestValidateReportsLineAndColumn(t *testing.T) {
	t.Parallel()
	good := writeFile(t, "good.yml", templatePolicy)
	bad := writeFile(t, "bad.yml", "version: 1\nreviewers:\n  strategy: load-balanced\n")
	out, _, err := runCLI(t, "validate", good)
	if err != nil || !strings.Contains(out, "good.yml: ok") {
		t.Errorf("valid file: %v %q", err, out)
	}
	_, stderr, err := runCLI(t, "validate", good, bad)
	if exitCode(err) != 1 {
		t.Errorf("invalid file: exit %d, want 1", exitCode(err))
	}
	if !strings.Contains(stderr, bad+":3:13:") || !strings.Contains(stderr, "did you mean load-balance") {
		t.Errorf("stderr = %q", stderr)
	}
}

func TestCheckEvaluatesASavedPayloadOffline(t *testing.T) {
	t.Parallel()
	pol := writeFile(t, "policy.yml", templatePolicy+`reviewers:
  rules:
    - {name: docs, paths: ["*.md"], reviewers: [hubot, octocat]}
`)
	files := writeFile(t, "files.json", `["README.md"]`)
	out, _, err := runCLI(t, "check", "--policy", pol, "--event", "testdata/webhooks/pull_request/opened.payload.json",
		"--files", files, "--now", "2019-05-15T16:00:00Z")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"conclusion: failure", "**Summary**", "**ticket**", "rule **docs**"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if _, _, err := runCLI(t, "check", "--policy", pol); exitCode(err) != 2 {
		t.Errorf("missing --event: exit %d, want 2", exitCode(err))
	}
}

func TestVersionAndUsage(t *testing.T) {
	t.Parallel()
	out, _, err := runCLI(t, "version")
	if err != nil || !strings.HasPrefix(out, "reviewpolicy ") {
		t.Errorf("version: %v %q", err, out)
	}
	if _, stderr, err := runCLI(t, "frobnicate"); exitCode(err) != 2 || !strings.Contains(stderr, "unknown command") {
		t.Errorf("unknown command: %v %q", err, stderr)
	}
	if _, _, err := runCLI(t, "serve", "--config", "/nonexistent.yml"); err == nil {
		t.Error("serve with a missing config file started")
	}
}

// A hostile file's report stays short: values are quoted in part, errors
// past the first hundred are counted, not printed.
func TestValidateOutputIsBounded(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("version: 1\nsla:\n  escalate_to:\n")
	for i := 0; i < 600; i++ {
		b.WriteString("    - \"" + strings.Repeat("x", 900) + "\\n@acme/everyone" + strings.Repeat("y", i%10) + "\"\n")
	}
	bad := writeFile(t, "bad.yml", b.String())
	huge := writeFile(t, "huge.yml", "version: 1\n#"+strings.Repeat("x", 2<<20)+"\n")
	_, stderr, err := runCLI(t, "validate", bad, huge)
	if exitCode(err) != 1 {
		t.Errorf("exit %d, want 1", exitCode(err))
	}
	if len(stderr) > 40<<10 {
		t.Errorf("validate printed %d bytes for two files; want at most 40 KiB", len(stderr))
	}
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	for _, l := range lines {
		if len(l) > 300 {
			t.Fatalf("line of %d bytes: %.120q…", len(l), l)
		}
	}
	if !strings.Contains(stderr, "more errors") || !strings.Contains(stderr, huge+": file is over") {
		t.Errorf("stderr lacks the count of the rest or the size refusal:\n%.2000s", stderr)
	}
}
