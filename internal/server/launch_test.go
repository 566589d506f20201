package server

import (
	"errors"
	"strings"
	"testing"

	"github.com/launchgate/launchgate/internal/policy"
)

func TestDecideLaunch(t *testing.T) {
	rules := policy.Launch{
		Labels:        []string{"launch", "go-live"},
		TitlePrefixes: []string{"[launch]", "Launch:"},
		Paths:         []string{"launch/**", "deploy/production/**"},
	}
	type files struct {
		list     []string
		complete bool
		err      error
	}
	tests := []struct {
		name   string
		rules  policy.Launch
		title  string
		labels []string
		files  *files // nil: must not be listed
		launch bool
		reason string // substring
	}{
		{name: "label", title: "Add orders", labels: []string{"bug", "launch"}, launch: true, reason: `label "launch"`},
		{name: "label case-insensitive", title: "x", labels: []string{"Go-Live"}, launch: true, reason: `label "Go-Live"`},
		{name: "title prefix", title: "[launch] orders service", launch: true, reason: `title prefix "[launch]"`},
		{name: "title prefix case and spaces", title: "   LAUNCH: orders", launch: true, reason: `title prefix "Launch:"`},
		{name: "prefix must start the title", title: "Prepare launch: orders", files: &files{list: []string{"README.md"}, complete: true}},
		{name: "label wins without listing files", title: "Launch: x", labels: []string{"launch"}, launch: true, reason: "label"},
		{name: "changed path", title: "Add kit", files: &files{list: []string{"README.md", "launch/recovery.md"}, complete: true},
			launch: true, reason: `changed file "launch/recovery.md" matches "launch/**"`},
		{name: "deep glob", title: "x", files: &files{list: []string{"deploy/production/a/b.yaml"}, complete: true}, launch: true},
		{name: "no match", title: "Fix typo", labels: []string{"docs"}, files: &files{list: []string{"README.md", "launchpad/x.md"}, complete: true},
			reason: "no launch label, title prefix or launch path"},
		{name: "truncated list without a match fails closed", title: "Huge refactor",
			files: &files{list: []string{"a.go"}, complete: false}, launch: true, reason: "listed only 1"},
		{name: "truncated list with a match", title: "Huge",
			files: &files{list: []string{"launch/x.md"}, complete: false}, launch: true, reason: "matches"},
		{name: "no path rules: no listing", rules: policy.Launch{Labels: []string{"launch"}}, title: "Fix", reason: "no launch label or title prefix"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rules
			if tt.rules.Labels != nil {
				r = tt.rules
			}
			listed := false
			got, err := decideLaunch(r, tt.title, tt.labels, func() ([]string, bool, error) {
				listed = true
				if tt.files == nil {
					t.Fatal("changed files listed although the payload decides")
				}
				return tt.files.list, tt.files.complete, tt.files.err
			})
			if err != nil {
				t.Fatal(err)
			}
			if got.Launch != tt.launch || !strings.Contains(got.Reason, tt.reason) || got.ListedFiles != listed {
				t.Errorf("decideLaunch = %+v (listed %v), want launch=%v reason ~ %q", got, listed, tt.launch, tt.reason)
			}
		})
	}
}

func TestDecideLaunchListingErrorIsAnError(t *testing.T) {
	_, err := decideLaunch(policy.Launch{Paths: []string{"launch/**"}}, "x", nil, func() ([]string, bool, error) {
		return nil, false, errors.New("502 Bad Gateway")
	})
	if err == nil || !strings.Contains(err.Error(), "502") {
		t.Fatalf("err = %v; a failed listing must not decide 'not a launch PR'", err)
	}
}
