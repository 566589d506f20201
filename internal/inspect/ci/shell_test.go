package ci

import (
	"slices"
	"testing"
)

func TestShellWords(t *testing.T) {
	for _, tc := range []struct {
		line string
		want []string
	}{
		{line: "- run: make loadtest", want: []string{"-", "run:", "make", "loadtest"}},
		{line: "sh 'cd perf && k6 run a.js'", want: []string{"sh", ";", "cd", "perf", ";", "k6", "run", "a.js"}},
		{line: `go test -run '^(TestA|TestB)$' ./...`, want: []string{"go", "test", "-run", "^(TestA|TestB)$", "./..."}},
		{line: "k6 run --out=json=\"out.json\" a.js # the smoke test", want: []string{"k6", "run", "--out=json=out.json", "a.js"}},
		{line: "$(MAKE) -C ${DIR} load 2>&1 | tee log", want: []string{"$(MAKE)", "-C", "${DIR}", "load", "2", ";", "1", ";", "tee", "log"}},
		{line: "k6 run - <loadtest/a.js", want: []string{"k6", "run", "-", "loadtest/a.js"}},
		{line: "curl http://x/#frag", want: []string{"curl", "http://x/#frag"}},
	} {
		if got := shellWords(tc.line); !slices.Equal(got, tc.want) {
			t.Errorf("shellWords(%q) = %q, want %q", tc.line, got, tc.want)
		}
	}
}

func TestSegments(t *testing.T) {
	for _, tc := range []struct {
		name string
		cmd  Command
		want []Segment
	}{
		{name: "one command at the root", cmd: Command{Text: "k6 run a.js"},
			want: []Segment{{Words: []string{"k6", "run", "a.js"}, Dir: "."}}},
		{name: "cd moves the commands after it", cmd: Command{Text: "cd perf && k6 run a.js; cd x", Dir: "svc"},
			want: []Segment{{Words: []string{"cd", "perf"}, Dir: "svc"}, {Words: []string{"k6", "run", "a.js"}, Dir: "svc/perf"}, {Words: []string{"cd", "x"}, Dir: "svc/perf"}}},
		{name: "a comment only", cmd: Command{Text: "# k6 run a.js"}, want: nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.cmd.Segments()
			if !slices.EqualFunc(got, tc.want, func(a, b Segment) bool { return a.Dir == b.Dir && slices.Equal(a.Words, b.Words) }) {
				t.Fatalf("Segments = %q, want %q", got, tc.want)
			}
		})
	}
}
