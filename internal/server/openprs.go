package server

import (
	"context"
	"strconv"
	"time"

	"github.com/rs/zerolog"

	"github.com/launchgate/launchgate/internal/githubapi"
	"github.com/launchgate/launchgate/internal/store"
)

// storeEvaluation keeps a launch PR's published evaluation in the store:
// its open row, and an event for each waiver command that took effect. A
// pull request found not to be a launch PR (its label removed, say) loses
// any row it had; a failed evaluation leaves the row as it was.
//
// The store is an index of what launchgate published, never the
// authority: the check run and the checklist comment are. So a store
// failure is logged and counted, and changes neither the evaluation nor
// its delivery's outcome; a later evaluation writes the row again.
func (e *evaluator) storeEvaluation(ctx context.Context, pr githubapi.PullRequest, p plan, now time.Time) {
	if e.store == nil {
		return
	}
	if p.run.ID.Outcome == githubapi.OutcomeNotLaunch {
		e.forgetOpenPR(ctx, pr)
		return
	}
	if p.checklist == nil {
		return
	}
	repo := pr.Owner + "/" + pr.Repo
	open := store.OpenPR{Repo: repo, PR: pr.Number, Head: pr.HeadSHA, Conclusion: p.run.Conclusion, EvaluatedAt: now}
	if err := e.store.UpsertOpenPR(ctx, open); err != nil {
		e.storeFailed(ctx, err, "evaluation published but not stored as an open launch PR")
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
