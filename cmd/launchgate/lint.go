package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/launchgate/launchgate/internal/plural"
	"github.com/launchgate/launchgate/internal/policy"
)

func runLint(args []string, stdout, stderr io.Writer) int {
	positional, code, ok := parseArgs("policy lint", flag.NewFlagSet("policy lint", flag.ContinueOnError), args, stdout, stderr)
	if !ok {
		return code
	}
	if len(positional) != 1 {
		return usageError(stderr, "policy lint", "one FILE expected, got %d arguments", len(positional))
	}
	file := positional[0]
	data, err := readPolicyFile(file)
	if err != nil {
		fmt.Fprintf(stderr, "launchgate policy lint: %v\n", err)
		return 2
	}
	p, err := policy.Parse(file, data)
	var perrs policy.Errors
	switch {
	case errors.As(err, &perrs):
		for _, e := range perrs {
			fmt.Fprintln(stdout, e.Error())
		}
		fmt.Fprintln(stdout, plural.Count(len(perrs), "error", "errors"))
		return 1
	case err != nil:
		fmt.Fprintf(stderr, "launchgate policy lint: %v\n", err)
		return 2
	}
	checks := 0
	for _, r := range p.Requirements {
		checks += len(r.Checks)
	}
	fmt.Fprintf(stdout, "%s: ok (%s, %s, teams: %v)\n", file,
		plural.Count(len(p.Requirements), "requirement", "requirements"), plural.Count(checks, "check", "checks"), p.Teams())
	return 0
}
