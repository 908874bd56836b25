package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `usage: reviewpolicy <command> [flags]

commands:
  serve --config FILE        run the webhook server
  validate [FILE...]         lint policy files (default .github/review-policy.yml)
  check --policy FILE --event PAYLOAD.json [--files FILES.json] [--reviews REVIEWS.json] [--template FILE]
                             evaluate a policy against a saved pull_request payload offline
  simulate --config FILE --repo OWNER/NAME --policy NEW.yml [--against CURRENT.yml] [--last 100]
           [--format text|json|html] [--out FILE] [--cache DIR]
                             replay the last closed pull requests under the policy in force and NEW.yml
  version                    print the version
`

// exitError carries an exit status without printing more (the command has
// already said what is wrong).
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func asExit(err error, target *exitError) bool { return errors.As(err, target) }

// run is the whole program; main only wires the process to it, so tests
// run the real thing in-process.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitError{2}
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], getenv, stdout, stderr)
	case "validate":
		return validate(args[1:], stdout, stderr)
	case "check":
		return checkCmd(args[1:], stdout, stderr)
	case "simulate":
		return simulateCmd(ctx, args[1:], getenv, stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintf(stdout, "reviewpolicy %s\n", buildVersion())
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprintf(stderr, "reviewpolicy: unknown command %q\n\n%s", args[0], usage)
	return exitError{2}
}

func buildVersion() string {
	if version != "dev" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return version
}
