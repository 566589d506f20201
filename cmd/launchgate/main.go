// Command launchgate decides whether a service is production ready.
//
//	launchgate check [--policy FILE] [--format text|json|markdown] [DIR]
//	launchgate init [DIR]
//	launchgate policy lint FILE
//	launchgate owners [--codeowners FILE] [--json] PATH...
//	launchgate serve --config FILE
//	launchgate demo [--record FILE]
//	launchgate loadtest [flags]
//	launchgate drill [flags]
//	launchgate version
package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/launchgate/launchgate/internal/version"
)

const usage = `launchgate decides whether a service is production ready.

Usage:
  launchgate check [--policy FILE] [--format text|json|markdown] [DIR]
      Evaluate DIR (default .) against the policy. Exit 0 when no
      requirement fails, 1 when one does, 2 on usage or policy errors.
  launchgate init [DIR]
      Write the launch kit templates into DIR/launch/ (never overwrites).
  launchgate policy lint FILE
      Validate a policy file; report each error with its line.
  launchgate owners [--codeowners FILE] [--json] PATH...
      Show which CODEOWNERS rule owns each path.
  launchgate serve --config FILE
      Run the GitHub App (webhooks in, check runs out).
  launchgate demo [--record FILE]
      Play a launch PR's life against an in-process GitHub simulator.
  launchgate loadtest [flags]
      Load-test the real server against the simulator at 10x the expected
      peak and write a report (see --help).
  launchgate drill [flags]
      Recovery drill: SIGKILL a server mid-burst, start a new one, and
      measure how long the reconciler takes to repair every check run.
  launchgate version
      Print the version.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, time.Now()))
}

// run dispatches a command line and returns the exit code. now is the
// evaluation time, passed in so tests are deterministic.
func run(args []string, stdout, stderr io.Writer, now time.Time) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "check":
		return runCheck(rest, stdout, stderr, now)
	case "init":
		return runInit(rest, stdout, stderr)
	case "policy":
		if len(rest) == 0 || rest[0] != "lint" {
			fmt.Fprintln(stderr, "usage: launchgate policy lint FILE")
			return 2
		}
		return runLint(rest[1:], stdout, stderr)
	case "owners":
		return runOwners(rest, stdout, stderr)
	case "serve":
		return runServe(rest, stdout, stderr)
	case "demo":
		return runDemo(rest, stdout, stderr)
	case "loadtest":
		return runLoadtest(rest, stdout, stderr)
	case "drill":
		return runDrill(rest, stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "launchgate", version.String())
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "launchgate: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
}
