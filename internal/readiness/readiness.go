// Package readiness evaluates a repository snapshot against a policy. It is
// pure: no network, no clock, no globals, so the CLI and the App reach the
// same answer for the same input, and replicas can evaluate any PR at any
// time.
package readiness

import (
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/launchgate/launchgate/internal/inspect"
	"github.com/launchgate/launchgate/internal/policy"
)

// Status is the state of a check or a requirement.
type Status string

const (
	Pass    Status = "pass"
	Fail    Status = "fail"
	Pending Status = "pending"
	// Waived is an automatic check that did not pass but that a waiver
	// lets count as passing until the waiver's date (Check.Waiver says
	// whose, and what the check found).
	Waived Status = "waived"
)

// Kinds of the human items a report lists beside the automatic checks.
const (
	KindSignoff  = "signoff"
	KindApproval = "approval"
)

// Report is the outcome of one evaluation. Its JSON form is a stable
// interface: other tools read it.
type Report struct {
	Ready        bool          `json:"ready"`
	Requirements []Requirement `json:"requirements"`
}

// Requirement is the outcome of one policy requirement.
type Requirement struct {
	ID     string  `json:"id"`
	Title  string  `json:"title"`
	Status Status  `json:"status"`
	Checks []Check `json:"checks"`
}

// Check is the outcome of an automatic check or a human item (a sign-off
// or an approval, with Kind KindSignoff or KindApproval).
type Check struct {
	ID          string            `json:"id"`
	Kind        string            `json:"kind"`
	Description string            `json:"description,omitempty"`
	Status      Status            `json:"status"`
	Findings    []inspect.Finding `json:"findings"`
	// Team owns a human item: only its members may sign off or approve.
	Team string `json:"team,omitempty"`
	// By and At say who completed a human item, and when.
	By string     `json:"by,omitempty"`
	At *time.Time `json:"at,omitempty"`
	// Waiver is the waiver of an automatic check, when one was given; it
	// is shown whether or not it still applies (Status says that).
	Waiver *Waiver `json:"waiver,omitempty"`
	// WaiverNote says why a waiver of the check was removed or does not
	// count.
	WaiverNote string `json:"waiver_note,omitempty"`
}

// Waiver lets an automatic check that does not pass count as passing
// until a date, for a reason.
type Waiver struct {
	By string    `json:"by"`
	At time.Time `json:"at"`
	// Until is the day the waiver ends: it applies before 00:00 UTC of it.
	Until  string `json:"until"`
	Reason string `json:"reason"`
	// Unverified is set by the local check, which cannot judge who gave
	// the waiver.
	Unverified bool `json:"unverified,omitempty"`
	// Was is the check's own status: what it is once the waiver ends.
	Was Status `json:"was,omitempty"`
	// Expired is set when the waiver's date has come.
	Expired bool `json:"expired,omitempty"`
}

// Ends is when the waiver stops applying, or the zero time when its date
// cannot be read (then it never applies).
func (w Waiver) Ends() time.Time {
	t, err := time.Parse(time.DateOnly, w.Until)
	if err != nil {
		return time.Time{}
	}
	return t
}

// Human is what people have done on a pull request. A nil *Human means it
// cannot be known (a local check), so every human item is pending.
type Human struct {
	// Signoffs are the valid sign-offs, by sign-off id.
	Signoffs map[string]Done
	// Approvals are the valid approvals, by team slug.
	Approvals map[string]Done
	// Voided explains human items that no longer count, by sign-off id or
	// team slug ("approved by @ann before launch/recovery.md changed").
	Voided map[string]string
}

// Done records who completed a human item and when.
type Done struct {
	By string
	At time.Time
	// Digest is what a sign-off attested (signoff.Artifacts.Digest);
	// Commit is the commit an approval was given on. Launch records keep
	// them; the evaluation does not read them.
	Digest, Commit string
}

