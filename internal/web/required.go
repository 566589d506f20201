package web

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/launchgate/launchgate/internal/githubapi"
	"github.com/launchgate/launchgate/internal/lru"
)

const (
	// requiredTTL is how long an organisation's list is reused: it is
	// advice for admins, as `launchgate doctor` gives it, not a gate.
	requiredTTL = 10 * time.Minute
	// requiredMaxRepos bounds the repositories asked about per
	// organisation, each costing up to two requests when not cached; the
	// rest are not listed (README says so; `launchgate doctor` asks about
	// all).
	requiredMaxRepos = 1000
	// requiredWorkers asks about that many repositories at once.
	requiredWorkers = 8
	requiredOrgs    = 1000
)

// repoRequirement is an installed repository whose default branch does not
// require the check, or for which GitHub could not tell.
type repoRequirement struct {
	Repo, Branch string
	State        githubapi.RequiredState
	Why          string
}

// requiredSource lists an organisation's installed repositories that do
// not require the check.
type requiredSource interface {
	unrequiredRepos(ctx context.Context, org string) ([]repoRequirement, error)
}

// AppReader is what the pages ask GitHub as the App; githubapi.Client
// has it.
type AppReader interface {
	OrgInstallation(ctx context.Context, org string) (int64, error)
	InstallationRepos(ctx context.Context, installationID int64, max int) ([]githubapi.Repository, bool, error)
	RequiredCheck(ctx context.Context, installationID int64, owner, repo, branch, name string) (githubapi.RequiredCheck, error)
}

// requiredChecks asks GitHub, as `launchgate doctor` does, whether each
// repository of the App's installation on an organisation requires the
// check on its default branch, and keeps the answer requiredTTL.
type requiredChecks struct {
	gh    AppReader
	check string // the check run's name
	now   func() time.Time
	cache *lru.Cache[requiredAnswer]
	// mu makes board loads that find no fresh answer ask GitHub one at a
	// time, so that people opening a board together cost one round of
	// requests; answers are reused for requiredTTL.
	mu sync.Mutex
}

type requiredAnswer struct {
	at    time.Time
	repos []repoRequirement
}

func newRequiredChecks(gh AppReader, check string, now func() time.Time) *requiredChecks {
	return &requiredChecks{gh: gh, check: check, now: now, cache: lru.New[requiredAnswer](requiredOrgs, 0, nil)}
}

func (c *requiredChecks) unrequiredRepos(ctx context.Context, org string) ([]repoRequirement, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	// GitHub matches organisation names in any letter case: one answer
	// serves every spelling of a board's URL.
	key := strings.ToLower(org)
	if a, ok := c.cache.Get(key); ok && c.now().Sub(a.at) < requiredTTL {
		return a.repos, nil
	}
	inst, err := c.gh.OrgInstallation(ctx, org)
	if err != nil {
		return nil, err
	}
	repos, _, err := c.gh.InstallationRepos(ctx, inst, requiredMaxRepos)
	if err != nil {
		return nil, err
	}
	answers := make([]githubapi.RequiredCheck, len(repos))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(requiredWorkers, len(repos)) {
		wg.Go(func() {
			for i := range next {
				r := repos[i]
				req, err := c.gh.RequiredCheck(ctx, inst, r.Owner, r.Name, r.DefaultBranch, c.check)
				if err != nil {
					// As doctor: an answer that cannot be read counts as not
					// requiring the check.
					req = githubapi.RequiredCheck{State: githubapi.RequiredUnknown, Why: err.Error()}
				}
				answers[i] = req
			}
		})
	}
	for i := range repos {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("asking which repositories of %s require the check: %w", org, err)
	}
	out := []repoRequirement{}
	for i, r := range repos {
		if answers[i].State != githubapi.Required {
			out = append(out, repoRequirement{Repo: r.Owner + "/" + r.Name, Branch: r.DefaultBranch, State: answers[i].State, Why: answers[i].Why})
		}
	}
	c.cache.Add(key, requiredAnswer{at: c.now(), repos: out})
	return out, nil
}
