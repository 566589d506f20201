package server

import (
	"context"
	"fmt"

	"github.com/palantir/go-githubapp/githubapp"

	"github.com/launchgate/launchgate/internal/githubapi"
)

// pullGetter reads a pull request's current state. check_run and
// check_suite payloads name pull requests without their titles or labels,
// which launch detection needs.
type pullGetter interface {
	PullRequest(ctx context.Context, installationID int64, owner, repo string, number int) (githubapi.PullRequest, error)
}

// pulls reads pull requests with installation clients from a caching
// ClientCreator, which githubapi shares, so that both use one installation
// token.
type pulls struct{ cc githubapp.ClientCreator }

// PullRequest is GET /repos/{owner}/{repo}/pulls/{number}.
func (p pulls) PullRequest(ctx context.Context, installationID int64, owner, repo string, number int) (githubapi.PullRequest, error) {
	gh, err := p.cc.NewInstallationClient(installationID)
	if err != nil {
		return githubapi.PullRequest{}, fmt.Errorf("client for installation %d: %w", installationID, err)
	}
	pr, _, err := gh.PullRequests.Get(ctx, owner, repo, number)
	if err != nil {
		return githubapi.PullRequest{}, fmt.Errorf("reading pull request %s/%s#%d: %w", owner, repo, number, err)
	}
	out := githubapi.PullRequest{
		InstallationID: installationID, Owner: owner, Repo: repo, Number: pr.GetNumber(),
		Title: pr.GetTitle(), Author: pr.GetUser().GetLogin(), Draft: pr.GetDraft(),
		HeadSHA: pr.GetHead().GetSHA(), BaseSHA: pr.GetBase().GetSHA(), BaseRef: pr.GetBase().GetRef(),
		ChangedFiles: pr.GetChangedFiles(),
	}
	for _, l := range pr.Labels {
		out.Labels = append(out.Labels, l.GetName())
	}
	if pr.GetState() != "open" {
		return out, errClosed
	}
	return out, nil
}

// errClosed says a pull request is closed: nothing to gate.
var errClosed = fmt.Errorf("pull request is closed")
