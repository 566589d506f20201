package main

import (
	"flag"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestSplitArgs(t *testing.T) {
	tests := []struct {
		name           string
		args           []string
		wantFlags      []string
		wantPositional []string
	}{
		{name: "flag after the argument", args: []string{".", "--format", "json"}, wantFlags: []string{"--format", "json"}, wantPositional: []string{"."}},
		{name: "flag before the argument", args: []string{"-format=json", "."}, wantFlags: []string{"-format=json"}, wantPositional: []string{"."}},
		{name: "boolean flag takes no value", args: []string{"a", "--json", "b"}, wantFlags: []string{"--json"}, wantPositional: []string{"a", "b"}},
		{name: "double dash ends the flags", args: []string{"--json", "--", "--format", "-x"}, wantFlags: []string{"--json"}, wantPositional: []string{"--format", "-x"}},
		{name: "a value may look like a flag", args: []string{"--format", "--", "a"}, wantFlags: []string{"--format", "--"}, wantPositional: []string{"a"}},
		{name: "dash alone is an argument", args: []string{"-"}, wantPositional: []string{"-"}},
		{name: "unknown flag is left for Parse", args: []string{"a", "--nope", "b"}, wantFlags: []string{"--nope"}, wantPositional: []string{"a", "b"}},
		{name: "value flag at the end", args: []string{"a", "--format"}, wantFlags: []string{"--format"}, wantPositional: []string{"a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fset := flag.NewFlagSet("test", flag.ContinueOnError)
			fset.String("format", "text", "")
			fset.Bool("json", false, "")
			flags, positional := splitArgs(fset, tt.args)
			if !slices.Equal(flags, tt.wantFlags) || !slices.Equal(positional, tt.wantPositional) {
				t.Errorf("splitArgs(%q) = %q, %q; want %q, %q", tt.args, flags, positional, tt.wantFlags, tt.wantPositional)
			}
		})
	}
}

// TestFlagsAnywhere runs real commands with their flags after their
// arguments, as users of git and kubectl type them.
func TestFlagsAnywhere(t *testing.T) {
	policyFile := writeFiles(t, map[string]string{"p.yml": "version: 1\nrequirements:\n  - id: a\n    title: A\n    approvals: [infra]\n"}) + "/p.yml"
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
	}{
		{name: "check DIR --format json", args: []string{"check", "../../examples/ready-service", "--format", "json"}, wantCode: 0, wantOut: `"ready": false`},
		{name: "check DIR --policy FILE", args: []string{"check", t.TempDir(), "--policy", policyFile}, wantCode: 0, wantOut: "0 of 1 ready: a awaiting sign-off"},
		{name: "policy lint FILE --help", args: []string{"policy", "lint", policyFile, "--help"}, wantCode: 0, wantOut: "usage: launchgate policy lint [--org-policy FILE] FILE"},
		{name: "check -- with a dash-named dir", args: []string{"check", "--", "-no-such-dir"}, wantCode: 2, wantOut: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := launch(t, tt.args...)
			if code != tt.wantCode || !strings.Contains(out, tt.wantOut) {
				t.Errorf("exit %d, want %d; stdout lacks %q?\nstdout: %s\nstderr: %s", code, tt.wantCode, tt.wantOut, out, errOut)
			}
		})
	}
}

