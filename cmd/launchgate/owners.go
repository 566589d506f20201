package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/launchgate/launchgate/internal/codeowners"
)

// runOwners runs "launchgate owners"; args excludes "owners". It returns the
// exit code: 0 on success, 2 on a usage error or an unusable CODEOWNERS.
func runOwners(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("owners", flag.ContinueOnError)
	file := flags.String("codeowners", "", "read the CODEOWNERS `FILE` instead of looking for one")
	asJSON := flags.Bool("json", false, "print JSON instead of text")
	args, code, ok := parseArgs("owners", flags, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(args) == 0 {
		return usageError(stderr, "owners", "no PATH given")
	}
	paths := make([]string, len(args))
	for i, arg := range args {
		p, err := repoPath(arg)
		if err != nil {
			fmt.Fprintf(stderr, "launchgate owners: %v\n", err)
			return 2
		}
		paths[i] = p
	}

	co, err := loadCodeowners(*file)
	if err != nil {
		fmt.Fprintf(stderr, "launchgate owners: %v\n", err)
		return 2
	}
	if *asJSON {
		err = printOwnersJSON(stdout, co, paths)
	} else {
		err = printOwnersText(stdout, co, paths)
	}
	if err != nil {
		fmt.Fprintf(stderr, "launchgate owners: %v\n", err)
		return 1
	}
	return 0
}

// repoPath turns a path as typed ("./docs/a.md", "/docs/a.md") into the
// repository-relative slash path CODEOWNERS patterns are matched against.
func repoPath(arg string) (string, error) {
	p := path.Clean(strings.TrimLeft(filepath.ToSlash(arg), "/"))
	if p == "." || p == ".." || strings.HasPrefix(p, "../") {
		return "", fmt.Errorf("path %q does not name a file inside the repository", arg)
	}
	return p, nil
}

func loadCodeowners(name string) (*codeowners.File, error) {
	if name == "" {
		co, err := codeowners.Find(os.DirFS("."))
		if err == nil && co == nil {
			err = fmt.Errorf("no CODEOWNERS file in %s (run at the root of a checkout, or pass --codeowners FILE)",
				strings.Join(codeowners.Locations, ", "))
		}
		return co, err
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// Opening a directory succeeds; say so plainly rather than fail the read.
	if info, err := f.Stat(); err == nil && info.IsDir() {
		return nil, fmt.Errorf("%s is a directory, not a CODEOWNERS file", name)
	}
	return codeowners.Read(name, f)
}

func printOwnersText(w io.Writer, co *codeowners.File, paths []string) error {
	// Only the path column is aligned: owners lists vary too much in length
	// for a second column to help.
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, p := range paths {
		switch r := co.Match(p); {
		case r == nil:
			fmt.Fprintf(tw, "%s\tunowned (no rule matched)\n", p)
		case len(r.Owners) == 0:
			fmt.Fprintf(tw, "%s\tunowned (rule at line %d has no owners)\n", p, r.Line)
		default:
			owners := strings.Join(r.Owners, " ")
			fmt.Fprintf(tw, "%s\t%s  (%s:%d: %s %s)\n", p, owners, co.Path, r.Line, r.Pattern, owners)
		}
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	for _, inv := range co.Invalid {
		if _, err := fmt.Fprintf(w, "invalid line %d: %s\n", inv.Line, inv.Message); err != nil {
			return fmt.Errorf("write output: %w", err)
		}
	}
	return nil
}

type ownersReport struct {
	Paths   []pathOwners             `json:"paths"`
	Invalid []codeowners.InvalidLine `json:"invalid"`
}

type pathOwners struct {
	Path   string   `json:"path"`
	Owners []string `json:"owners"`
	Line   int      `json:"line"` // 0 when no rule matched
}

func printOwnersJSON(w io.Writer, co *codeowners.File, paths []string) error {
	// Empty lists print as [] rather than null, so consumers need no
	// special case.
	report := ownersReport{Paths: []pathOwners{}, Invalid: []codeowners.InvalidLine{}}
	report.Invalid = append(report.Invalid, co.Invalid...)
	for _, p := range paths {
		po := pathOwners{Path: p, Owners: []string{}}
		if r := co.Match(p); r != nil {
			po.Owners = append(po.Owners, r.Owners...)
			po.Line = r.Line
		}
		report.Paths = append(report.Paths, po)
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(report); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}
