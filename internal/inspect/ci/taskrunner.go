package ci

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/launchgate/launchgate/internal/inspect/yamlnode"
)

// taskRunner is a parsed Makefile, justfile or Taskfile.
type taskRunner struct {
	targets map[string]*taskTarget
	first   string // the default target
}

type taskTarget struct {
	deps []string
	cmds []Command
}

// runnerFiles are the files each runner looks for, in its order, when no
// file is given.
var runnerFiles = map[string][]string{
	"make": {"GNUmakefile", "makefile", "Makefile"},
	"just": {"justfile", "Justfile", ".justfile"},
	"task": {"Taskfile.yml", "taskfile.yml", "Taskfile.yaml", "taskfile.yaml"},
}

// invokedTargets returns the commands of the task-runner targets a
// command invokes (make, just or task), each target once.
func (r *reader) invokedTargets(cmd Command, seen map[string]bool) []Command {
	var out []Command
	for _, seg := range cmd.Segments() {
		kind, dir, file, targets := invocation(seg)
		if kind == "" {
			continue
		}
		if file == "" {
			for _, name := range runnerFiles[kind] {
				if candidate := path.Join(dir, name); r.hasFile(candidate) {
					file = candidate
					break
				}
			}
		}
		if file == "" || !r.globs.match(file) {
			continue // not CI configuration the policy lets the check read
		}
		tr := r.runner(kind, file)
		if tr == nil {
			continue
		}
		if len(targets) == 0 {
			targets = []string{tr.first}
		}
		for _, name := range targets {
			t := tr.targets[name]
			if t == nil || seen[file+"\x00"+name] {
				continue
			}
			seen[file+"\x00"+name] = true
			out = append(out, t.cmds...)
			// Prerequisites run as part of the target.
			for _, d := range t.deps {
				if dt := tr.targets[d]; dt != nil && !seen[file+"\x00"+d] {
					seen[file+"\x00"+d] = true
					out = append(out, dt.cmds...)
				}
			}
		}
	}
	return out
}

// runner parses a task-runner file on first use; nil when it cannot be
// read or parsed (reported as a problem).
func (r *reader) runner(kind, file string) *taskRunner {
	if tr, ok := r.runners[file]; ok {
		return tr
	}
	r.runners[file] = nil
	data, ok := r.readFile(file)
	if !ok {
		return nil
	}
	var tr *taskRunner
	var err error
	if kind == "task" {
		tr, err = parseTaskfile(file, data)
	} else {
		tr = parseRecipes(file, data, kind == "make")
	}
	if err != nil {
		r.problems = append(r.problems, Problem{File: file, Line: yamlnode.SyntaxLine(err), What: "Taskfile", Err: fmt.Errorf("it does not parse: %w", err)})
		return nil
	}
	r.runners[file] = tr
	return tr
}

// invocation recognises "make [-C dir] [-f file] targets", "just
// [-f file] recipes" and "task [-d dir] [-t file] tasks" in a segment. file
// is "" when the runner looks for its default file in dir.
func invocation(seg Segment) (kind, dir, file string, targets []string) {
	i := slices.IndexFunc(seg.Words, func(s string) bool {
		b := path.Base(s)
		return b == "make" || b == "gmake" || s == "$(MAKE)" || s == "${MAKE}" || b == "just" || b == "task"
	})
	if i < 0 {
		return "", "", "", nil
	}
	switch b := path.Base(seg.Words[i]); b {
	case "just", "task":
		kind = b
	default:
		kind = "make"
	}
	// The flags that take a value, and which of them name the directory
	// or the file.
	valueFlags := map[string]map[string]string{
		"make": {"-C": "dir", "--directory": "dir", "-f": "file", "--file": "file", "--makefile": "file", "-I": "", "-o": "", "-W": ""},
		"just": {"-f": "file", "--justfile": "file", "-d": "dir", "--working-directory": "dir"},
		"task": {"-d": "dir", "--dir": "dir", "-t": "file", "--taskfile": "file"},
	}[kind]
	dir = seg.Dir
	args := seg.Words[i+1:]
	for j := 0; j < len(args); j++ {
		a := args[j]
		flag, val, hasVal := strings.Cut(a, "=")
		role, takesValue := valueFlags[flag]
		switch {
		case takesValue:
			if !hasVal && j+1 < len(args) {
				j++
				val = args[j]
			}
			switch role {
			case "dir":
				dir = path.Join(dir, val)
			case "file":
				file = val
			}
		case strings.HasPrefix(a, "-") || hasVal:
			// another flag, or a variable assignment
		default:
			targets = append(targets, a)
		}
	}
	if file != "" {
		file = path.Join(dir, file)
	}
	return kind, dir, file, targets
}

var (
	makeVarPattern = regexp.MustCompile(`^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*(\?=|::=|:=|\+=|=)\s*(.*)$`)
	makeRefPattern = regexp.MustCompile(`\$[({]([A-Za-z_][A-Za-z0-9_.-]*)[)}]`)
)

