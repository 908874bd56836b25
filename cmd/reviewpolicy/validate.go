package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/reviewpolicy/reviewpolicy/policy"
)

// validate lints policy files offline; exit 1 with file:line:col lines.
func validate(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		args = []string{policy.FileName}
	}
	failed := false
	for _, path := range args {
		data, err := os.ReadFile(path)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", path, err)
			failed = true
			continue
		}
		if _, err := policy.Parse(path, data); err != nil {
			var list policy.ErrorList
			if errors.As(err, &list) {
				for _, e := range list {
					fmt.Fprintln(stderr, e.Error())
				}
			} else {
				fmt.Fprintf(stderr, "%s: %v\n", path, err)
			}
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