// Snapshot is everything one evaluation reads.
type Snapshot struct {
	FS    fs.FS
	Human *Human
	// ExtraApprovals are teams that must approve beyond the policy's
	// (CODEOWNERS teams of changed files), sorted.
	ExtraApprovals []string
	// Automatic, when set, are the outcomes of the policy's automatic
	// checks from an earlier evaluation of the same tree under the same
	// policy, per requirement in policy order (AutomaticOf gives them);
	// the checks are not run again and FS is not read. Outcomes that do not
	// cover every check of the policy are ignored and the checks run.
	Automatic [][]Check
	// Waivers are the waivers given, by check id. Each applies until its
	// date to the check with its id.
	Waivers map[string]Waiver
	// WaiverNotes say, by check id, why a waiver was removed or does not
	// count (signoff's notes), shown with the check.
	WaiverNotes map[string]string
}

// AutomaticOf returns a report's automatic check outcomes, per policy
// requirement, for Snapshot.Automatic: what the checks found, without
// waivers, which are applied afresh at each evaluation.
func AutomaticOf(p *policy.Policy, rep *Report) [][]Check {
	out := make([][]Check, len(p.Requirements))
	for i, req := range p.Requirements {
		if i < len(rep.Requirements) {
			out[i] = slices.Clone(rep.Requirements[i].Checks[:min(len(req.Checks), len(rep.Requirements[i].Checks))])
			for j, c := range out[i] {
				if c.Waiver != nil {
					out[i][j].Status, out[i][j].Waiver = c.Waiver.Was, nil
				}
				out[i][j].WaiverNote = ""
			}
		}
	}
	return out
}

// coversChecks reports whether outcomes hold one outcome for each
// automatic check of p, by id and in order.
func coversChecks(p *policy.Policy, outcomes [][]Check) bool {
	if len(outcomes) != len(p.Requirements) {
		return false
	}
	for i, req := range p.Requirements {
		if len(outcomes[i]) != len(req.Checks) {
			return false
		}
		for j, c := range req.Checks {
			if o := outcomes[i][j]; o.ID != c.ID || o.Kind != c.Kind {
				return false
			}
		}
	}
	return true
}

// Evaluate runs every check of the policy against the snapshot. now is the
// evaluation time, used for date limits such as the recovery drill's age.
func Evaluate(p *policy.Policy, snap Snapshot, now time.Time) *Report {
	checks := snap.Automatic
	if !coversChecks(p, checks) {
		checks = runChecks(p, inspect.NewRepo(snap.FS, now, p.Environments))
	}
	rep := &Report{Ready: true}
	approvalsShown := map[string]bool{}
	for i, req := range p.Requirements {
		r := Requirement{ID: req.ID, Title: req.Title, Checks: slices.Clone(checks[i])}
		for j := range r.Checks {
			waive(&r.Checks[j], snap.Waivers, now)
			r.Checks[j].WaiverNote = snap.WaiverNotes[r.Checks[j].ID]
		}
		for _, s := range req.Signoffs {
			r.Checks = append(r.Checks, signoff(s, snap.Human))
		}
		for _, team := range req.Approvals {
			r.Checks = append(r.Checks, approval(team, snap.Human))
			approvalsShown[team] = true
		}
		r.Status = combine(r.Checks)
		rep.Requirements = append(rep.Requirements, r)
	}
	// Teams that must approve every launch PR but that no requirement names
	// get a requirement of their own, so that each of the policy's
	// requirements reads as the standard defines it.
	var extra []Check
	for _, team := range append(append([]string(nil), p.Approvals.Teams...), snap.ExtraApprovals...) {
		if !approvalsShown[team] {
			approvalsShown[team] = true
			extra = append(extra, approval(team, snap.Human))
		}
	}
	if len(extra) > 0 {
		rep.Requirements = append(rep.Requirements, Requirement{
			ID: "approvals", Title: "Team approvals", Checks: extra, Status: combine(extra),
		})
	}
	for _, r := range rep.Requirements {
		if r.Status != Pass {
			rep.Ready = false
		}
	}
	return rep
}

