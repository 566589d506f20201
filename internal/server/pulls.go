package server

import (
	"context"

	"github.com/launchgate/launchgate/internal/githubapi"
)

// pullGetter reads a pull request's current state; *githubapi.Client
// implements it. check_run, check_suite and issue_comment payloads name
// pull requests without the title, labels and head an evaluation needs.
type pullGetter interface {
	PullRequest(ctx context.Context, installationID int64, owner, repo string, number int) (githubapi.PullRequest, error)
}

// errClosed says a pull request is closed: nothing to gate.
var errClosed = githubapi.ErrClosed
