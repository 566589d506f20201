package server

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/go-github/v60/github"
	"github.com/palantir/go-githubapp/githubapp"
	"github.com/rs/zerolog"

	"github.com/launchgate/launchgate/internal/githubapi"
	"github.com/launchgate/launchgate/internal/policy"
)

// Bounds of a fan-out: an event about a team (or a policy push) may
// concern every open launch PR of an organisation, and re-evaluating them
// all must not exhaust the installation's 5,000 requests an hour. Listing
// costs one request per 100 repositories and one per repository; a warm
// re-evaluation a few. Pull requests beyond the bound are logged and keep
// their run until their next event (or a Re-run).
const (
	maxFanoutRepos = 100
	maxFanoutPulls = 50
)

// fanoutGitHub lists what a fan-out re-evaluates; *githubapi.Client
// implements it.
type fanoutGitHub interface {
	InstallationRepos(ctx context.Context, installationID int64, max int) ([]githubapi.Repository, bool, error)
	OpenPullRequests(ctx context.Context, installationID int64, owner, repo, base string, max int) ([]githubapi.PullRequest, bool, error)
}

// fanout re-evaluates the open pull requests an event about a team or a
// policy may have changed.
type fanout struct {
	ev                 *evaluator
	gh                 fanoutGitHub
	maxRepos, maxPulls int
}

// launchPRs re-evaluates the open launch PRs of the installation's
// repositories (of repo alone when it is not ""): a team's members
// changed, so approvals and sign-offs may have. Pull requests that are not
// launch PRs have no human half and are left alone; deciding that reads
// the base policy, cached per base SHA.
func (f fanout) launchPRs(ctx context.Context, installationID int64, owner, repo string) error {
	log := zerolog.Ctx(ctx)
	repos := []githubapi.Repository{{Owner: owner, Name: repo}}
	if repo == "" {
		var more bool
		var err error
		if repos, more, err = f.gh.InstallationRepos(ctx, installationID, f.maxRepos); err != nil {
			return err
		}
		if more {
			log.Warn().Int("max_repositories", f.maxRepos).Msg("too many repositories to re-evaluate after a team change; the rest wait for their next event")
		}
	}
	budget := f.maxPulls
	var errs []error
	for i, r := range repos {
		prs, more, err := f.gh.OpenPullRequests(ctx, installationID, r.Owner, r.Name, "", budget)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if budget -= len(prs); budget == 0 && (more || i < len(repos)-1) {
			log.Warn().Int("max_pull_requests", f.maxPulls).Msg("too many pull requests to re-evaluate after a team change; the rest wait for their next event")
		}
		for _, pr := range prs {
			launch, err := f.isLaunch(ctx, pr)
			switch {
			case err != nil:
				errs = append(errs, err)
			case launch:
				errs = append(errs, f.evaluate(ctx, pr, true))
			}
		}
		if budget == 0 {
			break
		}
	}
	return errors.Join(errs...)
}

// isLaunch decides whether pr is a launch PR, as an evaluation would. A
// policy that cannot be read makes it one: its evaluation says so.
func (f fanout) isLaunch(ctx context.Context, pr githubapi.PullRequest) (bool, error) {
	pol, err := f.ev.gh.Policy(ctx, pr)
	var broken policy.Errors
	switch {
	case errors.As(err, &broken):
		return true, nil
	case err != nil:
		return false, err
	}
	d, err := decideLaunch(pol.Launch, pr.Title, pr.Labels, func() ([]string, bool, error) {
		files, err := f.ev.gh.ChangedFiles(ctx, pr)
		if errors.Is(err, githubapi.ErrFileListTruncated) {
			return files, false, nil
		}
		return files, err == nil, err
	})
	return d.Launch, err
}

// basePRs re-evaluates every open pull request into base of one repository
// (up to the bound): its policy or CODEOWNERS changed, which may make a
// pull request a launch PR or stop it being one. The memo does not hold
// them back: their base SHA changed.
func (f fanout) basePRs(ctx context.Context, installationID int64, owner, repo, base string) error {
	prs, more, err := f.gh.OpenPullRequests(ctx, installationID, owner, repo, base, f.maxPulls)
	if err != nil {
		return err
	}
	if more {
		zerolog.Ctx(ctx).Warn().Int("max_pull_requests", f.maxPulls).Msg("too many pull requests to re-evaluate after a policy change; the rest wait for their next event")
	}
	var errs []error
	for _, pr := range prs {
		errs = append(errs, f.evaluate(ctx, pr, false))
	}
	return errors.Join(errs...)
}

func (f fanout) evaluate(ctx context.Context, pr githubapi.PullRequest, force bool) error {
	repo := &github.Repository{Name: github.String(pr.Repo), Owner: &github.User{Login: github.String(pr.Owner)}}
	prCtx, _ := githubapp.PreparePRContext(ctx, pr.InstallationID, repo, pr.Number)
	if err := f.ev.evaluate(prCtx, pr, force, nil); err != nil {
		return fmt.Errorf("%s/%s#%d: %w", pr.Owner, pr.Repo, pr.Number, err)
	}
	return nil
}
