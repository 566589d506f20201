package ci

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
)

// workflow is a GitHub workflow with one job whose one step runs run.
func workflow(run string) string {
	return "on: push\njobs:\n  ci:\n    runs-on: ubuntu-latest\n    steps:\n      - run: " + run + "\n"
}

// commandsOf runs Commands on an in-memory repository whose files named in
// unreadable fail to read, and summarises each command as
// "file:line dir: text" and each problem as "file:line what: error".
func commandsOf(t *testing.T, files map[string]string, globs []string, unreadable ...string) (cmds, problems []string) {
	t.Helper()
	reads := map[string]int{}
	read := func(name string) ([]byte, error) {
		reads[name]++
		if slices.Contains(unreadable, name) {
			return nil, errors.New("permission denied")
		}
		data, ok := files[name]
		if !ok {
			return nil, fmt.Errorf("%s does not exist", name)
		}
		return []byte(data), nil
	}
	got, probs := Commands(slices.Sorted(maps.Keys(files)), globs, read)
	for name, n := range reads {
		if n > 1 {
			t.Errorf("%s read %d times, want once", name, n)
		}
	}
	for _, c := range got {
		cmds = append(cmds, fmt.Sprintf("%s:%d %s: %s", c.File, c.Line, c.Dir, c.Text))
	}
	for _, p := range probs {
		problems = append(problems, fmt.Sprintf("%s:%d %s: %v", p.File, p.Line, p.What, p.Err))
	}
	return cmds, problems
}

