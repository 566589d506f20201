package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// command is one subcommand as its help page describes it. README's command
// table states the same facts.
type command struct {
	name     string // as typed after "launchgate": "check", "policy lint"
	synopsis string // what follows the name: flags and arguments
	summary  string // one line, for the command list
	about    string // what it does and what its arguments mean
	exits    string // its exit codes
	example  string
}

var commands = []command{
	{
		name:     "check",
		synopsis: "[--policy FILE] [--format text|json|markdown] [--waivers FILE] [DIR]",
		summary:  "Evaluate a repository against the policy.",
		about: `Evaluates DIR (default .) against the policy and prints, per requirement,
what passed, what failed with file, line and how to fix it, and the human
sign-offs and approvals still pending. The policy is --policy FILE, else
DIR/.github/launchgate.yml when present, else the embedded default.
A symbolic link in DIR is not followed: reading it fails, as it does when
the App reads the repository from git. --waivers FILE applies the waivers
listed there (YAML or JSON: check, until, reason, by) as the launch PR
would; who gave them cannot be checked locally, so they are marked
unverified.`,
		exits:   "0 no requirement fails, 1 one does, 2 usage error or unusable policy",
		example: "launchgate check --format markdown examples/ready-service",
	},
	{
		name:     "init",
		synopsis: "[DIR]",
		summary:  "Write the launch kit templates into DIR/launch/.",
		about: `Writes the launch kit, one document per requirement, into DIR/launch/
(DIR defaults to .), creating the directories that do not exist and saying
which. A file that exists is kept, never overwritten.`,
		exits:   "0 written, 2 usage error or a file that cannot be written",
		example: "launchgate init services/orders",
	},
	{
		name:     "policy lint",
		synopsis: "[--org-policy FILE] FILE",
		summary:  "Validate a policy file, every error with its line.",
		about: `Validates the policy FILE and prints every problem, one line each with its
line number, or a summary of the valid policy. With --org-policy, FILE is
also checked against the organisation policy's floor, as the App checks a
repository's policy: every item the organisation policy marks
enforced: true that FILE loosens is an error naming both files' lines.`,
		exits:   "0 valid, 1 invalid or below the floor, 2 usage error or unreadable file",
		example: "launchgate policy lint --org-policy ../.github/.github/launchgate.yml .github/launchgate.yml",
	},
	{
		name:     "owners",
		synopsis: "[--codeowners FILE] [--json] PATH...",
		summary:  "Show which CODEOWNERS rule owns each path.",
		about: `Prints the code owners of each PATH, as GitHub would assign them, with the
CODEOWNERS line that decided it, then the lines GitHub would skip as
invalid. Without --codeowners, run it at the root of a checkout: the file is
looked up in .github/, the root and docs/, in that order.`,
		exits:   "0 printed, 1 output could not be written, 2 usage error or unusable CODEOWNERS",
		example: "launchgate owners --json launch/security-review.md",
	},
	{
		name:     "records verify",
		synopsis: "--public-key FILE [RECORDS.jsonl]",
		summary:  "Verify the signatures of launch records.",
		about: `Reads launch records, one JSON line each, from RECORDS.jsonl (stdin
when none is given) and checks each one's Ed25519 signature with the PEM
public key FILE (the App serves it at GET /records/public-key). Prints one
line per record, "ok" or why it does not verify, then a count. A record
is the JSON in a launch record comment's collapsed block, byte for byte:
one changed, added or reformatted byte fails it.`,
		exits:   "0 every record verifies, 1 one does not or there were none, 2 usage error or unreadable key or file",
		example: "launchgate records verify --public-key records-public-key.pem records.jsonl",
	},
	{
		name:     "records export",
		synopsis: "--store URL [--since DATE] [--repo OWNER/NAME]",
		summary:  "Print the stored launch records as JSON lines.",
		about: `Prints the launch records kept in the store (serve's store.url:
sqlite:PATH or postgres://...), oldest merge first, one signed JSON line
each, byte for byte as signed: pipe them to "launchgate records verify".
--since keeps records merged on or after DATE (YYYY-MM-DD, UTC); --repo
keeps one repository's.`,
		exits:   "0 printed, 1 the store could not be read or the output written, 2 usage error or a store that cannot be opened",
		example: "launchgate records export --store sqlite:launchgate.db --since 2027-01-01 | launchgate records verify --public-key records-public-key.pem",
	},
	{
		name:     "serve",
		synopsis: "[--config FILE]",
		summary:  "Run the GitHub App (webhooks in, check runs out).",
		about: `Runs the GitHub App: receives GitHub's webhooks and posts the Production
readiness check run and the reviewer checklist. Settings come from the
YAML --config FILE and from the GITHUB_APP_* environment variables (see
README, "Configuration"); every problem is reported before it starts. Logs
are JSON lines on stdout. SIGTERM or SIGINT stops it gracefully.`,
		exits:   "0 stopped by a signal, 1 serving failed, 2 usage error or invalid configuration",
		example: "launchgate serve --config /etc/launchgate/config.yml",
	},
	{
		name:     "doctor",
		synopsis: "--org ORG [--config FILE]",
		summary:  "Say which installed repositories require the Production readiness check.",
		about: `Lists every repository of ORG the App is installed on, one line each, and
whether its default branch requires the Production readiness check:
required, not required, or could not tell, and why (a ruleset, classic
branch protection, or the read that failed). A check of that name pinned
to another App does not count. App credentials come from the
configuration, as for serve (--config FILE and the GITHUB_APP_*
variables).`,
		exits:   "0 every repository requires it, 1 one does not or could not tell, 2 usage error, invalid configuration or the repositories could not be listed",
		example: "launchgate doctor --org acme --config /etc/launchgate/config.yml",
	},
	{
		name:     "demo",
		synopsis: "[--record FILE] [--keep DIR] [--web ADDR]",
		summary:  "Play a launch PR's life against an in-memory GitHub.",
		about: `Starts the real App server and an in-memory GitHub in this process and
plays a launch pull request's life: opened with a half-written launch kit,
pushes that fix it, then approvals and checklist ticks, and the merge.
After each push it prints the check run: its summary and its failing
checks with their findings, in plain text; after the merge, the launch
record's summary. The last line is
"conclusion: <the final check run's conclusion>". No GitHub account needed.
--keep DIR writes the launch record public key to
DIR/records-public-key.pem and the records to DIR/records.jsonl, and
leaves the App's SQLite store at DIR/launchgate.db, so that
"launchgate records verify --public-key DIR/records-public-key.pem
DIR/records.jsonl" and "launchgate records export --store
sqlite:DIR/launchgate.db" can be run by hand.
--web ADDR (host:port, such as 127.0.0.1:8080) then opens two more launch
PRs (acme/payments#1, failing and waiting for every team; acme/orders#2,
waiting for infra) and serves the web pages on ADDR against the in-memory
GitHub, whose sign-in page stands in for GitHub's: it prints the board's
URL and a login to sign in with, and serves until interrupted (Ctrl-C).`,
		exits:   "0 played to the end (with --web: and stopped when interrupted), 1 the demo failed, 2 usage error, a --record FILE or --keep DIR that cannot be written, or a --web ADDR that cannot be listened on",
		example: "launchgate demo --keep demo-out",
	},
	{
		name:     "loadtest",
		synopsis: "[--events N] [--prs N] [--rate R] [--burst-events N] [--burst-prs N] [--in-process] [--report FILE]",
		summary:  "Load-test the App at 10x the expected peak, then a burst.",
		about: `Runs launchgate serve (this binary) in a child process against the GitHub
simulator in this one, plays the steady phase at --rate, then a burst sent
as fast as the App answers, checks every assertion and prints the report.`,
		exits:   "0 every assertion held, 1 one did not or the run failed, 2 usage error",
		example: "launchgate loadtest --report load.json",
	},
	{
		name:     "drill",
		synopsis: "[--events N] [--prs N] [--fault-events N] [--fault-prs N] [--report FILE]",
		summary:  "Recovery drill: kill the App mid-burst and time its repair.",
		about: `The automated recovery drill: SIGKILLs a launchgate serve process in the
middle of a burst, starts a new one, measures how long the reconciler takes
to repair every check run, then plays a phase of injected GitHub faults.`,
		exits:   "0 every check run was repaired in time, 1 not, or the run failed, 2 usage error",
		example: "launchgate drill --report drill.json",
	},
	{
		name:    "version",
		summary: "Print the version.",
		about:   "Prints launchgate's version, as stamped at build time.",
		exits:   "0",
		example: "launchgate version",
	},
	{
		name:     "help",
		synopsis: "[COMMAND]",
		summary:  "List the commands, or show COMMAND's help page.",
		about: `Without COMMAND, lists the commands. With one, prints its help page, as
"launchgate COMMAND --help" does.`,
		exits:   "0, 2 unknown command",
		example: "launchgate help check",
	},
}

