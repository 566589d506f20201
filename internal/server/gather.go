package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/launchgate/launchgate/internal/approval"
	"github.com/launchgate/launchgate/internal/codeowners"
	"github.com/launchgate/launchgate/internal/githubapi"
	"github.com/launchgate/launchgate/internal/policy"
	"github.com/launchgate/launchgate/internal/signoff"
)

// snapshot is everything one evaluation read from GitHub, all of it read
// before anything is written. Reading stops at the first read that fails:
// failed and err say which, and decide publishes a failure (fail closed).
type snapshot struct {
	pr    githubapi.PullRequest
	edits []checklistEdit // the checklist edits being handled, oldest first
	// brokenPolicy lists the problems of a base-branch policy that does not
	// parse; nothing more is read then.
	brokenPolicy policy.Errors
	policy       *policy.Policy
	launch       launchDecision
	// run is this App's run on the head commit, read with the changed
	// files; nil when they were not read, and publish lists the runs.
	run *githubapi.RunRead
	// auto, tree and human are read for launch PRs only. auto is the
	// automatic half kept in the run, when it holds (see automatic); the
	// tree is read only when it does not.
	auto  *automatic
	tree  fs.FS
	human *humanSnapshot
	// required says whether the base branch requires the check, for a
	// note to admins; nil when that read failed (it is advice, not an
	// input of the judgement).
	required *githubapi.RequiredCheck
	// failed says what was being read when a read failed ("reading the
	// head tree"), for the failure run; err is that read's error.
	failed string
	err    error
}

// humanSnapshot is what people did on a launch PR, as read: approvals and
// the checklist comment, with the team memberships judging them needs.
type humanSnapshot struct {
	// owners is the base branch's CODEOWNERS, nil when there is none.
	owners *codeowners.File
	// partialFiles is set when GitHub listed only part of the changed
	// files, so that every team CODEOWNERS names is required.
	partialFiles bool
	// extra are the CODEOWNERS teams required beyond the policy's
	// (readiness.Snapshot.ExtraApprovals).
	extra []string
	// approvals is the approval input: reviews, what changed since each
	// reviewed commit, and in Members every membership answer read, for
	// the checklist's ticks too.
	approvals approval.Input
	bot       string             // the App's login, the checklist's author
	comment   *githubapi.Comment // the checklist comment, nil when there is none yet
	// artifacts are the files each sign-off item attests at the head.
	artifacts map[string]*signoff.Artifacts
}

// gather reads what an evaluation of pr depends on. It writes nothing.
// now is the evaluation's clock, with which the checklist is judged to
// know whose memberships to read.
func (e *evaluator) gather(ctx context.Context, pr githubapi.PullRequest, edits []checklistEdit, now time.Time) *snapshot {
	s := &snapshot{pr: pr, edits: edits}
	failed := func(doing string, err error) *snapshot {
		s.failed, s.err = doing, err
		return s
	}
	pol, err := e.gh.Policy(ctx, pr)
	var broken policy.Errors
	switch {
	case errors.As(err, &broken):
		s.brokenPolicy = broken
		return s
	case err != nil:
		return failed("reading the policy from the base branch", err)
	}
	s.policy = pol
	s.launch, err = decideLaunch(pol.Launch, pr.Title, pr.Labels, func() ([]string, bool, error) {
		// One query reads the run the evaluation will publish over with
		// the files: a pull request that is not a launch PR costs that
		// read and the write.
		files, run, err := e.gh.FilesAndRun(ctx, pr, CheckName)
		s.run = run
		if errors.Is(err, githubapi.ErrFileListTruncated) {
			return files, false, nil
		}
		return files, err == nil, err
	})
	if err != nil {
		return failed("listing the changed files", err)
	}
	if !s.launch.Launch {
		return s
	}
	// Reviews, this App's run and the checklist comment, in one query.
	st, err := e.gh.PullState(ctx, pr, CheckName, signoff.Marker)
	if err != nil {
		return failed(doingHuman, fmt.Errorf("reading the reviews: %w", err))
	}
	if st.Run != nil {
		s.run = st.Run
	}
	if s.auto = e.recallAutomatic(st.Run, pr, pol, now); s.auto == nil {
		if s.tree, err = e.gh.HeadTree(ctx, pr, pol.Inputs()); err != nil {
			return failed("reading the head tree", err)
		}
	}
	if s.human, err = e.gatherHuman(ctx, s, st, now); err != nil {
		return failed(doingHuman, err)
	}
	if s.required = st.Required; s.required == nil {
		zerolog.Ctx(ctx).Warn().Str("branch", pr.BaseRef).Msg("cannot tell whether the base branch requires the check; the run says nothing about it")
	}
	return s
}