// TestHelpPages asks for every command's help in each way a user would,
// and checks the page has what a user needs: usage, flags with defaults,
// exit codes and an example.
func TestHelpPages(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		wantFlags []string // each flag's name and default as the page prints them
	}{
		{name: "check", args: []string{"check"}, wantFlags: []string{"-format string", `(default "text")`, "-policy string"}},
		{name: "init", args: []string{"init"}},
		{name: "policy lint", args: []string{"policy", "lint"}},
		{name: "owners", args: []string{"owners"}, wantFlags: []string{"-codeowners FILE", "-json"}},
		{name: "records verify", args: []string{"records", "verify"}, wantFlags: []string{"-public-key string"}},
		{name: "records export", args: []string{"records", "export"}, wantFlags: []string{"-store URL", "-since DATE", "-repo OWNER/NAME"}},
		{name: "serve", args: []string{"serve"}, wantFlags: []string{"-config string"}},
		{name: "doctor", args: []string{"doctor"}, wantFlags: []string{"-config string", "-org string"}},
		{name: "demo", args: []string{"demo"}, wantFlags: []string{"-record FILE", "-keep DIR"}},
		{name: "loadtest", args: []string{"loadtest"}, wantFlags: []string{"-events int", "(default 10000)", "-in-process", "-rate float"}},
		{name: "drill", args: []string{"drill"}, wantFlags: []string{"-fault-events int", "(default 2000)", "-report FILE"}},
		{name: "version", args: []string{"version"}},
		{name: "help", args: []string{"help"}},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.name] = true
		cmd, ok := lookupCommand(tt.name)
		if !ok {
			t.Errorf("no help page for %s", tt.name)
			continue
		}
		ways := map[string][]string{
			"help CMD":   append([]string{"help"}, tt.args...),
			"CMD --help": append(slices.Clone(tt.args), "--help"),
			"CMD -h":     append(slices.Clone(tt.args), "-h"),
		}
		for way, args := range ways {
			t.Run(tt.name+"/"+way, func(t *testing.T) {
				code, out, errOut := launch(t, args...)
				if code != 0 || errOut != "" {
					t.Fatalf("launchgate %s: exit %d, stderr %q; want 0 and nothing", strings.Join(args, " "), code, errOut)
				}
				for _, want := range append([]string{"usage: launchgate " + tt.name, cmd.about, "Exit codes: " + cmd.exits, "Example:\n  launchgate " + tt.name}, tt.wantFlags...) {
					if !strings.Contains(out, want) {
						t.Errorf("launchgate %s: page lacks %q:\n%s", strings.Join(args, " "), want, out)
					}
				}
			})
		}
	}
	for _, c := range commands {
		if !covered[c.name] {
			t.Errorf("command %s has a help page this test does not open", c.name)
		}
	}
}

func TestCommandList(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}} {
		code, out, errOut := launch(t, args...)
		if code != 0 || errOut != "" {
			t.Errorf("launchgate %s: exit %d, stderr %q", args[0], code, errOut)
		}
		for _, c := range commands {
			if !strings.Contains(out, "launchgate "+c.name) || !strings.Contains(out, c.summary) {
				t.Errorf("launchgate %s does not list %s with its summary:\n%s", args[0], c.name, out)
			}
		}
	}
	if code, _, errOut := launch(t, "help", "chek"); code != 2 || !strings.Contains(errOut, `unknown command "chek"`) {
		t.Errorf("help chek: exit %d, stderr %q; want 2 and the unknown command named", code, errOut)
	}
}

// TestREADMECommandTable keeps README's command table and the help pages
// stating the same commands, synopses and exit codes.
func TestREADMECommandTable(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `launchgate ([^`]*)` \\| .* \\| ([^|]*) \\|$")
	rows := map[string]string{}
	for _, m := range row.FindAllStringSubmatch(string(readme), -1) {
		rows[strings.ReplaceAll(m[1], `\|`, "|")] = strings.TrimSpace(m[2])
	}
	for _, c := range commands {
		synopsis := strings.TrimSpace(c.name + " " + c.synopsis)
		exits, ok := rows[synopsis]
		switch {
		case !ok:
			t.Errorf("README's command table has no row for `launchgate %s`", synopsis)
		case exits != c.exits:
			t.Errorf("README gives `launchgate %s` the exit codes %q; its help page %q", synopsis, exits, c.exits)
		}
	}
	if len(rows) != len(commands) {
		t.Errorf("README's command table has %d rows, launchgate %d commands", len(rows), len(commands))
	}
}
