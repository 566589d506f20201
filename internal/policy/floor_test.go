package policy

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// floorOrg enforces an item of every enforceable sort; "extras" and
// "staging" are not enforced.
const floorOrg = `version: 1
launch:
  labels: [launch]
  enforced: true
environments:
  - name: production
    aliases: [prod]
    enforced: true
  - name: staging
layouts: ["deploy/overlays/{env}"]
approvals:
  teams: [platform]
  enforced: true
requirements:
  - id: scaling
    title: Scaling
    checks:
      - id: replicas
        kind: replicas
        min: 3
        enforced: true
      - id: scaling-doc
        kind: document
        path: launch/scaling.md
        min_words: 20
        sections:
          - title: Load
            hint: peak load
          - title: Drill
            max_age_days: 90
        enforced: true
  - id: monitoring
    title: Monitoring
    enforced: true
    checks:
      - id: alert-rules
        kind: alerts
        min: 2
    signoffs:
      - id: alerts-fired
        text: Alerts fired.
        team: infra
    approvals: [infra]
  - id: extras
    title: Extras
    checks:
      - id: readme
        kind: files
        any: [README.md]
`

// floorRepo is floorOrg as a repository would copy it: the same rules,
// without the markers.
var floorRepo = strings.NewReplacer("  enforced: true\n", "", "    enforced: true\n", "", "        enforced: true\n", "").Replace(floorOrg)

// lineWith is the 1-based line of the only line of text containing s.
func lineWith(t *testing.T, text, s string) int {
	t.Helper()
	if strings.Count(text, s) != 1 {
		t.Fatalf("%q is in the policy %d times, not once", s, strings.Count(text, s))
	}
	return strings.Count(text[:strings.Index(text, s)], "\n") + 1
}

func mustParse(t *testing.T, source, text string) *Policy {
	t.Helper()
	p, err := Parse(source, []byte(text))
	if err != nil {
		t.Fatalf("%s does not parse: %v\n%s", source, err, text)
	}
	return p
}

