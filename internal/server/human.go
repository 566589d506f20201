package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/rs/zerolog"

	"github.com/launchgate/launchgate/internal/approval"
	"github.com/launchgate/launchgate/internal/codeowners"
	"github.com/launchgate/launchgate/internal/githubapi"
	"github.com/launchgate/launchgate/internal/plural"
	"github.com/launchgate/launchgate/internal/policy"
	"github.com/launchgate/launchgate/internal/readiness"
	"github.com/launchgate/launchgate/internal/report"
	"github.com/launchgate/launchgate/internal/signoff"
)

// humanGitHub is what the human half of an evaluation reads from and
// writes to GitHub; *githubapi.Client implements it.
type humanGitHub interface {
	CodeOwners(ctx context.Context, pr githubapi.PullRequest) (*codeowners.File, error)
	ChangedFiles(ctx context.Context, pr githubapi.PullRequest) ([]string, error)
	Reviews(ctx context.Context, pr githubapi.PullRequest) ([]approval.Review, error)
	ChangedSince(ctx context.Context, pr githubapi.PullRequest, from string) (paths []string, known bool, err error)
	ActiveMember(ctx context.Context, installationID int64, org, team, user string) (bool, error)
	AppLogin(ctx context.Context) (string, error)
	MarkedComment(ctx context.Context, pr githubapi.PullRequest, marker, author string) (*githubapi.Comment, error)
	CreateComment(ctx context.Context, pr githubapi.PullRequest, marker, body string) (*githubapi.Comment, error)
	EditComment(ctx context.Context, pr githubapi.PullRequest, id int64, body string) (*githubapi.Comment, error)
	RequestTeamReviews(ctx context.Context, pr githubapi.PullRequest, teams []string) error
}

// humanRun carries the human half through one evaluation: in, the
// checklist edit being handled (nil for any other event); out, where the
// check run's details_url points.
type humanRun struct {
	edit       *checklistEdit
	detailsURL string
}

// checklistEdit is an issue_comment "edited" event on the checklist.
type checklistEdit struct {
	commentID int64
	signoff.Edit
}

// humans gathers what people did on a launch pull request (approvals and
// checklist ticks), keeps the checklist comment and asks missing teams
// for review.
type humans struct {
	gh  humanGitHub
	key []byte // signs checklist records
	now func() time.Time
	// locks serialise the human half per pull request (evaluations are
	// serialised per head SHA only): two evaluations of a pull request that
	// both found no checklist would post two.
	locks keyedMutex
}

// humanState is the gathered human half of an evaluation.
type humanState struct {
	human *readiness.Human
	extra []string // CODEOWNERS teams beyond the policy's, readiness.Snapshot.ExtraApprovals
	// detailsURL is the checklist comment, where reviewers act.
	detailsURL string
	// owners is the base branch's CODEOWNERS (nil when there is none), for
	// its invalid lines.
	owners *codeowners.File
	// partialFiles is set when GitHub listed only part of the changed
	// files, so that every team CODEOWNERS names was required.
	partialFiles bool
}

// gather reads reviews, memberships and the checklist of a launch pull
// request, judges them, and brings the checklist comment and the review
// requests up to date. fsys is the head tree, from which the artifacts
// each sign-off attests are hashed.
func (h *humans) gather(ctx context.Context, pr githubapi.PullRequest, pol *policy.Policy, fsys fs.FS, edit *checklistEdit) (*humanState, error) {
	unlock := h.locks.lock(fmt.Sprintf("%s/%s#%d", pr.Owner, pr.Repo, pr.Number))
	defer unlock()
	log := zerolog.Ctx(ctx)
	st := &humanState{}

	owners, err := h.gh.CodeOwners(ctx, pr)
	if err != nil {
		return nil, fmt.Errorf("reading CODEOWNERS: %w", err)
	}
	st.owners = owners
	teams, err := h.requiredTeams(ctx, pr, pol, st)
	if err != nil {
		return nil, err
	}
	reviews, err := h.gh.Reviews(ctx, pr)
	if err != nil {
		return nil, err
	}
	in := approval.Input{Author: pr.Author, Reviews: reviews, Teams: teams, Head: pr.HeadSHA,
		ChangedSince: map[string][]string{}, Guards: approval.Guards(pol, owners, pr.Owner)}
	for _, commit := range reviewedCommits(reviews, pr) {
		paths, known, err := h.gh.ChangedSince(ctx, pr, commit)
		if err != nil {
			return nil, fmt.Errorf("comparing reviewed commit %.7s with the head: %w", commit, err)
		}
		if known {
			in.ChangedSince[commit] = paths
		}
	}
	members := approval.Members{}
	for team, users := range approval.Candidates(in) {
		// Candidates are newest first; the first active member satisfies
		// the team, so the rest need not be asked about.
		for _, user := range users {
			if h.member(ctx, pr, members, team, user) {
				break
			}
		}
	}
	in.Members = members
	approved := approval.Evaluate(in)

	bot, err := h.gh.AppLogin(ctx)
	if err != nil {
		return nil, err
	}
	cm, err := h.gh.MarkedComment(ctx, pr, signoff.Marker, bot)
	if err != nil {
		return nil, fmt.Errorf("finding the checklist comment: %w", err)
	}
	body := ""
	if cm != nil {
		body = cm.Body
	}
	remember := h.requestReviews(ctx, pr, approved.Missing, body)

	items := signoff.Items(pol)
	rin := signoff.ReconcileInput{Body: body, Env: signoff.Env{
		Repo: pr.Owner + "/" + pr.Repo, PR: pr.Number, Author: pr.Author, Items: items,
		Members: members, Artifacts: artifacts(fsys, items, log), Now: h.now(), Key: h.key, Requested: remember,
	}}
	if edit != nil && cm != nil && edit.commentID == cm.ID {
		e := edit.Edit
		e.ByApp = strings.EqualFold(e.Sender, bot)
		rin.Edit = &e
	}
	for team, users := range signoff.Lookups(rin) {
		for _, user := range users {
			h.member(ctx, pr, members, team, user)
		}
	}
	rec := signoff.Reconcile(rin)
	switch {
	case cm == nil:
		cm, err = h.gh.CreateComment(ctx, pr, signoff.Marker, rec.Body)
	case rec.Changed:
		cm, err = h.gh.EditComment(ctx, pr, cm.ID, rec.Body)
	}
	if err != nil {
		return nil, fmt.Errorf("writing the checklist comment: %w", err)
	}
	st.detailsURL = cm.HTMLURL
	voided := maps.Clone(approved.Voided)
	maps.Copy(voided, rec.Voided)
	st.human = &readiness.Human{Signoffs: rec.Signoffs, Approvals: approved.Approvals, Voided: voided}
	return st, nil
}

