package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"github.com/launchgate/launchgate/templates"
)

// runInit writes the launch kit into DIR/launch/, never overwriting a file
// that exists: a team re-running init after writing half its kit loses
// nothing.
func runInit(args []string, stdout, stderr io.Writer) int {
	positional, code, ok := parseArgs("init", flag.NewFlagSet("init", flag.ContinueOnError), args, stdout, stderr)
	if !ok {
		return code
	}
	if len(positional) > 1 {
		return usageError(stderr, "init", "one DIR at most, got %d arguments", len(positional))
	}
	dir := "."
	if len(positional) == 1 {
		dir = positional[0]
	}
	names, err := fs.Glob(templates.Launch, "launch/*.md")
	if err != nil || len(names) == 0 {
		fmt.Fprintf(stderr, "launchgate init: no launch-kit templates in this build: %v\n", err)
		return 2
	}
	dest := filepath.Join(dir, "launch")
	created := missingDirs(dest)
	if err := os.MkdirAll(dest, 0o755); err != nil {
		fmt.Fprintf(stderr, "launchgate init: %v\n", err)
		return 2
	}
	// A mistyped DIR should not go unnoticed: say which directories are new.
	for _, d := range created {
		fmt.Fprintf(stdout, "created  %s%c\n", d, filepath.Separator)
	}
	for _, name := range names {
		data, err := fs.ReadFile(templates.Launch, name)
		if err != nil {
			fmt.Fprintf(stderr, "launchgate init: %v\n", err)
			return 2
		}
		target := filepath.Join(dest, path.Base(name))
		switch err := writeNew(target, data); {
		case errors.Is(err, fs.ErrExist):
			fmt.Fprintf(stdout, "kept     %s (exists)\n", target)
		case err != nil:
			fmt.Fprintf(stderr, "launchgate init: %v\n", err)
			return 2
		default:
			fmt.Fprintf(stdout, "created  %s\n", target)
		}
	}
	fmt.Fprintf(stdout, `
Next: fill in every section of the documents in %s. The comments and
<placeholders> in them say what to write; they do not count as content, so
the kit fails the check until each section is written. Then run:

  launchgate check %s
`, dest, dir)
	return 0
}

// missingDirs lists, outermost first, the directories of dir that do not
// exist yet.
func missingDirs(dir string) []string {
	var missing []string
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); !errors.Is(err, fs.ErrNotExist) {
			break
		}
		missing = append([]string{d}, missing...)
		if filepath.Dir(d) == d {
			break
		}
	}
	return missing
}

// missingKit lists the launch-kit documents init would write that are
// missing from dir.
func missingKit(dir string) []string {
	names, _ := fs.Glob(templates.Launch, "launch/*.md")
	var missing []string
	for _, name := range names {
		target := filepath.Join(dir, filepath.FromSlash(name))
		if _, err := os.Lstat(target); errors.Is(err, fs.ErrNotExist) {
			missing = append(missing, target)
		}
	}
	return missing
}

// writeNew creates a file that must not exist yet.
func writeNew(name string, data []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
