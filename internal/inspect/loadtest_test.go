package inspect

import (
	"os"
	"strings"
	"testing"
	"time"
)

const (
	k6Script = `import http from 'k6/http';
import {
  check,
  sleep,
} from 'k6';

export default function () {
  check(http.get(__ENV.TARGET_URL), { 'status is 200': (r) => r.status === 200 });
  sleep(1);
}
`
	k6Required = "const http = require('k6/http');\nmodule.exports.default = () => http.get('http://x');\n"
	// Mentions k6 only in comments: not a k6 script.
	k6Mention = `// TODO: turn this into a k6 script
// import http from 'k6/http';
export function load() { return fetch('/api'); }
`
	locustFile = `from locust import HttpUser, task

class Shopper(HttpUser):
    @task
    def browse(self):
        self.client.get("/")
`
	gatlingSim = `package perf

import io.gatling.javaapi.core.*;
import static io.gatling.javaapi.http.HttpDsl.*;

public class CheckoutSimulation extends Simulation {}
`
	jmeterPlan = `<?xml version="1.0" encoding="UTF-8"?>
<jmeterTestPlan version="1.2" properties="5.0" jmeter="5.6">
  <hashTree/>
</jmeterTestPlan>
`
	vegetaTargets = "# health and search\nGET https://staging.example.com/health\nGET https://staging.example.com/search?q=x\n"
	vegetaScript  = "#!/bin/sh\nset -e\necho \"GET $TARGET_URL/\" | vegeta attack -rate=100 -duration=30s | vegeta report\n"

	// goLoadTest sends HTTP requests from concurrent loops; it skips
	// itself under -short and without LOAD_URL.
	goLoadTest = `package loadtest

import (
	"net/http"
	"os"
	"sync"
	"testing"
)

func TestLoadCheckout(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	url := os.Getenv("LOAD_URL")
	if url == "" {
		t.Skip("set LOAD_URL")
	}
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 100; j++ {
				resp, err := http.Get(url)
				if err == nil {
					resp.Body.Close()
				}
			}
		}()
	}
	wg.Wait()
}
`
	goTaggedLoadTest = `//go:build loadtest

package loadtest

import (
	"net/http"
	"testing"
)

func TestSoak(t *testing.T) {
	client := &http.Client{}
	for i := 0; i < 1000; i++ {
		go func() {
			req, _ := http.NewRequest("GET", "http://localhost:8080", nil)
			client.Do(req)
		}()
	}
}
`
	goBenchLoad = `package api

import (
	"net/http"
	"testing"
)

func BenchmarkLoadSearch(b *testing.B) {
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			http.Get("http://localhost:8080/search")
		}
	})
}
`
	goVegetaProgram = `package main

import vegeta "github.com/tsenart/vegeta/v12/lib"

func main() {
	_ = vegeta.NewAttacker()
}
`
	// A config loader's test: named like a load test, generates no load.
	goConfigLoadTest = `package config

import "testing"

func TestLoadConfig(t *testing.T) {
	for _, name := range []string{"a.yaml", "b.yaml"} {
		if _, err := Load(name); err != nil {
			t.Fatal(err)
		}
	}
}
`
)

// workflow is a GitHub Actions workflow whose one step runs run, on line 9
// onward.
func workflow(run string) string {
	return `name: ci
on: [push]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: |
` + indent(run, "          ")
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n") + "\n"
}

// with returns files plus more.
func with(files map[string]string, more ...string) map[string]string {
	out := map[string]string{}
	for k, v := range files {
		out[k] = v
	}
	for i := 0; i+1 < len(more); i += 2 {
		out[more[i]] = more[i+1]
	}
	return out
}

