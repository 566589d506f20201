package server

import (
	"context"
	"errors"

	"github.com/palantir/go-githubapp/githubapp"

	"github.com/launchgate/launchgate/internal/githubapi"
	"github.com/launchgate/launchgate/internal/report"
)

// checkRunHandler re-evaluates when someone presses "Re-run" on the
// Production readiness run (rerequested) or its "Re-check" button
// (requested_action). An App with checks:write also receives check_run
// events of other Apps' runs
// (https://docs.github.com/en/webhooks/webhook-events-and-payloads#check_run,
// https://github.com/orgs/community/discussions/210531), so only runs
// whose app.id is this App's are taken.
type checkRunHandler struct {
	ev    *evaluator
	pulls pullGetter
	appID int64
}

type checkRunPayload struct {
	envelope
	CheckRun *struct {
		ID         int64  `json:"id"`
		Name       string `json:"name"`
		HeadSHA    string `json:"head_sha"`
		ExternalID string `json:"external_id"`
		App        *struct {
			ID int64 `json:"id"`
		} `json:"app"`
		PullRequests []pullRef `json:"pull_requests"`
	} `json:"check_run"`
	RequestedAction *struct {
		Identifier string `json:"identifier"`
	} `json:"requested_action"`
}

// checkRunEvent is a parsed check_run delivery.
type checkRunEvent struct {
	h checkRunHandler
	p *checkRunPayload
}

func (h checkRunHandler) parser() parser {
	return newParser(parseCheckRun, func(p *checkRunPayload) event { return checkRunEvent{h: h, p: p} })
}

func parseCheckRun(payload []byte) (*checkRunPayload, error) {
	var p checkRunPayload
	if err := decode(payload, &p); err != nil {
		return nil, err
	}
	if err := p.check(); err != nil {
		return nil, err
	}
	switch {
	case p.CheckRun == nil:
		return nil, errors.New("check_run is missing")
	case p.CheckRun.App == nil || p.CheckRun.App.ID <= 0:
		return nil, errors.New("check_run.app.id is missing")
	case p.Action == "requested_action" && p.RequestedAction == nil:
		return nil, errors.New("requested_action is missing from a requested_action event")
	}
	if err := githubapi.CheckSHA("check_run.head_sha", p.CheckRun.HeadSHA); err != nil {
		return nil, err
	}
	return &p, nil
}

func (e checkRunEvent) ignored() string {
	_, why := e.h.rerunOf(e.p)
	return why
}

// target implements event: Re-run and Re-check read the pull request
// when they run and evaluate it whatever the memo says.
func (e checkRunEvent) target() (githubapi.PullRequest, rank, bool) {
	number, _ := e.h.rerunOf(e.p)
	if number == 0 {
		return githubapi.PullRequest{}, 0, false
	}
	return e.p.pull(number), rankFresh, true
}

// carried implements event: a person pressed Re-run or Re-check.
func (e checkRunEvent) carried() carried { return carried{force: true} }

func (e checkRunEvent) handle(ctx context.Context, c carried) error {
	h, p := e.h, e.p
	run := p.CheckRun
	number, _ := h.rerunOf(p)
	ctx, log := githubapp.PreparePRContext(ctx, p.Installation.ID, p.repo(), number)
	pr, err := h.pulls.PullRequest(ctx, p.Installation.ID, p.Repository.Owner.Login, p.Repository.Name, number)
	switch {
	case errors.Is(err, errClosed):
		log.Info().Msg("re-run on a closed pull request; ignored")
		return nil
	case err != nil:
		return err
	case pr.HeadSHA != run.HeadSHA:
		// The run is for an older commit; its PR has moved on, and the
		// new head's run is what counts. Evaluating the old commit would
		// need its tree, which GitHub still has, but nobody would see it.
		log.Info().Str("head_sha", run.HeadSHA).Str("pr_head_sha", pr.HeadSHA).Msg("re-run of an outdated commit; evaluating the pull request's head instead")
	}
	log.Info().Str("action", p.Action).Msg("re-evaluation requested")
	return h.ev.evaluate(ctx, pr, c.force, c.edits)
}

// rerunOf is the pull request a check_run event asks to re-evaluate, or 0
// with why not. The gate and the queue decide by it too (ignored, target),
// so it is the one place that decides.
func (h checkRunHandler) rerunOf(p *checkRunPayload) (number int, why string) {
	run := p.CheckRun
	switch {
	case p.Action != "rerequested" && p.Action != "requested_action":
		return 0, "action not handled" // created, completed: our own writes echoed back
	case run.App.ID != h.appID:
		return 0, "another App's run"
	case run.Name != CheckName:
		return 0, "unknown run name"
	case p.Action == "requested_action" && p.RequestedAction.Identifier != report.RecheckIdentifier:
		return 0, "unknown requested action"
	}
	if id, err := githubapi.ParseRunID(run.ExternalID); err == nil {
		number = id.PR
	}
	if number == 0 && len(run.PullRequests) > 0 {
		number = run.PullRequests[0].Number
	}
	if number == 0 {
		return 0, "names no pull request"
	}
	return number, ""
}
