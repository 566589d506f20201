// Package ci reads what a repository's CI runs, without running anything:
// the command lines of its pipelines (the steps of GitHub workflows, every
// line of other CI files), and the commands of the Makefile, justfile and
// Taskfile targets those lines invoke.
package ci

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/launchgate/launchgate/internal/inspect/glob"
	"github.com/launchgate/launchgate/internal/inspect/yamlnode"
)

// Command is one command line of CI configuration.
type Command struct {
	File string
	Line int
	Text string
	Dir  string // the directory it runs in, relative to the repository root
}

// Problem is a CI file whose commands are unknown: it could not be read,
// or does not parse.
type Problem struct {
	File string
	Line int    // of a syntax error; 0 when unknown
	What string // "CI file" when unreadable, "workflow" or "Taskfile" when it does not parse
	Err  error
}

// maxHops bounds how far task-runner targets are followed from a
// pipeline: pipeline -> target -> prerequisite or sub-make -> one more.
const maxHops = 3

// Pipelines lists the files matching globs that are pipelines: all but
// task runners such as a Makefile, which run nothing on their own. files
// are sorted, as a repository lists them.
func Pipelines(files, globs []string) []string {
	var out []string
	for _, g := range globs {
		out = append(out, glob.Filter(files, g)...)
	}
	if len(globs) > 1 {
		slices.Sort(out)
		out = slices.Compact(out)
	}
	return slices.DeleteFunc(out, func(f string) bool { return runnerKind(f) != "" })
}

// Commands reads every pipeline among files (sorted, as a repository
// lists them) and returns its command lines, followed by the commands of
// the task-runner targets they invoke, up to maxHops levels deep and only
// from runner files that match globs. read is called once per file read;
// what it cannot read, and what does not parse, are Problems.
func Commands(files, globs []string, read func(name string) ([]byte, error)) ([]Command, []Problem) {
	r := &reader{files: files, globs: compileGlobs(globs), read: read, runners: map[string]*taskRunner{}}
	var cmds []Command
	for _, name := range Pipelines(files, globs) {
		data, ok := r.readFile(name)
		if !ok {
			continue
		}
		if ok, _ := doublestar.Match(".github/workflows/*", name); ok {
			wf, err := workflowCommands(name, data)
			if err != nil {
				r.problems = append(r.problems, Problem{File: name, Line: yamlnode.SyntaxLine(err), What: "workflow", Err: fmt.Errorf("it does not parse: %w", err)})
				continue
			}
			cmds = append(cmds, wf...)
			continue
		}
		cmds = append(cmds, textCommands(name, 1, string(data), "")...)
	}
	seen := map[string]bool{}
	frontier := cmds
	for hop := 0; hop < maxHops && len(frontier) > 0; hop++ {
		var next []Command
		for _, cmd := range frontier {
			next = append(next, r.invokedTargets(cmd, seen)...)
		}
		cmds = append(cmds, next...)
		frontier = next
	}
	return cmds, r.problems
}

// reader reads the CI files of one Commands call.
type reader struct {
	files    []string
	globs    anyGlob
	read     func(name string) ([]byte, error)
	runners  map[string]*taskRunner // by file, parsed on first use
	problems []Problem
}

func (r *reader) readFile(name string) ([]byte, bool) {
	data, err := r.read(name)
	if err != nil {
		r.problems = append(r.problems, Problem{File: name, What: "CI file", Err: err})
		return nil, false
	}
	return data, true
}

func (r *reader) hasFile(name string) bool {
	_, ok := slices.BinarySearch(r.files, name)
	return ok
}

// anyGlob matches paths against several globs, each prepared once for the
// repository's many files.
type anyGlob []*glob.Pattern

func compileGlobs(globs []string) anyGlob {
	out := make(anyGlob, len(globs))
	for i, g := range globs {
		out[i] = glob.Compile(g)
	}
	return out
}

func (g anyGlob) match(name string) bool {
	return slices.ContainsFunc(g, func(p *glob.Pattern) bool { return p.Match(name) })
}

// runnerKind tells a task runner's file by its name: "make", "just",
// "task", or "" for anything else.
func runnerKind(name string) string {
	base := path.Base(name)
	switch {
	case base == "Makefile" || base == "makefile" || base == "GNUmakefile" || strings.HasSuffix(base, ".mk"):
		return "make"
	case strings.EqualFold(base, "justfile") || base == ".justfile":
		return "just"
	case strings.EqualFold(base, "Taskfile.yml") || strings.EqualFold(base, "Taskfile.yaml"):
		return "task"
	}
	return ""
}