func TestLoadTestCheckTools(t *testing.T) {
	const wf = ".github/workflows/ci.yml"
	k6 := map[string]string{"loadtest/script.js": k6Script}
	goLoad := map[string]string{"go.mod": "module x\n", "loadtest/load_test.go": goLoadTest}
	for _, tc := range []struct {
		name  string
		files map[string]string
		c     LoadTest
		want  []expectedFinding // nil: passes
	}{
		// k6
		{"k6: run by path", with(k6, wf, workflow("k6 run loadtest/script.js")), LoadTest{}, nil},
		{"k6: not run", with(k6, wf, workflow("go test ./...")), LoadTest{},
			[]expectedFinding{{"loadtest/script.js", 0, []string{"k6 script loadtest/script.js is not run by CI: no command in .github/workflows/ci.yml runs it\nfix: add a CI step that runs it, e.g.: k6 run loadtest/script.js"}}}},
		{"k6: CI runs a file that does not exist", with(k6, wf, workflow("npm ci\nk6 run loadtest/old-script.js")), LoadTest{},
			[]expectedFinding{{"loadtest/script.js", 0, []string{"is not run by CI", "CI runs k6 on loadtest/old-script.js (.github/workflows/ci.yml:10), not in the repository"}}}},
		{"k6: step working-directory", with(k6, wf, "jobs:\n  load:\n    steps:\n      - working-directory: loadtest\n        run: k6 run --vus 10 script.js\n"), LoadTest{}, nil},
		{"k6: job defaults working-directory and ./", with(k6, wf, "jobs:\n  load:\n    defaults:\n      run:\n        working-directory: loadtest\n    steps:\n      - run: k6 run ./script.js\n"), LoadTest{}, nil},
		{"k6: cd in GitLab CI", with(k6, ".gitlab-ci.yml", "load:\n  script:\n    - cd loadtest && k6 run script.js\n"), LoadTest{}, nil},
		{"k6: commented-out GitLab line", with(k6, ".gitlab-ci.yml", "load:\n  script:\n    # - k6 run loadtest/script.js\n    - echo skipped\n"), LoadTest{},
			[]expectedFinding{{"loadtest/script.js", 0, []string{"no command in .gitlab-ci.yml runs it"}}}},
		{"k6: action input", with(k6, wf, "jobs:\n  load:\n    steps:\n      - uses: grafana/k6-action@v0.3.1\n        with:\n          filename: loadtest/script.js\n"), LoadTest{}, nil},
		{"k6: docker with redirect", with(k6, "Jenkinsfile", "pipeline {\n  stages {\n    stage('load') {\n      steps { sh 'docker run --rm -i grafana/k6:0.50.0 run - <loadtest/script.js' }\n    }\n  }\n}\n"), LoadTest{}, nil},
		{"k6: glob", with(k6, wf, workflow("for f in loadtest/*.js; do k6 run \"$f\"; done")), LoadTest{}, nil},
		{"k6: workspace variable", with(k6, wf, "jobs:\n  load:\n    steps:\n      - uses: grafana/run-k6-action@v1\n        with:\n          path: ${{ github.workspace }}/loadtest/script.js\n"), LoadTest{}, nil},
		{"k6: commented-out Jenkins line", with(k6, "Jenkinsfile", "node {\n  // sh 'k6 run loadtest/script.js'\n  sh 'make test'\n}\n"), LoadTest{},
			[]expectedFinding{{"loadtest/script.js", 0, []string{"no command in Jenkinsfile runs it"}}}},
		{"k6: require()", map[string]string{"perf/api.js": k6Required, wf: workflow("k6 run perf/api.js")}, LoadTest{}, nil},
		{"k6: a comment mentioning k6 is no script", map[string]string{"loadtest/script.js": k6Mention, wf: workflow("k6 run loadtest/script.js")}, LoadTest{},
			[]expectedFinding{{"", 0, []string{`no load test found; with a load test's name but not its content: loadtest/script.js (no import from "k6")` + "\n" +
				"fix: add a k6, locust, gatling, jmeter, vegeta or go load test run by CI, or name yours in the check's paths"}}}},
		{"k6: near misses beyond two are counted", map[string]string{"loadtest/a.js": k6Mention, "loadtest/b.js": k6Mention, "loadtest/c.js": k6Mention}, LoadTest{},
			[]expectedFinding{{"", 0, []string{`content: loadtest/a.js (no import from "k6"), loadtest/b.js (no import from "k6") and 1 more` + "\nfix: "}}}},
		{"k6: unrelated JS is not read", map[string]string{"web/upload.js": k6Script, "web/loader.ts": k6Script}, LoadTest{},
			[]expectedFinding{{"", 0, []string{"no load test found"}}}},
		{"k6: extra paths", map[string]string{"bench/api.js": k6Script, wf: workflow("k6 run bench/api.js")}, LoadTest{Paths: []string{"bench/*.js"}}, nil},

		// Locust
		{"locust: -f", map[string]string{"perf/locustfile.py": locustFile, wf: workflow("pip install locust\nlocust -f perf/locustfile.py --headless -u 10 -r 2 -t 1m --host $URL")}, LoadTest{}, nil},
		{"locust: default locustfile.py", map[string]string{"perf/locustfile.py": locustFile, ".gitlab-ci.yml": "load:\n  script:\n    - cd perf\n    - locust --headless -u 10 -t 1m\n"}, LoadTest{}, nil},
		{"locust: installing is not running", map[string]string{"perf/locustfile.py": locustFile, wf: workflow("pip install locust")}, LoadTest{},
			[]expectedFinding{{"perf/locustfile.py", 0, []string{"Locust file perf/locustfile.py is not run by CI", "locust -f perf/locustfile.py --headless"}}}},
		{"locust: import locust form", map[string]string{"load_locust.py": "import locust\n", wf: workflow("python -m locust -f load_locust.py --headless")}, LoadTest{}, nil},

		// Gatling
		{"gatling: maven plugin in Jenkins", map[string]string{"src/test/java/perf/CheckoutSimulation.java": gatlingSim, "Jenkinsfile": "node {\n  sh 'mvn -B gatling:test'\n}\n"}, LoadTest{}, nil},
		{"gatling: gradle", map[string]string{"src/gatling/kotlin/CheckoutSimulation.kt": "import io.gatling.javaapi.core.*\n", wf: workflow("./gradlew gatlingRun")}, LoadTest{}, nil},
		{"gatling: not run", map[string]string{"src/test/java/perf/CheckoutSimulation.java": gatlingSim, wf: workflow("mvn test")}, LoadTest{},
			[]expectedFinding{{"src/test/java/perf/CheckoutSimulation.java", 0, []string{"Gatling simulation", "mvn gatling:test"}}}},
		{"gatling: no io.gatling import", map[string]string{"src/SimulationTest.java": "class SimulationTest {}\n", wf: workflow("mvn gatling:test")}, LoadTest{},
			[]expectedFinding{{"", 0, []string{"src/SimulationTest.java (no io.gatling import)"}}}},

		// JMeter
		{"jmeter: -t", map[string]string{"perf/checkout.jmx": jmeterPlan, wf: workflow("jmeter -n -t perf/checkout.jmx -l results.jtl")}, LoadTest{}, nil},
		{"jmeter: dangling plan", map[string]string{"perf/checkout.jmx": jmeterPlan, wf: workflow("jmeter -n -t perf/old.jmx -l results.jtl")}, LoadTest{},
			[]expectedFinding{{"perf/checkout.jmx", 0, []string{"JMeter test plan perf/checkout.jmx is not run by CI", "CI runs jmeter on perf/old.jmx (.github/workflows/ci.yml:9)", "jmeter -n -t perf/checkout.jmx"}}}},
		{"jmeter: not a plan", map[string]string{"perf/checkout.jmx": "<xml/>\n", wf: workflow("jmeter -n -t perf/checkout.jmx")}, LoadTest{},
			[]expectedFinding{{"", 0, []string{"perf/checkout.jmx (no <jmeterTestPlan>)"}}}},

		// Vegeta
		{"vegeta: targets", map[string]string{"perf/vegeta-targets.txt": vegetaTargets, wf: workflow("vegeta attack -targets=perf/vegeta-targets.txt -duration=30s | vegeta report")}, LoadTest{}, nil},
		{"vegeta: targets by base name", map[string]string{"perf/vegeta/targets.txt": vegetaTargets, wf: workflow("cd perf/vegeta\nvegeta attack -targets targets.txt | vegeta report")}, LoadTest{}, nil},
		{"vegeta: script by path", map[string]string{"scripts/vegeta.sh": vegetaScript, wf: workflow("./scripts/vegeta.sh")}, LoadTest{}, nil},
		{"vegeta: not run", map[string]string{"scripts/vegeta.sh": vegetaScript, wf: workflow("make test")}, LoadTest{},
			[]expectedFinding{{"scripts/vegeta.sh", 0, []string{"Vegeta load test scripts/vegeta.sh is not run by CI", "e.g.: bash scripts/vegeta.sh"}}}},

		// Go
		{"go: go test ./... with the env it needs", with(goLoad, wf, workflow("go test ./...")+"    env:\n      LOAD_URL: http://localhost:8080\n"), LoadTest{}, nil},
		{"go: without the env it needs", with(goLoad, wf, workflow("go test -race ./...")), LoadTest{},
			[]expectedFinding{{"loadtest/load_test.go", 10, []string{"Go load test loadtest/load_test.go is not run by CI: go test at .github/workflows/ci.yml:9 covers its package, but TestLoadCheckout skips itself unless LOAD_URL is set, and no CI file sets it", "go test -run '^(TestLoadCheckout)$' ./loadtest"}}}},
		{"go: -short skips it", with(goLoad, wf, workflow("LOAD_URL=http://x go test -short ./...")), LoadTest{},
			[]expectedFinding{{"loadtest/load_test.go", 10, []string{"TestLoadCheckout skips itself under -short, and the command passes -short"}}}},
		{"go: -run selects it", with(goLoad, wf, workflow("go test -run 'TestLoad.*/fast' ./loadtest/... # LOAD_URL from secrets")+"    env:\n      LOAD_URL: ${{ secrets.LOAD_URL }}\n"), LoadTest{}, nil},
		{"go: -run does not select it", with(goLoad, wf, workflow("LOAD_URL=x go test -run=TestUnit ./...")), LoadTest{},
			[]expectedFinding{{"loadtest/load_test.go", 10, []string{"-run TestUnit does not select TestLoadCheckout"}}}},
		{"go: -skip skips it", with(goLoad, wf, workflow("LOAD_URL=x go test -skip Load ./...")), LoadTest{},
			[]expectedFinding{{"loadtest/load_test.go", 10, []string{"-skip Load skips TestLoadCheckout"}}}},
		{"go: another package", with(goLoad, wf, workflow("LOAD_URL=x go test ./internal/...")), LoadTest{},
			[]expectedFinding{{"loadtest/load_test.go", 10, []string{"no command in .github/workflows/ci.yml runs it"}}}},
		{"go: go test -c only compiles", with(goLoad, wf, workflow("LOAD_URL=x go test -c ./loadtest")), LoadTest{},
			[]expectedFinding{{"loadtest/load_test.go", 10, []string{"is not run by CI"}}}},
		{"go: gotestsum", with(goLoad, wf, workflow("LOAD_URL=x gotestsum --format testname -- -run TestLoad ./loadtest/...")), LoadTest{}, nil},
		{"go: nested module is not in ./...", with(goLoad, "loadtest/go.mod", "module x/loadtest\n", wf, workflow("LOAD_URL=x go test ./...")), LoadTest{},
			[]expectedFinding{{"loadtest/load_test.go", 10, []string{"is not run by CI"}}}},
		{"go: nested module run in its directory", with(goLoad, "loadtest/go.mod", "module x/loadtest\n", wf, workflow("cd loadtest && LOAD_URL=x go test ./...")), LoadTest{}, nil},
		{"go: nested module in the step's working-directory", with(goLoad, "loadtest/go.mod", "module x/loadtest\n", wf, "jobs:\n  t:\n    steps:\n      - run: LOAD_URL=x go test ./...\n        working-directory: ./loadtest\n"), LoadTest{}, nil},
		{"go: nested module with go -C", with(goLoad, "loadtest/go.mod", "module x/loadtest\n", wf, workflow("LOAD_URL=x go -C loadtest test ./...")), LoadTest{}, nil},
		{"go: program run with go -C", map[string]string{"loadtest/main.go": goVegetaProgram, wf: workflow("go -C=loadtest run .")}, LoadTest{}, nil},
		{"go: testdata is not in ./...", map[string]string{"testdata/loadtest/load_test.go": goLoadTest, wf: workflow("LOAD_URL=x go test ./...")}, LoadTest{},
			[]expectedFinding{{"testdata/loadtest/load_test.go", 10, []string{"is not run by CI"}}}},
		{"go: build tag missing", map[string]string{"loadtest/soak_test.go": goTaggedLoadTest, wf: workflow("go test ./...")}, LoadTest{},
			[]expectedFinding{{"loadtest/soak_test.go", 10, []string{"go test at .github/workflows/ci.yml:9 covers its package but not its build constraint (add -tags=loadtest)", "go test -tags=loadtest -run '^(TestSoak)$' ./loadtest"}}}},
		{"go: flags on continuation lines", map[string]string{"loadtest/soak_test.go": goTaggedLoadTest, wf: workflow("go test \\\n  -tags=loadtest \\\n  ./...")}, LoadTest{}, nil},
		{"go: build tag given", map[string]string{"loadtest/soak_test.go": goTaggedLoadTest, wf: workflow("go test -tags=integration,loadtest ./...")}, LoadTest{}, nil},
		{"go: benchmark needs -bench", map[string]string{"api/load_test.go": goBenchLoad, wf: workflow("go test ./...")}, LoadTest{},
			[]expectedFinding{{"api/load_test.go", 8, []string{"no -bench pattern selects the benchmark BenchmarkLoadSearch", "go test -run '^$' -bench '^(BenchmarkLoadSearch)$' ./api"}}}},
		{"go: benchmark with -bench", map[string]string{"api/load_test.go": goBenchLoad, wf: workflow("go test -run '^$' -bench . ./api")}, LoadTest{}, nil},
		{"go: program under stress/ run by go run", map[string]string{"internal/stress/main.go": goVegetaProgram, wf: workflow("go run ./internal/stress -rate 50")}, LoadTest{}, nil},
		{"go: program under stress/ not run", map[string]string{"internal/stress/main.go": goVegetaProgram, wf: workflow("go build ./...")}, LoadTest{},
			[]expectedFinding{{"internal/stress/main.go", 5, []string{"Go load test internal/stress/main.go is not run by CI", "go run ./internal/stress"}}}},
		{"go: program with vegeta's library", map[string]string{"loadtest/main.go": goVegetaProgram, wf: workflow("go run ./loadtest -rate 50")}, LoadTest{}, nil},
		{"go: program not run", map[string]string{"loadtest/main.go": goVegetaProgram, wf: workflow("go build ./...")}, LoadTest{},
			[]expectedFinding{{"loadtest/main.go", 5, []string{"Go load test loadtest/main.go is not run by CI", "go run ./loadtest"}}}},
		{"go: evidence in a helper file of the package", map[string]string{
			"loadtest/hammer.go":      "package loadtest\n\nimport (\n\t\"net/http\"\n\t\"golang.org/x/sync/errgroup\"\n)\n\nfunc Hammer(url string) error {\n\tvar g errgroup.Group\n\tfor i := 0; i < 10; i++ {\n\t\tg.Go(func() error { _, err := http.Get(url); return err })\n\t}\n\treturn g.Wait()\n}\n",
			"loadtest/hammer_test.go": "package loadtest\n\nimport \"testing\"\n\nfunc TestHammer(t *testing.T) { Hammer(\"http://x\") }\n",
			wf:                        workflow("go test ./..."),
		}, LoadTest{}, nil},
		{"go: a config loader's TestLoad is no load test", map[string]string{"internal/config/load_test.go": goConfigLoadTest, wf: workflow("go test ./...")}, LoadTest{},
			[]expectedFinding{{"", 0, []string{"internal/config/load_test.go (no load generation"}}}},
		{"go: upload_test.go is not read", map[string]string{"api/upload_test.go": goBenchLoad, wf: workflow("go test -bench . ./...")}, LoadTest{},
			[]expectedFinding{{"", 0, []string{"no load test found"}}}},

		// tools
		{"tools: only k6 recognised", map[string]string{"perf/locustfile.py": locustFile, wf: workflow("locust -f perf/locustfile.py --headless")}, LoadTest{Tools: []string{"k6"}},
			[]expectedFinding{{"", 0, []string{"no load test found\nfix: add a k6 load test run by CI"}}}},
		{"one of two tests run is enough", map[string]string{"perf/locustfile.py": locustFile, "loadtest/script.js": k6Script, wf: workflow("k6 run loadtest/script.js")}, LoadTest{}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := checkValid(t, &tc.c, fixtureRepo(tc.files))
			expectFindings(t, got, tc.want)
			for _, f := range got {
				if f.Path != "" && tc.files[f.Path] == "" {
					t.Errorf("finding names %s, which is not in the repository", f.Path)
				}
			}
		})
	}
}

