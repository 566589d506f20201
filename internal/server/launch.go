package server

import (
	"fmt"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/launchgate/launchgate/internal/policy"
)

// launchDecision says whether a pull request is a launch PR, and why.
type launchDecision struct {
	Launch bool
	// Reason names the rule that matched, or why none did, for the check
	// run and the logs.
	Reason string
	// ListedFiles is true when deciding needed the PR's changed files.
	ListedFiles bool
}

// decideLaunch applies a policy's launch rules to a pull request: any rule
// matching makes it a launch PR. Labels and title come with every webhook
// payload, so they are tried first; changedFiles (a GitHub request) is only
// called when neither matched and the policy has path rules.
//
// Labels match case-insensitively because GitHub treats label names so (a
// repository cannot hold both "Launch" and "launch"). Title prefixes match
// case-insensitively after trimming spaces, so "  launch: orders" matches
// "Launch:".
//
// changedFiles returns complete=false when GitHub's list stopped short (it
// lists at most 3,000 files): a match among the listed files still counts,
// but no match cannot clear the PR, so it is treated as a launch PR and
// checked. Fail closed.
func decideLaunch(rules policy.Launch, title string, labels []string, changedFiles func() (files []string, complete bool, err error)) (launchDecision, error) {
	for _, want := range rules.Labels {
		for _, have := range labels {
			if strings.EqualFold(strings.TrimSpace(want), strings.TrimSpace(have)) {
				return launchDecision{Launch: true, Reason: fmt.Sprintf("label %q", have)}, nil
			}
		}
	}
	t := strings.ToLower(strings.TrimSpace(title))
	for _, prefix := range rules.TitlePrefixes {
		p := strings.ToLower(strings.TrimSpace(prefix))
		if p != "" && strings.HasPrefix(t, p) {
			return launchDecision{Launch: true, Reason: fmt.Sprintf("title prefix %q", prefix)}, nil
		}
	}
	if len(rules.Paths) == 0 {
		return launchDecision{Reason: "no launch label or title prefix"}, nil
	}
	files, complete, err := changedFiles()
	if err != nil {
		return launchDecision{}, fmt.Errorf("listing changed files for the launch path rules: %w", err)
	}
	for _, f := range files {
		for _, glob := range rules.Paths {
			// Patterns were validated when the policy was parsed, so
			// Match's only error (a bad pattern) cannot happen here.
			if ok, _ := doublestar.Match(glob, f); ok {
				return launchDecision{Launch: true, ListedFiles: true, Reason: fmt.Sprintf("changed file %q matches %q", f, glob)}, nil
			}
		}
	}
	if !complete {
		return launchDecision{Launch: true, ListedFiles: true,
			Reason: fmt.Sprintf("GitHub listed only %d of the changed files, none under a launch path; checked as a launch PR since the rest cannot be seen", len(files))}, nil
	}
	return launchDecision{ListedFiles: true, Reason: "no launch label, title prefix or launch path"}, nil
}
