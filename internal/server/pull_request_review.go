package server

import (
	"context"
	"slices"

	"github.com/palantir/go-githubapp/githubapp"

	"github.com/launchgate/launchgate/internal/githubapi"
)

// pullRequestReviewHandler re-evaluates a pull request when a review is
// submitted, edited or dismissed: an approval may now count, or stop
// counting. The payload's pull_request has what an evaluation needs (the
// same fields as a pull_request event's, but changed_files).
type pullRequestReviewHandler struct{ ev *evaluator }

var pullRequestReviewActions = []string{"submitted", "edited", "dismissed"}

// pullRequestReviewEvent is a parsed pull_request_review delivery. Its
// payload carries the pull request's state, as a pull_request event's
// does; the memo does not see reviews, so it forces an evaluation, which
// any number of reviews coalesced share: each evaluation reads every
// review.
type pullRequestReviewEvent struct {
	h pullRequestReviewHandler
	p *pullRequestPayload
}

func (h pullRequestReviewHandler) parser() parser {
	return newParser(parsePullRequest, func(p *pullRequestPayload) event { return pullRequestReviewEvent{h: h, p: p} })
}

func (e pullRequestReviewEvent) ignored() string {
	switch {
	case !slices.Contains(pullRequestReviewActions, e.p.Action):
		return "action not handled"
	case e.p.PullRequest.State != "open":
		return "pull request is not open"
	}
	return ""
}

func (e pullRequestReviewEvent) target() (githubapi.PullRequest, rank, bool) {
	if e.ignored() != "" {
		return githubapi.PullRequest{}, 0, false
	}
	return e.p.pull(), rankState, true
}

// carried implements event: the review changed what people did, which
// the memo of pull request states does not see.
func (e pullRequestReviewEvent) carried() carried { return carried{force: true} }

func (e pullRequestReviewEvent) handle(ctx context.Context, c carried) error {
	p := e.p
	ctx, _ = githubapp.PreparePRContext(ctx, p.Installation.ID, p.repo(), p.PullRequest.Number)
	return e.h.ev.evaluate(ctx, p.pull(), c.force, c.edits)
}
