package server

import (
	"cmp"
	"fmt"
	"maps"
	"net/url"
	"strings"
	"time"

	"github.com/launchgate/launchgate/internal/approval"
	"github.com/launchgate/launchgate/internal/githubapi"
	"github.com/launchgate/launchgate/internal/launchview"
	"github.com/launchgate/launchgate/internal/readiness"
	"github.com/launchgate/launchgate/internal/report"
	"github.com/launchgate/launchgate/internal/signoff"
)

// plan is what one evaluation publishes, decided from its snapshot alone.
// publish writes it in its fields' order: checklist, run, review requests.
type plan struct {
	// decided says what was decided ("launch PR: label \"launch\"") or
	// what failed ("reading the head tree"), for the log and the failure
	// run. The run's ID.Outcome says what kind of run reports it.
	decided string
	// failure is the error of the read that failed, nil when everything
	// was read. A failed evaluation is not remembered (see memo), so that
	// a redelivery retries it.
	failure error
	// checklist is the checklist comment of a launch PR, nil for any other
	// outcome.
	checklist *checklistPlan
	// run is the check run. A launch PR's DetailsURL is its details page
	// (evaluator.pagesURL), else the checklist comment's; any other run's
	// is the pull request's. Its ID names the checklist comment. publish
	// sets a comment's URL and ID once it has written it.
	run githubapi.CheckRun
	// reviewTeams are the teams to ask for review, after the run.
	reviewTeams []string
	// judged is a launch PR's evaluation, for its launch record.
	judged judged
	// waiverEnds is the day the earliest waiver that counts ends, or "",
	// for the run's external_id (githubapi.RunID.WaiverEnds).
	waiverEnds string
	// launch says the pull request was found to be a launch PR, whether
	// or not its evaluation then finished: its history keeps the run.
	launch bool
	// policy is the policy applied, for the details page.
	policy launchview.Policy
	// checklistURL is the checklist comment's URL, "" while there is none;
	// publish sets it once it has written the comment.
	checklistURL string
}

// checklistPlan is the checklist comment as it should be.
type checklistPlan struct {
	// id is the comment to edit, 0 when there is none yet.
	id int64
	// body is the comment's text; write is false when the comment already
	// has it.
	body  string
	write bool
	// replies answer refused waiver commands, posted once body is
	// written: the comment remembers the commands as answered.
	replies []signoff.Reply
	// accepted are the waiver commands that took effect in body, kept in
	// the store's waiver events once body is written.
	accepted []signoff.Command
	// failedRun is published instead of plan.run when the comment cannot
	// be written: the sign-offs judged in body are then not on record.
	failedRun githubapi.CheckRun
}

// doingChecklistWrite names the step that failed when the checklist
// comment cannot be written, in its failure run and the log.
const doingChecklistWrite = "writing the checklist comment"

