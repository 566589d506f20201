package server

import (
	"context"
	"slices"
)

// teamHandler handles changes to a team itself: deleted (its members no
// longer count), edited (a new name may mean a new slug), and access to a
// repository added or removed. It forgets what it knew of the team and
// re-evaluates the open launch PRs of the organisation, or of the
// repository named. A created team has no members yet: nothing changes.
type teamHandler struct {
	fanout  fanout
	members membershipForgetter
}

var teamActions = []string{"deleted", "edited", "added_to_repository", "removed_from_repository"}

// teamEvent is a parsed team delivery; it may evaluate many pull
// requests, so it is not coalesced.
type teamEvent struct {
	uncoalesced
	h teamHandler
	p *orgEventPayload
}

func (h teamHandler) parser() parser {
	return newParser(parseOrgEvent, func(p *orgEventPayload) event { return teamEvent{h: h, p: p} })
}

func (e teamEvent) ignored() string {
	if !slices.Contains(teamActions, e.p.Action) {
		return "action not handled"
	}
	return ""
}

func (e teamEvent) handle(ctx context.Context, _ carried) error {
	h, p := e.h, e.p
	ctx, log := p.context(ctx)
	switch {
	case p.Action == "edited" || p.Team.Slug == "":
		// A renamed team has a new slug, and the payload names only the
		// new one: forget every answer about the organisation.
		h.members.ForgetMembership(p.Organization.Login, "", "")
	default:
		h.members.ForgetMembership(p.Organization.Login, p.Team.Slug, "")
	}
	repo := ""
	if p.Repository != nil && (p.Action == "added_to_repository" || p.Action == "removed_from_repository") {
		repo = p.Repository.Name
	}
	log.Info().Str("action", p.Action).Msg("team changed; re-evaluating the open launch PRs")
	return h.fanout.launchPRs(ctx, p.Installation.ID, p.Organization.Login, repo)
}
