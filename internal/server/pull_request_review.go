package server

import (
	"context"
	"slices"

	"github.com/palantir/go-githubapp/githubapp"
)

// pullRequestReviewHandler re-evaluates a pull request when a review is
// submitted, edited or dismissed: an approval may now count, or stop
// counting. The payload's pull_request has what an evaluation needs (the
// same fields as a pull_request event's, but changed_files).
type pullRequestReviewHandler struct{ ev *evaluator }

var pullRequestReviewActions = []string{"submitted", "edited", "dismissed"}

// pullRequestReviewEvent is a parsed pull_request_review delivery. It is
// not coalesced: the memo does not see reviews, so each one evaluates.
type pullRequestReviewEvent struct {
	uncoalesced
	h pullRequestReviewHandler
	p *pullRequestPayload
}

func (h pullRequestReviewHandler) parser() parser {
	return newParser(parsePullRequest, func(p *pullRequestPayload) event { return pullRequestReviewEvent{h: h, p: p} })
}

func (e pullRequestReviewEvent) handle(ctx context.Context) error {
	p := e.p
	ctx, log := githubapp.PreparePRContext(ctx, p.Installation.ID, p.repo(), p.PullRequest.Number)
	switch {
	case !slices.Contains(pullRequestReviewActions, p.Action):
		log.Debug().Str("action", p.Action).Msg("pull_request_review event ignored: action not handled")
		return nil
	case p.PullRequest.State != "open":
		log.Debug().Msg("pull_request_review event ignored: pull request is not open")
		return nil
	}
	// The review changed what people did, which the memo of pull request
	// states does not see: always evaluate.
	return e.h.ev.evaluate(ctx, p.pull(), true)
}
