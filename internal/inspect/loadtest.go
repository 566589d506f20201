package inspect

import (
	"fmt"
	"go/build/constraint"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/launchgate/launchgate/internal/inspect/ci"
)

// LoadTest (kind "loadtest") checks that a load test exists and that the
// automated tests run it: a CI pipeline runs the tool on it, directly or
// through a Makefile, justfile or Taskfile target.
//
// Nothing is executed, and as few files as possible are read (in the App
// every read is an API request): candidates are picked by name, confirmed
// by content, and CI files are read only once a load test is confirmed.
//
// What counts as a load test, per tool:
//   - k6: a .js, .mjs or .ts file under a k6/, load/, loadtest/, perf/,
//     performance/ or stress/ directory, or named *k6* or load, loadtest,
//     perf, stress, soak or spike (alone or as a "."/"-"/"_" separated
//     word), that imports "k6" or a "k6/..." module. A file that only
//     mentions k6 in a comment does not count.
//   - locust: a *locust*.py file with "from locust import" or "import locust".
//   - gatling: a *Simulation*.scala, .java or .kt file importing io.gatling.
//   - jmeter: a .jmx file holding a <jmeterTestPlan>.
//   - vegeta: a *vegeta* file (or one under vegeta/) that runs "vegeta
//     attack", or a Vegeta targets file ("GET https://..." lines).
//   - go: a Go file named load_test.go, *_load_test.go, *loadtest*_test.go
//     (load as a word, so upload_test.go is not read) or under a loadtest/
//     or stress/ directory, whose directory either imports a load-generation library
//     (Vegeta, boomer, ghz, fortio, hey) or has a function that sends HTTP
//     requests from a loop and starts goroutines (a go statement,
//     RunParallel or an errgroup's Go). A test named TestLoad alone is no
//     evidence: TestLoadConfig tests a config loader. Its Test and Benchmark
//     functions are the entry points; a package main is run with go run.
//     Go programs using Vegeta's library count under go, not vegeta.
//
// What counts as CI running it: a command in a CI pipeline (a GitHub
// workflow step, or any line of another CI file) that
//   - names the file's path (relative to the repository, to a cd, to the
//     step's working-directory, or as a glob), or
//   - runs the tool (k6 run, locust, jmeter, vegeta attack) with an
//     argument of the file's base name; bare locust uses locustfile.py;
//     Gatling's and JMeter's build plugins (mvn gatling:test, gradle
//     gatlingRun, sbt Gatling/test, gatling.sh, mvn jmeter:jmeter) run
//     every simulation or plan, or
//   - for Go tests, go test (or gotestsum) with a package pattern that
//     covers the directory (./..., ./dir/..., ./dir, or the file; import
//     paths are not resolved), whose -run (or -bench for benchmarks) and
//     -skip select an entry point, with the -tags its build constraint
//     needs, without -short when the test skips itself under
//     testing.Short(), and, when the test skips itself based on
//     environment variables, with each of those variables named somewhere
//     in the CI files (env: blocks, secrets); ./... stops at nested
//     modules, testdata, vendor and _ or . directories. For Go programs,
//     go run with its directory or file.
//
// A make, just or task invocation counts as the target's commands (and
// its prerequisites'), followed three levels deep, for runner
// files that match the CI globs (the App fetches nothing else). A Makefile
// on its own runs nothing, so its targets count only when a pipeline
// invokes them. Comments (# and //) are ignored.
type LoadTest struct {
	// Paths are more globs of candidate load test files, confirmed by
	// content like the defaults.
	Paths []string `yaml:"paths,omitempty"`
	// CI are the globs of the CI configuration that must run the load
	// test. Default: loadTestDefaultCI.
	CI []string `yaml:"ci,omitempty"`
	// Tools are the load testing tools to recognise: k6, locust, gatling,
	// jmeter, vegeta, go. Default: all.
	Tools []string `yaml:"tools,omitempty"`
}

var loadTestDefaultCI = []string{
	".github/workflows/*.yml", ".github/workflows/*.yaml", ".gitlab-ci.yml",
	"Jenkinsfile", "**/Jenkinsfile", "Makefile", ".ci/*", "azure-pipelines.yml",
	".circleci/config.yml", "Taskfile.yml", "justfile",
}

// loadTool is how one load testing tool's tests are found and run.
type loadTool struct {
	name        string
	what        string   // what a test is called in findings
	globs       []string // candidate file names
	evidence    *regexp.Regexp
	lacks       string         // what a candidate without evidence lacks
	runner      *regexp.Regexp // a command that runs the tool on a file
	runsAll     *regexp.Regexp // a command that runs every test of the tool
	defaultFile string         // what the runner runs without a file argument
	exts        []string       // extensions of the files the runner takes
	example     func(path string) string
}

