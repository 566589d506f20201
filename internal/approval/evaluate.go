package approval

import (
	"fmt"
	"strings"
	"time"

	"github.com/launchgate/launchgate/internal/readiness"
)

// Review states as GitHub's REST API spells them.
const (
	Approved         = "APPROVED"
	ChangesRequested = "CHANGES_REQUESTED"
	Commented        = "COMMENTED"
	Dismissed        = "DISMISSED"
	Pending          = "PENDING"
)

// Review is one entry of GET /repos/{o}/{r}/pulls/{n}/reviews.
type Review struct {
	User        string    // login of the reviewer
	State       string    // one of the states above
	SubmittedAt time.Time // zero for PENDING reviews
	CommitID    string    // the head SHA the review was submitted on
}

// Input is everything one approval evaluation reads.
type Input struct {
	// Author is the PR author's login; their own reviews never count.
	Author string
	// Reviews are the PR's reviews in GitHub's order, oldest first.
	Reviews []Review
	// Teams are the required teams (RequiredTeams).
	Teams []string
	// Members are the membership answers; Candidates lists the ones
	// Evaluate consults.
	Members Members
	// Head is the PR's head SHA.
	Head string
	// ChangedSince lists, for each reviewed commit other than Head, the
	// paths that differ between it and Head (both paths of a rename). A
	// reviewed commit without an entry is one whose changes are unknown
	// (force-pushed away, say), which voids approvals made on it.
	ChangedSince map[string][]string
	// Guards reports whether team guards path (see Guards). Nil means
	// every path is guarded: any later push voids every approval.
	Guards func(team, path string) bool
}

// Result is the approval state of a PR.
type Result struct {
	// Approvals are the satisfied teams, for readiness.Human.Approvals.
	Approvals map[string]readiness.Done
	// Voided explains, for each team still missing, the approvals that did
	// not count ("approved by @ann at abc1234; launch/recovery.md changed
	// since"), for readiness.Human.Voided. The text is plain and holds
	// logins and paths from the PR: escape it where it is rendered.
	Voided map[string]string
	// Missing are the required teams without a valid approval, in Teams
	// order, for review requests (ToRequest).
	Missing []string
}

// Evaluate decides, for each required team, whether an active member of
// the team approved the PR and the approval still holds.
//
// Each user's latest review that states an opinion (APPROVED,
// CHANGES_REQUESTED or DISMISSED) is the one that counts: COMMENTED reviews
// leave an earlier approval in place and PENDING ones are not submitted, as
// on GitHub, whose docs only imply it ("a writer's change request blocks
// until that same person approves";
// https://docs.github.com/en/pull-requests/collaborating-with-pull-requests/reviewing-changes-in-pull-requests/about-pull-request-reviews).
// Dismissing a review changes that review's own state
// (https://docs.github.com/en/pull-requests/collaborating-with-pull-requests/reviewing-changes-in-pull-requests/dismissing-a-pull-request-review),
// so a dismissed approval stops
// counting, even with an older approval of the same user before it, and an
// approval submitted after it counts again. One approval serves every
// required team its author is an active member of.
func Evaluate(in Input) Result {
	res := Result{Approvals: map[string]readiness.Done{}, Voided: map[string]string{}}
	approvals := latestApprovals(in.Reviews)
	for _, team := range in.Teams {
		var why []string
		for _, r := range approvals {
			v, reason := judge(in, team, r)
			if v == counts {
				res.Approvals[team] = readiness.Done{By: r.User, At: r.SubmittedAt, Commit: r.CommitID}
				break
			}
			why = append(why, reason)
		}
		if _, ok := res.Approvals[team]; ok {
			continue
		}
		res.Missing = append(res.Missing, team)
		if len(why) > 0 {
			res.Voided[team] = strings.Join(why, "; ")
		}
	}
	return res
}

