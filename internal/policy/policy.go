// Package policy is the launchgate policy: what a launch PR must prove,
// how it is recognised, and who must sign off. It loads YAML strictly
// (unknown keys, wrong types and unknown check kinds are errors with line
// numbers) so that a typo can never silently weaken a gate.
package policy

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/launchgate/launchgate/internal/inspect"
)

// Version is the only policy format version this build understands.
const Version = 1

// Policy is a parsed, validated policy.
type Policy struct {
	Version int `yaml:"version"`
	// Extends names a policy this one builds on; only "default" (the
	// embedded production-ready policy) is known.
	Extends      string                `yaml:"extends,omitempty"`
	Launch       Launch                `yaml:"launch"`
	Environments []inspect.Environment `yaml:"environments"`
	// Layouts are where environments' deployment configuration is found
	// (inspect.ValidateLayout), for every check that reads it. Once loaded,
	// they include ExtraLayouts.
	Layouts []string `yaml:"layouts,omitempty"`
	// ExtraLayouts are appended to Layouts: with extends, to the default's,
	// which Layouts would replace.
	ExtraLayouts []string      `yaml:"extra_layouts,omitempty"`
	Approvals    Approvals     `yaml:"approvals"`
	Requirements []Requirement `yaml:"requirements"`

	// Source says where the policy was read from, for messages.
	Source string `yaml:"-"`
	// Digest identifies the policy's content (sha256 of its source bytes,
	// and of the default's when it extends it), so a check run can record
	// which policy produced it.
	Digest string `yaml:"-"`
	// ownLines are the lines of what this policy's own file states, keyed
	// by floorKey paths, so that a floor error can point at them; items a
	// policy inherits through extends have none.
	ownLines map[string]int
}

// Launch says which pull requests are launch PRs. A PR is one when any
// rule matches.
type Launch struct {
	Labels        []string `yaml:"labels,omitempty"`
	TitlePrefixes []string `yaml:"title_prefixes,omitempty"`
	// Paths are doublestar globs; a PR changing a matching file is a
	// launch PR.
	Paths []string `yaml:"paths,omitempty"`
	// Enforced, in an organisation's policy, keeps every rule above in
	// the repositories' policies (CheckFloor).
	Enforced bool `yaml:"enforced,omitempty"`
}

// Approvals are the teams that must approve every launch PR, and the paths
// whose CODEOWNERS teams must approve too when a PR changes them.
type Approvals struct {
	Teams []string `yaml:"teams,omitempty"`
	Paths []string `yaml:"paths,omitempty"`
	// Enforced, in an organisation's policy, keeps every team and path
	// above in the repositories' policies (CheckFloor).
	Enforced bool `yaml:"enforced,omitempty"`
}

// Requirement is one part of the production-ready standard.
type Requirement struct {
	ID          string    `yaml:"id"`
	Title       string    `yaml:"title"`
	Description string    `yaml:"description,omitempty"`
	Checks      []Check   `yaml:"checks,omitempty"`
	Signoffs    []Signoff `yaml:"signoffs,omitempty"`
	// Approvals are team slugs whose approving review this requirement
	// needs.
	Approvals []string `yaml:"approvals,omitempty"`
	// Enforced, in an organisation's policy, keeps the requirement, all
	// its checks, sign-offs and approvals in the repositories' policies
	// (CheckFloor).
	Enforced bool `yaml:"enforced,omitempty"`
	// Waivers and Waivable say who may waive the requirement's automatic
	// checks (see WaiverRule); at most one is set.
	Waivers  *Waivers `yaml:"waivers,omitempty"`
	Waivable *bool    `yaml:"waivable,omitempty"`
	Line     int      `yaml:"-"`
}

// Check is one automatic check of a requirement.
type Check struct {
	ID          string
	Kind        string
	Description string
	Checker     inspect.Checker
	// Enforced, in an organisation's policy, keeps the check, no looser,
	// in the repositories' policies (CheckFloor).
	Enforced bool
	// Waivers and Waivable override the requirement's waiver rule for
	// this check; at most one is set.
	Waivers  *Waivers
	Waivable *bool
	Line     int
}

// Signoff is a human sign-off item that only members of Team may tick.
type Signoff struct {
	ID   string `yaml:"id"`
	Text string `yaml:"text"`
	Team string `yaml:"team"`
}

// Requirement returns the requirement with the given id, or nil.
func (p *Policy) Requirement(id string) *Requirement {
	for i := range p.Requirements {
		if p.Requirements[i].ID == id {
			return &p.Requirements[i]
		}
	}
	return nil
}

// Inputs returns the globs of the files the requirement's automatic checks
// read, in check order and without duplicates: what a sign-off of the
// requirement attests and what its approving teams guard.
func (r Requirement) Inputs() []string {
	var globs []string
	for _, c := range r.Checks {
		for _, g := range c.Checker.Inputs() {
			if !slices.Contains(globs, g) {
				globs = append(globs, g)
			}
		}
	}
	return globs
}

// Inputs is the union of every requirement's inputs, sorted: the files an
// evaluation reads, so that the App fetches those blobs and no others.
func (p *Policy) Inputs() []string {
	var in []string
	for _, r := range p.Requirements {
		in = append(in, r.Inputs()...)
	}
	slices.Sort(in)
	return slices.Compact(in)
}

// Teams lists every team the policy names (approvals and sign-offs),
// sorted and without duplicates.
func (p *Policy) Teams() []string {
	seen := map[string]bool{}
	add := func(ts ...string) {
		for _, t := range ts {
			seen[t] = true
		}
	}
	add(p.Approvals.Teams...)
	for _, r := range p.Requirements {
		add(r.Approvals...)
		for _, s := range r.Signoffs {
			add(s.Team)
		}
	}
	teams := make([]string, 0, len(seen))
	for t := range seen {
		teams = append(teams, t)
	}
	sort.Strings(teams)
	return teams
}

// Error is one problem in a policy file.
type Error struct {
	Source string
	Line   int
	Msg    string
}

func (e Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.Source, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Source, e.Msg)
}

// Errors is every problem found in a policy file, in line order.
type Errors []Error

func (es Errors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}