// runChecks runs the automatic checks of every requirement. A check that
// depends on another kind (replicas and probes on environments) and cannot
// judge everything is pending on a failing check of that kind, without
// restating its findings; when the policy has no such check, or it
// passes, the check reports what it could not judge itself and fails, so
// that nothing unjudged passes.
func runChecks(p *policy.Policy, repo *inspect.Repo) [][]Check {
	type run struct {
		findings []inspect.Finding
		pending  []string
	}
	runs := make([][]run, len(p.Requirements))
	// failing is the first failing check of each kind, and the id of its
	// requirement: the text report shows requirements as "Title [id]".
	type failure struct{ id, requirement string }
	failing := map[string]failure{}
	for i, req := range p.Requirements {
		for _, c := range req.Checks {
			var r run
			if dep, ok := c.Checker.(inspect.Dependent); ok {
				r.findings, r.pending = dep.CheckJudged(repo)
			} else {
				r.findings = c.Checker.Check(repo)
			}
			if _, seen := failing[c.Kind]; !seen && len(r.findings)+len(r.pending) > 0 {
				failing[c.Kind] = failure{c.ID, req.ID}
			}
			runs[i] = append(runs[i], r)
		}
	}
	out := make([][]Check, len(p.Requirements))
	for i, req := range p.Requirements {
		for j, c := range req.Checks {
			r := runs[i][j]
			check := Check{ID: c.ID, Kind: c.Kind, Description: c.Description, Status: Pass, Findings: []inspect.Finding{}}
			var dep failure
			if len(r.pending) > 0 {
				var ok bool
				if dep, ok = failing[c.Checker.(inspect.Dependent).DependsOn()]; !ok {
					r.findings, r.pending = c.Checker.Check(repo), nil
				}
			}
			switch {
			case len(r.findings) > 0:
				check.Status, check.Findings = Fail, r.findings
			case len(r.pending) > 0:
				check.Status = Pending
			}
			if len(r.pending) > 0 {
				// No path: the cause is annotated once, by the dependency.
				check.Findings = append(check.Findings, inspect.Finding{Message: fmt.Sprintf(
					"pending on %s [%s]: checks %s once it passes", dep.id, dep.requirement, strings.Join(r.pending, ", "))})
			}
			out[i] = append(out[i], check)
		}
	}
	return out
}

// waive applies a waiver to an automatic check: one that does not pass is
// waived until the waiver's date, after which it is what its findings say
// again. A waiver of a passing check is only shown.
func waive(c *Check, waivers map[string]Waiver, now time.Time) {
	w, ok := waivers[c.ID]
	if !ok {
		return
	}
	w.Was = c.Status
	if !now.Before(w.Ends()) {
		w.Expired = true
	} else if c.Status != Pass {
		c.Status = Waived
	}
	c.Waiver = &w
}

func signoff(s policy.Signoff, h *Human) Check {
	c := Check{ID: s.ID, Kind: KindSignoff, Description: s.Text, Team: s.Team}
	return human(c, h.signoff(s.ID), h.voided(s.ID),
		fmt.Sprintf("waiting for a member of team %s to tick this item on the launch PR's checklist", s.Team))
}

func approval(team string, h *Human) Check {
	c := Check{ID: "approval-" + team, Kind: KindApproval, Description: "Approval by team " + team, Team: team}
	return human(c, h.approval(team), h.voided(team),
		fmt.Sprintf("waiting for an approving review by a member of team %s", team))
}

func human(c Check, done *Done, voided, waiting string) Check {
	c.Findings = []inspect.Finding{}
	if done != nil {
		c.Status, c.By = Pass, done.By
		at := done.At
		c.At = &at
		return c
	}
	c.Status = Pending
	msg := waiting
	if voided != "" {
		msg = waiting + " (" + voided + ")"
	}
	c.Findings = append(c.Findings, inspect.Finding{Message: msg})
	return c
}

func (h *Human) signoff(id string) *Done {
	if h == nil {
		return nil
	}
	return found(h.Signoffs, id)
}

func (h *Human) approval(team string) *Done {
	if h == nil {
		return nil
	}
	return found(h.Approvals, team)
}

func found(m map[string]Done, key string) *Done {
	if d, ok := m[key]; ok {
		return &d
	}
	return nil
}

func (h *Human) voided(key string) string {
	if h == nil {
		return ""
	}
	return h.Voided[key]
}

// combine folds item statuses: any failure fails, else anything pending is
// pending, else the requirement passes (waived checks count as passing).
// A status it does not know fails, so that nothing unforeseen passes.
func combine(checks []Check) Status {
	s := Pass
	for _, c := range checks {
		switch c.Status {
		case Pass, Waived:
		case Pending:
			s = Pending
		default:
			return Fail
		}
	}
	return s
}
