package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/reviewpolicy/reviewpolicy/policy"
)

// validate lints policy files offline; exit 1 with file:line:col lines.
// Its output is bounded per file (policy.ErrorList keeps the first errors
// and counts the rest), however hostile the file.
func validate(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		args = []string{policy.FileName}
	}
	failed := false
	for _, path := range args {
		data, err := readPolicy(path)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", path, err)
			failed = true
			continue
		}
		if _, err := policy.Parse(path, data); err != nil {
			var list policy.ErrorList
			if !errors.As(err, &list) {
				list = policy.ErrorList{{File: path, Msg: err.Error()}}
			}
			fmt.Fprintln(stderr, list.Error())
			failed = true
			continue
		}
		fmt.Fprintf(stdout, "%s: ok\n", path)
	}
	if failed {
		return exitError{1}
	}
	return nil
}

// readPolicy reads a policy file, refusing one over policy.MaxFileSize
// without reading the rest of it.
func readPolicy(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, policy.MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > policy.MaxFileSize {
		return nil, fmt.Errorf("file is over %d bytes (1 MiB), the most a policy file may be", policy.MaxFileSize)
	}
	return data, nil
}