// decide turns a snapshot into the plan to publish, without a request.
// Every outcome has a run, so that a required check never waits forever: a
// read that failed and a policy that does not parse give a failure run
// (fail closed), a pull request that is not a launch PR a success. Its
// error is a template that does not render.
func (e *evaluator) decide(s *snapshot, now time.Time) (plan, error) {
	pr := s.pr
	opts := report.CheckRunOptions{WebURL: e.webURL, Owner: pr.Owner, Repo: pr.Repo, HeadSHA: pr.HeadSHA, Version: e.version}
	p := plan{failure: s.err, launch: s.launch.Launch}
	if s.policy != nil {
		opts.PolicySource, opts.PolicyDigest = s.policy.Source, s.policy.Digest
		p.policy = launchview.Policy{Source: s.policy.Source, Digest: s.policy.Digest, URL: githubapi.PolicyURL(e.webURL, pr, s.policy.Source)}
	}
	detailsURL := e.pullURL(pr)
	var out report.CheckRunOutput
	var outcome githubapi.RunOutcome
	var err error
	switch {
	case s.err != nil:
		p.decided, outcome = s.failed, githubapi.OutcomeEvaluationError
		out, err = report.ErrorCheckRun(s.failed, opts)
	case s.brokenPolicy != nil:
		p.decided, outcome = "policy cannot be read", githubapi.OutcomePolicyError
		out, err = report.PolicyErrorCheckRun(s.brokenPolicy, opts)
	case !s.launch.Launch:
		p.decided, outcome = "not a launch PR: "+s.launch.Reason, githubapi.OutcomeNotLaunch
		out, err = report.NotLaunchCheckRun(s.launch.Reason, opts)
	default:
		p.decided, outcome = "launch PR: "+s.launch.Reason, githubapi.OutcomeEvaluated
		out, err = e.decideLaunchPR(s, now, opts, &p)
		if c := s.human.comment; c != nil {
			p.checklistURL = c.HTMLURL
		}
		detailsURL = cmp.Or(e.pageURL(pr), p.checklistURL, detailsURL)
	}
	if err != nil {
		return plan{}, fmt.Errorf("rendering the check run of %s/%s@%s (%s): %w", pr.Owner, pr.Repo, pr.HeadSHA, p.decided, err)
	}
	p.run = e.checkRun(pr, out, outcome, opts.PolicyDigest, detailsURL)
	p.run.ID.WaiverEnds = p.waiverEnds
	if p.checklist != nil {
		p.run.ID.Comment = p.checklist.id
	}
	p.run.Read = s.run
	if p.checklist != nil {
		failed, err := report.ErrorCheckRun(doingChecklistWrite, opts)
		if err != nil {
			return plan{}, fmt.Errorf("rendering the failure run of %s/%s@%s: %w", pr.Owner, pr.Repo, pr.HeadSHA, err)
		}
		p.checklist.failedRun = e.checkRun(pr, failed, githubapi.OutcomeEvaluationError, opts.PolicyDigest, e.pullURL(pr))
		p.checklist.failedRun.Read = s.run
	}
	return p, nil
}

// decideLaunchPR judges a launch PR whose every read succeeded: its
// requirements, approvals and checklist. It sets the plan's checklist and
// review requests and returns the run's output.
func (e *evaluator) decideLaunchPR(s *snapshot, now time.Time, opts report.CheckRunOptions, p *plan) (report.CheckRunOutput, error) {
	hs := s.human
	j := e.judgeHumans(s, hs, now)
	rec := signoff.ReconcileEdits(j.checklist, j.edits)
	voided := maps.Clone(j.approved.Voided)
	maps.Copy(voided, rec.Voided)
	human := &readiness.Human{Signoffs: rec.Signoffs, Approvals: j.approved.Approvals, Voided: voided}
	snap := readiness.Snapshot{FS: s.tree, Human: human, ExtraApprovals: hs.extra, Waivers: rec.Waivers, WaiverNotes: rec.WaiverVoided}
	if s.auto != nil {
		// recallAutomatic checked that the block covers every check.
		snap.Automatic = s.auto.outcomes(s.policy)
	}
	rep := readiness.Evaluate(s.policy, snap, now)
	p.judged = judged{report: rep, human: human}
	p.checklist = &checklistPlan{body: rec.Body, write: hs.comment == nil || rec.Changed, replies: rec.Replies, accepted: rec.Accepted}
	if hs.comment != nil {
		p.checklist.id = hs.comment.ID
	}
	p.reviewTeams = j.ask
	if !rec.NextExpiry.IsZero() {
		p.waiverEnds = rec.NextExpiry.Format(time.DateOnly)
	}
	out, err := report.CheckRun(rep, opts)
	if err != nil {
		return out, err
	}
	if err := report.AddCodeownersNotes(&out, report.CodeownersNotes{File: hs.owners, PartialFiles: hs.partialFiles}); err != nil {
		return out, err
	}
	if r := s.required; r != nil && r.State != githubapi.Required {
		note := report.RequiredNote{Branch: s.pr.BaseRef, Check: CheckName, Unknown: r.State == githubapi.RequiredUnknown, Why: r.Why}
		if err := report.AddRequiredNote(&out, note); err != nil {
			return out, err
		}
	}
	// The automatic half is kept in the run for the evaluations after it.
	out.Text = withAutomatic(e.automaticBlock(e.automaticOf(s.pr, s.policy, rep, hs.artifacts, now)), out.Text)
	return out, nil
}

// humanJudgement is the human half of a launch PR judged, but for the
// checklist's ticks, which signoff.Reconcile judges from checklist.
type humanJudgement struct {
	approved approval.Result
	// ask are the teams to ask for review now.
	ask []string
	// checklist is the checklist comment to judge, with the teams asked
	// for review (now and before) for its hidden state.
	checklist signoff.ReconcileInput
	// edits are the edits of that comment to judge, oldest first.
	edits []signoff.Edit
}

