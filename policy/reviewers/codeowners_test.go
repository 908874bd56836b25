package reviewers

import (
	"slices"
	"strings"
	"testing"
)

// githubExample is the example CODEOWNERS file from GitHub's documentation.
const githubExample = `# This is a comment.
# Each line is a file pattern followed by one or more owners.

*       @global-owner1 @global-owner2
*.js    @js-owner #This is an inline comment.
*.go docs@example.com
*.txt @octo-org/octocats
/build/logs/ @doctocat
docs/* docs@example.com
apps/ @octocat
/docs/ @doctocat
/scripts/ @doctocat @octocat
**/logs @octocat
/apps/ @octocat
/apps/github
`

func TestCodeOwnersGitHubExample(t *testing.T) {
	t.Parallel()
	co, errs := ParseCodeowners(githubExample)
	if len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	tests := []struct {
		path string
		want []string
	}{
		{"README.md", []string{"@global-owner1", "@global-owner2"}},                           // "*"
		{"web/app.js", []string{"@js-owner"}},                                                 // "*.js" beats "*"; inline comment dropped
		{"main.go", []string{"docs@example.com"}},                                             // e-mail owners are kept
		{"notes/a.txt", []string{"@octo-org/octocats"}},                                       // team
		{"build/logs/today/x.log", []string{"@octocat"}},                                      // "/build/logs/" then "**/logs" wins (later)
		{"docs/getting-started.md", []string{"@doctocat"}},                                    // "/docs/" is later than "docs/*"
		{"scripts/deploy.sh", []string{"@doctocat", "@octocat"}},                              // multiple owners
		{"deeply/nested/logs/x.txt", []string{"@octocat"}},                                    // "**/logs" at any depth beats "*.txt"
		{"src/apps/x.rb", []string{"@octocat"}},                                               // "apps/" at any depth
		{"apps/main.rb", []string{"@octocat"}},                                                // "/apps/"
		{"apps/github/main.rb", nil},                                                          // un-owned by "/apps/github"
		{"apps/githubber/main.rb", []string{"@octocat"}},                                      // "/apps/github" is a whole name
		{"/web/app.js", []string{"@js-owner"}},                                                // leading slash tolerated
		{"srcjs/readme", []string{"@global-owner1", "@global-owner2"}},                        // "*.js" needs the suffix
		{"scripts/logs/run.sh", []string{"@octocat"}},                                         // "**/logs" after "/scripts/"
		{"docs/build-app/troubleshooting.md", []string{"@doctocat"}},                          // via "/docs/"
		{"x/docs/build-app/troubleshooting.md", []string{"@global-owner1", "@global-owner2"}}, // "/docs/" is anchored
	}
	for _, tt := range tests {
		if got := co.Owners(tt.path); !slices.Equal(got, tt.want) {
			t.Errorf("Owners(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
}

func TestCodeOwnersPatterns(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern string
		match   []string
		noMatch []string
	}{
		{"*", []string{"a", "a/b/c"}, nil},
		{"*.js", []string{"a.js", "x/y/a.js"}, []string{"a.jsx", "js"}},
		{"/build/logs/", []string{"build/logs/a", "build/logs/a/b"}, []string{"build/logs", "x/build/logs/a"}},
		{"docs/*", []string{"docs/getting-started.md"}, []string{"docs/build-app/troubleshooting.md", "x/docs/a.md", "docs"}},
		{"apps/", []string{"apps/a", "x/apps/a/b"}, []string{"apps", "xapps/a"}},
		{"**/logs", []string{"logs", "logs/a", "build/logs/a", "deeply/nested/logs/x"}, []string{"logsx/a", "blogs/a"}},
		{"/apps/github", []string{"apps/github", "apps/github/x"}, []string{"apps/githubx", "x/apps/github"}},
		{"foo/bar", []string{"foo/bar", "foo/bar/baz"}, []string{"x/foo/bar", "foo/bart"}},
		{"/*", []string{"foo"}, []string{"foo/bar"}},
		{"f*", []string{"foo", "foo/bar", "x/foo/baz"}, []string{"xfoo", "bar/baz"}},
		{"foo/*.txt", []string{"foo/a.txt"}, []string{"foo/a/b.txt", "x/foo/a.txt"}},
		{"foo/**/bar", []string{"foo/bar", "foo/x/y/bar", "foo/x/bar/baz"}, []string{"x/foo/bar"}},
		{"foo/bar/**", []string{"foo/bar/x", "foo/bar/x/y"}, []string{"foo/bar"}},
		{"f?o", []string{"foo"}, []string{"fo", "fooo"}},
		{`f\*o`, []string{"f*o"}, []string{"foo"}},
	}
	for _, tt := range tests {
		co, errs := ParseCodeowners(tt.pattern + " @o")
		if len(errs) != 0 {
			t.Fatalf("%q: %v", tt.pattern, errs)
		}
		for _, p := range tt.match {
			if co.Owners(p) == nil {
				t.Errorf("%q should match %q", tt.pattern, p)
			}
		}
		for _, p := range tt.noMatch {
			if co.Owners(p) != nil {
				t.Errorf("%q should not match %q", tt.pattern, p)
			}
		}
	}
}

func TestCodeOwnersErrorsSkipLines(t *testing.T) {
	t.Parallel()
	co, errs := ParseCodeowners(strings.Join([]string{
		"*.go @gopher",
		"!vendor/ @nobody",      // negation unsupported
		"[ab].md @nobody",       // ranges unsupported
		"*.rb rubyist",          // owner without @
		"   # indented comment", // comment
		"",
		"*.py @org/py-team @snake",
	}, "\n"))
	if len(errs) != 3 {
		t.Fatalf("got %d errors, want 3: %v", len(errs), errs)
	}
	for i, line := range []string{"line 2", "line 3", "line 4"} {
		if !strings.Contains(errs[i].Error(), line) {
			t.Errorf("error %d = %q, want it to name %s", i, errs[i], line)
		}
	}
	if got := co.Owners("a/b.go"); !slices.Equal(got, []string{"@gopher"}) {
		t.Errorf("valid line before errors lost: %q", got)
	}
	if got := co.Owners("x.py"); !slices.Equal(got, []string{"@org/py-team", "@snake"}) {
		t.Errorf("valid line after errors lost: %q", got)
	}
	if got := co.Owners("x.rb"); got != nil {
		t.Errorf("skipped line still applies: %q", got)
	}
}

func TestCodeOwnersNil(t *testing.T) {
	t.Parallel()
	var co *Codeowners
	if co.Owners("a") != nil {
		t.Error("nil Codeowners owns files")
	}
}
