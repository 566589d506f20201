package policy

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestWaiverRule(t *testing.T) {
	src := `version: 1
extends: default
requirements:
  - id: scaling
    waivers: {teams: [sre, infra], max_days: 30}
    checks:
      - id: load-test
        kind: loadtest
        waivable: false
  - id: recovery
    waivable: false
  - id: monitoring
    checks:
      - id: probes
        kind: probes
        waivers: {teams: [observability], max_days: 7}
`
	p, err := Parse("launchgate.yml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		check    string
		found    bool
		waivable bool
		teams    []string
		maxDays  int
	}{
		{check: "replicas", found: true, waivable: true, teams: []string{"sre", "infra"}, maxDays: 30},
		{check: "load-test", found: true, waivable: false},
		{check: "recovery-doc", found: true, waivable: false},
		{check: "probes", found: true, waivable: true, teams: []string{"observability"}, maxDays: 7},
		{check: "alert-rules", found: true, waivable: true, teams: []string{"infra"}, maxDays: DefaultWaiverDays},
		{check: "security-review", found: true, waivable: true, teams: []string{"security"}, maxDays: DefaultWaiverDays},
		// deployment has no sign-off team, so nobody may waive its checks by default.
		{check: "build", found: true, waivable: false},
		// Sign-offs are not checks: they can never be waived.
		{check: "security-review-done", found: false},
		{check: "nosuch", found: false},
	}
	for _, tt := range tests {
		t.Run(tt.check, func(t *testing.T) {
			rule, found := p.WaiverRule(tt.check)
			if found != tt.found || rule.Waivable != tt.waivable {
				t.Fatalf("WaiverRule(%s) = %+v, found %v; want found %v, waivable %v", tt.check, rule, found, tt.found, tt.waivable)
			}
			if tt.waivable && (!slices.Equal(rule.Teams, tt.teams) || rule.MaxDays != tt.maxDays) {
				t.Errorf("WaiverRule(%s) = teams %v, max_days %d; want %v, %d", tt.check, rule.Teams, rule.MaxDays, tt.teams, tt.maxDays)
			}
		})
	}
}

func TestWaiverRuleAmbiguousCheckID(t *testing.T) {
	src := "version: 1\nrequirements:\n  - id: a\n    title: A\n    signoffs: [{id: s, text: x, team: infra}]\n    checks: [{id: doc, kind: document, path: a.md, sections: [{title: A}]}]\n" +
		"  - id: b\n    title: B\n    signoffs: [{id: t, text: y, team: infra}]\n    checks: [{id: doc, kind: document, path: b.md, sections: [{title: B}]}]\n"
	p, err := Parse("p.yml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if rule, found := p.WaiverRule("doc"); found {
		t.Errorf("a check id used by two requirements resolved to %+v", rule)
	}
}

func TestWaiverKeyErrors(t *testing.T) {
	head := "version: 1\nrequirements:\n  - id: a\n    title: A\n    signoffs: [{id: s, text: x, team: infra}]\n"
	tests := []struct {
		name     string
		yaml     string
		wantLine int
		wantMsg  string
	}{
		{name: "max_days zero", yaml: head + "    waivers: {teams: [infra], max_days: 0}\n", wantLine: 6, wantMsg: "max_days must be between 1 and 3650 (found 0)"},
		{name: "max_days too long", yaml: head + "    waivers:\n      teams: [infra]\n      max_days: 3651\n", wantLine: 8, wantMsg: "max_days must be between 1 and 3650"},
		{name: "max_days left out", yaml: head + "    waivers:\n      teams: [infra]\n", wantLine: 7, wantMsg: "max_days must be between 1 and 3650 (found 0)"},
		{name: "no teams", yaml: head + "    waivers: {max_days: 10}\n", wantLine: 6, wantMsg: "must name at least one team"},
		{name: "both keys", yaml: head + "    waivable: false\n    waivers: {teams: [infra], max_days: 10}\n", wantLine: 6, wantMsg: "both waivers and waivable"},
		{name: "waivable true", yaml: head + "    waivable: true\n", wantLine: 6, wantMsg: "waivable can only be false"},
		{name: "unknown key in waivers", yaml: head + "    waivers: {teams: [infra], max_day: 10}\n", wantLine: 6, wantMsg: `unknown key "max_day"`},
		{name: "bad team", yaml: head + "    waivers: {teams: [\"@org/infra\"], max_days: 10}\n", wantLine: 6, wantMsg: "not a team slug"},
		{name: "check with both keys", yaml: head + "    checks:\n      - id: c\n        kind: document\n        path: a.md\n        sections: [{title: A}]\n        waivable: false\n        waivers: {teams: [infra], max_days: 5}\n", wantLine: 11, wantMsg: `check "c" has both`},
		{name: "check max_days", yaml: head + "    checks:\n      - id: c\n        kind: document\n        path: a.md\n        sections: [{title: A}]\n        waivers: {teams: [infra], max_days: -1}\n", wantLine: 11, wantMsg: `check "c": waivers.max_days`},
		{name: "check waivable not a bool", yaml: head + "    checks:\n      - id: c\n        kind: document\n        path: a.md\n        sections: [{title: A}]\n        waivable: never\n", wantLine: 11, wantMsg: "waivable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("launchgate.yml", []byte(tt.yaml))
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("Parse error = %v, want policy.Errors", err)
			}
			for _, e := range errs {
				if e.Line == tt.wantLine && strings.Contains(e.Msg, tt.wantMsg) {
					return
				}
			}
			t.Errorf("errors:\n%v\nwant one at line %d containing %q", err, tt.wantLine, tt.wantMsg)
		})
	}
}
