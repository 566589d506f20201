package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/rs/zerolog"

	"github.com/launchgate/launchgate/internal/githubapi"
	"github.com/launchgate/launchgate/internal/server"
)

const (
	// doctorMaxRepos bounds the repositories doctor asks about; an
	// installation with more is reported as cut.
	doctorMaxRepos = 10_000
	doctorTimeout  = 10 * time.Minute
)

// runDoctor is `launchgate doctor --org ORG`: whether each repository the
// App is installed on in ORG requires the check on its default branch.
func runDoctor(args []string, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("doctor", flag.ContinueOnError)
	configPath := fset.String("config", "", "configuration file (YAML), as for serve")
	org := fset.String("org", "", "the organisation whose installed repositories to check")
	positional, code, ok := parseArgs("doctor", fset, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(positional) > 0 {
		return usageError(stderr, "doctor", "takes no arguments, got %q", positional)
	}
	if *org == "" {
		return usageError(stderr, "doctor", "--org is required")
	}
	cfg, err := server.LoadConfig(*configPath)
	if err != nil {
		fmt.Fprintf(stderr, "launchgate doctor: %v\n", err)
		return 2
	}
	gh, err := server.NewGitHubClient(cfg, zerolog.Nop())
	if err != nil {
		fmt.Fprintf(stderr, "launchgate doctor: %v\n", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), doctorTimeout)
	defer cancel()
	allRequired, err := doctor(ctx, gh, *org, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "launchgate doctor: %v\n", err)
		return 2
	}
	if !allRequired {
		return 1
	}
	return 0
}

// doctor prints, for each repository of the App's installation on org,
// whether its default branch requires the check, one line each, and
// reports whether every one does. A repository whose answer cannot be read
// is printed as "could not tell" with the error, and counts as not
// requiring it.
func doctor(ctx context.Context, gh *githubapi.Client, org string, out io.Writer) (allRequired bool, err error) {
	inst, err := gh.OrgInstallation(ctx, org)
	if err != nil {
		return false, err
	}
	repos, more, err := gh.InstallationRepos(ctx, inst, doctorMaxRepos)
	if err != nil {
		return false, err
	}
	allRequired = !more
	for _, r := range repos {
		req, err := gh.RequiredCheck(ctx, inst, r.Owner, r.Name, r.DefaultBranch, server.CheckName)
		if err != nil {
			req = githubapi.RequiredCheck{State: githubapi.RequiredUnknown, Why: err.Error()}
		}
		if req.State != githubapi.Required {
			allRequired = false
		}
		fmt.Fprintf(out, "%s/%s (%s): %s: %s\n", r.Owner, r.Name, r.DefaultBranch, req.State, req.Why)
	}
	if more {
		fmt.Fprintf(out, "only the first %d repositories were checked\n", doctorMaxRepos)
	}
	fmt.Fprintf(out, "%d repositories; %q required on every default branch: %v\n", len(repos), server.CheckName, allRequired)
	return allRequired, nil
}
