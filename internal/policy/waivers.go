package policy

import "slices"

// Waiver limits. A waiver is meant to be temporary: the default keeps it
// to a quarter, and no policy may allow more than ten years.
const (
	DefaultWaiverDays = 90
	MaxWaiverDays     = 3650
)

// Waivers says who may waive an automatic check on one launch PR, and for
// how long at most. It is set per requirement (for all its checks) or per
// check (overriding the requirement's).
type Waivers struct {
	Teams   []string `yaml:"teams"`
	MaxDays int      `yaml:"max_days"`
}

// WaiverRule is the waiver rule that applies to one automatic check.
type WaiverRule struct {
	Requirement string // the id of the check's requirement
	Check       string
	// Waivable is false when the policy says waivable: false, or when no
	// team may waive the check (a requirement without sign-offs and no
	// waivers key).
	Waivable bool
	Teams    []string
	MaxDays  int
}

// WaiverRule returns the rule for the automatic check with the given id.
// found is false when no check has that id, or when more than one
// requirement has a check with it (ids are unique only per requirement),
// so that a waiver always names exactly one check.
func (p *Policy) WaiverRule(checkID string) (rule WaiverRule, found bool) {
	matches := 0
	for _, r := range p.Requirements {
		for _, c := range r.Checks {
			if c.ID == checkID {
				matches++
				rule = r.waiverRule(c)
			}
		}
	}
	return rule, matches == 1
}

// waiverRule resolves a check's rule: the check's own keys, else its
// requirement's, else the default (the requirement's sign-off teams for
// DefaultWaiverDays). Sign-offs and approvals are never waivable: they are
// not checks.
func (r Requirement) waiverRule(c Check) WaiverRule {
	rule := WaiverRule{Requirement: r.ID, Check: c.ID}
	switch {
	case c.Waivable != nil && !*c.Waivable, c.Waivable == nil && c.Waivers == nil && r.Waivable != nil && !*r.Waivable:
		return rule
	case c.Waivers != nil:
		rule.Teams, rule.MaxDays = c.Waivers.Teams, c.Waivers.MaxDays
	case r.Waivers != nil:
		rule.Teams, rule.MaxDays = r.Waivers.Teams, r.Waivers.MaxDays
	default:
		for _, s := range r.Signoffs {
			if !slices.Contains(rule.Teams, s.Team) {
				rule.Teams = append(rule.Teams, s.Team)
			}
		}
		rule.MaxDays = DefaultWaiverDays
	}
	rule.Waivable = len(rule.Teams) > 0
	return rule
}

// validateWaivers checks a requirement's or a check's waiver keys. line
// gives the line of a key below the owner ("waivers", "max_days"); what
// names the owner in messages.
func validateWaivers(w *Waivers, waivable *bool, what string, line func(keys ...any) int, add func(int, string, ...any)) {
	if w != nil && waivable != nil {
		add(line("waivable"), "%s has both waivers and waivable; use one (waivable: false forbids waivers, waivers: says who may give them)", what)
	}
	if waivable != nil && *waivable {
		add(line("waivable"), "%s: waivable can only be false (say who may waive with waivers: {teams: [...], max_days: N})", what)
	}
	if w == nil {
		return
	}
	if w.MaxDays < 1 || w.MaxDays > MaxWaiverDays {
		at := line("waivers", "max_days")
		if at == 0 { // max_days left out: point at waivers
			at = line("waivers")
		}
		add(at, "%s: waivers.max_days must be between 1 and %d (found %d)", what, MaxWaiverDays, w.MaxDays)
	}
	if len(w.Teams) == 0 {
		add(line("waivers"), "%s: waivers.teams must name at least one team (or use waivable: false)", what)
	}
	for i, t := range w.Teams {
		if !teamPattern.MatchString(t) {
			add(line("waivers", "teams", i), "%s: waiver team %q is not a team slug", what, t)
		}
	}
}

// waiverKeys are a check's waiver keys, which sit beside its kind's
// parameters and are decoded apart from them.
type waiverKeys struct {
	Waivers  *Waivers `yaml:"waivers"`
	Waivable *bool    `yaml:"waivable"`
}
