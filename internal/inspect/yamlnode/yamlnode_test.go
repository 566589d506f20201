package yamlnode

import (
	"errors"
	"fmt"
	"strings"
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

// TestLocate reads real mistakes as yaml.v3 reports them, each on the
// line where the mistake is (yaml.v3's own text names the line above
// for parser errors).
func TestLocate(t *testing.T) {
	for _, tc := range []struct {
		name string
		data string
		want int
	}{
		{name: "unclosed [ on line 6", data: "a: 1\nb: 2\nc: 3\nd: 4\ne: 5\nf: [1, 2\ng: 7\n", want: 6},
		{name: "unclosed { on line 6", data: "a: 1\nb: 2\nc: 3\nd: 4\ne: 5\nf: {x: 1\ng: 7\n", want: 6},
		{name: "unclosed [ on the last line", data: "a: 1\nb: [\n", want: 2},
		{name: "unclosed [ on line 1", data: "a: [1\n", want: 1},
		{name: "indentation that ends a mapping", data: "a: 1\nb:\n  c: 1\n d: 2\n", want: 4},
		// The parser names the construct it was in: the sequence.
		{name: "a key inside a sequence", data: "a:\n  - x\n  y: 2\n", want: 2},
		{name: "a tab indenting a line", data: "a: 1\nb:\n\tc: 1\n", want: 3},
		{name: "a tab indenting the line after a value", data: "a: 1\nb:\n  c: 1\n\n\td: 2\n", want: 5},
		{name: "unclosed quote", data: "a: 1\nb: \"abc\nc: 2\n", want: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var n yaml.Node
			err := Locate(yaml.Unmarshal([]byte(tc.data), &n), []byte(tc.data))
			if err == nil {
				t.Fatal("want a syntax error")
			}
			if got := SyntaxLine(err); got != tc.want {
				t.Fatalf("SyntaxLine(%v) = %d, want %d", err, got, tc.want)
			}
			if want := fmt.Sprintf("yaml: line %d: ", tc.want); !strings.HasPrefix(err.Error(), want) {
				t.Fatalf("error text %q does not start with %q", err, want)
			}
		})
	}
}

func TestLocateKeepsOtherErrors(t *testing.T) {
	var v map[string]int
	data := []byte("a: 1\nb: 2\na: 3\n")
	err := yaml.Unmarshal(data, &v)
	if got := Locate(err, data); got != err {
		t.Fatalf("Locate(%v) = %v, want the type error unchanged", err, got)
	}
	if got := SyntaxLine(err); got != 3 {
		t.Fatalf("SyntaxLine(%v) = %d, want 3, the duplicate key's line", err, got)
	}
	if Locate(nil, data) != nil {
		t.Fatal("Locate(nil) is not nil")
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
