package server

import (
	"context"
	"errors"

	"github.com/palantir/go-githubapp/githubapp"
	"github.com/rs/zerolog"

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

// target implements event: Re-run and Re-check read the pull request
// when they run and evaluate it whatever the memo says.
func (e checkRunEvent) target() (githubapi.PullRequest, rank, bool) {
	number, _, _ := e.h.rerunOf(e.p)
	if number == 0 {
		return githubapi.PullRequest{}, 0, false
	}
	return e.p.pull(number), rankFresh, true
}

func (e checkRunEvent) handle(ctx context.Context) error {
	h, p := e.h, e.p
	ctx, log := githubapp.PrepareRepoContext(ctx, p.Installation.ID, p.repo())
	run := p.CheckRun
	number, why, level := h.rerunOf(p)
	if number == 0 {
		ev := log.WithLevel(level).Int64("app_id", run.App.ID).Str("check_run_name", run.Name).Str("head_sha", run.HeadSHA)
		if p.RequestedAction != nil {
			ev = ev.Str("identifier", p.RequestedAction.Identifier)
		}
		ev.Msg(why)
		return nil
	}
	ctx, log = githubapp.PreparePRContext(ctx, p.Installation.ID, p.repo(), number)
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
	return h.ev.evaluate(ctx, pr, true)
}

// rerunOf is the pull request a check_run event asks to re-evaluate, or 0
// with why not and how loudly to log it. The queue coalesces by it too
// (checkRunEvent.target), so it is the one place that decides.
func (h checkRunHandler) rerunOf(p *checkRunPayload) (number int, why string, level zerolog.Level) {
	run := p.CheckRun
	switch {
	case p.Action != "rerequested" && p.Action != "requested_action":
		return 0, "", zerolog.Disabled // created, completed: our own writes echoed back
	case run.App.ID != h.appID:
		return 0, "check_run of another App; ignored", zerolog.DebugLevel
	case run.Name != CheckName:
		return 0, "check_run of this App with an unknown name; ignored", zerolog.WarnLevel
	case p.Action == "requested_action" && p.RequestedAction.Identifier != report.RecheckIdentifier:
		return 0, "unknown check run action; ignored", zerolog.WarnLevel
	}
	if id, err := githubapi.ParseRunID(run.ExternalID); err == nil {
		number = id.PR
	}
	if number == 0 && len(run.PullRequests) > 0 {
		number = run.PullRequests[0].Number
	}
	if number == 0 {
		return 0, "re-run of a check run that names no pull request; ignored", zerolog.WarnLevel
	}
	return number, "", zerolog.NoLevel
}