func TestFloorRefusesEachLoosening(t *testing.T) {
	tests := []struct {
		name     string
		old, new string // the edit to floorRepo
		want     string
		repoAt   string // the line the error names in the repository policy
		orgAt    string // and in the organisation policy
	}{
		{name: "lower replicas", old: "min: 3", new: "min: 2",
			want: "min 2 replicas is lower than the organisation's 3", repoAt: "- id: replicas", orgAt: "- id: replicas"},
		{name: "replicas left to their default", old: "        min: 3\n", new: "",
			want: "min 2 replicas is lower than the organisation's 3", repoAt: "- id: replicas", orgAt: "- id: replicas"},
		{name: "lower min_words", old: "min_words: 20", new: "min_words: 15",
			want: "min_words 15 is lower than the organisation's 20", repoAt: "- id: scaling-doc", orgAt: "- id: scaling-doc"},
		{name: "higher max_age_days", old: "max_age_days: 90", new: "max_age_days: 120",
			want: `section "Drill": max_age_days 120 is higher than the organisation's 90`, repoAt: "- id: scaling-doc", orgAt: "- id: scaling-doc"},
		{name: "no max_age_days", old: "            max_age_days: 90\n", new: "",
			want: `section "Drill" has no max_age_days; the organisation's is 90`, repoAt: "- id: scaling-doc", orgAt: "- id: scaling-doc"},
		{name: "removed section", old: "          - title: Load\n            hint: peak load\n", new: "",
			want: `section "Load" is removed`, repoAt: "- id: scaling-doc", orgAt: "- id: scaling-doc"},
		{name: "section alias added", old: "hint: peak load", new: "aliases: [Notes]",
			want: `section "Load" accepts the heading "Notes"`, repoAt: "- id: scaling-doc", orgAt: "- id: scaling-doc"},
		{name: "document path changed", old: "path: launch/scaling.md", new: "path: README.md",
			want: "path differs from the organisation's", repoAt: "- id: scaling-doc", orgAt: "- id: scaling-doc"},
		{name: "check kind changed", old: "        kind: replicas\n        min: 3\n", new: "        kind: probes\n",
			want: `check "replicas" of requirement "scaling" is of kind "probes"; the organisation's is "replicas"`, repoAt: "- id: replicas", orgAt: "- id: replicas"},
		{name: "enforced check removed", old: "      - id: replicas\n        kind: replicas\n        min: 3\n", new: "",
			want: `check "replicas" of requirement "scaling" is removed`, repoAt: "- id: scaling\n", orgAt: "- id: replicas"},
		{name: "requirement of an enforced check removed", old: floorRepo[strings.Index(floorRepo, "  - id: scaling"):strings.Index(floorRepo, "  - id: monitoring")], new: "",
			want: `requirement "scaling" is removed`, repoAt: "- id: monitoring", orgAt: "- id: scaling\n"},
		{name: "enforced requirement removed", old: floorRepo[strings.Index(floorRepo, "  - id: monitoring"):strings.Index(floorRepo, "  - id: extras")], new: "",
			want: `requirement "monitoring" is removed`, repoAt: "- id: scaling\n", orgAt: "- id: monitoring"},
		{name: "check of an enforced requirement loosened", old: "min: 2", new: "min: 1",
			want: `check "alert-rules" of requirement "monitoring": min 1 alerting rules is lower than the organisation's 2`, repoAt: "- id: alert-rules", orgAt: "- id: alert-rules"},
		{name: "sign-off given to another team", old: "team: infra", new: "team: everyone",
			want: `sign-off "alerts-fired" of requirement "monitoring" is given to team "everyone"`, repoAt: "- id: alerts-fired", orgAt: "- id: alerts-fired"},
		{name: "sign-off reworded", old: "text: Alerts fired.", new: "text: Alerts exist.",
			want: `sign-off "alerts-fired" of requirement "monitoring" changes what its signer attests`, repoAt: "- id: alerts-fired", orgAt: "- id: alerts-fired"},
		{name: "requirement approval team dropped", old: "approvals: [infra]", new: "approvals: [sre]",
			want: `requirement "monitoring" drops the approval team "infra"`, repoAt: "approvals: [sre]", orgAt: "approvals: [infra]"},
		{name: "approval team dropped", old: "teams: [platform]", new: "teams: [web]",
			want: `approval team "platform" is dropped`, repoAt: "teams: [web]", orgAt: "teams: [platform]"},
		{name: "enforced environment removed", old: "  - name: production\n    aliases: [prod]\n", new: "",
			want: `environment "production" is removed`, repoAt: "- name: staging", orgAt: "- name: production"},
		{name: "environment alias dropped", old: "aliases: [prod]", new: "aliases: [prd]",
			want: `environment "production" drops the alias "prod"`, repoAt: "- name: production", orgAt: "- name: production"},
		{name: "layout dropped", old: `layouts: ["deploy/overlays/{env}"]`, new: `layouts: ["k8s/{env}"]`,
			want: `layout "deploy/overlays/{env}" is dropped`, repoAt: "layouts:", orgAt: "layouts:"},
		{name: "waivers last longer", old: "    title: Monitoring\n", new: "    title: Monitoring\n    waivers: {teams: [infra], max_days: 120}\n",
			want: `check "alert-rules" of requirement "monitoring": waivers may last 120 days; the organisation's at most 90`, repoAt: "- id: alert-rules", orgAt: "- id: alert-rules"},
		{name: "another team may waive", old: "    title: Monitoring\n", new: "    title: Monitoring\n    waivers: {teams: [infra, web], max_days: 30}\n",
			want: `team web may waive it`, repoAt: "- id: alert-rules", orgAt: "- id: alert-rules"},
		{name: "waivable where the organisation's is not", old: "    title: Scaling\n", new: "    title: Scaling\n    waivers: {teams: [sre], max_days: 10}\n",
			want: `check "replicas" of requirement "scaling": it may be waived; the organisation's may not`, repoAt: "- id: replicas", orgAt: "- id: replicas"},
		{name: "a new sign-off team may waive by default", old: "        team: infra\n", new: "        team: infra\n      - id: dashboards\n        text: Dashboards exist.\n        team: sre\n",
			want: `team sre may waive it`, repoAt: "- id: alert-rules", orgAt: "- id: alert-rules"},
		{name: "launch label dropped", old: "labels: [launch]", new: "labels: [ship]",
			want: `launch label "launch" is dropped`, repoAt: "labels: [ship]", orgAt: "labels: [launch]"},
	}
	org := mustParse(t, "org.yml", floorOrg)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(floorRepo, tt.old) {
				t.Fatalf("the repository policy has no %q", tt.old)
			}
			text := strings.Replace(floorRepo, tt.old, tt.new, 1)
			err := CheckFloor(org, mustParse(t, "repo.yml", text))
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("CheckFloor = %v, want Errors", err)
			}
			wantRepo := fmt.Sprintf("repo.yml:%d: ", lineWith(t, text, tt.repoAt))
			wantOrg := fmt.Sprintf("enforces it at org.yml:%d", lineWith(t, floorOrg, tt.orgAt))
			for _, e := range errs {
				if s := e.Error(); strings.Contains(s, tt.want) && strings.HasPrefix(s, wantRepo) && strings.HasSuffix(s, wantOrg) {
					return
				}
			}
			t.Errorf("no error %q%s...%s among:\n%v", wantRepo, tt.want, wantOrg, err)
		})
	}
}

