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
	fset := flag.NewFlagSet("policy lint", flag.ContinueOnError)
	orgFile := fset.String("org-policy", "", "the organisation's policy, whose enforced items FILE may tighten but not loosen")
	positional, code, ok := parseArgs("policy lint", fset, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(positional) != 1 {
		return usageError(stderr, "policy lint", "one FILE expected, got %d arguments", len(positional))
	}
	file := positional[0]
	p, err := lintParse(file)
	if err == nil && *orgFile != "" {
		var org *policy.Policy
		if org, err = lintParse(*orgFile); err == nil {
			err = policy.CheckFloor(org, p)
		}
	}
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
	if *orgFile != "" {
		fmt.Fprintf(stdout, "%s: keeps the floor of %s\n", file, *orgFile)
	}
	return 0
}

// lintParse reads and parses the policy file; an unreadable file is an
// error of its own, a broken one policy.Errors.
func lintParse(file string) (*policy.Policy, error) {
	data, err := readPolicyFile(file)
	if err != nil {
		return nil, err
	}
	return policy.Parse(file, data)
}
