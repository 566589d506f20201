// Package approval decides which teams must approve a launch pull request
// and which of them have. It is pure: reviews, team memberships and the
// paths changed since each review come in as data, so every rule is tested
// against plain structs and the server alone talks to GitHub.
//
// The rule is stricter than GitHub's own code-owner rule. GitHub is content
// with one approval from any one owner of a file; launchgate wants an
// approving review from an active member of each required team.
package approval

import (
	"slices"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/launchgate/launchgate/internal/codeowners"
	"github.com/launchgate/launchgate/internal/policy"
)

// RequiredTeams returns every team whose approval a launch PR needs: the
// policy's approvals.teams, the teams its requirements name, and each team
// of org that owners (the base branch's CODEOWNERS) names as owner of a
// changed file under the policy's approvals.paths. extra lists those found
// only through CODEOWNERS, sorted, for readiness.Snapshot.ExtraApprovals.
//
// Teams keep the policy's spelling; a CODEOWNERS team that equals a policy
// team but for case is the same team (GitHub slugs are lower-case).
//
// Owners that are users ("@ann") or email addresses, and teams of another
// organisation, make no team requirement: launchgate can only ask whether
// someone is an active member of one of the repository organisation's
// teams. Those owners remain GitHub's own code-owner rule's business.
//
// changedFiles should be the PR's complete list. GitHub lists at most 3,000
// files; past that the server cannot see every owner and should say so.
func RequiredTeams(pol *policy.Policy, owners *codeowners.File, org string, changedFiles []string) (teams, extra []string) {
	has := func(t string) bool {
		return slices.ContainsFunc(teams, func(s string) bool { return strings.EqualFold(s, t) })
	}
	add := func(ts ...string) {
		for _, t := range ts {
			if !has(t) {
				teams = append(teams, t)
			}
		}
	}
	add(pol.Approvals.Teams...)
	for _, r := range pol.Requirements {
		add(r.Approvals...)
	}
	for _, f := range changedFiles {
		if !matchAny(pol.Approvals.Paths, f) {
			continue
		}
		for _, t := range owners.Teams(f, org) {
			if !has(t) && !slices.Contains(extra, t) {
				extra = append(extra, t)
			}
		}
	}
	slices.Sort(extra)
	return append(teams, extra...), extra
}

// Guards returns the function Input.Guards expects: team guards path when
// owners names the team as an owner of path, or when path matches the
// inputs of a requirement that needs the team's approval. A push that
// changes a guarded path voids the team's approvals; any other push keeps
// them.
//
// The policy and CODEOWNERS come from the base branch, so a push to the PR
// cannot shrink what a team guards.
func Guards(pol *policy.Policy, owners *codeowners.File, org string) func(team, path string) bool {
	globs := map[string][]string{} // lower-cased team → requirement inputs
	for _, r := range pol.Requirements {
		inputs := r.Inputs()
		for _, t := range r.Approvals {
			t = strings.ToLower(t)
			globs[t] = append(globs[t], inputs...)
		}
	}
	return func(team, path string) bool {
		team = strings.ToLower(team)
		return slices.Contains(owners.Teams(path, org), team) || matchAny(globs[team], path)
	}
}

func matchAny(globs []string, path string) bool {
	for _, g := range globs {
		// The policy loader validated every glob, so Match cannot fail on
		// a bad pattern here.
		if ok, _ := doublestar.Match(g, path); ok {
			return true
		}
	}
	return false
}

// ToRequest returns the teams to ask for a review now and the set to
// remember, so that each missing team is asked once per pull request and
// not on every event.
//
//   - missing: required teams without a valid approval (Result.Missing).
//   - requested: the PR's current requested_teams (from the webhook payload
//     or GET …/pulls/{n}/requested_reviewers), by slug.
//   - remembered: the teams launchgate has seen requested on this PR
//     before, as kept in the checklist comment's hidden state
//     (signoff.Env.Requested and signoff.Parsed.Requested).
//
// A team in remembered is never asked again: if it is no longer in
// requested, a person removed the request (or GitHub fulfilled it when a
// member reviewed), and launchgate respects that. remember is the union of
// remembered, ask and requested, sorted; the server stores it back in the
// checklist comment after asking. Remembering requests a person made keeps
// launchgate from undoing their later removal, too.
func ToRequest(missing, requested, remembered []string) (ask, remember []string) {
	in := func(list []string, t string) bool {
		return slices.ContainsFunc(list, func(s string) bool { return strings.EqualFold(s, t) })
	}
	for _, t := range missing {
		if !in(requested, t) && !in(remembered, t) && !in(ask, t) {
			ask = append(ask, t)
		}
	}
	for _, list := range [][]string{remembered, ask, requested} {
		for _, t := range list {
			if !in(remember, t) {
				remember = append(remember, t)
			}
		}
	}
	slices.Sort(remember)
	return ask, remember
}