func TestFloorAcceptsTightening(t *testing.T) {
	tests := []struct {
		name  string
		edits []string // old, new pairs applied to floorRepo
	}{
		{name: "the same rules"},
		{name: "more replicas and words, a shorter age", edits: []string{"min: 3", "min: 4", "min_words: 20", "min_words: 40", "max_age_days: 90", "max_age_days: 30"}},
		{name: "more sections and a changed hint", edits: []string{"hint: peak load", "hint: the peak, measured\n          - title: Capacity"}},
		{name: "more environments and aliases", edits: []string{"aliases: [prod]", "aliases: [prod, prd]\n  - name: canary"}},
		{name: "unenforced items removed or loosened", edits: []string{
			"  - name: staging\n", "",
			floorRepo[strings.Index(floorRepo, "  - id: extras"):], "",
		}},
		{name: "more teams, labels and sign-offs", edits: []string{
			"teams: [platform]", "teams: [platform, sre]",
			"labels: [launch]", "labels: [launch, release]",
			"approvals: [infra]", "approvals: [infra, sre]",
			"    approvals: [infra, sre]", "      - id: dashboards\n        text: Dashboards exist.\n        team: sre\n    approvals: [infra, sre]",
			// A sign-off team may waive the requirement's checks by
			// default; keeping the organisation's waiver teams is stated.
			"    title: Monitoring\n", "    title: Monitoring\n    waivers: {teams: [infra], max_days: 90}\n",
		}},
		{name: "more layouts", edits: []string{`layouts: ["deploy/overlays/{env}"]`, `layouts: ["k8s/{env}", "deploy/overlays/{env}"]`}},
		{name: "another alert rule minimum, higher", edits: []string{"min: 2", "min: 5"}},
		{name: "shorter waivers by fewer teams", edits: []string{"    title: Monitoring\n", "    title: Monitoring\n    waivers: {teams: [infra], max_days: 14}\n"}},
		{name: "no waivers at all", edits: []string{"    title: Monitoring\n", "    title: Monitoring\n    waivable: false\n"}},
	}
	org := mustParse(t, "org.yml", floorOrg)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := floorRepo
			for i := 0; i < len(tt.edits); i += 2 {
				if !strings.Contains(text, tt.edits[i]) {
					t.Fatalf("the repository policy has no %q", tt.edits[i])
				}
				text = strings.Replace(text, tt.edits[i], tt.edits[i+1], 1)
			}
			if err := CheckFloor(org, mustParse(t, "repo.yml", text)); err != nil {
				t.Errorf("CheckFloor refused a policy no looser than the floor:\n%v\n%s", err, text)
			}
		})
	}
}