func TestLoadTestCheckTaskRunners(t *testing.T) {
	const wf = ".github/workflows/ci.yml"
	k6 := map[string]string{"loadtest/script.js": k6Script}
	for _, tc := range []struct {
		name  string
		files map[string]string
		c     LoadTest
		want  []expectedFinding
	}{
		{"make target", with(k6, wf, workflow("make loadtest"), "Makefile", ".PHONY: test loadtest\n\ntest:\n\tgo test ./...\n\nloadtest:\n\t@k6 run loadtest/script.js\n"), LoadTest{}, nil},
		{"make target with a variable", with(k6, wf, workflow("make loadtest"), "Makefile", "SCRIPT_DIR ?= loadtest\nSCRIPT := $(SCRIPT_DIR)/script.js\n\nloadtest:\n\tk6 run $(SCRIPT)\n"), LoadTest{}, nil},
		{"make variable appended to", with(k6, wf, workflow("make loadtest"), "Makefile", "SCRIPTS := loadtest/script.js\nSCRIPTS += loadtest/smoke.js\n\nloadtest:\n\tfor s in $(SCRIPTS); do k6 run $$s; done\n"), LoadTest{}, nil},
		{"make prerequisite", with(k6, wf, workflow("make ci"), "Makefile", "ci: lint loadtest\n\nlint:\n\tgolangci-lint run\n\nloadtest:\n\tk6 run loadtest/script.js\n"), LoadTest{}, nil},
		{"sub-make", with(k6, wf, workflow("make ci"), "Makefile", "ci:\n\t$(MAKE) lint\n\t$(MAKE) loadtest\n\nlint:\n\ttrue\n\nloadtest:\n\tk6 run loadtest/script.js\n"), LoadTest{}, nil},
		{"default target", with(k6, ".gitlab-ci.yml", "all:\n  script:\n    - make\n", "Makefile", ".PHONY: all\nall: build\n\tk6 run loadtest/script.js\n\nbuild:\n\tgo build ./...\n"), LoadTest{}, nil},
		{"inline recipe", with(k6, wf, workflow("make loadtest"), "Makefile", "loadtest: ; k6 run loadtest/script.js\n"), LoadTest{}, nil},
		{"make target nobody calls", with(k6, wf, workflow("make test"), "Makefile", "test:\n\tgo test ./...\n\nloadtest:\n\tk6 run loadtest/script.js\n"), LoadTest{},
			[]expectedFinding{{"loadtest/script.js", 0, []string{"no command in .github/workflows/ci.yml, Makefile runs it"}}}},
		{"make target that does not exist", with(k6, wf, workflow("make load"), "Makefile", "loadtest:\n\tk6 run loadtest/script.js\n"), LoadTest{},
			[]expectedFinding{{"loadtest/script.js", 0, []string{"is not run by CI"}}}},
		{"a Makefile alone is no pipeline", with(k6, "Makefile", "loadtest:\n\tk6 run loadtest/script.js\n"), LoadTest{},
			[]expectedFinding{{"loadtest/script.js", 0, []string{"k6 script loadtest/script.js exists, but there is no CI pipeline to run it\n" +
				`fix: add a CI pipeline (a file matching ".github/workflows/*.yml"; a Makefile runs only when one calls it) with a step such as: k6 run loadtest/script.js`}}}},
		{"make -C into a Makefile outside the CI globs", with(k6, wf, workflow("make -C loadtest run"), "loadtest/Makefile", "run:\n\tk6 run script.js\n"), LoadTest{},
			[]expectedFinding{{"loadtest/script.js", 0, []string{"is not run by CI"}}}},
		{"make -C into a Makefile the CI globs include", with(k6, wf, workflow("make -C loadtest run"), "loadtest/Makefile", "run:\n\tk6 run script.js\n"),
			LoadTest{CI: []string{".github/workflows/*.yml", "**/Makefile"}}, nil},
		{"make runs go test from its directory", map[string]string{"svc/loadtest/load_test.go": goLoadTest, wf: workflow("make -C svc test") + "    env:\n      LOAD_URL: x\n", "svc/Makefile": "test:\n\tgo test ./...\n"},
			LoadTest{CI: []string{".github/workflows/*.yml", "**/Makefile"}}, nil},
		{"commented recipe line", with(k6, wf, workflow("make loadtest"), "Makefile", "loadtest:\n#\tk6 run loadtest/script.js\n\techo later\n"), LoadTest{},
			[]expectedFinding{{"loadtest/script.js", 0, []string{"is not run by CI"}}}},
		{"justfile recipe", with(k6, wf, workflow("just load"), "justfile", "set shell := [\"bash\", \"-c\"]\n\nload target=\"http://localhost:8080\":\n    k6 run -e URL={{target}} loadtest/script.js\n"), LoadTest{}, nil},
		{"Taskfile task with dir and deps", with(k6, wf, workflow("task ci"), "Taskfile.yml", "version: '3'\ntasks:\n  ci:\n    deps: [lint]\n    cmds:\n      - task: load\n  lint: golangci-lint run\n  load:\n    dir: loadtest\n    cmds:\n      - cmd: k6 run script.js\n"), LoadTest{}, nil},
		{"malformed Taskfile", with(k6, wf, workflow("task load"), "Taskfile.yml", "tasks:\n  load: [\n"), LoadTest{},
			[]expectedFinding{{"loadtest/script.js", 0, []string{"is not run by CI"}}, {"Taskfile.yml", 2, []string{"cannot tell whether this Taskfile runs the load test: it does not parse"}}}},
		{"hops are bounded", with(k6, wf, workflow("make a"), "Makefile", "a:\n\t$(MAKE) b\nb:\n\t$(MAKE) c\nc:\n\t$(MAKE) d\nd:\n\tk6 run loadtest/script.js\n"), LoadTest{},
			[]expectedFinding{{"loadtest/script.js", 0, []string{"is not run by CI"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			expectFindings(t, checkValid(t, &tc.c, fixtureRepo(tc.files)), tc.want)
		})
	}
}

func TestLoadTestCheckMalformed(t *testing.T) {
	const wf = ".github/workflows/ci.yml"
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  []expectedFinding
	}{
		{"malformed workflow", map[string]string{"loadtest/script.js": k6Script, wf: "name: ci\non: push\njobs:\n  load: steps: - run: k6 run loadtest/script.js\n"},
			[]expectedFinding{{"loadtest/script.js", 0, []string{"is not run by CI"}}, {wf, 4, []string{"cannot tell whether this workflow runs the load test: it does not parse"}}}},
		{"workflow that is not a mapping", map[string]string{"loadtest/script.js": k6Script, wf: "- k6 run loadtest/script.js\n"},
			[]expectedFinding{{"loadtest/script.js", 0, []string{"is not run by CI"}}, {wf, 1, []string{"a workflow must be a mapping"}}}},
		{"binary CI file", map[string]string{"loadtest/script.js": k6Script, ".gitlab-ci.yml": "k6 run loadtest/script.js\x00"},
			[]expectedFinding{{"loadtest/script.js", 0, []string{"is not run by CI"}}, {".gitlab-ci.yml", 0, []string{"binary file"}}}},
		{"oversized CI file", map[string]string{"loadtest/script.js": k6Script, ".gitlab-ci.yml": "k6 run loadtest/script.js\n" + strings.Repeat("#\n", MaxFileSize)},
			[]expectedFinding{{"loadtest/script.js", 0, []string{"is not run by CI"}}, {".gitlab-ci.yml", 0, []string{"larger than the"}}}},
		{"binary candidate, nothing else", map[string]string{"loadtest/script.js": "\x00\x01", wf: workflow("k6 run loadtest/script.js")},
			[]expectedFinding{{"", 0, []string{"no load test found"}}, {"loadtest/script.js", 0, []string{"cannot tell whether this is a k6 script", "binary file"}}}},
		{"binary candidate does not matter when another test runs", map[string]string{"loadtest/old.js": "\x00", "loadtest/script.js": k6Script, wf: workflow("k6 run loadtest/script.js")},
			nil},
		{"Go file that does not parse", map[string]string{"loadtest/load_test.go": "package loadtest\n\nfunc TestLoad( {\n", wf: workflow("go test ./...")},
			[]expectedFinding{{"", 0, []string{"no load test found"}}, {"loadtest/load_test.go", 3, []string{"cannot tell whether this is a Go load test: it does not parse"}}}},
		{"a file two tools want is reported once", map[string]string{"perf/vegeta.js": "\x00"},
			[]expectedFinding{{"", 0, []string{"no load test found"}}, {"perf/vegeta.js", 0, []string{"binary file"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			expectFindings(t, (&LoadTest{}).Check(fixtureRepo(tc.files)), tc.want)
		})
	}
}

func TestLoadTestCheckListingError(t *testing.T) {
	got := (&LoadTest{}).Check(NewRepo(unlistableFS{}, time.Time{}, nil))
	expectFindings(t, got, []expectedFinding{{"", 0, []string{"listing repository files"}}})
}

// TestLoadTestCheckRepository runs the check on a small repository on
// disk: a workflow calls a Makefile target that runs a k6 script.
func TestLoadTestCheckRepository(t *testing.T) {
	repo := NewRepo(os.DirFS("testdata/loadtest/k6-make"), time.Time{}, nil)
	c := &LoadTest{}
	if got := c.Check(repo); len(got) != 0 {
		t.Fatalf("want pass, got:\n%s", dumpFindings(got))
	}
	// Every file the check read is one its Inputs name.
	files, err := repo.Files()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if f == "README.md" && matchesAnyGlob(c.Inputs(), f) {
			t.Errorf("Inputs match %s, which the check never needs", f)
		}
	}
	for _, f := range []string{".github/workflows/ci.yml", "Makefile", "loadtest/script.js"} {
		if !matchesAnyGlob(c.Inputs(), f) {
			t.Errorf("Inputs do not match %s, which the check reads", f)
		}
	}
}

func TestLoadTestValidate(t *testing.T) {
	runValidateCases(t, []validateCase{
		{name: "defaults", check: &LoadTest{}},
		{name: "everything", check: &LoadTest{Paths: []string{"bench/**/*.js"}, CI: []string{".buildkite/*.yml"}, Tools: []string{"k6", "go"}}},
		{name: "bad path glob", check: &LoadTest{Paths: []string{"a/[b"}}, err: `paths[0]: "a/[b" is not a valid glob`},
		{name: "bad ci glob", check: &LoadTest{CI: []string{"ok", "{x"}}, err: `ci[1]: "{x" is not a valid glob`},
		{name: "unknown tool", check: &LoadTest{Tools: []string{"k6", "artillery"}}, err: `unknown tool "artillery", want one of k6, locust, gatling, jmeter, vegeta, go`},
	})
}

func TestLoadTestInputs(t *testing.T) {
	all := (&LoadTest{}).Inputs()
	k6 := (&LoadTest{Tools: []string{"k6"}, Paths: []string{"bench/*.js"}, CI: []string{".buildkite/*.yml"}}).Inputs()
	for _, tc := range []struct {
		inputs []string
		file   string
		want   bool
	}{
		{all, ".github/workflows/release.yaml", true},
		{all, "Jenkinsfile", true},
		{all, "loadtest/script.js", true},
		{all, "perf/locustfile.py", true},
		{all, "svc/api_load_test.go", true},
		{all, "src/test/scala/BasketSimulation.scala", true},
		{all, "plans/a.jmx", true},
		{all, "web/upload.js", false},
		{all, "api/upload_test.go", false},
		{all, "main.go", false},
		{k6, "bench/x.js", true},
		{k6, ".buildkite/pipeline.yml", true},
		{k6, ".github/workflows/ci.yml", false},
		{k6, "loadtest/load_test.go", false},
	} {
		if got := matchesAnyGlob(tc.inputs, tc.file); got != tc.want {
			t.Errorf("Inputs match %s = %v, want %v", tc.file, got, tc.want)
		}
	}
}

// FuzzLoadTestCI feeds arbitrary CI configuration and task-runner files to
// the check: whatever a PR puts there, the check must not panic, and must
// not pass unless a command names the load test.
func FuzzLoadTestCI(f *testing.F) {
	f.Add("k6 run loadtest/script.js", "loadtest:\n\tk6 run $(S)\n")
	f.Add("make -C . -f Makefile loadtest", "S := loadtest/script.js\nloadtest: ; k6 run $(S)\n")
	f.Add("sh 'cd loadtest && k6 run script.js' # done", "a b: c | d\n\t@-$(MAKE) a\n")
	f.Add("go -C x test -run '^(A|B)/c$' -tags=a,b -short ./...", "x :=\nall:\n")
	f.Add("$(unterminated ${ \"quote 'other", "\\\n\\")
	f.Fuzz(func(t *testing.T, gitlab, makefile string) {
		repo := fixtureRepo(map[string]string{
			"loadtest/script.js":       k6Script,
			".gitlab-ci.yml":           gitlab,
			"Makefile":                 makefile,
			".github/workflows/ci.yml": workflow(gitlab),
		})
		got := (&LoadTest{}).Check(repo)
		if len(got) == 0 && !strings.Contains(gitlab+makefile, "script.js") && !strings.Contains(gitlab+makefile, "*") {
			t.Fatalf("passes without naming the script:\n%s\n%s", gitlab, makefile)
		}
	})
}
