package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/launchgate/launchgate/internal/policy"
	"github.com/launchgate/launchgate/internal/readiness"
	"github.com/launchgate/launchgate/internal/repofs"
	"github.com/launchgate/launchgate/internal/report"
)

// repoPolicyPath is where a repository keeps its own policy.
const repoPolicyPath = ".github/launchgate.yml"

func runCheck(args []string, stdout, stderr io.Writer, now time.Time) int {
	fset := flag.NewFlagSet("check", flag.ContinueOnError)
	policyFile := fset.String("policy", "", "policy file (default: DIR/"+repoPolicyPath+" if present, else the embedded default)")
	format := fset.String("format", "text", "output format: text, json or markdown")
	waiversFile := fset.String("waivers", "", "apply the waivers listed in FILE (YAML or JSON: check, until, reason, by) as the launch PR would, unverified")
	positional, code, ok := parseArgs("check", fset, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(positional) > 1 {
		return usageError(stderr, "check", "one DIR at most, got %d arguments", len(positional))
	}
	dir := "."
	if len(positional) == 1 {
		dir = positional[0]
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		fmt.Fprintf(stderr, "launchgate check: %s is not a directory\n", dir)
		return 2
	}
	// A directory that cannot be listed is said so here, before the
	// policy lookup inside it would fail and blame the policy.
	if _, err := os.ReadDir(dir); err != nil {
		fmt.Fprintf(stderr, "launchgate check: cannot list %s: %v\n", dir, err)
		return 2
	}
	if *format != "text" && *format != "json" && *format != "markdown" {
		fmt.Fprintf(stderr, "launchgate check: unknown format %q (use text, json or markdown)\n", *format)
		return 2
	}
	pol, err := loadPolicy(*policyFile, dir)
	if err != nil {
		fmt.Fprintf(stderr, "launchgate check: the policy cannot be used:\n%v\n", err)
		return 2
	}
	snap := readiness.Snapshot{FS: repofs.Dir(dir)}
	if *waiversFile != "" {
		waivers, refused, err := loadWaivers(*waiversFile, pol, now)
		if err != nil {
			fmt.Fprintf(stderr, "launchgate check: the waivers cannot be used:\n%v\n", err)
			return 2
		}
		for _, r := range refused {
			fmt.Fprintf(stderr, "launchgate check: %s\n", r)
		}
		// stderr, so that --format json stays a report alone.
		fmt.Fprintf(stderr, "launchgate check: %d waivers from %s applied, unverified locally: only the App can check that "+
			"each was given by an active member of an allowed team, not the PR's author, on the PR\n", len(waivers), *waiversFile)
		snap.Waivers = waivers
	}
	// As the App reads a pull request from git, symbolic links are not
	// followed.
	rep := readiness.Evaluate(pol, snap, now)
	opts := report.Options{Dir: dir, PolicySource: pol.Source, KitMissing: len(missingKit(dir)) > 0}
	switch *format {
	case "json":
		err = report.JSON(stdout, rep)
	case "markdown":
		err = report.Markdown(stdout, rep, opts)
	default:
		err = report.Text(stdout, rep, opts)
	}
	if err != nil {
		fmt.Fprintf(stderr, "launchgate check: %v\n", err)
		return 2
	}
	for _, r := range rep.Requirements {
		if r.Status == readiness.Fail {
			return 1
		}
	}
	return 0
}

// loadPolicy reads the explicit policy file, else the directory's own
// policy, else the embedded default.
func loadPolicy(file, dir string) (*policy.Policy, error) {
	if file == "" {
		candidate := filepath.Join(dir, filepath.FromSlash(repoPolicyPath))
		if _, err := os.Stat(candidate); err == nil {
			file = candidate
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	if file == "" {
		return policy.Default()
	}
	data, err := readPolicyFile(file)
	if err != nil {
		return nil, err
	}
	return policy.Parse(file, data)
}

// readPolicyFile reads at most policy.MaxSize+1 bytes so that Parse can
// reject an oversized file without it all being read into memory.
func readPolicyFile(file string) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, policy.MaxSize+1))
}