// An item the repository policy does not state is the default's when it
// extends it: the floor judges what it inherits, and an error points at
// its extends line.
func TestFloorJudgesWhatExtendsInherits(t *testing.T) {
	const replicasFloor = "version: 1\nextends: default\nrequirements:\n  - id: recovery\n    enforced: true\n  - id: scaling\n    checks:\n      - id: replicas\n        kind: replicas\n        min: 3\n        enforced: true\n"
	const complianceFloor = "version: 1\nextends: default\nrequirements:\n  - id: compliance\n    title: Compliance\n    enforced: true\n    signoffs:\n      - {id: sox, text: SOX controls reviewed, team: compliance}\n"
	const bare = "version: 1\nextends: default\n"
	tests := []struct {
		name string
		org  string
		repo string
		want string // "": accepted
	}{
		{name: "inherits a lower minimum", org: replicasFloor, repo: bare,
			want: `repo.yml:2: check "replicas" of requirement "scaling": min 2 replicas is lower than the organisation's 3 (as inherited from the embedded default policy through extends); the organisation policy enforces it at org.yml:8`},
		{name: "states a higher minimum", org: replicasFloor, repo: bare + "requirements:\n  - id: scaling\n    checks:\n      - id: replicas\n        kind: replicas\n        min: 3\n"},
		{name: "restates the enforced requirement", org: replicasFloor, repo: bare + "requirements:\n  - id: recovery\n    title: Recovery\n  - id: scaling\n    checks:\n      - id: replicas\n        kind: replicas\n        min: 4\n"},
		{name: "lacks a requirement the organisation adds", org: complianceFloor, repo: bare,
			want: `repo.yml:2: requirement "compliance" is removed; the organisation policy enforces it at org.yml:4`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckFloor(mustParse(t, "org.yml", tt.org), mustParse(t, "repo.yml", tt.repo))
			if tt.want == "" {
				if err != nil {
					t.Errorf("refused: %v", err)
				}
				return
			}
			var errs Errors
			if !errors.As(err, &errs) || len(errs) != 1 {
				t.Fatalf("CheckFloor = %v, want one error", err)
			}
			if errs[0].Error() != tt.want {
				t.Errorf("error:\n%s\nwant:\n%s", errs[0].Error(), tt.want)
			}
		})
	}
}

func TestEnforcedMustBeABoolean(t *testing.T) {
	text := strings.Replace(floorOrg, "        min: 3\n        enforced: true", "        min: 3\n        enforced: always", 1)
	_, err := Parse("org.yml", []byte(text))
	if err == nil || !strings.Contains(err.Error(), "enforced must be true or false") {
		t.Errorf("Parse = %v, want an error about enforced", err)
	}
}

// With every item enforced, the default policy keeps its own floor: no
// comparison mistakes an equal value for a looser one.
func TestDefaultKeepsItsOwnFloor(t *testing.T) {
	def, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	org := *def
	org.Launch.Enforced, org.Approvals.Enforced = true, true
	org.Environments = slices.Clone(def.Environments)
	for i := range org.Environments {
		org.Environments[i].Enforced = true
	}
	org.Requirements = slices.Clone(def.Requirements)
	for i := range org.Requirements {
		org.Requirements[i].Enforced = true
	}
	if err := CheckFloor(&org, def); err != nil {
		t.Errorf("the default is looser than itself:\n%v", err)
	}
}
