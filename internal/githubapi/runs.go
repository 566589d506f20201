package githubapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/google/go-github/v60/github"
)

// LatestCheckRun returns this App's latest run named name on pr's head
// commit, or nil when there is none. It is the listing PublishCheckRun
// makes, conditional and cached the same way, so asking again about a
// commit whose runs did not change costs no rate limit. The server's
// reconciler uses it to find pull requests whose run is missing or out of
// date.
func (c *Client) LatestCheckRun(ctx context.Context, pr PullRequest, name string) (*github.CheckRun, error) {
	if err := CheckSHA("head SHA", pr.HeadSHA); err != nil {
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
// A run whose external_id does not parse is incomplete too: rewriting it
// is how it gets a readable one.
func Incomplete(run *github.CheckRun) bool {
	id, err := ParseRunID(run.GetExternalID())
	return run.GetStatus() != "completed" || err != nil || !id.Complete()
}

// ErrNotModified is returned by OpenPullRequestsPage when the listing is
// unchanged since the ETag given.
var ErrNotModified = errors.New("not modified")

// OpenPullRequestsPage lists the first 100 open pull requests of
// owner/repo, newest first, like OpenPullRequests, as a conditional request:
// given the ETag of an earlier listing, it returns ErrNotModified, and costs
// no rate limit, when no open pull request changed since. more says that
// there are more than 100.
func (c *Client) OpenPullRequestsPage(ctx context.Context, installationID int64, owner, repo, etag string) (prs []PullRequest, newETag string, more bool, err error) {
	ic, err := c.installation(installationID)
	if err != nil {
		return nil, "", false, err
	}
	u := fmt.Sprintf("repos/%s/%s/pulls?state=open&per_page=100", url.PathEscape(owner), url.PathEscape(repo))
	req, err := ic.rest.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return nil, "", false, err
	}
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	var page []*github.PullRequest
	resp, err := ic.rest.Do(ctx, req, &page)
	if etag != "" && resp != nil && resp.StatusCode == http.StatusNotModified {
		return nil, etag, false, ErrNotModified
	}
	if err != nil {
		return nil, "", false, fmt.Errorf("githubapi: listing the open pull requests of %s/%s: %w", owner, repo, err)
	}
	for _, pr := range page {
		prs = append(prs, fromREST(installationID, owner, repo, pr))
	}
	return prs, resp.Header.Get("ETag"), resp.NextPage != 0, nil
}
