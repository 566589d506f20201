package glob

import (
	"slices"
	"testing"

	"github.com/bmatcuk/doublestar/v4"
)

// names are paths of the kinds the patterns below should and should not
// match, including ones that share their literal text.
var names = []string{
	"Jenkinsfile", "ci/Jenkinsfile", "Makefile", ".github/workflows/ci.yml", ".github/workflows/a/b.yml",
	"loadtest/orders.k6.js", "load/x/y.ts", "perf/script.mjs", "src/k6/loadtest.go", "src/load_test.go",
	"src/pkg1/file1.go", "src/pkg1/file_load_test.go", "stress/main.go", "vegeta", "a/vegeta/targets.txt",
	"tools/vegeta.sh", "x-load.js", "load.js", "xload.js", "a/b-perf-c.ts", "deploy/overlays/prod/kustomization.yaml",
	"deploy/base/kustomization.yaml", "deploy/overlays/prod/patch.yaml", "test/OrdersSimulation.scala",
	"plans/checkout.jmx", "locustfile.py", "a/{b}/c", "a/b,c/d", "a/[x]/y", "a/*/y", "café/è.go",
	"x/vegeta", "vegeta/x.go", "base", "a/base", "a/base/b.yaml", "a/base/c/d.yaml", "values-x.yml/a",
}

var patterns = []string{
	"**/{k6,load,loadtest,loadtests,load-test,load-tests,load_test,load_tests,perf,performance,stress}/**/*.{js,mjs,ts}",
	"**/*k6*.{js,mjs,ts}",
	"**/{,*[._-]}{load,loadtest,load-test,load_test,perf,stress,soak,spike}{,[._-]*}.{js,mjs,ts}",
	"**/*locust*.py", "**/*Simulation*.{scala,java,kt}", "**/*.jmx", "**/*vegeta*", "**/vegeta/**",
	"**/{,*[._-]}load{,[._-]*}_test.go", "**/*loadtest*_test.go",
	"**/{loadtest,stress}/**/*.go", "**/*vegeta*.go", "**/vegeta/**/*.go",
	".github/workflows/*.yml", "**/Jenkinsfile", "Makefile", "deploy/{base,overlays/*}/kustomization.{yaml,yml}",
	"deploy/overlays/*/**", "deploy/{overlays/{prod,uat},base}/*.yaml", "{a,b}/**", "a/\\{b\\}/c", "a/[*]/y",
	"a/{b\\,c,x}/d", "a/{[x],y}/y", "**", "*", "café/*.go", "{,**/}Makefile", "src/**/file[0-9].go",
	"a/[!x]*/y", "a/{b,c", "**/*.{js,{m,c}js}", "**/base/**", "**/base/**/", "**/values-*.yml/**", "a/base/*/*.yaml",
}

func TestMatchAgreesWithDoublestar(t *testing.T) {
	for _, pattern := range patterns {
		p := Compile(pattern)
		for _, name := range names {
			if got, want := p.Match(name), doublestar.MatchUnvalidated(pattern, name); got != want {
				t.Errorf("Compile(%q).Match(%q) = %v, doublestar says %v", pattern, name, got, want)
			}
		}
	}
}

// Filter tests the words a directory must hold once per directory; it
// must still agree with doublestar path by path.
func TestFilterAgreesWithDoublestar(t *testing.T) {
	sorted := slices.Sorted(slices.Values(names))
	for _, pattern := range patterns {
		var want []string
		for _, name := range sorted {
			if doublestar.MatchUnvalidated(pattern, name) {
				want = append(want, name)
			}
		}
		if got := Filter(sorted, pattern); !slices.Equal(got, want) {
			t.Errorf("Filter(%q) = %q, doublestar matches %q", pattern, got, want)
		}
		if got := NewIndex(sorted).Filter(pattern); !slices.Equal(got, want) {
			t.Errorf("Index.Filter(%q) = %q, doublestar matches %q", pattern, got, want)
		}
	}
}

func TestFilter(t *testing.T) {
	sorted := slices.Sorted(slices.Values(names))
	tests := []struct {
		pattern string
		want    []string
	}{
		{pattern: "deploy/{base,overlays/*}/kustomization.{yaml,yml}", want: []string{
			"deploy/base/kustomization.yaml", "deploy/overlays/prod/kustomization.yaml"}},
		{pattern: "**/{,*[._-]}load{,[._-]*}_test.go", want: []string{"src/load_test.go", "src/pkg1/file_load_test.go"}},
		{pattern: "**/*vegeta*", want: []string{"tools/vegeta.sh", "vegeta", "x/vegeta"}},
		{pattern: "nothing/**", want: nil},
	}
	for _, tt := range tests {
		if got := Filter(sorted, tt.pattern); !slices.Equal(got, tt.want) {
			t.Errorf("Filter(%q) = %q, want %q", tt.pattern, got, tt.want)
		}
	}
}

func TestExpand(t *testing.T) {
	tests := []struct {
		pattern string
		want    []string // nil: not expanded
	}{
		{pattern: "a/*.go", want: []string{"a/*.go"}},
		{pattern: "{a,b{c,d}}/x", want: []string{"a/x", "bc/x", "bd/x"}},
		{pattern: "x{,[{,}]}.go", want: []string{"x.go", "x[{,}].go"}},
		{pattern: "**/*.{js,ts}", want: []string{"**/*.js", "**/*.ts"}},
		{pattern: `a/\{b,c}`, want: nil},
		{pattern: "a/{b,c", want: nil},
		{pattern: "a/**/{,}", want: nil},
		{pattern: "a/{b,}/**", want: nil},
		{pattern: "a/{{b,},c}", want: nil},
		{pattern: "**{/c,/d}", want: nil},
	}
	for _, tt := range tests {
		got, ok := expand(tt.pattern)
		if !ok {
			got = nil
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("expand(%q) = %q, %v, want %q", tt.pattern, got, ok, tt.want)
		}
	}
}

func FuzzMatch(f *testing.F) {
	for i, p := range patterns {
		f.Add(p, names[i%len(names)])
	}
	f.Fuzz(func(t *testing.T, pattern, name string) {
		if !doublestar.ValidatePattern(pattern) {
			return
		}
		if got, want := Compile(pattern).Match(name), doublestar.MatchUnvalidated(pattern, name); got != want {
			t.Errorf("Compile(%q).Match(%q) = %v, doublestar says %v", pattern, name, got, want)
		}
		sorted := slices.Sorted(slices.Values(append([]string{name}, names...)))
		var want []string
		for _, n := range sorted {
			if doublestar.MatchUnvalidated(pattern, n) {
				want = append(want, n)
			}
		}
		if got := Filter(sorted, pattern); !slices.Equal(got, want) {
			t.Errorf("Filter(%q) = %q, doublestar matches %q", pattern, got, want)
		}
		if got := NewIndex(sorted).Filter(pattern); !slices.Equal(got, want) {
			t.Errorf("Index.Filter(%q) = %q, doublestar matches %q", pattern, got, want)
		}
	})
}