var loadTools = []*loadTool{
	{
		name: "k6", what: "k6 script",
		globs: []string{
			"**/{k6,load,loadtest,loadtests,load-test,load-tests,load_test,load_tests,perf,performance,stress}/**/*.{js,mjs,ts}",
			"**/*k6*.{js,mjs,ts}",
			"**/{,*[._-]}{load,loadtest,load-test,load_test,perf,stress,soak,spike}{,[._-]*}.{js,mjs,ts}",
		},
		// An import statement at the start of a line (so not in a //
		// comment), possibly spanning lines, or a require call.
		evidence: regexp.MustCompile(`(?m)(^[ \t]*import\s*(?:[\w*{}\s,$]+\s*from\s*)?|\brequire\(\s*)["']k6(?:/[\w./-]*)?["']`),
		lacks:    `no import from "k6"`,
		runner:   regexp.MustCompile(`(^|[\s/])k6(:\S*)?\s+(run|cloud)\b`),
		exts:     []string{".js", ".mjs", ".ts"},
		example:  func(p string) string { return "k6 run " + p },
	},
	{
		name: "locust", what: "Locust file",
		globs:       []string{"**/*locust*.py"},
		evidence:    regexp.MustCompile(`(?m)^[ \t]*(from\s+locust(\.[\w.]+)?\s+import\b|import\s+locust\b)`),
		lacks:       "no locust import",
		runner:      regexp.MustCompile(`(^|[\s/])locust\s+-`), // not "pip install locust"
		defaultFile: "locustfile.py",
		exts:        []string{".py"},
		example: func(p string) string {
			return "locust -f " + p + ` --headless --users 50 --spawn-rate 10 --run-time 2m --host "$TARGET_URL"`
		},
	},
	{
		name: "gatling", what: "Gatling simulation",
		globs:    []string{"**/*Simulation*.{scala,java,kt}"},
		evidence: regexp.MustCompile(`(?m)^[ \t]*import\s+(static\s+)?io\.gatling\.`),
		lacks:    "no io.gatling import",
		runsAll:  regexp.MustCompile(`gatling:test|gatling:integration-test|\bgatlingRun\b|Gatling\s*/\s*test|gatling\.(sh|bat)\b`),
		example:  func(string) string { return "mvn gatling:test (or ./gradlew gatlingRun, sbt Gatling/test)" },
	},
	{
		name: "jmeter", what: "JMeter test plan",
		globs:    []string{"**/*.jmx"},
		evidence: regexp.MustCompile(`<jmeterTestPlan\b`),
		lacks:    "no <jmeterTestPlan>",
		runner:   regexp.MustCompile(`(^|[\s/])jmeter(\.sh|\.bat)?(:\S*)?(\s|$)`),
		runsAll:  regexp.MustCompile(`\bjmeter:jmeter\b`),
		exts:     []string{".jmx"},
		example:  func(p string) string { return "jmeter -n -t " + p + " -l results.jtl" },
	},
	{
		name: "vegeta", what: "Vegeta load test",
		globs:    []string{"**/*vegeta*", "**/vegeta/**"},
		evidence: regexp.MustCompile(`(?m)\bvegeta\s+attack\b|^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS)\s+https?://\S+`),
		lacks:    `no "vegeta attack" and no targets`,
		runner:   regexp.MustCompile(`(^|[\s/])vegeta\s+attack\b`),
		example: func(p string) string {
			if strings.HasSuffix(p, ".sh") || strings.HasSuffix(p, ".bash") {
				return "bash " + p
			}
			return "vegeta attack -targets=" + p + " -duration=60s | vegeta report"
		},
	},
	{
		name: "go", what: "Go load test",
		globs: []string{
			"**/{,*[._-]}load{,[._-]*}_test.go",
			"**/*loadtest*_test.go",
			"**/{loadtest,loadtests,load-test,load-tests,load_test,load_tests,stress,stresstest,stress-test,stress_test}/**/*.go",
			"**/*vegeta*.go", "**/vegeta/**/*.go",
		},
		lacks: "no load generation (HTTP requests from concurrent loops, or a load testing library)",
	},
}

func loadToolNamed(name string) *loadTool {
	for _, t := range loadTools {
		if t.name == name {
			return t
		}
	}
	return nil
}

func (c *LoadTest) ciGlobs() []string {
	if len(c.CI) == 0 {
		return loadTestDefaultCI
	}
	return c.CI
}