func TestCommands(t *testing.T) {
	const wf = ".github/workflows/ci.yml"
	defaults := []string{".github/workflows/*.yml", ".gitlab-ci.yml", "Makefile", "justfile", "Taskfile.yml"}
	for _, tc := range []struct {
		name       string
		files      map[string]string
		globs      []string
		unreadable []string
		want       []string
		problems   []string
	}{
		{
			name:  "workflow steps in their working directories, and with: inputs",
			files: map[string]string{wf: "defaults:\n  run:\n    working-directory: svc\njobs:\n  a:\n    steps:\n      - run: |\n          go test ./...\n          make \\\n            lint\n      - run: k6 run a.js\n        working-directory: perf\n      - uses: grafana/k6-action@v0.3\n        with:\n          filename: load.js\n"},
			want:  []string{wf + ":8 svc: go test ./...", wf + ":9 svc: make  lint", wf + ":11 perf: k6 run a.js", wf + ":15 : load.js"},
		},
		{
			name:  "other CI files line by line, without comment lines",
			files: map[string]string{".gitlab-ci.yml": "load:\n  script:\n    // groovy comment\n    - k6 run a.js\n"},
			want:  []string{".gitlab-ci.yml:1 : load:", ".gitlab-ci.yml:2 : script:", ".gitlab-ci.yml:4 : - k6 run a.js"},
		},
		{
			name:  "a Makefile alone is no pipeline",
			files: map[string]string{"Makefile": "load:\n\tk6 run a.js\n"},
		},
		{
			name:  "make target, its prerequisite, and a variable",
			files: map[string]string{wf: workflow("make ci"), "Makefile": "S := a.js\nci: lint\n\t@k6 run $(S)\nlint:\n\tgolangci-lint run\nunused:\n\techo no\n"},
			want:  []string{wf + ":6 : make ci", "Makefile:3 .: k6 run a.js", "Makefile:5 .: golangci-lint run"},
		},
		{
			name:  "make without a target runs the first one",
			files: map[string]string{wf: workflow("make"), "Makefile": ".PHONY: all\nall: ; k6 run a.js\nother:\n\techo no\n"},
			want:  []string{wf + ":6 : make", "Makefile:2 .: k6 run a.js"},
		},
		{
			name:  "sub-makes are followed three levels deep",
			files: map[string]string{wf: workflow("make a"), "Makefile": "a:\n\t$(MAKE) b\nb:\n\t$(MAKE) c\nc:\n\t$(MAKE) d\nd:\n\tk6 run a.js\n"},
			want:  []string{wf + ":6 : make a", "Makefile:2 .: $(MAKE) b", "Makefile:4 .: $(MAKE) c", "Makefile:6 .: $(MAKE) d"},
		},
		{
			name:  "make -C into a Makefile outside the globs is not read",
			files: map[string]string{wf: workflow("make -C perf run"), "perf/Makefile": "run:\n\tk6 run a.js\n"},
			want:  []string{wf + ":6 : make -C perf run"},
		},
		{
			name:  "make -C into a Makefile inside the globs",
			files: map[string]string{wf: workflow("make -C perf run"), "perf/Makefile": "run:\n\tk6 run a.js\n"},
			globs: []string{".github/workflows/*.yml", "**/Makefile"},
			want:  []string{wf + ":6 : make -C perf run", "perf/Makefile:2 perf: k6 run a.js"},
		},
		{
			name:  "justfile recipe with parameters",
			files: map[string]string{wf: workflow("just load"), "justfile": "load target=\"x\":\n    k6 run -e URL={{target}} a.js\n"},
			want:  []string{wf + ":6 : just load", "justfile:2 .: k6 run -e URL={{target}} a.js"},
		},
		{
			name:  "Taskfile task with dir, deps and task calls",
			files: map[string]string{wf: workflow("task ci"), "Taskfile.yml": "version: '3'\ntasks:\n  ci:\n    deps: [lint]\n    cmds:\n      - task: load\n  lint: golangci-lint run\n  load:\n    dir: perf\n    cmds:\n      - cmd: k6 run a.js\n"},
			want:  []string{wf + ":6 : task ci", "Taskfile.yml:7 .: golangci-lint run", "Taskfile.yml:11 perf: k6 run a.js"},
		},
		{
			name:     "malformed workflow",
			files:    map[string]string{wf: "jobs:\n  load: steps: - run: x\n", ".gitlab-ci.yml": "k6 run a.js\n"},
			want:     []string{".gitlab-ci.yml:1 : k6 run a.js"},
			problems: []string{wf + ":2 workflow: it does not parse: yaml: line 2: mapping values are not allowed in this context"},
		},
		{
			name:     "workflow that is not a mapping",
			files:    map[string]string{wf: "- k6 run a.js\n"},
			problems: []string{wf + ":1 workflow: it does not parse: line 1: a workflow must be a mapping"},
		},
		{
			name:     "malformed Taskfile",
			files:    map[string]string{wf: workflow("task load"), "Taskfile.yml": "tasks:\n  load: [\n"},
			want:     []string{wf + ":6 : task load"},
			problems: []string{"Taskfile.yml:2 Taskfile: it does not parse: yaml: line 2: did not find expected node content"},
		},
		{
			name:       "unreadable files",
			files:      map[string]string{wf: workflow("make load"), "Makefile": "load:\n\tk6 run a.js\n", ".gitlab-ci.yml": "k6 run a.js\n"},
			unreadable: []string{".gitlab-ci.yml", "Makefile"},
			want:       []string{wf + ":6 : make load"},
			problems:   []string{".gitlab-ci.yml:0 CI file: permission denied", "Makefile:0 CI file: permission denied"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			globs := tc.globs
			if globs == nil {
				globs = defaults
			}
			cmds, problems := commandsOf(t, tc.files, globs, tc.unreadable...)
			if !slices.Equal(cmds, tc.want) {
				t.Errorf("commands:\n%s\nwant:\n%s", strings.Join(cmds, "\n"), strings.Join(tc.want, "\n"))
			}
			if !slices.Equal(problems, tc.problems) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(problems, "\n"), strings.Join(tc.problems, "\n"))
			}
		})
	}
}

func TestPipelines(t *testing.T) {
	files := []string{".github/workflows/ci.yml", "GNUmakefile", "Jenkinsfile", "Taskfile.yml", "build.mk", "justfile", "main.go"}
	got := Pipelines(files, []string{"**"})
	if want := []string{".github/workflows/ci.yml", "Jenkinsfile", "main.go"}; !slices.Equal(got, want) {
		t.Fatalf("Pipelines = %q, want %q", got, want)
	}
}
