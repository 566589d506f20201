package policy

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/launchgate/launchgate/internal/inspect"
)

func TestDefaultPolicyParses(t *testing.T) {
	p, err := Default()
	if err != nil {
		t.Fatalf("embedded default policy: %v", err)
	}
	var ids []string
	for _, r := range p.Requirements {
		ids = append(ids, r.ID)
	}
	if got, want := strings.Join(ids, ","), "deployment,security,monitoring,scaling,recovery"; got != want {
		t.Errorf("requirement ids = %s, want %s", got, want)
	}
	if got := strings.Join(p.Teams(), ","); got != "infra,security" {
		t.Errorf("teams = %s, want infra,security", got)
	}
	var envs []string
	for _, e := range p.Environments {
		envs = append(envs, e.Name)
	}
	if got := strings.Join(envs, ","); got != "production,uat,integration,ci,development" {
		t.Errorf("environments = %s", got)
	}
	if !strings.HasPrefix(p.Digest, "sha256:") {
		t.Errorf("digest = %q", p.Digest)
	}
}

// TestDefaultApprovalPathsCoverDeployment: CODEOWNERS teams of the
// deployment configuration the default layouts read must approve a launch
// PR that changes it, wherever the layouts find it.
func TestDefaultApprovalPathsCoverDeployment(t *testing.T) {
	p, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		file  string
		guard bool
	}{
		{file: "launch/security-review.md", guard: true},
		{file: "deploy/overlays/prod/kustomization.yaml", guard: true},
		{file: "k8s/base/deployment.yaml", guard: true},
		{file: "clusters/production/apps.yaml", guard: true},
		{file: "terraform/environments/prod/main.tf", guard: true},
		{file: "services/api/infra/prod.tfvars", guard: true},
		{file: "charts/api/Chart.yaml", guard: true},
		{file: "src/main.go", guard: false},
		{file: "README.md", guard: false},
	}
	for _, tt := range tests {
		got := slices.ContainsFunc(p.Approvals.Paths, func(g string) bool { return doublestar.MatchUnvalidated(g, tt.file) })
		if got != tt.guard {
			t.Errorf("approvals.paths guard %s = %v, want %v", tt.file, got, tt.guard)
		}
	}
}