func (c *LoadTest) tools() []*loadTool {
	if len(c.Tools) == 0 {
		return loadTools
	}
	var out []*loadTool
	for _, t := range loadTools {
		if slices.Contains(c.Tools, t.name) {
			out = append(out, t)
		}
	}
	return out
}

// Validate rejects malformed globs and unknown tools.
func (c *LoadTest) Validate() error {
	if err := validateGlobList("paths", c.Paths); err != nil {
		return err
	}
	if err := validateGlobList("ci", c.CI); err != nil {
		return err
	}
	for _, name := range c.Tools {
		if loadToolNamed(name) == nil {
			names := make([]string, len(loadTools))
			for i, t := range loadTools {
				names[i] = t.name
			}
			return fmt.Errorf("unknown tool %q, want one of %s", name, strings.Join(names, ", "))
		}
	}
	return nil
}

// Inputs are the candidate globs of the enabled tools, the extra paths
// and the CI globs.
func (c *LoadTest) Inputs() []string {
	var in []string
	for _, t := range c.tools() {
		in = append(in, t.globs...)
	}
	in = append(in, c.Paths...)
	return append(in, c.ciGlobs()...)
}

// loadTestFound is a confirmed load test.
type loadTestFound struct {
	tool *loadTool
	path string
	line int
	// Go only: the test entry points, or a main program.
	funcs      []goLoadFunc
	program    bool
	constraint constraint.Expr
}

// loadTestCI is what the check keeps of the CI configuration besides its
// commands.
type loadTestCI struct {
	read    []string        // every CI file read, for findings
	raw     strings.Builder // every CI file's text, for env names
	hasBase map[string]bool // base names of the repository's files
	goMods  map[string]bool // directories holding a go.mod
}

func newLoadTestCI(files []string) *loadTestCI {
	conf := &loadTestCI{hasBase: map[string]bool{}, goMods: map[string]bool{}}
	for _, f := range files {
		conf.hasBase[path.Base(f)] = true
		if path.Base(f) == "go.mod" {
			conf.goMods[path.Dir(f)] = true
		}
	}
	return conf
}

// reader reads CI files from repo for ci.Commands, keeping the name and
// text of each file read.
func (conf *loadTestCI) reader(repo *Repo) func(name string) ([]byte, error) {
	return func(name string) ([]byte, error) {
		data, err := repo.ReadFile(name)
		if err != nil {
			return nil, err
		}
		conf.read = append(conf.read, name)
		conf.raw.Write(data)
		conf.raw.WriteByte('\n')
		return data, nil
	}
}

// Check finds the load tests, then the CI commands, and passes when a CI
// command runs at least one load test. Files it could not read or parse
// are reported only when the check fails: when another load test is run,
// their content cannot change the outcome.
func (c *LoadTest) Check(repo *Repo) []Finding {
	files, err := repo.Files()
	if err != nil {
		return []Finding{{Message: err.Error()}}
	}
	found, unconfirmed, problems := c.findLoadTests(repo)
	if len(found) == 0 {
		return append([]Finding{c.noLoadTest(unconfirmed)}, problems...)
	}
	if len(ci.Pipelines(files, c.ciGlobs())) == 0 {
		var findings []Finding
		for _, lt := range found {
			findings = append(findings, Finding{Path: lt.path, Line: lt.line,
				Message: fmt.Sprintf("%s %s exists, but there is no CI pipeline to run it", lt.tool.what, lt.path),
				Fix: fmt.Sprintf("add a CI pipeline (a file matching %q; a Makefile runs only when one calls it) with a step such as: %s",
					c.ciGlobs()[0], lt.example()),
			})
		}
		return append(findings, problems...)
	}
	conf := newLoadTestCI(files)
	cmds, unread := ci.Commands(files, c.ciGlobs(), conf.reader(repo))
	for _, p := range unread {
		problems = append(problems, Finding{Path: p.File, Line: p.Line, Message: fmt.Sprintf("cannot tell whether this %s runs the load test: %v", p.What, p.Err)})
	}
	var findings []Finding
	for _, lt := range found {
		why := ""
		for _, cmd := range cmds {
			ok, reason := lt.runBy(cmd, conf)
			if ok {
				return nil
			}
			if why == "" {
				why = reason
			}
		}
		findings = append(findings, lt.notRun(why, conf, cmds))
	}
	return append(findings, problems...)
}

