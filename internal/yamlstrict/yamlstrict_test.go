package yamlstrict

import (
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

type testConfig struct {
	Name    string                `yaml:"name"`
	Count   int                   `yaml:"count"`
	Wait    time.Duration         `yaml:"wait"`
	Glob    string                `yaml:"glob" want:"one glob"`
	Servers []testServer          `yaml:"servers"`
	Labels  map[string]testServer `yaml:"labels"`
}

type testServer struct {
	Host    string        `yaml:"host"`
	Timeout time.Duration `yaml:"timeout"`
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name  string
		yaml  string
		want  []string // every problem, in order
		check func(c testConfig) bool
	}{
		{name: "valid", yaml: "name: a\ncount: 2\nwait: 1m\n", check: func(c testConfig) bool { return c.Name == "a" && c.Count == 2 && c.Wait == time.Minute }},
		{name: "zero duration needs no unit", yaml: "wait: 0\nservers:\n  - timeout: 0\n", check: func(c testConfig) bool { return c.Wait == 0 && len(c.Servers) == 1 }},
		{name: "unknown keys everywhere, with their paths", yaml: "nmae: a\nservers:\n  - hots: x\nlabels:\n  eu:\n    port: 1\n",
			want: []string{
				`line 1: unknown key "nmae" (expected one of: count, glob, labels, name, servers, wait)`,
				`line 3: unknown key "hots" in servers[0] (expected one of: host, timeout)`,
				`line 6: unknown key "port" in labels.eu (expected one of: host, timeout)`,
			}},
		{name: "wrong types name their keys and do not stop the decoder", yaml: "count: lots\nname: [a]\nservers:\n  - host: {a: 1}\n",
			want: []string{
				`line 1: count must be a whole number, not "lots"`,
				`line 2: name must be a single value (text), not a list`,
				`line 4: servers[0].host must be a single value (text), not a mapping`,
			}},
		{name: "a field's want tag says what it takes", yaml: "glob: [a, b]\n", want: []string{"line 1: glob must be one glob, not a list"}},
		{name: "bare numbers as durations", yaml: "wait: 30\nservers:\n  - timeout: 2.5\n",
			want: []string{
				"line 1: wait is 30, a number without a unit: write a duration such as 30s, 5m or 1h (0 needs no unit)",
				"line 3: servers[0].timeout is 2.5, a number without a unit: write a duration such as 30s, 5m or 1h (0 needs no unit)",
			}},
		{name: "a bad duration string", yaml: "wait: soon\n", want: []string{`line 1: wait must be a duration such as 30s, not "soon"`}},
		{name: "merge keys are checked", yaml: "base: &b\n  hots: x\nservers:\n  - <<: *b\n",
			want: []string{`line 1: unknown key "base"`, `line 2: unknown key "hots" in servers[0]`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var root yaml.Node
			if err := yaml.Unmarshal([]byte(tt.yaml), &root); err != nil {
				t.Fatal(err)
			}
			var c testConfig
			problems := Decode(&root, &c)
			var got []string
			for _, p := range problems {
				got = append(got, p.String())
			}
			if len(got) != len(tt.want) {
				t.Fatalf("problems:\n%s\nwant %d:\n%s", strings.Join(got, "\n"), len(tt.want), strings.Join(tt.want, "\n"))
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("problem %d = %q, want it to start with %q", i, got[i], tt.want[i])
				}
			}
			if tt.check != nil && !tt.check(c) {
				t.Errorf("decoded %+v", c)
			}
		})
	}
}

func TestSyntaxProblem(t *testing.T) {
	for _, tt := range []struct {
		name string
		doc  string
		line int
		msg  string
	}{
		{name: "a scanner error, on its line", doc: "a: 1\nb: c: d\n", line: 2, msg: "mapping values are not allowed in this context"},
		// yaml.v3 says line 5: its parser numbers lines from 0.
		{name: "an unclosed [ on line 6", doc: "server:\n  address: :8080\n  workers: 4\nlog:\n  level: info\n  fields: [a, b\n", line: 6, msg: "did not find expected ',' or ']'"},
		{name: "a parser error on line 1", doc: "[a, b\n", line: 1, msg: "did not find expected ',' or ']'"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var root yaml.Node
			err := yaml.Unmarshal([]byte(tt.doc), &root)
			if err == nil {
				t.Fatal("the document parsed")
			}
			if p := SyntaxProblem(err, []byte(tt.doc)); p.Line != tt.line || p.Msg != tt.msg {
				t.Errorf("SyntaxProblem(%v) = %+v, want line %d: %s", err, p, tt.line, tt.msg)
			}
		})
	}
}
