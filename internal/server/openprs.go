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
// its open row, and an event for each waiver command that took effect.
// Other pull requests (p.checklist nil) have nothing to keep.
//
// The store is an index of what launchgate published, never the
// authority: the check run and the checklist comment are. So a store
// failure is logged and counted, and changes neither the evaluation nor
// its delivery's outcome; a later evaluation writes the row again.
func (e *evaluator) storeEvaluation(ctx context.Context, pr githubapi.PullRequest, p plan, now time.Time) {
	if e.store == nil || p.checklist == nil {
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

// forgetOpenPR removes a closed pull request's open row, merged or not.
func (e *evaluator) forgetOpenPR(ctx context.Context, pr githubapi.PullRequest) {
	if e.store == nil {
		return
	}
	if err := e.store.RemoveOpenPR(ctx, pr.Owner+"/"+pr.Repo, pr.Number); err != nil {
		e.storeFailed(ctx, err, "closed pull request still listed as open in the store")
	}
}

// storeFailed logs and counts a store write that failed; what says what
// the store now lacks.
func (e *evaluator) storeFailed(ctx context.Context, err error, what string) {
	e.metrics.storeFailed()
	zerolog.Ctx(ctx).Error().Err(err).Msg(what)
}
