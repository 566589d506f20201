package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const testCodeowners = `# launch owners
*                @acme/platform
/launch/         @acme/infra @acme/security
/launch/drafts/
*.md             @writer docs@example.com #inline comment
user-owned/      user
`

// writeFiles creates files (slash paths) under a new temporary directory.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestRunOwners(t *testing.T) {
	repo := writeFiles(t, map[string]string{
		".github/CODEOWNERS": testCodeowners,
		"CODEOWNERS":         "* @shadowed\n", // .github/ comes first
	})
	elsewhere := writeFiles(t, map[string]string{
		"owners.txt": "/src/ @acme/dev\n",
		"big":        strings.Repeat("#", 3<<20),
	})
	noCodeowners := writeFiles(t, map[string]string{"docs/README.md": "hi"})

	tests := []struct {
		name       string
		dir        string // working directory
		args       []string
		code       int
		stdout     string
		stderrHas  string
		stdoutHas  string // when stdout is not compared whole
		stderrNone bool
	}{
		{
			name: "text",
			dir:  repo,
			args: []string{"./launch/recovery.md", "/launch/plan.txt", "launch/drafts/x.txt", "README.txt"},
			code: 0,
			stdout: "launch/recovery.md   @writer docs@example.com  (.github/CODEOWNERS:5: *.md @writer docs@example.com)\n" +
				"launch/plan.txt      @acme/infra @acme/security  (.github/CODEOWNERS:3: /launch/ @acme/infra @acme/security)\n" +
				"launch/drafts/x.txt  unowned (rule at line 4 has no owners)\n" +
				"README.txt           @acme/platform  (.github/CODEOWNERS:2: * @acme/platform)\n" +
				"invalid line 6: owner \"user\" is not @username, @org/team-name or an email address (missing \"@\"?)\n",
			stderrNone: true,
		},
		{
			name: "json",
			dir:  repo,
			args: []string{"--json", "launch/plan.txt", "launch/drafts/x.txt", "user-owned/a"},
			code: 0,
			stdout: `{"paths":[` +
				`{"path":"launch/plan.txt","owners":["@acme/infra","@acme/security"],"line":3},` +
				`{"path":"launch/drafts/x.txt","owners":[],"line":4},` +
				`{"path":"user-owned/a","owners":["@acme/platform"],"line":2}],` +
				`"invalid":[{"line":6,"message":"owner \"user\" is not @username, @org/team-name or an email address (missing \"@\"?)"}]}` + "\n",
			stderrNone: true,
		},
		{
			name:       "json with an explicit file, no match and no invalid lines",
			dir:        repo,
			args:       []string{"-json", "--codeowners", filepath.Join(elsewhere, "owners.txt"), "src/a.go", "docs/a.md"},
			code:       0,
			stdout:     `{"paths":[{"path":"src/a.go","owners":["@acme/dev"],"line":1},{"path":"docs/a.md","owners":[],"line":0}],"invalid":[]}` + "\n",
			stderrNone: true,
		},
		{
			name:      "text with an explicit file names it",
			dir:       noCodeowners,
			args:      []string{"--codeowners", filepath.Join(elsewhere, "owners.txt"), "src/a.go", "docs/a.md"},
			code:      0,
			stdoutHas: "src/a.go   @acme/dev  (" + filepath.Join(elsewhere, "owners.txt") + ":1: /src/ @acme/dev)\ndocs/a.md  unowned (no rule matched)\n",
		},
		{name: "no path", dir: repo, args: []string{"--json"}, code: 2, stderrHas: "no PATH given"},
		{name: "bad flag", dir: repo, args: []string{"--owner", "x", "a"}, code: 2, stderrHas: "flag provided but not defined"},
		{name: "help", dir: repo, args: []string{"-h"}, code: 0, stdoutHas: "usage: launchgate owners", stderrNone: true},
		{name: "flags after paths", dir: repo, args: []string{"src/a.go", "--json"}, code: 0, stdoutHas: `{"paths":[{"path":"src/a.go"`, stderrNone: true},
		{name: "no CODEOWNERS", dir: noCodeowners, args: []string{"a"}, code: 2, stderrHas: "no CODEOWNERS file in .github/CODEOWNERS"},
		{name: "missing file", dir: repo, args: []string{"--codeowners", "nope", "a"}, code: 2, stderrHas: "open nope: no such file"},
		{name: "directory as file", dir: repo, args: []string{"--codeowners", ".github", "a"}, code: 2, stderrHas: "is a directory"},
		{name: "too large", dir: repo, args: []string{"--codeowners", filepath.Join(elsewhere, "big"), "a"}, code: 2, stderrHas: "3 MB or more"},
		{name: "path outside the repository", dir: repo, args: []string{"../a"}, code: 2, stderrHas: `path "../a" does not name a file`},
		{name: "repository root", dir: repo, args: []string{"./"}, code: 2, stderrHas: `path "./" does not name a file`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Chdir(tt.dir)
			var stdout, stderr bytes.Buffer
			code := runOwners(tt.args, &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit code %d, want %d; stderr:\n%s", code, tt.code, stderr.String())
			}
			if tt.stdout != "" && stdout.String() != tt.stdout {
				t.Errorf("stdout:\n%s\nwant:\n%s", stdout.String(), tt.stdout)
			}
			if !strings.Contains(stdout.String(), tt.stdoutHas) {
				t.Errorf("stdout:\n%s\nwant it to contain:\n%s", stdout.String(), tt.stdoutHas)
			}
			if !strings.Contains(stderr.String(), tt.stderrHas) {
				t.Errorf("stderr:\n%s\nwant it to contain %q", stderr.String(), tt.stderrHas)
			}
			if tt.stderrNone && stderr.Len() != 0 {
				t.Errorf("stderr not empty:\n%s", stderr.String())
			}
		})
	}
}
