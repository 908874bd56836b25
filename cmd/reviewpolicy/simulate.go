package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/palantir/go-githubapp/githubapp"

	"github.com/reviewpolicy/reviewpolicy/config"
	"github.com/reviewpolicy/reviewpolicy/githubapi"
	"github.com/reviewpolicy/reviewpolicy/policy"
	"github.com/reviewpolicy/reviewpolicy/simulate"
)

// maxLast bounds --last: each pull request costs a few requests cold.
const maxLast = 1000

// requestTimeout bounds each request the command makes.
const requestTimeout = 30 * time.Second

// simulateFlags are the command's options.
type simulateFlags struct {
	config, repo, policy, against, format, out, cache string
	last                                              int
}

// simulateCmd replays a repository's last closed pull requests under the
// policy in force and a proposed one, reading GitHub as the app.
func simulateCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f simulateFlags
	fs.StringVar(&f.config, "config", "", "server configuration (YAML): the app's credentials and GitHub's URLs")
	fs.StringVar(&f.repo, "repo", "", "the repository, owner/name")
	fs.StringVar(&f.policy, "policy", "", "the proposed policy file")
	fs.StringVar(&f.against, "against", "", "the policy to compare with (default: the one in force on the default branch)")
	fs.IntVar(&f.last, "last", 100, "how many of the last closed pull requests to replay")
	fs.StringVar(&f.format, "format", simulate.FormatText, "text, json or html")
	fs.StringVar(&f.out, "out", "", "write the report to this file (default: standard output)")
	fs.StringVar(&f.cache, "cache", "", "answer cache directory (default: $XDG_CACHE_HOME/reviewpolicy/simulate)")
	if err := fs.Parse(args); err != nil {
		return exitError{2}
	}
	if err := f.check(); err != nil {
		fmt.Fprintf(stderr, "simulate: %v\n", err)
		return exitError{2}
	}
	rep, err := runSimulation(ctx, f, getenv)
	if err != nil {
		return fmt.Errorf("simulate: %w", err)
	}
	var buf bytes.Buffer
	if err := simulate.Write(&buf, rep, f.format); err != nil {
		return fmt.Errorf("simulate: %w", err)
	}
	if f.out == "" {
		_, err = stdout.Write(buf.Bytes())
		return err
	}
	return os.WriteFile(f.out, buf.Bytes(), 0o644)
}

func (f simulateFlags) check() error {
	owner, name, ok := strings.Cut(f.repo, "/")
	switch {
	case f.config == "":
		return fmt.Errorf("--config is required (the server's configuration, for the app's credentials)")
	case !ok || owner == "" || name == "" || strings.Contains(name, "/"):
		return fmt.Errorf("--repo must be owner/name, got %q", f.repo)
	case f.policy == "":
		return fmt.Errorf("--policy is required")
	case f.last < 1 || f.last > maxLast:
		return fmt.Errorf("--last must be between 1 and %d", maxLast)
	}
	switch f.format {
	case simulate.FormatText, simulate.FormatJSON, simulate.FormatHTML:
		return nil
	}
	return fmt.Errorf("--format must be text, json or html, got %q", f.format)
}

func runSimulation(ctx context.Context, f simulateFlags, getenv func(string) string) (simulate.Report, error) {
	proposed, err := localPolicy(f.policy)
	if err != nil {
		return simulate.Report{}, err
	}
	cfg, err := config.Load(f.config, getenv)
	if err != nil {
		return simulate.Report{}, err
	}
	// A request that hangs must not hang the command (serve bounds its
	// requests by the job's context instead).
	clients, err := githubapp.NewDefaultCachingClientCreator(cfg.GitHubApp(),
		githubapp.WithClientUserAgent("reviewpolicy/"+buildVersion()), githubapp.WithClientTimeout(requestTimeout))
	if err != nil {
		return simulate.Report{}, fmt.Errorf("github clients: %w", err)
	}
	owner, name, _ := strings.Cut(f.repo, "/")
	api := githubapi.New(clients, cfg.GitHub.App.IntegrationID, nil, time.Now)
	repo, branch, err := api.RepoInstallation(ctx, owner, name)
	if err != nil {
		return simulate.Report{}, err
	}
	current, source, err := againstPolicy(ctx, repo, branch, f.against)
	if err != nil {
		return simulate.Report{}, err
	}
	prop, err := resolveOrg(ctx, repo, proposed)
	if err != nil {
		return simulate.Report{}, err
	}
	g := &simulate.Gatherer{Repo: repo, Cache: &simulate.DiskCache{Dir: cacheDir(f.cache, getenv)}}
	h, err := g.History(ctx, f.last, current, prop)
	if err != nil {
		return simulate.Report{}, err
	}
	return simulate.Replay(h, current, prop, source, f.policy), nil
}

// localPolicy parses a policy file on disk; its errors carry line:column.
func localPolicy(path string) (*policy.File, error) {
	data, err := readPolicy(path)
	if err != nil {
		return nil, err
	}
	return policy.ParseFile(path, data)
}

// againstPolicy is the policy to compare with: the file given, or the one
// in force on the default branch (the organisation default without one).
func againstPolicy(ctx context.Context, repo *githubapi.Repo, branch, path string) (*policy.Policy, string, error) {
	if path != "" {
		file, err := localPolicy(path)
		if err != nil {
			return nil, "", err
		}
		p, err := resolveOrg(ctx, repo, file)
		return p, path, err
	}
	source := fmt.Sprintf("%s on %s of %s", policy.FileName, branch, repo)
	text, _, found, err := repo.File(ctx, repo.Owner, repo.Name, policy.FileName, branch)
	if err != nil {
		return nil, "", err
	}
	if !found {
		org, err := orgPolicy(ctx, repo)
		return org, "the organisation default", err
	}
	file, err := policy.ParseFile(source, []byte(text))
	if err != nil {
		return nil, "", fmt.Errorf("the policy in force is invalid (give --against): %w", err)
	}
	p, err := resolveOrg(ctx, repo, file)
	return p, source, err
}

// resolveOrg applies "extends: org" with the organisation default.
func resolveOrg(ctx context.Context, repo *githubapi.Repo, file *policy.File) (*policy.Policy, error) {
	if file.Policy.Extends != "org" {
		return file.Policy, nil
	}
	org, err := orgPolicy(ctx, repo)
	if err != nil {
		return nil, err
	}
	return policy.Resolve(file, org), nil
}

func orgPolicy(ctx context.Context, repo *githubapi.Repo) (*policy.Policy, error) {
	text, _, found, err := repo.File(ctx, repo.Owner, ".github", policy.OrgFileName, "")
	if err != nil || !found {
		return nil, err
	}
	p, err := policy.Parse(repo.Owner+"/.github/"+policy.OrgFileName, []byte(text))
	if err != nil {
		return nil, fmt.Errorf("the organisation default is invalid: %w", err)
	}
	return p, nil
}

// cacheDir is --cache, or the user's cache directory.
func cacheDir(flagDir string, getenv func(string) string) string {
	switch {
	case flagDir != "":
		return flagDir
	case getenv("XDG_CACHE_HOME") != "":
		return filepath.Join(getenv("XDG_CACHE_HOME"), "reviewpolicy", "simulate")
	case getenv("HOME") != "":
		return filepath.Join(getenv("HOME"), ".cache", "reviewpolicy", "simulate")
	}
	return ""
}
