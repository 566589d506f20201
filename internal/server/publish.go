package server

import (
	"context"
	"fmt"

	"github.com/rs/zerolog"

	"github.com/launchgate/launchgate/internal/githubapi"
	"github.com/launchgate/launchgate/internal/signoff"
)

// publish writes a plan: the checklist comment first, which the run names
// (its id, and its URL as the details link when there is no details page),
// then the run, then the review requests. Each write
// is skipped when GitHub already has it (the comment unchanged, the run's
// content digest, no team to ask), so an evaluation that changed nothing
// writes nothing.
//
// A comment that cannot be written turns the run into a failure run (the
// sign-offs it records are not on record) and asks no team: the comment
// that remembers them was not written, so they are asked next time. A
// review request that fails is logged and counted, never fails the
// evaluation: a team without access to the repository cannot be asked.
//
// publish updates p to what it published. The error is the run's.
func (e *evaluator) publish(ctx context.Context, pr githubapi.PullRequest, p *plan) (runID int64, written bool, err error) {
	log := zerolog.Ctx(ctx)
	if c := p.checklist; c != nil && c.write {
		var cm *githubapi.Comment
		if c.id == 0 {
			cm, err = e.gh.CreateComment(ctx, pr, signoff.Marker, c.body)
		} else {
			cm, err = e.gh.EditComment(ctx, pr, c.id, c.body)
		}
		if err != nil {
			log.Error().Err(err).Str("head_sha", pr.HeadSHA).Msg("writing the checklist comment failed; publishing a failure")
			p.decided, p.failure = doingChecklistWrite, fmt.Errorf("%s: %w", doingChecklistWrite, err)
			p.run, p.reviewTeams = c.failedRun, nil
			// The commands are not on record: the next evaluation judges
			// them again.
			c.accepted = nil
		} else {
			p.checklistURL, p.run.ID.Comment = cm.HTMLURL, cm.ID
			if e.pagesURL == "" {
				p.run.DetailsURL = cm.HTMLURL
			}
			e.reply(ctx, pr, c.replies)
		}
	}
	runID, written, err = e.gh.PublishCheckRun(ctx, pr, p.run)
	if err != nil {
		err = fmt.Errorf("publishing the check run: %w", err)
	}
	// The comment remembers the teams as asked whether or not the run was
	// published, so they are asked now or never.
	if len(p.reviewTeams) > 0 {
		if rerr := e.gh.RequestTeamReviews(ctx, pr, p.reviewTeams); rerr != nil {
			log.Warn().Err(rerr).Strs("teams", p.reviewTeams).Msg("some teams could not be asked for review")
			e.metrics.reviewRequestFailed()
		}
	}
	return runID, written, err
}

// reply posts the answers to refused waiver commands. The checklist
// already remembers the commands as answered, so a reply that fails is
// logged and not retried: the command's author sees no waiver in the
// checklist either way.
func (e *evaluator) reply(ctx context.Context, pr githubapi.PullRequest, replies []signoff.Reply) {
	for _, r := range replies {
		if _, err := e.gh.CreateComment(ctx, pr, "", r.Body); err != nil {
			zerolog.Ctx(ctx).Warn().Err(err).Int64("command_comment", r.CommentID).Msg("replying to a waiver command failed")
		}
	}
}
