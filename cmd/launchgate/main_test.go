package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// now is fixed so that the example's recovery drill date stays in range.
var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func launch(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut, now)
	return code, out.String(), errOut.String()
}

// TestExampleDrillLeavesTime guards README's quick start, which checks the
// example with the real clock: the default policy accepts a recovery drill
// at most 365 days old, so the example's dated drill ages out. This test
// fails 90 days before it does, while the quick start still passes, so
// that the date is renewed in time; the other tests use a fixed clock and
// never need the edit.
func TestExampleDrillLeavesTime(t *testing.T) {
	const margin = 90 * 24 * time.Hour
	var out, errOut bytes.Buffer
	if code := run([]string{"check", "../../examples/ready-service"}, &out, &errOut, time.Now().Add(margin)); code != 0 {
		t.Errorf("in 90 days README's quick start will fail (exit %d): run the example's recovery drill again, or re-date it, "+
			"in examples/ready-service/launch/recovery.md\n%s%s", code, out.String(), errOut.String())
	}
}

func TestCheckExample(t *testing.T) {
	code, out, errOut := launch(t, "check", "../../examples/ready-service")
	if code != 0 {
		t.Fatalf("exit %d, want 0 for the ready example\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"Automated configuration and deployment", "PENDING", "waiting for a member of team security"} {
		if !strings.Contains(out, want) {
			t.Errorf("text report lacks %q:\n%s", want, out)
		}
	}
}

// TestCheckOwnRepository: launchgate carries its own launch kit, and its
// automatic checks must pass on its own tree (only people's sign-offs and
// approvals may be pending). A rename once made its own load test invisible
// to the loadtest check; this is the test that would have caught it.
func TestCheckOwnRepository(t *testing.T) {
	code, out, errOut := launch(t, "check", "../..")
	if code != 0 {
		t.Fatalf("exit %d, want 0: an automatic check fails on launchgate's own repository\n%s%s", code, out, errOut)
	}
	if strings.Contains(out, "FAIL") {
		t.Errorf("a requirement fails on launchgate's own repository:\n%s", out)
	}
}

// TestCheckJSON pins the JSON report's shape: other tools read it.
func TestCheckJSON(t *testing.T) {
	code, out, _ := launch(t, "check", "--format", "json", "../../examples/ready-service")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var rep struct {
		Ready        *bool `json:"ready"`
		Requirements []struct {
			ID, Title, Status string
			Checks            []struct {
				ID, Kind, Status string
				Findings         []struct {
					Path    string
					Line    *int
					Message string
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if rep.Ready == nil || *rep.Ready {
		t.Errorf("ready = %v, want false: sign-offs are pending locally", rep.Ready)
	}
	var ids []string
	for _, r := range rep.Requirements {
		ids = append(ids, r.ID)
		// Deployment needs no people in the default policy; every other
		// requirement waits for sign-offs and approvals locally.
		want := "pending"
		if r.ID == "deployment" {
			want = "pass"
		}
		if r.Status != want {
			t.Errorf("requirement %s is %s, want %s", r.ID, r.Status, want)
		}
		for _, c := range r.Checks {
			if c.ID == "" || c.Kind == "" || c.Status == "" {
				t.Errorf("check without id/kind/status: %+v", c)
			}
			for _, f := range c.Findings {
				if f.Line == nil {
					t.Errorf("finding without line: %+v", f)
				}
			}
		}
	}
	if got := strings.Join(ids, ","); got != "deployment,security,monitoring,scaling,recovery" {
		t.Errorf("requirements = %s", got)
	}
}

func TestInitThenCheckFails(t *testing.T) {
	dir := t.TempDir()
	kept := filepath.Join(dir, "launch", "recovery.md")
	if err := os.MkdirAll(filepath.Dir(kept), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(kept, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := launch(t, "init", dir)
	if code != 0 {
		t.Fatalf("init exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "kept") || strings.Count(out, "created") != 4 {
		t.Errorf("init output:\n%s", out)
	}
	if data, _ := os.ReadFile(kept); string(data) != "mine" {
		t.Errorf("init overwrote an existing file: %q", data)
	}
	for _, name := range []string{"deployment.md", "security-review.md", "monitoring.md", "scaling.md"} {
		if _, err := os.Stat(filepath.Join(dir, "launch", name)); err != nil {
			t.Errorf("init did not write %s: %v", name, err)
		}
	}
	// A fresh kit never passes: template text is not content.
	code, out, _ = launch(t, "check", "--format", "json", dir)
	if code != 1 {
		t.Fatalf("check of a fresh kit exit %d, want 1", code)
	}
	var rep struct {
		Requirements []struct{ ID, Status string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Requirements {
		if r.ID != "approvals" && r.Status != "fail" {
			t.Errorf("requirement %s is %s with a fresh template kit, want fail", r.ID, r.Status)
		}
	}
}

// TestInitSaysWhatItCreated: a mistyped DIR must not be created silently,
// and once the kit exists the check's footer stops suggesting init.
func TestInitSaysWhatItCreated(t *testing.T) {
	existing := t.TempDir()
	withKit := t.TempDir()
	if code, _, errOut := launch(t, "init", withKit); code != 0 {
		t.Fatalf("init: %s", errOut)
	}
	sep := string(filepath.Separator)
	tests := []struct {
		name        string
		dir         string
		wantCreated []string // directories init must report, in order
	}{
		{name: "existing directory", dir: existing, wantCreated: []string{filepath.Join(existing, "launch") + sep}},
		{name: "every directory on the way", dir: filepath.Join(existing, "servces", "orders"),
			wantCreated: []string{filepath.Join(existing, "servces") + sep, filepath.Join(existing, "servces", "orders") + sep, filepath.Join(existing, "servces", "orders", "launch") + sep}},
		{name: "kit already there", dir: withKit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := launch(t, "init", tt.dir)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			var dirs []string
			for _, line := range strings.Split(out, "\n") {
				if d, ok := strings.CutPrefix(line, "created  "); ok && strings.HasSuffix(d, sep) {
					dirs = append(dirs, d)
				}
			}
			if strings.Join(dirs, "\n") != strings.Join(tt.wantCreated, "\n") {
				t.Errorf("directories reported created:\n%s\nwant:\n%s\noutput:\n%s", strings.Join(dirs, "\n"), strings.Join(tt.wantCreated, "\n"), out)
			}
		})
	}
}

func TestCheckFooterSuggestsInitOnlyWhenTheKitIsMissing(t *testing.T) {
	withKit := t.TempDir()
	if code, _, errOut := launch(t, "init", withKit); code != 0 {
		t.Fatalf("init: %s", errOut)
	}
	tests := []struct {
		name        string
		dir         string
		wantSuggest bool
	}{
		{name: "empty repository", dir: t.TempDir(), wantSuggest: true},
		{name: "after init", dir: withKit, wantSuggest: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, _ := launch(t, "check", tt.dir)
			if code != 1 {
				t.Fatalf("exit %d, want 1:\n%s", code, out)
			}
			if got := strings.Contains(out, "launchgate init"); got != tt.wantSuggest {
				t.Errorf("suggests init: %t, want %t:\n%s", got, tt.wantSuggest, out)
			}
		})
	}
}

// TestCheckDoesNotFollowSymlinks: locally as in the App, a launch document
// that is a link is not read through the link, even when the target is a
// finished document.
func TestCheckDoesNotFollowSymlinks(t *testing.T) {
	target, err := filepath.Abs("../../examples/ready-service/launch/recovery.md")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		link       bool
		wantStatus string
		wantMsg    string
	}{
		{name: "a copy of the finished document passes", link: false, wantStatus: "pass"},
		{name: "a link to it fails as in the App", link: true, wantStatus: "fail", wantMsg: "symbolic link; launchgate does not follow links"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			doc := filepath.Join(dir, "launch", "recovery.md")
			if err := os.MkdirAll(filepath.Dir(doc), 0o755); err != nil {
				t.Fatal(err)
			}
			if tt.link {
				if err := os.Symlink(target, doc); err != nil {
					t.Skipf("symbolic links unavailable: %v", err)
				}
			} else {
				data, err := os.ReadFile(target)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(doc, data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			_, out, _ := launch(t, "check", "--format", "json", dir)
			var rep struct {
				Requirements []struct {
					Checks []struct {
						ID, Status string
						Findings   []struct{ Message string }
					}
				}
			}
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, out)
			}
			for _, r := range rep.Requirements {
				for _, c := range r.Checks {
					if c.ID != "recovery-doc" {
						continue
					}
					if c.Status != tt.wantStatus {
						t.Errorf("recovery-doc is %s, want %s: %+v", c.Status, tt.wantStatus, c.Findings)
					}
					if tt.wantMsg != "" && (len(c.Findings) == 0 || !strings.Contains(c.Findings[0].Message, tt.wantMsg)) {
						t.Errorf("recovery-doc findings %+v, want one saying %q", c.Findings, tt.wantMsg)
					}
					return
				}
			}
			t.Fatalf("no recovery-doc check in the report:\n%s", out)
		})
	}
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken.yml")
	os.WriteFile(broken, []byte("version: 1\nrequirements:\n  - id: a\n    tittle: A\n"), 0o644)
	good := filepath.Join(dir, "good.yml")
	os.WriteFile(good, []byte("version: 1\nrequirements:\n  - id: a\n    title: A\n    approvals: [infra]\n"), 0o644)
	org := filepath.Join(dir, "org.yml")
	os.WriteFile(org, []byte("version: 1\nextends: default\nrequirements:\n  - id: scaling\n    checks:\n      - id: replicas\n        kind: replicas\n        min: 3\n        enforced: true\n"), 0o644)
	lower := filepath.Join(dir, "lower.yml")
	os.WriteFile(lower, []byte("version: 1\nextends: default\nrequirements:\n  - id: scaling\n    checks:\n      - id: replicas\n        kind: replicas\n        min: 2\n"), 0o644)
	higher := filepath.Join(dir, "higher.yml")
	os.WriteFile(higher, []byte("version: 1\nextends: default\nrequirements:\n  - id: scaling\n    checks:\n      - id: replicas\n        kind: replicas\n        min: 4\n"), 0o644)
	repoPolicy := t.TempDir()
	os.MkdirAll(filepath.Join(repoPolicy, ".github"), 0o755)
	os.WriteFile(filepath.Join(repoPolicy, ".github", "launchgate.yml"), []byte("version: 2\n"), 0o644)
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
	}{
		{"no command", nil, 2, ""},
		{"unknown command", []string{"chek"}, 2, ""},
		{"bad format", []string{"check", "--format", "xml", dir}, 2, ""},
		{"not a directory", []string{"check", broken}, 2, ""},
		{"two dirs", []string{"check", dir, dir}, 2, ""},
		{"broken policy", []string{"check", "--policy", broken, dir}, 2, ""},
		{"missing policy file", []string{"check", "--policy", filepath.Join(dir, "nope.yml"), dir}, 2, ""},
		{"repo policy is used and broken", []string{"check", repoPolicy}, 2, ""},
		{"empty repo fails", []string{"check", dir}, 1, ""},
		{"custom policy, only pending", []string{"check", "--policy", good, dir}, 0, ""},
		{"lint broken", []string{"policy", "lint", broken}, 1, `broken.yml:4: unknown key "tittle"`},
		{"lint good", []string{"policy", "lint", good}, 0, "ok (1 requirement, 0 checks, teams: [infra])"},
		{"lint broken counts its errors", []string{"policy", "lint", broken}, 1, "\n1 error\n"},
		{"lint default", []string{"policy", "lint", "../../policies/production-ready.yml"}, 0, "5 requirements"},
		{"lint missing", []string{"policy", "lint", filepath.Join(dir, "nope.yml")}, 2, ""},
		{"lint below the floor names both lines", []string{"policy", "lint", "--org-policy", org, lower}, 1,
			lower + `:6: check "replicas" of requirement "scaling": min 2 replicas is lower than the organisation's 3; the organisation policy enforces it at ` + org + ":6\n1 error\n"},
		{"lint within the floor", []string{"policy", "lint", "--org-policy", org, higher}, 0, higher + ": keeps the floor of " + org},
		{"lint with a missing org policy", []string{"policy", "lint", "--org-policy", filepath.Join(dir, "nope.yml"), higher}, 2, ""},
		{"policy without lint", []string{"policy"}, 2, ""},
		{"version", []string{"version"}, 0, "launchgate "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := launch(t, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.wantCode, out, errOut)
			}
			if !strings.Contains(out, tt.wantOut) {
				t.Errorf("stdout lacks %q:\n%s", tt.wantOut, out)
			}
		})
	}
}