// Candidates lists, by team, the reviewers whose active membership
// Evaluate needs to know, newest approval first: the approvers that are
// neither the author nor voided by a later push. The first active member
// satisfies the team, so the server may stop asking about a team at its
// first yes; Evaluate then picks that same reviewer.
func Candidates(in Input) map[string][]string {
	asked := map[string][]string{}
	in.Members = nil // every answer unknown, so judge reaches every candidate
	approvals := latestApprovals(in.Reviews)
	for _, team := range in.Teams {
		for _, r := range approvals {
			if v, _ := judge(in, team, r); v == unknown {
				asked[team] = append(asked[team], r.User)
			}
		}
	}
	return asked
}

// latestApprovals returns the reviews that approve as their author's
// latest opinion, newest first.
func latestApprovals(reviews []Review) []Review {
	latest := map[string]int{} // lower-cased login → index of latest opinion
	for i, r := range reviews {
		switch r.State {
		case Approved, ChangesRequested, Dismissed:
			latest[strings.ToLower(r.User)] = i
		}
	}
	var out []Review
	for i := len(reviews) - 1; i >= 0; i-- {
		r := reviews[i]
		if r.State == Approved && latest[strings.ToLower(r.User)] == i {
			out = append(out, r)
		}
	}
	return out
}

// verdict is what judge decided about one approval for one team.
type verdict int

const (
	counts   verdict = iota
	voided           // the author's own, or a later push changed a guarded path
	unknown          // the reviewer's membership is not known
	outsider         // the reviewer is not an active member
)

// judge decides whether an approval counts for team, or says why not.
// Voiding is decided before membership so that no membership is asked
// about for an approval that cannot count anyway.
func judge(in Input, team string, r Review) (verdict, string) {
	if strings.EqualFold(r.User, in.Author) {
		return voided, fmt.Sprintf("@%s approved their own pull request, which does not count", r.User)
	}
	if r.CommitID != in.Head {
		changed, known := in.ChangedSince[r.CommitID]
		if !known || r.CommitID == "" {
			return voided, fmt.Sprintf("approved by @%s at %s, and what changed since cannot be determined", r.User, short(r.CommitID))
		}
		var guarded []string
		for _, p := range changed {
			if in.Guards == nil || in.Guards(team, p) {
				guarded = append(guarded, p)
			}
		}
		if len(guarded) > 0 {
			return voided, fmt.Sprintf("approved by @%s at %s; %s changed since", r.User, short(r.CommitID), NamePaths(guarded, 3))
		}
	}
	member, known := in.Members.Active(team, r.User)
	switch {
	case !known:
		return unknown, fmt.Sprintf("@%s approved but their membership of team %s could not be checked", r.User, team)
	case !member:
		return outsider, fmt.Sprintf("@%s approved but is not an active member of team %s", r.User, team)
	}
	return counts, ""
}

// Members holds answers about ACTIVE team membership, by team slug then
// login: true for an active member, false for a pending membership or none
// (GET /orgs/{org}/teams/{slug}/memberships/{user} answering state
// "pending", or 404). A missing answer is unknown.
type Members map[string]map[string]bool

// Active looks up whether user is an active member of team, and whether
// that is known at all. Logins and team slugs are case-insensitive on
// GitHub, so a miss on the exact spelling falls back to a case-insensitive
// search.
func (ms Members) Active(team, user string) (member, known bool) {
	m, ok := ms[team]
	if !ok {
		for t, tm := range ms {
			if strings.EqualFold(t, team) {
				m, ok = tm, true
				break
			}
		}
	}
	if !ok {
		return false, false
	}
	if v, ok := m[user]; ok {
		return v, true
	}
	for u, v := range m {
		if strings.EqualFold(u, user) {
			return v, true
		}
	}
	return false, false
}

// short abbreviates a commit SHA as GitHub shows it.
func short(sha string) string {
	if sha == "" {
		return "an unknown commit"
	}
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

// NamePaths names up to max paths in a sentence: "a", "a and b", "a, b and
// 3 more". The sign-off checklist words its notes the same way.
func NamePaths(paths []string, max int) string {
	switch n := len(paths); {
	case n == 0:
		return ""
	case n <= max:
		if n == 1 {
			return paths[0]
		}
		return strings.Join(paths[:n-1], ", ") + " and " + paths[n-1]
	default:
		return strings.Join(paths[:max], ", ") + fmt.Sprintf(" and %d more", n-max)
	}
}
