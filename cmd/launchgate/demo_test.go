package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDemo runs `launchgate demo --record FILE` as a user would.
func TestDemo(t *testing.T) {
	record := filepath.Join(t.TempDir(), "requests.jsonl")
	var out, errOut bytes.Buffer
	if code := runDemo([]string{"--record", record}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
	t.Logf("demo output:\n%s", out.String())
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if last := lines[len(lines)-1]; last != "conclusion: success" {
		t.Errorf("last line %q, want %q (every approval and sign-off given)", last, "conclusion: success")
	}
	text := out.String()
	for _, want := range []string{"acme/orders#1 opened", "Production readiness: failure", "push 4 of 4", "| Requirement | Status | Checks |",
		"Production readiness: action_required", "review 6 of 6",
		// The outsider's approval does not count, and the wrong team's tick is undone and explained.
		"@mallory approved but is not an active member of team security",
		"@ian ticked security-review-done, but only active members of team security may; the tick was undone.",
		"- [x] `security-review-done`", "signed off by `@sam`", "signed off by `@ivy`",
		// The findings of each push, as the check run's details give them.
		"❌ environments: Deployment configuration exists for every environment", "no deployment configuration for uat",
		"❌ recovery-doc:", "0 of 5 ready: deployment, monitoring, scaling, recovery incomplete",
		// The merge and its launch record.
		"== merged by lead as ", "Launch record: acme/orders#1 passed the gate", "approved for security: @sam on "} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if errOut.Len() != 0 {
		t.Errorf("the demo logged warnings:\n%s", errOut.String())
	}
	for _, markdown := range []string{`\-`, `\_`, "**approval", "&lt;", "](http"} {
		if strings.Contains(text, markdown) {
			t.Errorf("output shows markdown %q on a terminal:\n%s", markdown, text)
		}
	}

	f, err := os.Open(record)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	creates, comments := 0, 0
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var r struct {
			Method, Path, Query string
			Body                json.RawMessage
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("record line is not JSON: %v\n%s", err, sc.Text())
		}
		if r.Method == "" || !strings.HasPrefix(r.Path, "/") || strings.Contains(r.Path, "/api/v3") {
			t.Errorf("record line %s: method and a path relative to the API root expected", sc.Text())
		}
		if r.Method == "POST" && r.Path == "/repos/acme/orders/issues/1/comments" {
			comments++
		}
		if r.Method == "POST" && r.Path == "/repos/acme/orders/check-runs" {
			creates++
			var body struct {
				Name    string `json:"name"`
				HeadSHA string `json:"head_sha"`
			}
			if err := json.Unmarshal(r.Body, &body); err != nil || body.HeadSHA == "" || body.Name != "Production readiness" {
				t.Errorf("check-run create body not recorded as sent: %.200s", r.Body)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if creates != 5 {
		t.Errorf("%d check runs created; want one per commit (opened + 4 pushes)", creates)
	}
	if comments != 2 {
		t.Errorf("%d comments created; want the checklist and the launch record", comments)
	}
}

// TestDemoKeep: --keep leaves what `launchgate records verify` needs, and
// the record it leaves verifies.
func TestDemoKeep(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "kept")
	var out, errOut bytes.Buffer
	if code := runDemo([]string{"--keep", dir}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", code, errOut.String())
	}
	var verified, verifyErr bytes.Buffer
	code := runRecordsVerify([]string{"--public-key", filepath.Join(dir, "records-public-key.pem"), filepath.Join(dir, "records.jsonl")},
		strings.NewReader(""), &verified, &verifyErr)
	if code != 0 || !strings.Contains(verified.String(), "ok acme/orders#1") || !strings.Contains(verified.String(), "1 of 1 records verify") {
		t.Errorf("records verify of the kept files: exit %d\n%s%s", code, verified.String(), verifyErr.String())
	}
	// The kept store holds the same record, byte for byte.
	var exported, exportErr bytes.Buffer
	if code := runRecordsExport([]string{"--store", "sqlite:" + filepath.Join(dir, "launchgate.db")}, &exported, &exportErr); code != 0 {
		t.Fatalf("records export of the kept store: exit %d\n%s", code, exportErr.String())
	}
	kept, err := os.ReadFile(filepath.Join(dir, "records.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if exported.String() != string(kept) {
		t.Errorf("records export of the kept store:\n%s\nwant records.jsonl:\n%s", exported.String(), kept)
	}
}

// TestDemoKeepUnwritable: a --keep DIR that cannot be made fails before
// the run.
func TestDemoKeepUnwritable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := runDemo([]string{"--keep", filepath.Join(file, "dir")}, &out, &errOut); code != 2 || out.Len() != 0 {
		t.Errorf("exit %d, stdout %q; want 2 and no run", code, out.String())
	}
}

// TestDemoRecordUnwritable: a --record path that cannot be written fails
// before the run, not after it.
func TestDemoRecordUnwritable(t *testing.T) {
	var out, errOut bytes.Buffer
	record := filepath.Join(t.TempDir(), "no-such-dir", "requests.jsonl")
	if code := runDemo([]string{"--record", record}, &out, &errOut); code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	if out.Len() != 0 || !strings.Contains(errOut.String(), "--record: open "+record) {
		t.Errorf("stdout %q (want nothing: no run), stderr %q (want the path and why)", out.String(), errOut.String())
	}
}

func TestTerminalText(t *testing.T) {
	tests := []struct {
		name     string
		markdown string
		want     string
	}{
		{name: "escaped punctuation", markdown: `0 of 5 ready \- deploy\_config \*\*x\*\*`, want: "0 of 5 ready - deploy_config **x**"},
		{name: "bold marks", markdown: "❌ **replicas**: at least 2", want: "❌ replicas: at least 2"},
		{name: "link shows its text", markdown: `[deploy/a\_b.yaml:3](https://github.com/acme/x/blob/abc/deploy/a_b.yaml#L3): bad`, want: "deploy/a_b.yaml:3: bad"},
		{name: "entities and broken mentions", markdown: "&lt;img&gt; @\u200dsam #\u200d1", want: "<img> @sam #1"},
		{name: "a backslash before a letter stays", markdown: `C:\dir`, want: `C:\dir`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := terminalText(tt.markdown); got != tt.want {
				t.Errorf("terminalText(%q) = %q, want %q", tt.markdown, got, tt.want)
			}
		})
	}
}
