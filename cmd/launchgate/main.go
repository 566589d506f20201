// Command launchgate decides whether a service is production ready.
//
//	launchgate check [--policy FILE] [--format text|json|markdown] [DIR]
//	launchgate init [DIR]
//	launchgate policy lint [--org-policy FILE] FILE
//	launchgate owners [--codeowners FILE] [--json] PATH...
//	launchgate records export --store URL [--since DATE] [--repo OWNER/NAME]
//	launchgate records verify --public-key FILE [RECORDS.jsonl]
//	launchgate serve [--config FILE]
//	launchgate demo [--record FILE] [--keep DIR] [--web ADDR]
//	launchgate loadtest [flags]
//	launchgate drill [flags]
//	launchgate version
//	launchgate help [COMMAND]
//
// Each command's help page is in cli.go.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/launchgate/launchgate/internal/version"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, time.Now()))
}

// run dispatches a command line and returns the exit code. now is the
// evaluation time, passed in so tests are deterministic.
func run(args []string, stdout, stderr io.Writer, now time.Time) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, commandList())
		return 2
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "check":
		return runCheck(rest, stdout, stderr, now)
	case "init":
		return runInit(rest, stdout, stderr)
	case "policy":
		switch {
		case len(rest) > 0 && rest[0] == "lint":
			return runLint(rest[1:], stdout, stderr)
		case len(rest) > 0 && (rest[0] == "-h" || rest[0] == "--help" || rest[0] == "-help"):
			return runLint(rest, stdout, stderr)
		}
		return usageError(stderr, "policy lint", "policy has one subcommand, lint")
	case "owners":
		return runOwners(rest, stdout, stderr)
	case "records":
		return runRecords(rest, stdout, stderr)
	case "serve":
		return runServe(rest, stdout, stderr)
	case "doctor":
		return runDoctor(rest, stdout, stderr)
	case "demo":
		return runDemo(rest, stdout, stderr)
	case "loadtest":
		return runLoadtest(rest, stdout, stderr)
	case "drill":
		return runDrill(rest, stdout, stderr)
	case "version", "--version":
		return runVersion(rest, stdout, stderr)
	case "help", "-h", "--help", "-help":
		return runHelp(rest, stdout, stderr, now)
	default:
		fmt.Fprintf(stderr, "launchgate: unknown command %q\n\n%s", cmd, commandList())
		return 2
	}
}

func runVersion(args []string, stdout, stderr io.Writer) int {
	positional, code, ok := parseArgs("version", flag.NewFlagSet("version", flag.ContinueOnError), args, stdout, stderr)
	if !ok {
		return code
	}
	if len(positional) > 0 {
		return usageError(stderr, "version", "takes no arguments")
	}
	fmt.Fprintln(stdout, "launchgate", version.String())
	return 0
}

// runHelp is `launchgate help [COMMAND]`: a command's page is what
// `launchgate COMMAND --help` prints, so that the two cannot differ.
func runHelp(args []string, stdout, stderr io.Writer, now time.Time) int {
	if len(args) == 0 {
		fmt.Fprint(stdout, commandList())
		return 0
	}
	name := strings.Join(args, " ")
	switch name {
	case "policy":
		name = "policy lint"
	case "records":
		name = "records verify"
	case "-h", "-help", "--help":
		name = "help"
	}
	cmd, ok := lookupCommand(name)
	switch {
	case !ok:
		fmt.Fprintf(stderr, "launchgate help: unknown command %q\n\n%s", name, commandList())
		return 2
	case name == "help":
		writeHelp(stdout, cmd, flag.NewFlagSet(name, flag.ContinueOnError))
		return 0
	}
	return run(append(strings.Fields(name), "--help"), stdout, stderr, now)
}