// TestParseErrors checks that each kind of mistake is reported with the
// line it is on, and that a broken policy never loads.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		name     string
		yaml     string
		wantLine int
		wantMsg  string
	}{
		{"syntax error", "version: 1\nrequirements: [\n", 2, "did not find expected"},
		{"unknown top-level key", "version: 1\nrequirement:\n  - id: a\n", 2, `unknown key "requirement"`},
		{"wrong type names the key", "version: one\nrequirements: []\n", 1, `version must be a whole number, not "one"`},
		{"check parameter of the wrong type names it", "version: 1\nrequirements:\n  - id: a\n    title: A\n    checks:\n      - id: c\n        kind: document\n        path: launch/x.md\n        min_words: lots\n", 9, `min_words must be a whole number, not "lots"`},
		{"a list where one glob goes", "version: 1\nrequirements:\n  - id: a\n    title: A\n    checks:\n      - id: c\n        kind: field\n        files: [a.yaml, b.yaml]\n        assert: a exists\n", 8, "files must be one glob (list more globs under paths), not a list"},
		{"nested wrong type names the path", "version: 1\nrequirements:\n  - id: a\n    title: [A]\n    approvals: [infra]\n", 4, "requirements[0].title must be a single value (text), not a list"},
		{"missing version", "requirements:\n  - id: a\n    title: A\n    approvals: [infra]\n", 0, "version must be 1"},
		{"unknown check kind", "version: 1\nrequirements:\n  - id: a\n    title: A\n    checks:\n      - id: c\n        kind: nosuch\n", 6, `unknown kind "nosuch"`},
		{"check without kind", "version: 1\nrequirements:\n  - id: a\n    title: A\n    checks:\n      - id: c\n", 6, "has no kind"},
		{"unknown check parameter", "version: 1\nrequirements:\n  - id: a\n    title: A\n    checks:\n      - id: c\n        kind: document\n        path: launch/x.md\n        sectons: []\n", 9, `unknown key "sectons"`},
		{"nested unknown key", "version: 1\nrequirements:\n  - id: a\n    title: A\n    checks:\n      - id: c\n        kind: document\n        path: launch/x.md\n        sections:\n          - titel: X\n", 10, `unknown key "titel" in sections[0] (expected one of:`},
		{"invalid check params", "version: 1\nrequirements:\n  - id: a\n    title: A\n    checks:\n      - id: c\n        kind: document\n", 6, `check "c" (document)`},
		{"empty requirement", "version: 1\nrequirements:\n  - id: a\n    title: A\n", 3, "would always pass"},
		{"bad requirement id", "version: 1\nrequirements:\n  - id: A B\n    title: A\n    approvals: [infra]\n", 3, "requirement id"},
		{"duplicate requirement", "version: 1\nrequirements:\n  - id: a\n    title: A\n    approvals: [infra]\n  - id: a\n    title: B\n    approvals: [infra]\n", 6, "used twice"},
		{"sign-off without team", "version: 1\nrequirements:\n  - id: a\n    title: A\n    signoffs:\n      - id: s\n        text: ok\n", 6, "needs a team slug"},
		{"duplicate sign-off across requirements", "version: 1\nrequirements:\n  - id: a\n    title: A\n    signoffs:\n      - {id: s, text: x, team: infra}\n  - id: b\n    title: B\n    signoffs:\n      - {id: s, text: y, team: infra}\n", 10, "unique across the policy"},
		{"bad launch glob", "version: 1\nlaunch:\n  paths: [\"launch/[\"]\nrequirements:\n  - id: a\n    title: A\n    approvals: [infra]\n", 3, "not a valid glob"},
		{"bad team", "version: 1\napprovals:\n  teams: [\"@org/security\"]\nrequirements:\n  - id: a\n    title: A\n    approvals: [infra]\n", 3, "not a team slug"},
		{"duplicate environment alias", "version: 1\nenvironments:\n  - {name: production, aliases: [prod]}\n  - {name: prod}\nrequirements:\n  - id: a\n    title: A\n    approvals: [infra]\n", 4, "used by both"},
		{"unknown extends", "version: 1\nextends: strict\n", 2, `extends must be "default"`},
		{"layout without {env}", "version: 1\nextends: default\nlayouts:\n  - k8s/{env}\n  - k8s/overlays\n", 5, "layouts[1]: layout \"k8s/overlays\" must contain {env} exactly once"},
		{"extra layout climbing out", "version: 1\nextends: default\nextra_layouts: [\"../ops/{env}\"]\n", 3, `extra_layouts[0]: layout "../ops/{env}" must not contain ".."`},
		{"environments check without layouts", "version: 1\nrequirements:\n  - id: a\n    title: A\n    checks:\n      - {id: envs, kind: environments}\n", 6, `check "envs" (environments) reads the environments' deployment configuration, but the policy has no layouts`},
		{"extension emptying the layouts", "version: 1\nextends: default\nlayouts: []\n", 0, "but the policy has no layouts"},
		{"not a mapping", "- a\n- b\n", 0, "must be a YAML mapping"},
		{"binary", "version: 1\x00", 0, "binary"},
		{"oversized", "version: 1\n#" + strings.Repeat("x", MaxSize), 0, "limit"},
		{"invalid utf-8", "version: 1\ntitle: \xff\n", 0, "UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse("launchgate.yml", []byte(tt.yaml))
			if err == nil {
				t.Fatalf("Parse succeeded (%d requirements), want an error", len(p.Requirements))
			}
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error %T %v is not policy.Errors", err, err)
			}
			for _, e := range errs {
				if e.Line == tt.wantLine && strings.Contains(e.Msg, tt.wantMsg) {
					if !strings.HasPrefix(e.Error(), "launchgate.yml") {
						t.Errorf("error %q does not name the file", e.Error())
					}
					return
				}
			}
			t.Errorf("errors:\n%v\nwant one at line %d containing %q", err, tt.wantLine, tt.wantMsg)
		})
	}
}

