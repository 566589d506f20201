package server

import (
	"context"
	"errors"

	"github.com/palantir/go-githubapp/githubapp"

	"github.com/launchgate/launchgate/internal/githubapi"
)

// checkSuiteHandler evaluates the open pull requests of a commit when
// GitHub asks for this App's checks on it: "requested" after a push,
// "rerequested" when someone presses "Re-run all checks". The suite lists
// only pull requests whose head branch is in the repository (the check
// suite reference: when the head branch is in a fork, "the pull_requests
// array will be empty"), so fork PRs are reached through pull_request
// events and check_run re-runs instead.
type checkSuiteHandler struct {
	ev    *evaluator
	pulls pullGetter
	appID int64
}

type checkSuitePayload struct {
	envelope
	CheckSuite *struct {
		HeadSHA string `json:"head_sha"`
		App     *struct {
			ID int64 `json:"id"`
		} `json:"app"`
		PullRequests []pullRef `json:"pull_requests"`
	} `json:"check_suite"`
}

// checkSuiteEvent is a parsed check_suite delivery.
type checkSuiteEvent struct {
	h checkSuiteHandler
	p *checkSuitePayload
}

func (h checkSuiteHandler) parser() parser {
	return newParser(parseCheckSuite, func(p *checkSuitePayload) event { return checkSuiteEvent{h: h, p: p} })
}

func parseCheckSuite(payload []byte) (*checkSuitePayload, error) {
	var p checkSuitePayload
	if err := decode(payload, &p); err != nil {
		return nil, err
	}
	if err := p.check(); err != nil {
		return nil, err
	}
	if p.CheckSuite == nil {
		return nil, errors.New("check_suite is missing")
	}
	if err := githubapi.CheckSHA("check_suite.head_sha", p.CheckSuite.HeadSHA); err != nil {
		return nil, err
	}
	return &p, nil
}

func (e checkSuiteEvent) ignored() string {
	refs, why := e.h.targets(e.p)
	if why == "" && len(refs) == 0 {
		return "names no pull request"
	}
	return why
}

// target implements event for a check suite of one pull request (a suite
// of several is queued as it is): "rerequested" (Re-run all checks)
// evaluates the pull request's current state; "requested", sent with every
// push, may find the commit evaluated already.
func (e checkSuiteEvent) target() (githubapi.PullRequest, rank, bool) {
	refs, _ := e.h.targets(e.p)
	if len(refs) != 1 {
		return githubapi.PullRequest{}, 0, false
	}
	r := rankHint
	if e.p.Action == "rerequested" {
		r = rankFresh
	}
	return e.p.pull(refs[0].Number), r, true
}

// carried implements event: a person re-running all checks wants a fresh
// evaluation; a push's automatic request usually duplicates its
// pull_request.synchronize.
func (e checkSuiteEvent) carried() carried { return carried{force: e.p.Action == "rerequested"} }

func (e checkSuiteEvent) handle(ctx context.Context, c carried) error {
	h, p := e.h, e.p
	ctx, _ = githubapp.PrepareRepoContext(ctx, p.Installation.ID, p.repo())
	refs, _ := h.targets(p)
	var errs []error
	for _, ref := range refs {
		prCtx, log := githubapp.PreparePRContext(ctx, p.Installation.ID, p.repo(), ref.Number)
		if !c.force && len(c.edits) == 0 && h.ev.memo.seenCommit(ref.toPull(p.envelope)) {
			log.Debug().Str("head_sha", p.CheckSuite.HeadSHA).Msg("commit already evaluated for this pull request; check_suite ignored")
			continue
		}
		pr, err := h.pulls.PullRequest(prCtx, p.Installation.ID, p.Repository.Owner.Login, p.Repository.Name, ref.Number)
		switch {
		case errors.Is(err, errClosed):
			continue
		case err != nil:
			errs = append(errs, err)
			continue
		}
		if err := h.ev.evaluate(prCtx, pr, c.force, c.edits); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// targets are the pull requests a check_suite event evaluates, or why it
// evaluates none. The gate and the queue decide by them too (ignored,
// target), so it is the one place that decides.
func (h checkSuiteHandler) targets(p *checkSuitePayload) (refs []pullRef, why string) {
	suite := p.CheckSuite
	switch {
	case p.Action != "requested" && p.Action != "rerequested":
		return nil, "action not handled"
	case suite.App != nil && suite.App.ID != h.appID:
		return nil, "another App's suite"
	}
	for _, ref := range suite.PullRequests {
		if ref.Base.Repo.ID != 0 && p.Repository.ID != 0 && ref.Base.Repo.ID != p.Repository.ID {
			// A pull request from this repository into another one: its
			// number belongs to the other repository, whose own events
			// cover it.
			continue
		}
		refs = append(refs, ref)
	}
	return refs, ""
}
