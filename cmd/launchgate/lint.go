package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/launchgate/launchgate/internal/policy"
)

func runLint(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "usage: launchgate policy lint FILE")
		return 2
	}
	data, err := readPolicyFile(args[0])
	if err != nil {
		fmt.Fprintf(stderr, "launchgate policy lint: %v\n", err)
		return 2
	}
	p, err := policy.Parse(args[0], data)
	var perrs policy.Errors
	switch {
	case errors.As(err, &perrs):
		for _, e := range perrs {
			fmt.Fprintln(stdout, e.Error())
		}
		fmt.Fprintf(stdout, "%d error(s)\n", len(perrs))
		return 1
	case err != nil:
		fmt.Fprintf(stderr, "launchgate policy lint: %v\n", err)
		return 2
	}
	checks := 0
	for _, r := range p.Requirements {
		checks += len(r.Checks)
	}
	fmt.Fprintf(stdout, "%s: ok (%d requirements, %d checks, teams: %v)\n", args[0], len(p.Requirements), checks, p.Teams())
	return 0
}
