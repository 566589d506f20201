package server

import (
	"context"
	"strconv"
	"time"

	"github.com/rs/zerolog"

	"github.com/launchgate/launchgate/internal/githubapi"
	"github.com/launchgate/launchgate/internal/launchview"
	"github.com/launchgate/launchgate/internal/store"
)

// storeEvaluation keeps a launch PR's published evaluation in the store:
// its open row, its details page, an event for each waiver command that
// took effect, and, when the run was written, a line of its history. A
// pull request found not to be a launch PR (its label removed, say) loses
// any open row it had; a failed evaluation leaves the row and the page as
// they were.
//
// The store is an index of what launchgate published, never the
// authority: the check run and the checklist comment are. So a store
// failure is logged and counted, and changes neither the evaluation nor
// its delivery's outcome; a later evaluation writes the row again.
func (e *evaluator) storeEvaluation(ctx context.Context, pr githubapi.PullRequest, p plan, written bool, now time.Time) {
	if e.store == nil {
		return
	}
	if p.run.ID.Outcome == githubapi.OutcomeNotLaunch {
		e.forgetOpenPR(ctx, pr)
		return
	}
	repo := pr.Owner + "/" + pr.Repo
	if p.launch && written {
		ev := store.Evaluation{Repo: repo, PR: pr.Number, Head: pr.HeadSHA, Conclusion: p.run.Conclusion, Outcome: string(p.run.ID.Outcome), At: now}
		if err := e.store.PutEvaluation(ctx, ev); err != nil {
			e.storeFailed(ctx, err, "check run written but not stored in the pull request's history")
		}
	}
	if p.checklist == nil {
		return
	}
	page := e.page(pr, p, now)
	open := store.OpenPR{Repo: repo, PR: pr.Number, Head: pr.HeadSHA, Conclusion: p.run.Conclusion, EvaluatedAt: now,
		Title: pr.Title, Author: pr.Author, OpenedAt: pr.CreatedAt,
		Failing: launchview.Failing(page.Report), PendingTeams: launchview.PendingTeams(page.Report)}
	if page.Report != nil {
		open.WaiverEnds = p.waiverEnds
	}
	if err := e.store.UpsertOpenPR(ctx, open); err != nil {
		e.storeFailed(ctx, err, "evaluation published but not stored as an open launch PR")
	}
	if data, err := launchview.Marshal(page); err != nil {
		e.storeFailed(ctx, err, "evaluation published but its details page cannot be encoded")
	} else if err := e.store.PutPRPage(ctx, repo, pr.Number, pr.HeadSHA, now, data); err != nil {
		e.storeFailed(ctx, err, "evaluation published but its details page not stored")
	}
	for _, c := range p.checklist.accepted {
		ev := store.WaiverEvent{ID: strconv.FormatInt(c.CommentID, 10), Repo: repo, PR: pr.Number, At: c.At,
			Actor: c.Sender, Action: "waive", Check: c.Check, Until: c.Until, Reason: c.Reason}
		if c.Unwaive {
			ev.Action = "unwaive"
		}
		if err := e.store.PutWaiverEvent(ctx, ev); err != nil {
			e.storeFailed(ctx, err, "waiver command recorded in the checklist but not stored")
		}
	}
}

// page is a launch PR's details page as p published it. When writing the
// checklist failed, p published a failure run instead of the report, and
// the page shows that failure: the sign-offs judged are not on record.
func (e *evaluator) page(pr githubapi.PullRequest, p plan, now time.Time) launchview.PR {
	page := launchview.PR{
		Repo: pr.Owner + "/" + pr.Repo, Number: pr.Number, Title: pr.Title, Author: pr.Author, HTMLURL: e.pullURL(pr),
		Base: pr.BaseRef, Head: pr.HeadSHA, OpenedAt: pr.CreatedAt, EvaluatedAt: now,
		Conclusion: p.run.Conclusion, Summary: p.run.Title, ChecklistURL: p.checklistURL, Policy: p.policy,
	}
	if p.failure == nil {
		page.Report = p.judged.report
		if h := p.judged.human; h != nil {
			page.Voided = h.Voided
		}
	}
	return page
}

// forgetOpenPR removes the open row of a pull request that closed, merged
// or not, or that is no longer a launch PR.
func (e *evaluator) forgetOpenPR(ctx context.Context, pr githubapi.PullRequest) {
	if e.store == nil {
		return
	}
	if err := e.store.RemoveOpenPR(ctx, pr.Owner+"/"+pr.Repo, pr.Number); err != nil {
		e.storeFailed(ctx, err, "pull request closed or no longer a launch PR, but still listed as open in the store")
	}
}

// storeFailed logs and counts a store write that failed; what says what
// the store now lacks.
func (e *evaluator) storeFailed(ctx context.Context, err error, what string) {
	e.metrics.storeFailed()
	zerolog.Ctx(ctx).Error().Err(err).Msg(what)
}