// doingHuman names the reads of the human half, for a failure run.
const doingHuman = "reading reviews, team memberships and the checklist"

// gatherHuman reads reviews, memberships and the checklist of a launch
// pull request whose policy and head tree s holds.
func (e *evaluator) gatherHuman(ctx context.Context, s *snapshot, st *githubapi.PullState, now time.Time) (*humanSnapshot, error) {
	pr, pol := s.pr, s.policy
	hs := &humanSnapshot{}
	var err error
	if hs.owners, err = e.gh.CodeOwners(ctx, pr); err != nil {
		return nil, fmt.Errorf("reading CODEOWNERS: %w", err)
	}
	teams, err := e.requiredTeams(ctx, pr, pol, hs)
	if err != nil {
		return nil, err
	}
	reviews := st.Reviews
	in := approval.Input{Author: pr.Author, Reviews: reviews, Teams: teams, Head: pr.HeadSHA,
		ChangedSince: map[string][]string{}, Guards: approval.Guards(pol, hs.owners, pr.Owner), Members: approval.Members{}}
	for _, commit := range reviewedCommits(reviews, pr) {
		paths, known, err := e.gh.ChangedSince(ctx, pr, commit)
		if err != nil {
			return nil, fmt.Errorf("comparing reviewed commit %.7s with the head: %w", commit, err)
		}
		if known {
			in.ChangedSince[commit] = paths
		}
	}
	for team, users := range approval.Candidates(in) {
		// Candidates are newest first; the first active member satisfies
		// the team, so the rest need not be asked about.
		for _, user := range users {
			if e.member(ctx, pr, in.Members, team, user) {
				break
			}
		}
	}
	hs.approvals = in
	if hs.bot, err = e.gh.AppLogin(ctx); err != nil {
		return nil, fmt.Errorf("reading the App's login: %w", err)
	}
	if hs.comment = st.Comment; hs.comment == nil {
		if hs.comment, err = e.gh.MarkedComment(ctx, pr, signoff.Marker, hs.bot); err != nil {
			return nil, fmt.Errorf("finding the checklist comment: %w", err)
		}
	}
	if s.auto != nil {
		hs.artifacts = s.auto.Artifacts
	} else {
		hs.artifacts = artifacts(s.tree, signoff.Attested(pol), zerolog.Ctx(ctx))
	}
	// Each answer may change what a later edit is judged on, and so whose
	// membership that needs: ask until nothing new is asked. A lookup that
	// fails stays unknown and is not asked again.
	tried := map[[2]string]bool{}
	for {
		j := e.judgeHumans(s, hs, now)
		asked := false
		for team, users := range signoff.LookupsEdits(j.checklist, j.edits) {
			for _, user := range users {
				if k := [2]string{strings.ToLower(team), strings.ToLower(user)}; !tried[k] {
					tried[k], asked = true, true
					e.member(ctx, pr, in.Members, team, user)
				}
			}
		}
		if !asked {
			return hs, nil
		}
	}
}