// requiredTeams returns the teams that must approve. The changed files
// are listed only when CODEOWNERS names a team of the organisation: only
// then can they add a team. When GitHub lists only part of them (it stops
// at 3,000), every team CODEOWNERS names is required: the unlisted files
// may be theirs (fail closed).
func (h *humans) requiredTeams(ctx context.Context, pr githubapi.PullRequest, pol *policy.Policy, st *humanState) ([]string, error) {
	named := namedTeams(st.owners, pr.Owner)
	var files []string
	if len(named) > 0 {
		var err error
		files, err = h.gh.ChangedFiles(ctx, pr)
		if errors.Is(err, githubapi.ErrFileListTruncated) {
			st.partialFiles = true
		} else if err != nil {
			return nil, fmt.Errorf("listing the changed files for CODEOWNERS: %w", err)
		}
	}
	teams, extra := approval.RequiredTeams(pol, st.owners, pr.Owner, files)
	if st.partialFiles {
		for _, t := range named {
			if !slices.ContainsFunc(teams, func(s string) bool { return strings.EqualFold(s, t) }) {
				teams, extra = append(teams, t), append(extra, t)
			}
		}
		slices.Sort(extra)
	}
	st.extra = extra
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
func (h *humans) member(ctx context.Context, pr githubapi.PullRequest, members approval.Members, team, user string) bool {
	if active, known := members.Active(team, user); known {
		return active
	}
	active, err := h.gh.ActiveMember(ctx, pr.InstallationID, pr.Owner, team, user)
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

// requestReviews asks the missing teams for review, each once per pull
// request: the teams asked before are remembered in the checklist's hidden
// state (approval.ToRequest). It returns the teams to remember. Draft pull
// requests are not asked: GitHub does not ask code owners of drafts
// either, and the ready_for_review event evaluates again.
func (h *humans) requestReviews(ctx context.Context, pr githubapi.PullRequest, missing []string, body string) []string {
	var remembered []string
	if p, err := signoff.Parse(body); err == nil {
		remembered = p.Requested
	}
	if pr.Draft {
		return remembered
	}
	// The teams already requested are not known here; asking one again is
	// harmless on GitHub, and happens at most once.
	ask, remember := approval.ToRequest(missing, nil, remembered)
	if err := h.gh.RequestTeamReviews(ctx, pr, ask); err != nil {
		// A team without access to the repository cannot be asked; it is
		// remembered anyway so that it is not retried on every event.
		zerolog.Ctx(ctx).Warn().Err(err).Strs("teams", ask).Msg("some teams could not be asked for review")
	}
	return remember
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

// maxCodeownersAnnotations caps the annotations on invalid CODEOWNERS
// lines; the details list every one.
const maxCodeownersAnnotations = 10

// decorate adds to a launch PR's check run what the human half found
// beside the requirements: the CODEOWNERS lines GitHub and launchgate
// skip, as warnings on their lines and a note above the details, and a
// note when every CODEOWNERS team was required because GitHub listed only
// part of the changed files.
func (st *humanState) decorate(out *report.CheckRunOutput) {
	var notes []string
	if st.partialFiles {
		notes = append(notes, "> ⚠️ GitHub lists at most 3,000 changed files of a pull request, so launchgate cannot see which CODEOWNERS teams own the rest: "+
			"every team CODEOWNERS names must approve.")
	}
	if o := st.owners; o != nil && len(o.Invalid) > 0 {
		var lines []string
		for i, bad := range o.Invalid {
			lines = append(lines, fmt.Sprintf("line %d: %s", bad.Line, bad.Message))
			if i < maxCodeownersAnnotations {
				out.Annotations = append(out.Annotations, &github.CheckRunAnnotation{
					Path: github.String(o.Path), StartLine: github.Int(bad.Line), EndLine: github.Int(bad.Line),
					AnnotationLevel: github.String("warning"), Title: github.String("CODEOWNERS line skipped"),
					Message: github.String(fmt.Sprintf("GitHub and launchgate skip this line: %s", bad.Message)),
				})
			}
		}
		notes = append(notes, fmt.Sprintf("> ⚠️ %s on the base branch has %s, which GitHub and launchgate skip (the rest of the file applies): %s.",
			report.Escape(o.Path), plural.Count(len(o.Invalid), "invalid line", "invalid lines"), report.Escape(strings.Join(lines, "; "))))
	}
	if len(notes) > 0 {
		out.Text = strings.Join(notes, "\n>\n") + "\n\n" + out.Text
	}
}