func lookupCommand(name string) (command, bool) {
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// commandList is the overview `launchgate help` prints.
func commandList() string {
	var b strings.Builder
	b.WriteString("launchgate decides whether a service is production ready.\n\nUsage:\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "  %s\n      %s\n", strings.TrimSpace("launchgate "+c.name+" "+c.synopsis), c.summary)
	}
	b.WriteString("\nFlags may come before or after the arguments; -- ends them.\n" +
		"Run \"launchgate help COMMAND\" for a command's flags, exit codes and an example.\n")
	return b.String()
}

// parseArgs parses a command's arguments with its flags allowed anywhere
// among them, as git, kubectl and go accept them; "--" ends the flags. It
// returns the positional arguments, or ok false with the exit code when
// the command must stop: 0 after printing the help page that -h or --help
// asked for, 2 after a flag error.
func parseArgs(name string, fset *flag.FlagSet, args []string, stdout, stderr io.Writer) (positional []string, code int, ok bool) {
	cmd, found := lookupCommand(name)
	if !found {
		panic("parseArgs: no help page for command " + name)
	}
	fset.SetOutput(stderr)
	// Both help and errors are printed below: help to stdout.
	fset.Usage = func() {}
	flagArgs, positional := splitArgs(fset, args)
	if err := fset.Parse(flagArgs); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			writeHelp(stdout, cmd, fset)
			return nil, 0, false
		}
		// flag has printed the error.
		printUsage(stderr, cmd)
		return nil, 2, false
	}
	return positional, 0, true
}