func TestParseReportsEveryUnknownKey(t *testing.T) {
	_, err := Parse("p.yml", []byte("version: 1\nfoo: 1\nbar: 2\nrequirements:\n  - id: a\n    title: A\n    approvals: [infra]\n    baz: 3\n"))
	var errs Errors
	if !errors.As(err, &errs) || len(errs) != 3 {
		t.Fatalf("want 3 errors, got %v", err)
	}
	for i, line := range []int{2, 3, 8} {
		if errs[i].Line != line {
			t.Errorf("error %d at line %d, want %d: %v", i, errs[i].Line, line, errs[i])
		}
	}
}

func TestAnchorsAndMergeKeys(t *testing.T) {
	src := `version: 1
x-doc: &doc
  kind: document
  min_words: 5
requirements:
  - id: a
    title: A
    checks:
      - <<: *doc
        id: c
        path: launch/a.md
        sections: [{title: One}]
`
	p, err := Parse("p.yml", []byte(src))
	if err == nil {
		t.Fatalf("unknown top-level key x-doc was accepted: %+v", p)
	}
	// Without the stray key the merge key itself is fine.
	src = strings.Replace(src, "x-doc: &doc\n  kind: document\n  min_words: 5\n", "", 1)
	src = strings.Replace(src, "      - <<: *doc\n        id: c\n", "      - &doc\n        id: c\n        kind: document\n        min_words: 5\n", 1)
	if _, err := Parse("p.yml", []byte(src)); err != nil {
		t.Fatalf("anchored check: %v", err)
	}
}

