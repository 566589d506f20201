package githubapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/go-github/v60/github"

	"github.com/launchgate/launchgate/internal/approval"
)

// Endpoint templates of the human half of an evaluation (reviews, team
// memberships, the checklist comment, review requests) and of the fan-outs
// that find pull requests to re-evaluate. meter.go counts them with its
// own.
const (
	epPull             = "GET /repos/{owner}/{repo}/pulls/{pull_number}"
	epListPulls        = "GET /repos/{owner}/{repo}/pulls"
	epReviews          = "GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews"
	epRequestReviewers = "POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers"
	epListComments     = "GET /repos/{owner}/{repo}/issues/{issue_number}/comments"
	epCreateComment    = "POST /repos/{owner}/{repo}/issues/{issue_number}/comments"
	epGetComment       = "GET /repos/{owner}/{repo}/issues/comments/{comment_id}"
	epEditComment      = "PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}"
	epTeamMembership   = "GET /orgs/{org}/teams/{team_slug}/memberships/{username}"
	epInstRepos        = "GET /installation/repositories"
	epApp              = "GET /app"
	epOrgInstallation  = "GET /orgs/{org}/installation"
)

var humanRoutes = []string{epPull, epListPulls, epReviews, epRequestReviewers, epListComments, epCreateComment,
	epGetComment, epEditComment, epTeamMembership, epInstRepos, epApp, epOrgInstallation}

// ErrClosed is returned, wrapped, by PullRequest for a pull request that is
// not open, together with what it says: a closed pull request gates nothing.
var ErrClosed = errors.New("pull request is closed")

// PullRequest reads a pull request's current state (GET …/pulls/{n}).
// check_run, check_suite and issue_comment payloads name a pull request
// without its title, labels or head, which an evaluation needs.
func (c *Client) PullRequest(ctx context.Context, installationID int64, owner, repo string, number int) (PullRequest, error) {
	ic, err := c.installation(installationID)
	if err != nil {
		return PullRequest{}, err
	}
	pr, _, err := ic.rest.PullRequests.Get(ctx, owner, repo, number)
	if err != nil {
		return PullRequest{}, fmt.Errorf("githubapi: reading pull request %s/%s#%d: %w", owner, repo, number, err)
	}
	out := fromREST(installationID, owner, repo, pr)
	if pr.GetState() != "open" {
		return out, fmt.Errorf("githubapi: %s/%s#%d: %w", owner, repo, number, ErrClosed)
	}
	return out, nil
}

func fromREST(installationID int64, owner, repo string, pr *github.PullRequest) PullRequest {
	out := PullRequest{
		InstallationID: installationID, Owner: owner, Repo: repo, Number: pr.GetNumber(),
		Title: pr.GetTitle(), Author: pr.GetUser().GetLogin(), Draft: pr.GetDraft(),
		HeadSHA: pr.GetHead().GetSHA(), BaseSHA: pr.GetBase().GetSHA(), BaseRef: pr.GetBase().GetRef(),
		CreatedAt: pr.GetCreatedAt().Time, ChangedFiles: pr.GetChangedFiles(),
	}
	for _, l := range pr.Labels {
		out.Labels = append(out.Labels, l.GetName())
	}
	return out
}

// OpenPullRequests lists up to max open pull requests of owner/repo into
// base (any base when base is ""), newest first, and whether there were
// more. Pull requests of a listing carry no changed_files count.
func (c *Client) OpenPullRequests(ctx context.Context, installationID int64, owner, repo, base string, max int) (prs []PullRequest, more bool, err error) {
	ic, err := c.installation(installationID)
	if err != nil {
		return nil, false, err
	}
	opts := &github.PullRequestListOptions{State: "open", Base: base, ListOptions: github.ListOptions{PerPage: min(max, 100)}}
	for {
		page, resp, err := ic.rest.PullRequests.List(ctx, owner, repo, opts)
		if err != nil {
			return nil, false, fmt.Errorf("githubapi: listing the open pull requests of %s/%s: %w", owner, repo, err)
		}
		for _, pr := range page {
			if len(prs) == max {
				return prs, true, nil
			}
			prs = append(prs, fromREST(installationID, owner, repo, pr))
		}
		if resp.NextPage == 0 {
			return prs, false, nil
		}
		opts.Page = resp.NextPage
	}
}