// splitArgs separates flags, with their values, from positional arguments.
// A flag's value is the next argument unless the flag is boolean or
// written as -name=value. An undefined flag is kept with the flags, for
// fset.Parse to report.
func splitArgs(fset *flag.FlagSet, args []string) (flagArgs, positional []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return flagArgs, append(positional, args[i+1:]...)
		}
		if len(a) < 2 || a[0] != '-' {
			positional = append(positional, a)
			continue
		}
		flagArgs = append(flagArgs, a)
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		f := fset.Lookup(name)
		if hasValue || f == nil || isBoolFlag(f) || i+1 == len(args) {
			continue
		}
		i++
		flagArgs = append(flagArgs, args[i])
	}
	return flagArgs, positional
}

func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// usageError reports a wrong command line and returns its exit code, 2.
func usageError(stderr io.Writer, name, format string, args ...any) int {
	fmt.Fprintf(stderr, "launchgate %s: %s\n", name, fmt.Sprintf(format, args...))
	cmd, _ := lookupCommand(name)
	printUsage(stderr, cmd)
	return 2
}

func printUsage(w io.Writer, cmd command) {
	fmt.Fprintf(w, "usage: %s\nRun \"launchgate help %s\" for more.\n", strings.TrimSpace("launchgate "+cmd.name+" "+cmd.synopsis), cmd.name)
}

// writeHelp prints cmd's help page: usage, what it does, its flags with
// their defaults, exit codes and an example.
func writeHelp(w io.Writer, cmd command, fset *flag.FlagSet) {
	fmt.Fprintf(w, "usage: %s\n\n%s\n", strings.TrimSpace("launchgate "+cmd.name+" "+cmd.synopsis), cmd.about)
	hasFlags := false
	fset.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		fmt.Fprintln(w, "\nFlags (before or after the arguments; -- ends them):")
		out := fset.Output()
		fset.SetOutput(w)
		fset.PrintDefaults()
		fset.SetOutput(out)
	}
	fmt.Fprintf(w, "\nExit codes: %s.\n\nExample:\n  %s\n", cmd.exits, cmd.example)
}