// requiredTeams returns the teams that must approve. The changed files
// are listed only when CODEOWNERS names a team of the organisation: only
// then can they add a team. When GitHub lists only part of them (it stops
// at 3,000), every team CODEOWNERS names is required: the unlisted files
// may be theirs (fail closed).
func (e *evaluator) requiredTeams(ctx context.Context, pr githubapi.PullRequest, pol *policy.Policy, hs *humanSnapshot) ([]string, error) {
	named := namedTeams(hs.owners, pr.Owner)
	var files []string
	if len(named) > 0 {
		var err error
		files, err = e.gh.ChangedFiles(ctx, pr)
		if errors.Is(err, githubapi.ErrFileListTruncated) {
			hs.partialFiles = true
		} else if err != nil {
			return nil, fmt.Errorf("listing the changed files for CODEOWNERS: %w", err)
		}
	}
	teams, extra := approval.RequiredTeams(pol, hs.owners, pr.Owner, files)
	if hs.partialFiles {
		for _, t := range named {
			if !slices.ContainsFunc(teams, func(s string) bool { return strings.EqualFold(s, t) }) {
				teams, extra = append(teams, t), append(extra, t)
			}
		}
		slices.Sort(extra)
	}
	hs.extra = extra
	return teams, nil
}

// namedTeams lists the org's teams any CODEOWNERS rule names, lower-cased,
// sorted.
func namedTeams(owners *codeowners.File, org string) []string {
	if owners == nil {
		return nil
	}
	var teams []string
	for _, r := range owners.Rules {
		for _, o := range r.Owners {
			owner, slug, ok := strings.Cut(strings.TrimPrefix(o, "@"), "/")
			if ok && strings.HasPrefix(o, "@") && strings.EqualFold(owner, org) {
				teams = append(teams, strings.ToLower(slug))
			}
		}
	}
	slices.Sort(teams)
	return slices.Compact(teams)
}

// reviewedCommits lists the commits other than the head that approving
// reviews (not the author's) were made on: what changed since each decides
// whether the approval stands.
func reviewedCommits(reviews []approval.Review, pr githubapi.PullRequest) []string {
	var out []string
	for _, r := range reviews {
		if r.State == approval.Approved && r.CommitID != pr.HeadSHA && !strings.EqualFold(r.User, pr.Author) &&
			!slices.Contains(out, r.CommitID) {
			out = append(out, r.CommitID)
		}
	}
	return out
}

// member asks whether user is an active member of team and records the
// answer in members. A failed lookup leaves the answer unknown, which
// counts for nobody (approval and signoff say so), and is logged.
func (e *evaluator) member(ctx context.Context, pr githubapi.PullRequest, members approval.Members, team, user string) bool {
	if active, known := members.Active(team, user); known {
		return active
	}
	active, err := e.gh.ActiveMember(ctx, pr.InstallationID, pr.Owner, team, user)
	if err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Str("team", team).Str("user", user).Msg("team membership unknown; it counts for nobody")
		return false
	}
	if members[team] == nil {
		members[team] = map[string]bool{}
	}
	members[team][user] = active
	return active
}

// artifacts hashes, for each sign-off item, the files it attests at the
// head. Items of one requirement share their globs, so each set of globs is
// scanned once. A scan that fails leaves the item unreadable, which
// signoff treats as "cannot be signed off now".
func artifacts(fsys fs.FS, items []signoff.Item, log *zerolog.Logger) map[string]*signoff.Artifacts {
	out := map[string]*signoff.Artifacts{}
	byGlobs := map[string]*signoff.Artifacts{}
	for _, it := range items {
		k := strings.Join(it.Globs, "\x00")
		a, ok := byGlobs[k]
		if !ok {
			var err error
			if a, err = signoff.Scan(fsys, it.Globs); err != nil {
				log.Warn().Err(err).Str("item", it.ID).Msg("cannot hash the files a sign-off attests")
			}
			byGlobs[k] = a
		}
		if a != nil {
			out[it.ID] = a
		}
	}
	return out
}
