package githubapi

import (
	"context"
	"fmt"

	"github.com/google/go-github/v60/github"
)

// LatestCheckRun returns this App's latest run named name on pr's head
// commit, or nil when there is none. It is the listing PublishCheckRun
// makes, conditional and cached the same way, so asking again about a
// commit whose runs did not change costs no rate limit. The server's
// reconciler uses it to find pull requests whose run is missing or out of
// date.
func (c *Client) LatestCheckRun(ctx context.Context, pr PullRequest, name string) (*github.CheckRun, error) {
	if err := checkSHA("head SHA", pr.HeadSHA); err != nil {
		return nil, err
	}
	ic, err := c.installation(pr.InstallationID)
	if err != nil {
		return nil, err
	}
	run, err := c.latestRun(ctx, ic, pr, name, pr.HeadSHA)
	if err != nil {
		return nil, fmt.Errorf("githubapi: check run %q on %s@%s: %w", name, pr.fullName(), pr.HeadSHA, err)
	}
	return run, nil
}

// Incomplete reports a run whose publication did not finish: it is not
// completed, or its annotations were still being sent (PublishCheckRun
// writes the content digest into external_id with its last request only).
func Incomplete(run *github.CheckRun) bool {
	_, digested := annotationsOf(run.GetExternalID())
	return run.GetStatus() != "completed" || !digested
}
