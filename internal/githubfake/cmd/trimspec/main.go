// Command trimspec writes the trimmed copy of GitHub's REST OpenAPI
// description that the fake GitHub validates requests against. It keeps the
// operations of openapitrim.ServedPaths with their $ref closure and stubs the
// rest (see package openapitrim).
//
//	go run ./internal/githubfake/cmd/trimspec -in api.github.com.json -out FILE.json.gz
//
// -in defaults to $GITHUB_OPENAPI_PATH: the full description, the file
// generated/api.github.com.json of the npm package @octokit/openapi (see
// internal/githubfake/testdata/openapi/SOURCE.md). The output is indented
// JSON, gzipped (with no timestamp) when its name ends in .gz; the same
// input always gives the same bytes.
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/reviewpolicy/reviewpolicy/internal/githubfake/openapitrim"
)

func main() {
	if err := run(os.Args[1:], os.Getenv, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "trimspec:", err)
		os.Exit(1)
	}
}

func run(args []string, getenv func(string) string, stderr io.Writer) error {
	fs := flag.NewFlagSet("trimspec", flag.ContinueOnError)
	fs.SetOutput(stderr)
	in := fs.String("in", getenv("GITHUB_OPENAPI_PATH"), "the full description (default $GITHUB_OPENAPI_PATH)")
	out := fs.String("out", "", "where to write the trimmed description (.gz: gzipped)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *in == "" || *out == "" {
		return errors.New("-in (or $GITHUB_OPENAPI_PATH) and -out are required")
	}
	full, err := os.ReadFile(*in)
	if err != nil {
		return err
	}
	trimmed, err := openapitrim.Trim(full)
	if err != nil {
		return err
	}
	// Indented, so that a change to ServedPaths shows as a readable diff.
	var indented bytes.Buffer
	if err := json.Indent(&indented, trimmed, "", " "); err != nil {
		return err
	}
	trimmed = append(indented.Bytes(), '\n')
	if strings.HasSuffix(*out, ".gz") {
		if trimmed, err = gzipBytes(trimmed); err != nil {
			return err
		}
	}
	if err := os.WriteFile(*out, trimmed, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "trimspec: %s: %d bytes in, %d bytes written to %s\n", *in, len(full), len(trimmed), *out)
	return nil
}

func gzipBytes(data []byte) ([]byte, error) {
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(data); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
