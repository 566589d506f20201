package server

import (
	"context"
	"errors"
	"slices"

	"github.com/palantir/go-githubapp/githubapp"

	"github.com/launchgate/launchgate/internal/codeowners"
	"github.com/launchgate/launchgate/internal/githubapi"
)

// pushHandler re-evaluates a repository's open pull requests into its
// default branch when a push to that branch changes the policy
// (.github/launchgate.yml) or CODEOWNERS (any of GitHub's three
// locations): both are read from the base branch, so every pull request
// into it may now be judged differently. Other pushes cost nothing.
//
// A push to the organisation's ".github" repository can change the
// organisation's policy too; that one is cached for a minute
// (githubapi.Options.OrgPolicyTTL) and reaches each pull request at its
// next event.
type pushHandler struct{ fanout fanout }

// maxPushCommits is how many commits GitHub lists in a push payload at
// most; a push with that many may have more, whose files are unknown.
const maxPushCommits = 2048

type pushPayload struct {
	Ref          string               `json:"ref"`
	Deleted      bool                 `json:"deleted"`
	Installation *installationPayload `json:"installation"`
	Repository   *struct {
		Name          string `json:"name"`
		DefaultBranch string `json:"default_branch"`
		Owner         struct {
			Login string `json:"login"`
		} `json:"owner"`
	} `json:"repository"`
	Commits []struct {
		Added    []string `json:"added"`
		Removed  []string `json:"removed"`
		Modified []string `json:"modified"`
	} `json:"commits"`
}

// pushEvent is a parsed push delivery; it may evaluate every open pull
// request into the default branch, so it is not coalesced.
type pushEvent struct {
	uncoalesced
	h pushHandler
	p *pushPayload
}

func (h pushHandler) parser() parser {
	return newParser(parsePush, func(p *pushPayload) event { return pushEvent{h: h, p: p} })
}

func parsePush(payload []byte) (*pushPayload, error) {
	var p pushPayload
	if err := decode(payload, &p); err != nil {
		return nil, err
	}
	switch {
	case p.Installation == nil || p.Installation.ID <= 0:
		return nil, errors.New("installation.id is missing: not a GitHub App delivery")
	case p.Repository == nil || p.Repository.Name == "" || p.Repository.Owner.Login == "":
		return nil, errors.New("repository.owner.login or repository.name is missing")
	case p.Ref == "":
		return nil, errors.New("ref is missing")
	}
	return &p, nil
}

// gateFiles are the base-branch files every evaluation reads.
var gateFiles = append([]string{githubapi.PolicyPath}, codeowners.Locations...)

// touchesGate reports whether the push changed a policy or CODEOWNERS
// file, or may have (more commits than GitHub lists).
func (p *pushPayload) touchesGate() bool {
	if len(p.Commits) >= maxPushCommits {
		return true
	}
	for _, c := range p.Commits {
		for _, list := range [][]string{c.Added, c.Removed, c.Modified} {
			if slices.ContainsFunc(list, func(f string) bool { return slices.Contains(gateFiles, f) }) {
				return true
			}
		}
	}
	return false
}

func (e pushEvent) ignored() string {
	p, r := e.p, e.p.Repository
	switch {
	case p.Deleted || r.DefaultBranch == "" || p.Ref != "refs/heads/"+r.DefaultBranch:
		return "not to the default branch"
	case !p.touchesGate():
		return "neither the policy nor CODEOWNERS changed"
	}
	return ""
}

func (e pushEvent) handle(ctx context.Context, _ carried) error {
	h, p := e.h, e.p
	r := p.Repository
	ctx, log := githubapp.PrepareRepoContext(ctx, p.Installation.ID, envelope{Repository: &repositoryPayload{Name: r.Name, Owner: r.Owner}}.repo())
	log.Info().Msg("policy or CODEOWNERS changed on the default branch; re-evaluating its open pull requests")
	return h.fanout.basePRs(ctx, p.Installation.ID, r.Owner.Login, r.Name, r.DefaultBranch)
}