// parseRecipes reads the targets of a Makefile or the recipes of a
// justfile, which share a shape: "name [more names or params]: deps" at
// the start of a line, then indented command lines. Make's $(VAR) and
// ${VAR} are expanded from the file's own assignments, so "k6 run
// $(SCRIPT)" names the script; the environment and other files are not
// consulted.
func parseRecipes(file string, data []byte, isMake bool) *taskRunner {
	tr := &taskRunner{targets: map[string]*taskTarget{}}
	dir := path.Dir(file)
	vars := map[string]string{}
	var current []*taskTarget
	for _, l := range logicalLines(string(data)) {
		line, start := l.text, l.index
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if line[0] == '\t' || line[0] == ' ' {
			text := strings.TrimLeft(trimmed, "@-+")
			for _, t := range current {
				t.cmds = append(t.cmds, Command{File: file, Line: start + 1, Text: text, Dir: dir})
			}
			continue
		}
		current = nil
		if m := makeVarPattern.FindStringSubmatch(line); m != nil {
			if m[2] == "+=" && vars[m[1]] != "" {
				vars[m[1]] += " " + m[3]
			} else {
				vars[m[1]] = m[3]
			}
			continue
		}
		head, rest, ok := strings.Cut(line, ":")
		if !ok || strings.HasPrefix(rest, "=") {
			continue
		}
		rest = strings.TrimPrefix(rest, ":")              // make's double-colon rules
		rest, inline, hasInline := strings.Cut(rest, ";") // "target: deps; command"
		names := strings.Fields(head)                     // for just, the name and its parameters
		var deps []string
		for _, d := range strings.Fields(rest) {
			if d = strings.Trim(d, "()"); d != "" && d != "|" {
				deps = append(deps, d)
			}
		}
		for _, name := range names {
			name = strings.TrimPrefix(name, "@")
			t := tr.targets[name]
			if t == nil {
				t = &taskTarget{}
				tr.targets[name] = t
			}
			t.deps = append(t.deps, deps...)
			if hasInline {
				t.cmds = append(t.cmds, Command{File: file, Line: start + 1, Text: strings.TrimSpace(inline), Dir: dir})
			}
			current = append(current, t)
			if tr.first == "" && !strings.HasPrefix(name, ".") && !strings.Contains(name, "%") {
				tr.first = name
			}
		}
	}
	if isMake {
		for _, t := range tr.targets {
			for i := range t.cmds {
				t.cmds[i].Text = expandMakeVars(t.cmds[i].Text, vars)
			}
		}
	}
	return tr
}

// expandMakeVars substitutes variables, a few levels deep (SCRIPT :=
// $(DIR)/load.js); unknown variables are left as written.
func expandMakeVars(s string, vars map[string]string) string {
	for range 3 {
		next := makeRefPattern.ReplaceAllStringFunc(s, func(ref string) string {
			if v, ok := vars[makeRefPattern.FindStringSubmatch(ref)[1]]; ok {
				return v
			}
			return ref
		})
		if next == s {
			break
		}
		s = next
	}
	return strings.ReplaceAll(s, "$$", "$")
}

// parseTaskfile reads the tasks of a Taskfile (taskfile.dev): each task's
// cmds in its dir, with the tasks it calls (deps, and cmds of the form
// "task: name") as prerequisites. Its default task is "default".
func parseTaskfile(file string, data []byte) (*taskRunner, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlnode.Locate(err, data)
	}
	tr := &taskRunner{targets: map[string]*taskTarget{}, first: "default"}
	if len(doc.Content) == 0 || yamlnode.Resolve(&doc).Kind != yaml.MappingNode {
		return tr, nil
	}
	tasks := yamlnode.Lookup(yamlnode.Resolve(&doc), "tasks")
	if tasks == nil || yamlnode.Resolve(tasks).Kind != yaml.MappingNode {
		return tr, nil
	}
	tasks = yamlnode.Resolve(tasks)
	for i := 0; i+1 < len(tasks.Content); i += 2 {
		t := &taskTarget{}
		tr.targets[tasks.Content[i].Value] = t
		dir := path.Dir(file)
		v := yamlnode.Resolve(tasks.Content[i+1])
		var cmds, deps []*yaml.Node
		switch v.Kind {
		case yaml.ScalarNode:
			cmds = []*yaml.Node{v}
		case yaml.SequenceNode:
			cmds = v.Content
		case yaml.MappingNode:
			if d := yamlnode.Lookup(v, "dir"); d != nil {
				dir = path.Join(dir, yamlnode.Resolve(d).Value)
			}
			if c := yamlnode.Lookup(v, "cmds"); c != nil && yamlnode.Resolve(c).Kind == yaml.SequenceNode {
				cmds = yamlnode.Resolve(c).Content
			}
			if d := yamlnode.Lookup(v, "deps"); d != nil && yamlnode.Resolve(d).Kind == yaml.SequenceNode {
				deps = yamlnode.Resolve(d).Content
			}
		}
		for _, c := range cmds {
			c = yamlnode.Resolve(c)
			if c.Kind == yaml.MappingNode {
				if task := yamlnode.Lookup(c, "task"); task != nil {
					deps = append(deps, task)
					continue
				}
				if cmd := yamlnode.Lookup(c, "cmd"); cmd != nil {
					c = yamlnode.Resolve(cmd)
				}
			}
			if c.Kind == yaml.ScalarNode {
				t.cmds = append(t.cmds, textCommands(file, c.Line, c.Value, dir)...)
			}
		}
		for _, d := range deps {
			d = yamlnode.Resolve(d)
			if d.Kind == yaml.MappingNode {
				if task := yamlnode.Lookup(d, "task"); task != nil {
					d = yamlnode.Resolve(task)
				}
			}
			if d.Kind == yaml.ScalarNode {
				t.deps = append(t.deps, d.Value)
			}
		}
	}
	return tr, nil
}