func TestExtendsDefault(t *testing.T) {
	src := `version: 1
extends: default
launch:
  labels: [go-live]
requirements:
  - id: recovery
    checks:
      - id: recovery-doc
        kind: document
        path: launch/recovery.md
        min_words: 50
        sections: [{title: Backups}]
  - id: compliance
    title: Compliance
    signoffs:
      - {id: sox, text: SOX controls reviewed, team: compliance}
`
	p, err := Parse("org/.github:launchgate.yml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	def, _ := Default()
	if got := strings.Join(p.Launch.Labels, ","); got != "go-live" {
		t.Errorf("labels = %s, want the override", got)
	}
	if got, want := strings.Join(p.Launch.Paths, ","), strings.Join(def.Launch.Paths, ","); got != want {
		t.Errorf("paths = %s, want the default's %s", got, want)
	}
	if len(p.Requirements) != 6 || p.Requirements[5].ID != "compliance" {
		t.Fatalf("requirements = %d, want the default's five plus compliance", len(p.Requirements))
	}
	rec := p.Requirement("recovery")
	if rec.Title != def.Requirement("recovery").Title {
		t.Errorf("recovery title %q was not kept from the default", rec.Title)
	}
	if len(rec.Signoffs) != 1 || len(rec.Checks) != len(def.Requirement("recovery").Checks) {
		t.Errorf("recovery lost the default's sign-offs or checks: %+v", rec)
	}
	if !strings.Contains(p.Digest, def.Digest) {
		t.Errorf("digest %q does not cover the default %q", p.Digest, def.Digest)
	}
	// The default itself is untouched.
	if def.Launch.Labels[0] != "launch" || len(def.Requirements) != 5 {
		t.Errorf("merging modified the default policy")
	}
}

func TestLayouts(t *testing.T) {
	def, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	defLayouts := strings.Join(def.Layouts, ",")
	tests := []struct {
		name string
		yaml string
		want []string
	}{
		{name: "extends keeps the default's", yaml: "version: 1\nextends: default\n", want: def.Layouts},
		{name: "layouts replace the default's", yaml: "version: 1\nextends: default\nlayouts: [\"ops/{env}\"]\n", want: []string{"ops/{env}"}},
		{name: "extra_layouts extend the default's", yaml: "version: 1\nextends: default\nextra_layouts: [\"ops/{env}\"]\n",
			want: append(slices.Clone(def.Layouts), "ops/{env}")},
		{name: "both", yaml: "version: 1\nextends: default\nlayouts: [\"a/{env}\"]\nextra_layouts: [\"b/{env}\"]\n", want: []string{"a/{env}", "b/{env}"}},
		{name: "a standalone policy", yaml: "version: 1\nlayouts: [\"a/{env}\"]\nextra_layouts: [\"b/{env}\"]\n" +
			"requirements:\n  - id: a\n    title: A\n    checks:\n      - {id: envs, kind: environments}\n", want: []string{"a/{env}", "b/{env}"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse("p.yml", []byte(tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(p.Layouts, tt.want) {
				t.Errorf("layouts = %v, want %v", p.Layouts, tt.want)
			}
			// Every check that reads layouts has the policy's: its inputs
			// cover each layout's matches.
			readers := 0
			for _, r := range p.Requirements {
				for _, c := range r.Checks {
					if _, ok := c.Checker.(inspect.LayoutReader); !ok {
						continue
					}
					readers++
					for _, l := range tt.want {
						if g := strings.Replace(l, inspect.EnvPlaceholder, "*", 1); !slices.Contains(c.Checker.Inputs(), g) {
							t.Errorf("check %s: inputs %v lack %s", c.ID, c.Checker.Inputs(), g)
						}
					}
				}
			}
			if readers == 0 {
				t.Error("no check reads the layouts")
			}
		})
	}
	if got := strings.Join(def.Layouts, ","); got != defLayouts {
		t.Errorf("extending changed the default's layouts to %s", got)
	}
	for _, r := range def.Requirements {
		for _, c := range r.Checks {
			if _, ok := c.Checker.(inspect.LayoutReader); ok && slices.Contains(c.Checker.Inputs(), "a/*") {
				t.Errorf("extending gave the default's check %s another policy's layouts", c.ID)
			}
		}
	}
}

// TestParseSyntaxErrorLines: a policy's YAML mistakes are reported on the
// line they are on, not on yaml.v3's 0-based line of the one above.
func TestParseSyntaxErrorLines(t *testing.T) {
	const head = "version: 1\nrequirements:\n  - id: a\n    title: A\n"
	tests := []struct {
		name     string
		yaml     string
		wantLine int
		wantMsg  string
	}{
		{name: "unclosed [", yaml: head + "    approvals: [infra\n    signoffs: []\n", wantLine: 5, wantMsg: "did not find expected ',' or ']'"},
		{name: "unclosed {", yaml: head + "    checks:\n      - {id: c, kind: files\n", wantLine: 6, wantMsg: "did not find expected ',' or '}'"},
		{name: "under-indented key", yaml: "version: 1\nrequirements:\n  - id: a\n    title: A\n    approvals: [infra]\n extends: default\n", wantLine: 6, wantMsg: "did not find expected key"},
		{name: "tab indentation", yaml: head + "\tapprovals: [infra]\n", wantLine: 5, wantMsg: "tab character"},
		{name: "unclosed quote", yaml: head + "    approvals: [\"infra]\n", wantLine: 5, wantMsg: "unexpected end of stream"},
		{name: "duplicate key", yaml: head + "    approvals: [infra]\n    title: B\n", wantLine: 6, wantMsg: `mapping key "title" already defined at line 4`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("launchgate.yml", []byte(tt.yaml))
			var errs Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("Parse error %v is not policy.Errors", err)
			}
			if e := errs[0]; e.Line != tt.wantLine || !strings.Contains(e.Msg, tt.wantMsg) {
				t.Fatalf("first error %q at line %d, want line %d containing %q", e.Msg, e.Line, tt.wantLine, tt.wantMsg)
			}
		})
	}
}