// judgeHumans judges approvals and prepares the checklist's judgement.
// gather calls it too, to learn whose memberships the checklist needs.
//
// The missing teams are asked for review once per pull request: the teams
// asked before are remembered in the checklist's hidden state
// (approval.ToRequest). Draft pull requests are not asked: GitHub does not
// ask code owners of drafts either, and the ready_for_review event
// evaluates again.
func (e *evaluator) judgeHumans(s *snapshot, hs *humanSnapshot, now time.Time) humanJudgement {
	pr := s.pr
	j := humanJudgement{approved: approval.Evaluate(hs.approvals)}
	body := ""
	if hs.comment != nil {
		body = hs.comment.Body
	}
	var remember []string
	if parsed, err := signoff.Parse(body); err == nil {
		remember = parsed.Requested
	}
	if !pr.Draft {
		// The teams already requested are not known here; asking one
		// again is harmless on GitHub, and happens at most once. A team
		// that cannot be asked (no access to the repository) is remembered
		// anyway so that it is not retried on every event.
		j.ask, remember = approval.ToRequest(j.approved.Missing, nil, remember)
	}
	j.checklist = signoff.ReconcileInput{Body: body, Env: signoff.Env{
		Repo: pr.Owner + "/" + pr.Repo, PR: pr.Number, Author: pr.Author, Items: signoff.Items(s.policy),
		Members: hs.approvals.Members, Artifacts: hs.artifacts, Now: now, Key: e.key, Requested: remember,
		WaiverRules: signoff.WaiverRules(s.policy),
	}}
	for _, ed := range s.edits {
		if ed.command != nil {
			j.checklist.Commands = append(j.checklist.Commands, *ed.command)
			continue
		}
		// Edits of another comment (an older checklist, one that only
		// looks like it) are not the checklist's.
		if hs.comment != nil && ed.commentID == hs.comment.ID {
			edit := ed.Edit
			edit.ByApp = strings.EqualFold(edit.Sender, hs.bot)
			j.edits = append(j.edits, edit)
		}
	}
	return j
}

// checkRun is the run publishing out on pr's head commit, identified by
// the pull request, this replica's version, the policy digest and the
// outcome: the reconciler retries a run whose outcome is an evaluation
// error, and a Re-run of a fork's pull request finds its number there.
func (e *evaluator) checkRun(pr githubapi.PullRequest, out report.CheckRunOutput, outcome githubapi.RunOutcome, policyDigest, detailsURL string) githubapi.CheckRun {
	id := githubapi.RunID{PR: pr.Number, Version: e.version, Policy: githubapi.ShortPolicyDigest(policyDigest), Outcome: outcome}
	return githubapi.CheckRun{
		Name: CheckName, HeadSHA: pr.HeadSHA, Status: "completed",
		Conclusion: out.Conclusion, Title: out.Title, Summary: out.Summary, Text: out.Text,
		DetailsURL:  detailsURL,
		ID:          id,
		Keep:        keepNewer(id),
		Annotations: out.Annotations, Actions: out.Actions,
	}
}

// pullURL is where a run sends people when there is no checklist comment
// (not a launch PR, or the evaluation failed before finding it).
func (e *evaluator) pullURL(pr githubapi.PullRequest) string {
	return fmt.Sprintf("%s/%s/%s/pull/%d", e.webURL, url.PathEscape(pr.Owner), url.PathEscape(pr.Repo), pr.Number)
}

// pageURL is a launch PR's details page, "" when launchgate serves no
// pages.
func (e *evaluator) pageURL(pr githubapi.PullRequest) string {
	if e.pagesURL == "" {
		return ""
	}
	return fmt.Sprintf("%s/%s/%s/pull/%d", e.pagesURL, url.PathEscape(pr.Owner), url.PathEscape(pr.Repo), pr.Number)
}

// checklistEdit is an issue_comment "edited" event on the checklist, or
// on a comment that may be it: judgeHumans keeps those of the comment the
// App wrote. When command is set, it is instead a waiver command written
// in comment commentID: commands travel with the edits so that both keep
// the order people made them in.
type checklistEdit struct {
	commentID int64
	signoff.Edit
	command *signoff.Command
}
