package server

import (
	"context"
	"errors"

	"github.com/palantir/go-githubapp/githubapp"
	"github.com/rs/zerolog"
)

// membershipForgetter drops cached membership answers; *githubapi.Client
// implements it.
type membershipForgetter interface {
	ForgetMembership(org, team, user string)
}

// orgEventPayload is what membership and team events carry. They are
// organisation events: repository is set only for a team's
// added_to_repository and removed_from_repository.
type orgEventPayload struct {
	Action       string               `json:"action"`
	Installation *installationPayload `json:"installation"`
	Organization *struct {
		Login string `json:"login"`
	} `json:"organization"`
	Team *struct {
		Slug    string `json:"slug"`
		Deleted bool   `json:"deleted"`
	} `json:"team"`
	Member *struct {
		Login string `json:"login"`
	} `json:"member"`
	Repository *repositoryPayload `json:"repository"`
}

func parseOrgEvent(payload []byte) (*orgEventPayload, error) {
	var p orgEventPayload
	if err := decode(payload, &p); err != nil {
		return nil, err
	}
	switch {
	case p.Action == "":
		return nil, errors.New("action is missing")
	case p.Installation == nil || p.Installation.ID <= 0:
		return nil, errors.New("installation.id is missing: not a GitHub App delivery")
	case p.Organization == nil || p.Organization.Login == "":
		return nil, errors.New("organization.login is missing")
	case p.Team == nil:
		return nil, errors.New("team is missing")
	}
	return &p, nil
}

func (p *orgEventPayload) context(ctx context.Context) (context.Context, zerolog.Logger) {
	log := zerolog.Ctx(ctx).With().Int64(githubapp.LogKeyInstallationID, p.Installation.ID).
		Str("organization", p.Organization.Login).Str("team", p.Team.Slug).Logger()
	return log.WithContext(ctx), log
}

// membershipHandler handles a person added to or removed from a team
// ("membership", scope "team"): it forgets what it knew of that person's
// membership and re-evaluates the organisation's open launch PRs, whose
// approvals and sign-offs by that person may now count or stop counting.
// A deleted team's payload has no slug; then every answer about the
// organisation is forgotten.
type membershipHandler struct {
	fanout  fanout
	members membershipForgetter
}

// membershipEvent is a parsed membership delivery; it may evaluate many
// pull requests, so it is not coalesced.
type membershipEvent struct {
	uncoalesced
	h membershipHandler
	p *orgEventPayload
}

func (h membershipHandler) parser() parser {
	return newParser(parseMembership, func(p *orgEventPayload) event { return membershipEvent{h: h, p: p} })
}

func parseMembership(payload []byte) (*orgEventPayload, error) {
	p, err := parseOrgEvent(payload)
	if err != nil {
		return nil, err
	}
	if p.Member == nil || p.Member.Login == "" {
		return nil, errors.New("member.login is missing")
	}
	return p, nil
}

func (e membershipEvent) ignored() string {
	if e.p.Action != "added" && e.p.Action != "removed" {
		return "action not handled"
	}
	return ""
}

func (e membershipEvent) handle(ctx context.Context, _ carried) error {
	h, p := e.h, e.p
	ctx, log := p.context(ctx)
	if p.Team.Slug == "" {
		h.members.ForgetMembership(p.Organization.Login, "", "")
	} else {
		h.members.ForgetMembership(p.Organization.Login, p.Team.Slug, p.Member.Login)
	}
	log.Info().Str("action", p.Action).Str("member", p.Member.Login).Msg("team membership changed; re-evaluating the open launch PRs")
	return h.fanout.launchPRs(ctx, p.Installation.ID, p.Organization.Login, "")
}
