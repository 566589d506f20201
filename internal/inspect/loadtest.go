package inspect

import (
	"errors"
	"fmt"
	"go/ast"
	"go/build/constraint"
	"go/parser"
	"go/scanner"
	"go/token"
	"maps"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	"gopkg.in/yaml.v3"

	"github.com/launchgate/launchgate/internal/inspect/yamlnode"
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
//     directory, whose directory either imports a load-generation library
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
// its prerequisites'), followed to loadTestMaxHops levels, for runner
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

// loadTestMaxHops bounds how far task-runner targets are followed from a
// pipeline: pipeline -> target -> prerequisite or sub-make -> one more.
const loadTestMaxHops = 3

// loadTool is how one load testing tool's tests are found and run.
type loadTool struct {
	name        string
	what        string   // what a test is called in findings
	recognised  string   // the file names and content recognised, for findings
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
		recognised: "k6 scripts (.js/.mjs/.ts importing \"k6\", under k6/, load/, loadtest/, perf/ or named *k6*, load*, perf*, stress*)",
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
		recognised:  "Locust files (*locust*.py importing locust)",
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
		recognised: "Gatling simulations (*Simulation*.scala/.java/.kt importing io.gatling)",
		globs:      []string{"**/*Simulation*.{scala,java,kt}"},
		evidence:   regexp.MustCompile(`(?m)^[ \t]*import\s+(static\s+)?io\.gatling\.`),
		lacks:      "no io.gatling import",
		runsAll:    regexp.MustCompile(`gatling:test|gatling:integration-test|\bgatlingRun\b|Gatling\s*/\s*test|gatling\.(sh|bat)\b`),
		example:    func(string) string { return "mvn gatling:test (or ./gradlew gatlingRun, sbt Gatling/test)" },
	},
	{
		name: "jmeter", what: "JMeter test plan",
		recognised: "JMeter plans (*.jmx with <jmeterTestPlan>)",
		globs:      []string{"**/*.jmx"},
		evidence:   regexp.MustCompile(`<jmeterTestPlan\b`),
		lacks:      "no <jmeterTestPlan>",
		runner:     regexp.MustCompile(`(^|[\s/])jmeter(\.sh|\.bat)?(:\S*)?(\s|$)`),
		runsAll:    regexp.MustCompile(`\bjmeter:jmeter\b`),
		exts:       []string{".jmx"},
		example:    func(p string) string { return "jmeter -n -t " + p + " -l results.jtl" },
	},
	{
		name: "vegeta", what: "Vegeta load test",
		recognised: "Vegeta scripts and targets files (*vegeta* or under vegeta/)",
		globs:      []string{"**/*vegeta*", "**/vegeta/**"},
		evidence:   regexp.MustCompile(`(?m)\bvegeta\s+attack\b|^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS)\s+https?://\S+`),
		lacks:      `no "vegeta attack" and no targets`,
		runner:     regexp.MustCompile(`(^|[\s/])vegeta\s+attack\b`),
		example: func(p string) string {
			if strings.HasSuffix(p, ".sh") || strings.HasSuffix(p, ".bash") {
				return "bash " + p
			}
			return "vegeta attack -targets=" + p + " -duration=60s | vegeta report"
		},
	},
	{
		name: "go", what: "Go load test",
		recognised: "Go load tests (load_test.go, *_load_test.go, *loadtest*_test.go or files under loadtest/ that send HTTP requests from concurrent loops or use Vegeta, boomer, ghz, fortio or hey)",
		globs: []string{
			"**/{,*[._-]}load{,[._-]*}_test.go",
			"**/*loadtest*_test.go",
			"**/{loadtest,loadtests,load-test,load-tests,load_test,load_tests}/**/*.go",
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
	ci := newLoadTestCI(repo, c.ciGlobs(), files)
	if len(ci.pipelines) == 0 {
		var findings []Finding
		for _, lt := range found {
			findings = append(findings, Finding{Path: lt.path, Line: lt.line, Message: fmt.Sprintf(
				"%s %s exists, but there is no CI pipeline to run it (no file matches %s, other than task runners such as a Makefile, which run only when a pipeline calls them); add a CI pipeline with a step such as: %s",
				lt.tool.what, lt.path, quoteGlobs(c.ciGlobs()), lt.example())})
		}
		return append(findings, problems...)
	}
	cmds := ci.commands()
	problems = append(problems, ci.problems...)
	var findings []Finding
	for _, lt := range found {
		why := ""
		for _, cmd := range cmds {
			ok, reason := lt.runBy(cmd, ci)
			if ok {
				return nil
			}
			if why == "" {
				why = reason
			}
		}
		findings = append(findings, Finding{Path: lt.path, Line: lt.line, Message: lt.notRun(why, ci, cmds)})
	}
	return append(findings, problems...)
}

func (c *LoadTest) noLoadTest(unconfirmed []string) Finding {
	var recognised []string
	for _, t := range c.tools() {
		recognised = append(recognised, t.recognised)
	}
	msg := "no load test found; recognised: " + strings.Join(recognised, "; ")
	if len(unconfirmed) > 0 {
		const show = 5
		more := ""
		if len(unconfirmed) > show {
			more = fmt.Sprintf(" and %d more", len(unconfirmed)-show)
			unconfirmed = unconfirmed[:show]
		}
		msg += ". These files have a load test's name but not its content: " + strings.Join(unconfirmed, ", ") + more
	}
	msg += ". Add a load test, or list where yours lives under the check's paths"
	return Finding{Message: msg}
}

// findLoadTests reads the candidates and returns the confirmed load tests,
// the candidates that turned out not to be ("path (why)"), and findings
// for candidates that could not be read or parsed.
func (c *LoadTest) findLoadTests(repo *Repo) (found []*loadTestFound, unconfirmed []string, problems []Finding) {
	tools := c.tools()
	// Check listed the files without error, and Match fails only when
	// listing does.
	match := func(globs ...string) []string {
		m, _ := repo.Match(globs...)
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

// constraintTags lists the tags a build constraint names without
// negation, the ones go test -tags must set.
func constraintTags(x constraint.Expr) string {
	var tags []string
	var walk func(x constraint.Expr, negated bool)
	walk = func(x constraint.Expr, negated bool) {
		switch x := x.(type) {
		case *constraint.TagExpr:
			if !negated && !goImplicitTag(x.Tag) && !slices.Contains(tags, x.Tag) {
				tags = append(tags, x.Tag)
			}
		case *constraint.NotExpr:
			walk(x.X, !negated)
		case *constraint.AndExpr:
			walk(x.X, negated)
			walk(x.Y, negated)
		case *constraint.OrExpr:
			walk(x.X, negated)
			walk(x.Y, negated)
		}
	}
	if x != nil {
		walk(x, false)
	}
	return strings.Join(tags, ",")
}

// goImplicitTag reports tags the go command sets itself on a typical CI
// runner (linux/amd64, cgo, the gc toolchain, Go release tags).
func goImplicitTag(tag string) bool {
	switch tag {
	case "linux", "unix", "amd64", "gc", "cgo":
		return true
	}
	return strings.HasPrefix(tag, "go1.")
}

func (lt *loadTestFound) notRun(why string, ci *loadTestCI, cmds []ciCommand) string {
	msg := fmt.Sprintf("%s %s is not run by CI: ", lt.tool.what, lt.path)
	if why != "" {
		msg += why
	} else {
		msg += "no command in " + strings.Join(ci.read, ", ") + " runs it"
	}
	if missing := lt.danglingRefs(cmds, ci); len(missing) > 0 {
		msg += "; CI runs " + lt.tool.name + " on " + strings.Join(missing, ", ") + ", not in the repository"
	}
	return msg + ". Add a CI step that runs it, e.g.: " + lt.example()
}

// danglingRefs lists the files the tool's runner is given in CI that are
// not in the repository (a renamed or deleted test), as "file (ci:line)".
func (lt *loadTestFound) danglingRefs(cmds []ciCommand, ci *loadTestCI) []string {
	if lt.tool.runner == nil || len(lt.tool.exts) == 0 {
		return nil
	}
	var out []string
	for _, cmd := range cmds {
		for _, seg := range ltSegments(cmd) {
			if !lt.tool.runner.MatchString(strings.Join(seg.words, " ")) {
				continue
			}
			for _, w := range seg.words {
				w = ltValue(w)
				if !slices.Contains(lt.tool.exts, path.Ext(w)) || ci.hasBase[path.Base(w)] || strings.ContainsAny(w, "*?[{$") {
					continue
				}
				out = append(out, fmt.Sprintf("%s (%s:%d)", w, cmd.file, cmd.line))
			}
		}
	}
	return out
}

// runBy reports whether a CI command runs the load test, and otherwise,
// when the command comes close (a go test that covers the package but
// filters the test out), why it does not.
func (lt *loadTestFound) runBy(cmd ciCommand, ci *loadTestCI) (bool, string) {
	why := ""
	for _, seg := range ltSegments(cmd) {
		if lt.tool.name == "go" {
			ok, reason := lt.goRunBy(seg, cmd, ci)
			if ok {
				return true, ""
			}
			if why == "" {
				why = reason
			}
			continue
		}
		text := strings.Join(seg.words, " ")
		if lt.tool.runsAll != nil && lt.tool.runsAll.MatchString(text) {
			return true, ""
		}
		runner := lt.tool.runner != nil && lt.tool.runner.MatchString(text)
		givesFile := false
		for _, w := range seg.words {
			if ltRefersTo(w, seg.cwd, lt.path) {
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

// goRunBy applies the go test and go run rules to one command segment.
func (lt *loadTestFound) goRunBy(seg ltSegment, cmd ciCommand, ci *loadTestCI) (bool, string) {
	dir := path.Dir(lt.path)
	if lt.program {
		pkg := goRunPackage(seg)
		return pkg == dir || path.Dir(pkg) == dir && strings.HasSuffix(pkg, ".go"), ""
	}
	gt := parseGoTest(seg)
	if gt == nil || gt.noRun {
		return false, ""
	}
	if !slices.ContainsFunc(gt.pkgs, func(p string) bool { return ci.goCovers(p, gt.cwd, lt.path) }) {
		return false, ""
	}
	at := fmt.Sprintf("%s:%d", cmd.file, cmd.line)
	if lt.constraint != nil && !lt.constraint.Eval(func(tag string) bool { return goImplicitTag(tag) || slices.Contains(gt.tags, tag) }) {
		return false, fmt.Sprintf("go test at %s covers its package but not its build constraint (add -tags=%s)", at, constraintTags(lt.constraint))
	}
	why := ""
	for _, f := range lt.funcs {
		reason := gt.excludes(f)
		if reason == "" {
			reason = ci.missingEnv(f)
		}
		if reason == "" {
			return true, ""
		}
		if why == "" {
			why = fmt.Sprintf("go test at %s covers its package, but %s", at, reason)
		}
	}
	return false, why
}

// goTestCmd is what matters of a go test command line.
type goTestCmd struct {
	cwd                       string
	pkgs                      []string
	run, skip, bench          string
	hasRun, hasSkip, hasBench bool
	short, noRun              bool
	tags                      []string
}

// goTestBoolFlags are go test's and go build's flags that take no value;
// every other flag takes the next word unless written -flag=value.
var goTestBoolFlags = map[string]bool{
	"v": true, "short": true, "race": true, "cover": true, "json": true, "failfast": true,
	"x": true, "n": true, "a": true, "i": true, "c": true, "benchmem": true, "trimpath": true,
	"msan": true, "asan": true, "work": true, "linkshared": true, "fullpath": true, "modcacherw": true,
}

// parseGoTest reads "go test ..." or "gotestsum [opts] -- ..." from a
// command segment; nil when the segment runs neither.
func parseGoTest(seg ltSegment) *goTestCmd {
	w := seg.words
	cwd, args := seg.cwd, []string(nil)
	switch i := slices.IndexFunc(w, func(s string) bool { return path.Base(s) == "gotestsum" }); {
	case i >= 0:
		if j := slices.Index(w[i:], "--"); j >= 0 {
			args = w[i+j+1:]
		} else {
			args = []string{"./..."}
		}
	default:
		sub, dir, rest := goSubcommand(seg)
		if sub != "test" {
			return nil
		}
		cwd, args = dir, rest
	}
	gt := &goTestCmd{cwd: cwd}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || a == "-" {
			gt.pkgs = append(gt.pkgs, a)
			continue
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		name = strings.TrimPrefix(name, "test.")
		if name == "args" {
			break
		}
		if !hasVal {
			if goTestBoolFlags[name] {
				val = "true"
			} else if i+1 < len(args) {
				i++
				val = args[i]
			}
		}
		switch name {
		case "run":
			gt.run, gt.hasRun = val, true
		case "skip":
			gt.skip, gt.hasSkip = val, true
		case "bench":
			gt.bench, gt.hasBench = val, true
		case "short":
			gt.short = val != "false"
		case "tags":
			gt.tags = strings.FieldsFunc(val, func(r rune) bool { return r == ',' || r == ' ' })
		case "c", "n", "list":
			gt.noRun = gt.noRun || val != "false"
		}
	}
	if len(gt.pkgs) == 0 {
		gt.pkgs = []string{"."}
	}
	return gt
}

// goSubcommand finds "go [-C dir] sub args..." in a segment, with the
// directory it runs in.
func goSubcommand(seg ltSegment) (sub, dir string, args []string) {
	w := seg.words
	for i, s := range w {
		if path.Base(s) != "go" {
			continue
		}
		dir = seg.cwd
		j := i + 1
		for ; j < len(w) && strings.HasPrefix(w[j], "-"); j++ {
			if c, ok := strings.CutPrefix(w[j], "-C="); ok {
				dir = path.Join(dir, c)
			} else if w[j] == "-C" && j+1 < len(w) {
				j++
				dir = path.Join(dir, w[j])
			}
		}
		if j < len(w) {
			return w[j], dir, w[j+1:]
		}
	}
	return "", "", nil
}

// goRunPackage is the package or file a "go run" segment runs, joined
// to its directory; "" when the segment runs none.
func goRunPackage(seg ltSegment) string {
	sub, dir, args := goSubcommand(seg)
	if sub != "run" {
		return ""
	}
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			return path.Join(dir, a)
		}
	}
	return dir
}

// excludes says why go test does not run f, or "".
func (gt *goTestCmd) excludes(f goLoadFunc) string {
	if f.bench {
		if !gt.hasBench || !goTestPatternMatches(gt.bench, f.name) {
			return fmt.Sprintf("no -bench pattern selects the benchmark %s", f.name)
		}
	} else if gt.hasRun && !goTestPatternMatches(gt.run, f.name) {
		return fmt.Sprintf("-run %s does not select %s", gt.run, f.name)
	}
	if gt.hasSkip && gt.skip != "" && goTestPatternMatches(gt.skip, f.name) {
		return fmt.Sprintf("-skip %s skips %s", gt.skip, f.name)
	}
	if f.skipsShort && gt.short {
		return fmt.Sprintf("%s skips itself under -short, and the command passes -short", f.name)
	}
	return ""
}

// goTestPatternMatches applies a -run/-bench/-skip pattern to a top-level
// test name: go splits the pattern at unbracketed slashes and matches the
// first element against the top-level name.
func goTestPatternMatches(pattern, name string) bool {
	first := pattern
	depth := 0
scan:
	for i, r := range pattern {
		switch {
		case r == '[' || r == '(':
			depth++
		case r == ']' || r == ')':
			depth--
		case r == '/' && depth == 0:
			first = pattern[:i]
			break scan
		}
	}
	re, err := regexp.Compile(first)
	return err == nil && re.MatchString(name)
}

// ciCommand is one command line of CI configuration.
type ciCommand struct {
	file string
	line int
	text string
	cwd  string // relative to the repository root
}

// loadTestCI is the CI configuration as far as it was read.
type loadTestCI struct {
	repo      *Repo
	globs     []string
	pipelines []string
	runners   map[string]*taskRunner // by file, parsed on first use
	read      []string               // every CI file read, for findings
	raw       strings.Builder        // every CI file's text, for env names
	problems  []Finding
	hasBase   map[string]bool
	goMods    map[string]bool
}

func newLoadTestCI(repo *Repo, globs, files []string) *loadTestCI {
	ci := &loadTestCI{repo: repo, globs: globs, runners: map[string]*taskRunner{}, hasBase: map[string]bool{}, goMods: map[string]bool{}}
	for _, f := range files {
		ci.hasBase[path.Base(f)] = true
		if path.Base(f) == "go.mod" {
			ci.goMods[path.Dir(f)] = true
		}
		if taskRunnerKind(f) == "" && matchesAnyGlob(globs, f) {
			ci.pipelines = append(ci.pipelines, f)
		}
	}
	return ci
}

func matchesAnyGlob(globs []string, name string) bool {
	return slices.ContainsFunc(globs, func(g string) bool {
		ok, _ := doublestar.Match(g, name)
		return ok
	})
}

func (ci *loadTestCI) readFile(name string) ([]byte, bool) {
	data, err := ci.repo.ReadFile(name)
	if err != nil {
		ci.problems = append(ci.problems, Finding{Path: name, Message: fmt.Sprintf("cannot tell whether this CI file runs the load test: %v", err)})
		return nil, false
	}
	ci.read = append(ci.read, name)
	ci.raw.Write(data)
	ci.raw.WriteByte('\n')
	return data, true
}

// commands reads every pipeline and expands the task-runner targets they
// invoke.
func (ci *loadTestCI) commands() []ciCommand {
	var cmds []ciCommand
	for _, name := range ci.pipelines {
		data, ok := ci.readFile(name)
		if !ok {
			continue
		}
		if ok, _ := doublestar.Match(".github/workflows/*", name); ok {
			wf, err := githubWorkflowCommands(name, data)
			if err != nil {
				ci.problems = append(ci.problems, Finding{Path: name, Line: yamlnode.SyntaxLine(err), Message: fmt.Sprintf("cannot tell whether this workflow runs the load test: it does not parse: %v", err)})
				continue
			}
			cmds = append(cmds, wf...)
			continue
		}
		cmds = append(cmds, ciTextCommands(name, 1, string(data), "")...)
	}
	seen := map[string]bool{}
	frontier := cmds
	for hop := 0; hop < loadTestMaxHops && len(frontier) > 0; hop++ {
		var next []ciCommand
		for _, cmd := range frontier {
			next = append(next, ci.invokedTargets(cmd, seen)...)
		}
		cmds = append(cmds, next...)
		frontier = next
	}
	return cmds
}

// ciTextCommands splits text into command lines: continuation lines
// ending in "\" are joined, // comment lines (Groovy's) dropped; ltWords
// drops # comments. first is the line number of text's first line.
func ciTextCommands(file string, first int, text, cwd string) []ciCommand {
	var out []ciCommand
	for _, l := range ltLines(text) {
		trimmed := strings.TrimSpace(l.text)
		if trimmed == "" || strings.HasPrefix(trimmed, "//") {
			continue
		}
		out = append(out, ciCommand{file: file, line: first + l.index, text: trimmed, cwd: cwd})
	}
	return out
}

// ltLine is a logical line: physical lines continued with a trailing
// backslash are joined. index is the 0-based index of its first line.
type ltLine struct {
	index int
	text  string
}

func ltLines(text string) []ltLine {
	var out []ltLine
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		l := ltLine{index: i, text: strings.TrimRight(lines[i], " \t\r")}
		for strings.HasSuffix(l.text, `\`) && i+1 < len(lines) {
			i++
			l.text = strings.TrimSuffix(l.text, `\`) + " " + strings.TrimSpace(lines[i])
		}
		out = append(out, l)
	}
	return out
}

// githubWorkflowCommands reads the commands of a GitHub Actions workflow:
// each step's run script, in its working-directory (the step's, else the
// job's or the workflow's defaults.run), and the step's with: inputs
// (an action such as grafana/k6-action takes the script as an input).
func githubWorkflowCommands(file string, data []byte) ([]ciCommand, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	root := yamlnode.Resolve(&doc)
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: a workflow must be a mapping", root.Line)
	}
	get := func(n *yaml.Node, keys ...string) *yaml.Node {
		for _, k := range keys {
			if n == nil || yamlnode.Resolve(n).Kind != yaml.MappingNode {
				return nil
			}
			n = yamlnode.Lookup(yamlnode.Resolve(n), k)
		}
		if n == nil {
			return nil
		}
		return yamlnode.Resolve(n)
	}
	scalar := func(n *yaml.Node) string {
		if n != nil && n.Kind == yaml.ScalarNode {
			return n.Value
		}
		return ""
	}
	var out []ciCommand
	topDir := scalar(get(root, "defaults", "run", "working-directory"))
	jobs := get(root, "jobs")
	if jobs == nil || jobs.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 1; i < len(jobs.Content); i += 2 {
		job := yamlnode.Resolve(jobs.Content[i])
		jobDir := scalar(get(job, "defaults", "run", "working-directory"))
		if jobDir == "" {
			jobDir = topDir
		}
		steps := get(job, "steps")
		if steps == nil || steps.Kind != yaml.SequenceNode {
			continue
		}
		for _, step := range steps.Content {
			step = yamlnode.Resolve(step)
			dir := scalar(get(step, "working-directory"))
			if dir == "" {
				dir = jobDir
			}
			if run := get(step, "run"); run != nil && run.Kind == yaml.ScalarNode {
				first := run.Line
				if run.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
					first++ // a block scalar's text starts on the next line
				}
				out = append(out, ciTextCommands(file, first, run.Value, dir)...)
			}
			if with := get(step, "with"); with != nil && with.Kind == yaml.MappingNode {
				for j := 1; j < len(with.Content); j += 2 {
					if v := yamlnode.Resolve(with.Content[j]); v.Kind == yaml.ScalarNode {
						out = append(out, ciTextCommands(file, v.Line, v.Value, "")...)
					}
				}
			}
		}
	}
	return out, nil
}

// ltSegment is one simple command of a command line, with the directory
// it runs in.
type ltSegment struct {
	words []string
	cwd   string
}

// ltSegments splits a command line into simple commands, following cd.
func ltSegments(cmd ciCommand) []ltSegment {
	var segs []ltSegment
	cwd := path.Clean(cmd.cwd) // "" is the repository root, "."
	var cur []string
	flush := func() {
		if len(cur) == 0 {
			return
		}
		segs = append(segs, ltSegment{words: cur, cwd: cwd})
		if i := slices.IndexFunc(cur, func(s string) bool { return s == "cd" || s == "pushd" }); i >= 0 && i+1 < len(cur) {
			cwd = path.Join(cwd, cur[i+1])
		}
		cur = nil
	}
	for _, w := range ltWords(cmd.text) {
		if w == ";" {
			flush()
			continue
		}
		cur = append(cur, w)
	}
	flush()
	return segs
}

// ltWords splits a CI line into words, roughly as a shell would: quotes
// group, and ;, &, |, ( and ) separate commands (returned as ";"). The
// lines mix shell with YAML and Groovy (sh 'make test'), which no shell
// parser accepts, so a quoted string with spaces is taken as a command of
// its own and split in turn. $(...) and ${...} stay one word. A # that
// starts a word starts a comment.
func ltWords(line string) []string {
	var out []string
	var cur strings.Builder
	inWord := false
	flush := func() {
		if inWord {
			out = append(out, cur.String())
			cur.Reset()
			inWord = false
		}
	}
	sep := func() {
		flush()
		if len(out) > 0 && out[len(out)-1] != ";" {
			out = append(out, ";")
		}
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\'' || c == '"':
			end := strings.IndexByte(line[i+1:], c)
			if end < 0 {
				end = len(line) - i - 1
			}
			quoted := line[i+1 : i+1+end]
			i += end + 1
			if strings.ContainsAny(quoted, " \t") {
				sep()
				out = append(out, ltWords(quoted)...)
				sep()
				continue
			}
			cur.WriteString(quoted)
			inWord = true
		case c == '$' && i+1 < len(line) && (line[i+1] == '(' || line[i+1] == '{'):
			closer := byte(')')
			if line[i+1] == '{' {
				closer = '}'
			}
			end := strings.IndexByte(line[i:], closer)
			if end < 0 {
				end = len(line) - i - 1
			}
			cur.WriteString(line[i : i+end+1])
			inWord = true
			i += end
		case c == '#' && !inWord:
			flush()
			return out
		case c == ' ' || c == '\t' || c == '<' || c == '>':
			flush() // redirections separate words: k6 run - <script.js
		case strings.IndexByte(";&|()`", c) >= 0:
			sep()
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	flush()
	if len(out) > 0 && out[len(out)-1] == ";" {
		out = out[:len(out)-1]
	}
	return out
}

// goCovers reports whether a go test package argument, run in cwd, covers
// the Go file p.
func (ci *loadTestCI) goCovers(pkg, cwd, p string) bool {
	dir := path.Dir(p)
	if strings.HasSuffix(pkg, ".go") {
		return path.Join(cwd, pkg) == p
	}
	if !strings.HasPrefix(pkg, ".") {
		return false // an import path: resolving it needs go.mod's module path
	}
	full := path.Join(cwd, pkg)
	base, recursive := strings.CutSuffix(full, "/...")
	if full == "..." {
		base, recursive = ".", true
	}
	if !recursive {
		return full == dir
	}
	rel := dir
	if base != "." {
		var ok bool
		if rel, ok = strings.CutPrefix(dir, base+"/"); !ok {
			return dir == base
		}
	} else if dir == "." {
		return true
	}
	// ./... skips directories go ignores and nested modules.
	at := base
	for _, elem := range strings.Split(rel, "/") {
		at = path.Join(at, elem)
		if strings.HasPrefix(elem, ".") || strings.HasPrefix(elem, "_") || elem == "testdata" || elem == "vendor" || ci.goMods[at] {
			return false
		}
	}
	return true
}

// missingEnv says which environment variables a test that skips itself
// without them needs and no CI file names, or "".
func (ci *loadTestCI) missingEnv(f goLoadFunc) string {
	raw := ci.raw.String()
	var missing []string
	for _, name := range f.env {
		if !regexp.MustCompile(`\b` + regexp.QuoteMeta(name) + `\b`).MatchString(raw) {
			missing = append(missing, name)
		}
	}
	if len(missing) == 0 {
		return ""
	}
	return fmt.Sprintf("%s skips itself unless %s is set, and no CI file sets it", f.name, strings.Join(missing, ", "))
}

// taskRunner is a parsed Makefile, justfile or Taskfile.
type taskRunner struct {
	targets map[string]*taskTarget
	first   string // the default target
}

type taskTarget struct {
	deps []string
	cmds []ciCommand
}

// taskRunnerKind tells a task runner's file by its name: "make", "just",
// "task", or "" for anything else.
func taskRunnerKind(name string) string {
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

var taskRunnerFiles = map[string][]string{
	"make": {"GNUmakefile", "makefile", "Makefile"},
	"just": {"justfile", "Justfile", ".justfile"},
	"task": {"Taskfile.yml", "taskfile.yml", "Taskfile.yaml", "taskfile.yaml"},
}

// invokedTargets returns the commands of the task-runner targets a
// command invokes (make, just or task), each target once.
func (ci *loadTestCI) invokedTargets(cmd ciCommand, seen map[string]bool) []ciCommand {
	var out []ciCommand
	for _, seg := range ltSegments(cmd) {
		kind, dir, file, targets := taskInvocation(seg)
		if kind == "" {
			continue
		}
		if file == "" {
			for _, name := range taskRunnerFiles[kind] {
				if candidate := path.Join(dir, name); ci.hasFile(candidate) {
					file = candidate
					break
				}
			}
		}
		if file == "" || !matchesAnyGlob(ci.globs, file) {
			continue // not CI configuration the policy lets the check read
		}
		tr := ci.runner(kind, file)
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

func (ci *loadTestCI) hasFile(name string) bool {
	files, _ := ci.repo.Files() // listed without error by Check
	_, ok := slices.BinarySearch(files, name)
	return ok
}

// runner parses a task-runner file on first use; nil when it cannot be
// read or parsed (reported as a problem).
func (ci *loadTestCI) runner(kind, file string) *taskRunner {
	if tr, ok := ci.runners[file]; ok {
		return tr
	}
	ci.runners[file] = nil
	data, ok := ci.readFile(file)
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
		ci.problems = append(ci.problems, Finding{Path: file, Line: yamlnode.SyntaxLine(err), Message: fmt.Sprintf("cannot tell whether this Taskfile runs the load test: it does not parse: %v", err)})
		return nil
	}
	ci.runners[file] = tr
	return tr
}

// taskInvocation recognises "make [-C dir] [-f file] targets", "just
// [-f file] recipes" and "task [-d dir] [-t file] tasks" in a segment. file
// is "" when the runner looks for its default file in dir.
func taskInvocation(seg ltSegment) (kind, dir, file string, targets []string) {
	i := slices.IndexFunc(seg.words, func(s string) bool {
		b := path.Base(s)
		return b == "make" || b == "gmake" || s == "$(MAKE)" || s == "${MAKE}" || b == "just" || b == "task"
	})
	if i < 0 {
		return "", "", "", nil
	}
	switch b := path.Base(seg.words[i]); b {
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
	dir = seg.cwd
	args := seg.words[i+1:]
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
	for _, l := range ltLines(string(data)) {
		line, start := l.text, l.index
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if line[0] == '\t' || line[0] == ' ' {
			text := strings.TrimLeft(trimmed, "@-+")
			for _, t := range current {
				t.cmds = append(t.cmds, ciCommand{file: file, line: start + 1, text: text, cwd: dir})
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
				t.cmds = append(t.cmds, ciCommand{file: file, line: start + 1, text: strings.TrimSpace(inline), cwd: dir})
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
				t.cmds[i].text = expandMakeVars(t.cmds[i].text, vars)
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
		return nil, err
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
				t.cmds = append(t.cmds, ciTextCommands(file, c.Line, c.Value, dir)...)
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

// goLoadFunc is a Test or Benchmark function of a Go load test.
type goLoadFunc struct {
	name       string
	line       int
	bench      bool
	skipsShort bool     // it calls testing.Short()
	env        []string // variables it reads when it can skip itself
}

// goLoadLibraries are import paths (and their subpackages) of Go load
// generation libraries: importing one is evidence enough.
var goLoadLibraries = []string{
	"github.com/tsenart/vegeta", "github.com/myzhan/boomer", "github.com/bojand/ghz",
	"fortio.org/fortio", "github.com/rakyll/hey",
}

// findGoLoadTests analyses the candidate Go files of one directory. The
// evidence of load generation may sit in a helper file of the package, so
// it is pooled per directory.
func findGoLoadTests(repo *Repo, tool *loadTool, files []string) (found []*loadTestFound, unconfirmed []string, problems []Finding) {
	type goFile struct {
		name string
		fset *token.FileSet
		f    *ast.File
	}
	var parsed []goFile
	evidence := false
	for _, name := range files {
		data, err := repo.ReadFile(name)
		if err != nil {
			problems = append(problems, Finding{Path: name, Message: fmt.Sprintf("cannot tell whether this is a Go load test: %v", err)})
			continue
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, name, data, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			line := 0
			var list scanner.ErrorList
			if errors.As(err, &list) && len(list) > 0 {
				line = list[0].Pos.Line
			}
			problems = append(problems, Finding{Path: name, Line: line, Message: fmt.Sprintf("cannot tell whether this is a Go load test: it does not parse: %v", err)})
			continue
		}
		evidence = evidence || goGeneratesLoad(f)
		parsed = append(parsed, goFile{name, fset, f})
	}
	for _, p := range parsed {
		if !evidence {
			unconfirmed = append(unconfirmed, fmt.Sprintf("%s (%s)", p.name, tool.lacks))
			continue
		}
		lt := &loadTestFound{tool: tool, path: p.name, constraint: goBuildConstraint(p.f)}
		if strings.HasSuffix(p.name, "_test.go") {
			lt.funcs = goTestFuncs(p.fset, p.f)
			if len(lt.funcs) > 0 {
				lt.line = lt.funcs[0].line
			}
		} else if line := goMainLine(p.fset, p.f); line > 0 {
			lt.program, lt.line = true, line
		}
		if lt.program || len(lt.funcs) > 0 {
			found = append(found, lt)
		}
	}
	return found, unconfirmed, problems
}

// goImportName is the name a file refers to an import by, or "".
func goImportName(f *ast.File, importPath string) string {
	for _, imp := range f.Imports {
		if p, _ := strconv.Unquote(imp.Path.Value); p == importPath {
			if imp.Name != nil {
				return imp.Name.Name
			}
			return path.Base(importPath)
		}
	}
	return ""
}

// goGeneratesLoad reports whether a file imports a load generation library
// or has a function that sends HTTP requests from a loop and runs
// concurrently.
func goGeneratesLoad(f *ast.File) bool {
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		for _, lib := range goLoadLibraries {
			if p == lib || strings.HasPrefix(p, lib+"/") {
				return true
			}
		}
	}
	httpName := goImportName(f, "net/http")
	if httpName == "" {
		return false
	}
	for _, decl := range f.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Body == nil {
			continue
		}
		concurrent, loopSends := false, false
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.GoStmt:
				concurrent = true
			case *ast.CallExpr:
				if sel, ok := n.Fun.(*ast.SelectorExpr); ok && (sel.Sel.Name == "RunParallel" || sel.Sel.Name == "Go") {
					concurrent = true
				}
			case *ast.ForStmt:
				loopSends = loopSends || goSendsHTTP(n.Body, httpName)
			case *ast.RangeStmt:
				loopSends = loopSends || goSendsHTTP(n.Body, httpName)
			}
			return true
		})
		if concurrent && loopSends {
			return true
		}
	}
	return false
}

// goSendsHTTP reports whether n sends an HTTP request: a net/http call
// (http.Get, http.NewRequest...) or a client's Do, Post, PostForm, Head,
// or Get (only on something named like a client: Header.Get is no request).
func goSendsHTTP(n ast.Node, httpName string) bool {
	sends := false
	ast.Inspect(n, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return !sends
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		recv := ""
		switch x := sel.X.(type) {
		case *ast.Ident:
			recv = x.Name
		case *ast.SelectorExpr:
			recv = x.Sel.Name
		}
		switch sel.Sel.Name {
		case "NewRequest", "NewRequestWithContext":
			sends = sends || recv == httpName
		case "Do", "Post", "PostForm", "Head":
			sends = true
		case "Get":
			sends = sends || recv == httpName || strings.Contains(strings.ToLower(recv), "client")
		}
		return !sends
	})
	return sends
}

// goTestFuncs lists a test file's Test and Benchmark functions with what
// decides whether go test runs them.
func goTestFuncs(fset *token.FileSet, f *ast.File) []goLoadFunc {
	testingName, osName := goImportName(f, "testing"), goImportName(f, "os")
	var out []goLoadFunc
	for _, decl := range f.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Recv != nil || fn.Body == nil || fn.Name.Name == "TestMain" {
			continue
		}
		lf := goLoadFunc{name: fn.Name.Name, line: fset.Position(fn.Pos()).Line}
		switch {
		case goTestName(lf.name, "Test"):
		case goTestName(lf.name, "Benchmark"):
			lf.bench = true
		default:
			continue
		}
		skips := false
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			x, _ := sel.X.(*ast.Ident)
			switch name := sel.Sel.Name; {
			case name == "Short" && x != nil && x.Name == testingName:
				lf.skipsShort = true
			case name == "Skip" || name == "Skipf" || name == "SkipNow":
				skips = true
			case (name == "Getenv" || name == "LookupEnv") && x != nil && x.Name == osName && len(call.Args) == 1:
				if lit, ok := call.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if v, err := strconv.Unquote(lit.Value); err == nil {
						lf.env = append(lf.env, v)
					}
				}
			}
			return true
		})
		if !skips {
			lf.env = nil
		}
		out = append(out, lf)
	}
	return out
}

// goTestName reports whether name is a test of the kind prefix, by go
// test's rule: the prefix, then nothing or a non-lowercase letter.
func goTestName(name, prefix string) bool {
	rest, ok := strings.CutPrefix(name, prefix)
	return ok && (rest == "" || !(rest[0] >= 'a' && rest[0] <= 'z'))
}

// goMainLine is the line of func main in a package main, or 0.
func goMainLine(fset *token.FileSet, f *ast.File) int {
	if f.Name.Name != "main" {
		return 0
	}
	for _, decl := range f.Decls {
		if fn, ok := decl.(*ast.FuncDecl); ok && fn.Recv == nil && fn.Name.Name == "main" {
			return fset.Position(fn.Pos()).Line
		}
	}
	return 0
}

// goBuildConstraint is the file's //go:build (or // +build) constraint.
func goBuildConstraint(f *ast.File) constraint.Expr {
	for _, cg := range f.Comments {
		if cg.Pos() >= f.Package {
			break
		}
		for _, c := range cg.List {
			if constraint.IsGoBuild(c.Text) || constraint.IsPlusBuild(c.Text) {
				if x, err := constraint.Parse(c.Text); err == nil {
					return x
				}
			}
		}
	}
	return nil
}