// Repository is a repository an installation can read.
type Repository struct {
	Owner, Name, DefaultBranch string
}

// InstallationRepos lists up to max repositories of an installation, and
// whether there were more.
func (c *Client) InstallationRepos(ctx context.Context, installationID int64, max int) (repos []Repository, more bool, err error) {
	ic, err := c.installation(installationID)
	if err != nil {
		return nil, false, err
	}
	opts := &github.ListOptions{PerPage: min(max, 100)}
	for {
		page, resp, err := ic.rest.Apps.ListRepos(ctx, opts)
		if err != nil {
			return nil, false, fmt.Errorf("githubapi: listing the repositories of installation %d: %w", installationID, err)
		}
		for _, r := range page.Repositories {
			if len(repos) == max {
				return repos, true, nil
			}
			repos = append(repos, Repository{Owner: r.GetOwner().GetLogin(), Name: r.GetName(), DefaultBranch: r.GetDefaultBranch()})
		}
		if resp.NextPage == 0 {
			return repos, false, nil
		}
		opts.Page = resp.NextPage
	}
}

// Reviews lists a pull request's reviews, oldest first, as GitHub returns
// them (GET …/pulls/{n}/reviews, 100 a page). Reviews change at any time,
// so they are not cached.
func (c *Client) Reviews(ctx context.Context, pr PullRequest) ([]approval.Review, error) {
	ic, err := c.installation(pr.InstallationID)
	if err != nil {
		return nil, err
	}
	var out []approval.Review
	opts := &github.ListOptions{PerPage: 100}
	for {
		page, resp, err := ic.rest.PullRequests.ListReviews(ctx, pr.Owner, pr.Repo, pr.Number, opts)
		if err != nil {
			return nil, fmt.Errorf("githubapi: listing the reviews of %s#%d: %w", pr.fullName(), pr.Number, err)
		}
		for _, r := range page {
			out = append(out, approval.Review{
				User: r.GetUser().GetLogin(), State: r.GetState(), SubmittedAt: r.GetSubmittedAt().Time, CommitID: r.GetCommitID(),
			})
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}

// RequestTeamReviews asks teams (slugs) to review a pull request. GitHub
// refuses the whole request with 422 when one team cannot be asked (it has
// no access to the repository, or does not exist), so after a 422 each team
// is asked on its own and the error names the teams that could not be.
func (c *Client) RequestTeamReviews(ctx context.Context, pr PullRequest, teams []string) error {
	if len(teams) == 0 {
		return nil
	}
	ic, err := c.installation(pr.InstallationID)
	if err != nil {
		return err
	}
	ask := func(ts []string) error {
		_, _, err := ic.rest.PullRequests.RequestReviewers(ctx, pr.Owner, pr.Repo, pr.Number, github.ReviewersRequest{TeamReviewers: ts})
		return err
	}
	err = ask(teams)
	var er *github.ErrorResponse
	if err == nil || len(teams) == 1 || !errors.As(err, &er) || er.Response.StatusCode != http.StatusUnprocessableEntity {
		return wrapRequest(pr, teams, err)
	}
	var errs []error
	for _, t := range teams {
		errs = append(errs, wrapRequest(pr, []string{t}, ask([]string{t})))
	}
	return errors.Join(errs...)
}

func wrapRequest(pr PullRequest, teams []string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("githubapi: requesting reviews of %s#%d from teams %v: %w", pr.fullName(), pr.Number, teams, err)
}
