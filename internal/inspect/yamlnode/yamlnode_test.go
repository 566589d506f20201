package yamlnode

import (
	"errors"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestLookup(t *testing.T) {
	const doc = `
base: &base {image: old, replicas: 2}
extra: &extra {port: 80}
app:
  <<: [*base, *extra]
  image: new
alias: *base
`
	var root yaml.Node
	if err := yaml.Unmarshal([]byte(doc), &root); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		path  []string
		want  string
		found bool
	}{
		{name: "explicit key wins over a merged one", path: []string{"app", "image"}, want: "new", found: true},
		{name: "merged from the first source", path: []string{"app", "replicas"}, want: "2", found: true},
		{name: "merged from the second source", path: []string{"app", "port"}, want: "80", found: true},
		{name: "through an alias", path: []string{"alias", "image"}, want: "old", found: true},
		{name: "the merge key is no key", path: []string{"app", "<<"}, found: false},
		{name: "absent", path: []string{"app", "missing"}, found: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := Resolve(&root)
			for _, k := range tc.path {
				if n = Lookup(n, k); n == nil {
					break
				}
				n = Resolve(n)
			}
			switch {
			case !tc.found && n != nil:
				t.Fatalf("Lookup %v = %q, want none", tc.path, n.Value)
			case tc.found && (n == nil || n.Value != tc.want):
				t.Fatalf("Lookup %v = %v, want %q", tc.path, n, tc.want)
			}
		})
	}
}

func TestSyntaxLine(t *testing.T) {
	var v any
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{name: "yaml.v3 syntax error", err: yaml.Unmarshal([]byte("a: 1\nb: [\n"), &v), want: 2},
		{name: "no line in the text", err: errors.New("file too large"), want: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.err == nil {
				t.Fatal("want an error to read")
			}
			if got := SyntaxLine(tc.err); got != tc.want {
				t.Fatalf("SyntaxLine(%v) = %d, want %d", tc.err, got, tc.want)
			}
		})
	}
}