// noLoadTest names the few candidates that had a load test's name but not
// its content, the likeliest near misses; README lists what each tool's
// load tests are recognised by.
func (c *LoadTest) noLoadTest(unconfirmed []string) Finding {
	msg := "no load test found"
	if len(unconfirmed) > 0 {
		const show = 2
		more := ""
		if len(unconfirmed) > show {
			more = fmt.Sprintf(" and %d more", len(unconfirmed)-show)
			unconfirmed = unconfirmed[:show]
		}
		msg += "; with a load test's name but not its content: " + strings.Join(unconfirmed, ", ") + more
	}
	var names []string
	for _, t := range c.tools() {
		names = append(names, t.name)
	}
	return Finding{Message: msg, Fix: fmt.Sprintf("add a %s load test run by CI, or name yours in the check's paths", orList(names))}
}

// orList joins words as "a, b or c".
func orList(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

// findLoadTests reads the candidates and returns the confirmed load tests,
// the candidates that turned out not to be ("path (why)"), and findings
// for candidates that could not be read or parsed.
func (c *LoadTest) findLoadTests(repo *Repo) (found []*loadTestFound, unconfirmed []string, problems []Finding) {
	tools := c.tools()
	// Check listed the files without error, so Match fails only for a
	// directory that cannot be listed: a load test may hide there, which
	// matters only if none is found elsewhere. One such finding says it.
	listProblem := false
	match := func(globs ...string) []string {
		m, err := repo.Match(globs...)
		if err != nil && !listProblem {
			listProblem = true
			problems = append(problems, Finding{Message: err.Error()})
		}
		return m
	}
	extra := match(c.Paths...)
	goEnabled := slices.ContainsFunc(tools, func(t *loadTool) bool { return t.name == "go" })
	goFiles := map[string][]string{} // directory -> candidate Go files
	// A file may match several tools' names (loadtest/vegeta.js): read it
	// once, and let the first tool whose content it has claim it.
	type content struct {
		data []byte
		err  error
	}
	contents := map[string]content{}
	isFound := func(name string) bool {
		return slices.ContainsFunc(found, func(f *loadTestFound) bool { return f.path == name })
	}
	// read reports an unreadable file once, however many tools want it.
	read := func(name, what string) ([]byte, bool) {
		c, seen := contents[name]
		if !seen {
			c.data, c.err = repo.ReadFile(name)
			contents[name] = c
			if c.err != nil {
				problems = append(problems, Finding{Path: name, Message: fmt.Sprintf("cannot tell whether this is a %s: %v", what, c.err)})
			}
		}
		return c.data, c.err == nil
	}
	for _, t := range tools {
		if t.name == "go" {
			continue
		}
		for _, name := range match(t.globs...) {
			if strings.HasSuffix(name, ".go") || isFound(name) {
				continue // Go code is the go tool's, whatever its name
			}
			data, ok := read(name, t.what)
			if !ok {
				continue
			}
			if t.evidence.Match(data) {
				found = append(found, &loadTestFound{tool: t, path: name})
			} else {
				unconfirmed = append(unconfirmed, fmt.Sprintf("%s (%s)", name, t.lacks))
			}
		}
	}
	// Extra paths may hold any tool's test: the first tool whose content
	// a file has claims it.
	for _, name := range extra {
		if strings.HasSuffix(name, ".go") || isFound(name) {
			continue
		}
		data, ok := read(name, "load test")
		if !ok {
			continue
		}
		confirmed := false
		for _, t := range tools {
			if t.evidence != nil && t.evidence.Match(data) {
				found = append(found, &loadTestFound{tool: t, path: name})
				confirmed = true
				break
			}
		}
		if !confirmed {
			unconfirmed = append(unconfirmed, name+" (no load test content of a recognised tool)")
		}
	}
	if goEnabled {
		goTool := loadToolNamed("go")
		for _, name := range append(match(goTool.globs...), extra...) {
			if strings.HasSuffix(name, ".go") && !slices.Contains(goFiles[path.Dir(name)], name) {
				goFiles[path.Dir(name)] = append(goFiles[path.Dir(name)], name)
			}
		}
		for _, dir := range slices.Sorted(maps.Keys(goFiles)) {
			f, u, p := findGoLoadTests(repo, goTool, goFiles[dir])
			found, unconfirmed, problems = append(found, f...), append(unconfirmed, u...), append(problems, p...)
		}
	}
	return found, unconfirmed, problems
}

func (lt *loadTestFound) example() string {
	if lt.tool.example != nil {
		return lt.tool.example(lt.path)
	}
	dir := "./" + path.Dir(lt.path)
	if path.Dir(lt.path) == "." {
		dir = "."
	}
	if lt.program {
		return "go run " + dir
	}
	var tests, benches []string
	for _, f := range lt.funcs {
		if f.bench {
			benches = append(benches, f.name)
		} else {
			tests = append(tests, f.name)
		}
	}
	cmd := "go test"
	if tags := constraintTags(lt.constraint); tags != "" {
		cmd += " -tags=" + tags
	}
	if len(tests) > 0 {
		return fmt.Sprintf("%s -run '^(%s)$' %s", cmd, strings.Join(tests, "|"), dir)
	}
	return fmt.Sprintf("%s -run '^$' -bench '^(%s)$' %s", cmd, strings.Join(benches, "|"), dir)
}

func (lt *loadTestFound) notRun(why string, conf *loadTestCI, cmds []ci.Command) Finding {
	msg := fmt.Sprintf("%s %s is not run by CI: ", lt.tool.what, lt.path)
	if why != "" {
		msg += why
	} else {
		msg += "no command in " + strings.Join(conf.read, ", ") + " runs it"
	}
	if missing := lt.danglingRefs(cmds, conf); len(missing) > 0 {
		msg += "; CI runs " + lt.tool.name + " on " + strings.Join(missing, ", ") + ", not in the repository"
	}
	return Finding{Path: lt.path, Line: lt.line, Message: msg, Fix: "add a CI step that runs it, e.g.: " + lt.example()}
}

// danglingRefs lists the files the tool's runner is given in CI that are
// not in the repository (a renamed or deleted test), as "file (ci:line)".
func (lt *loadTestFound) danglingRefs(cmds []ci.Command, conf *loadTestCI) []string {
	if lt.tool.runner == nil || len(lt.tool.exts) == 0 {
		return nil
	}
	var out []string
	for _, cmd := range cmds {
		for _, seg := range cmd.Segments() {
			if !lt.tool.runner.MatchString(strings.Join(seg.Words, " ")) {
				continue
			}
			for _, w := range seg.Words {
				w = ltValue(w)
				if !slices.Contains(lt.tool.exts, path.Ext(w)) || conf.hasBase[path.Base(w)] || strings.ContainsAny(w, "*?[{$") {
					continue
				}
				out = append(out, fmt.Sprintf("%s (%s:%d)", w, cmd.File, cmd.Line))
			}
		}
	}
	return out
}

// runBy reports whether a CI command runs the load test, and otherwise,
// when the command comes close (a go test that covers the package but
// filters the test out), why it does not.
func (lt *loadTestFound) runBy(cmd ci.Command, conf *loadTestCI) (bool, string) {
	why := ""
	for _, seg := range cmd.Segments() {
		if lt.tool.name == "go" {
			ok, reason := lt.goRunBy(seg, cmd, conf)
			if ok {
				return true, ""
			}
			if why == "" {
				why = reason
			}
			continue
		}
		text := strings.Join(seg.Words, " ")
		if lt.tool.runsAll != nil && lt.tool.runsAll.MatchString(text) {
			return true, ""
		}
		runner := lt.tool.runner != nil && lt.tool.runner.MatchString(text)
		givesFile := false
		for _, w := range seg.Words {
			if ltRefersTo(w, seg.Dir, lt.path) {
				return true, ""
			}
			v := ltValue(w)
			if runner && path.Base(v) == path.Base(lt.path) {
				return true, ""
			}
			givesFile = givesFile || slices.Contains(lt.tool.exts, path.Ext(v))
		}
		if runner && !givesFile && lt.tool.defaultFile != "" && path.Base(lt.path) == lt.tool.defaultFile {
			return true, ""
		}
	}
	return false, why
}

// ltValue strips what surrounds a file argument: a flag or key name
// before "=", and the "./" a relative path may start with.
func ltValue(word string) string {
	if i := strings.LastIndexByte(word, '='); i >= 0 {
		word = word[i+1:]
	}
	return strings.TrimPrefix(word, "./")
}

// ltRefersTo reports whether a word of a command names file p, relative
// to the repository or to cwd, through a variable prefix
// ("$GITHUB_WORKSPACE/p"), or as a glob.
func ltRefersTo(word, cwd, p string) bool {
	v := ltValue(word)
	if v == "" {
		return false
	}
	if strings.HasSuffix(v, "/"+p) {
		return true
	}
	if strings.HasPrefix(v, "/") {
		return false
	}
	joined := path.Join(cwd, v)
	if strings.ContainsAny(v, "*?[{") {
		ok, _ := doublestar.Match(joined, p)
		return ok
	}
	return joined == p
}
