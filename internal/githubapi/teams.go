package githubapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/launchgate/launchgate/internal/lru"
)

// memberships caches answers to "is user an active member of org/team",
// each for Options.MembershipTTL: a person removed from a team must stop
// counting soon even when the membership event reaches another replica.
// Forgetting bumps a generation number instead of walking the cache:
// entries of an older generation are never looked up again and age out of
// the LRU.
type memberships struct {
	ttl   time.Duration
	now   func() time.Time
	cache *lru.Cache[membershipAnswer]

	mu   sync.Mutex
	gens map[string]int // lower-cased "org" or "org/team" → generation
}

type membershipAnswer struct {
	active bool
	at     time.Time
}

func newMemberships(ttl time.Duration, now func() time.Time, size int) *memberships {
	return &memberships{ttl: ttl, now: now, gens: map[string]int{},
		cache: lru.New[membershipAnswer](size, 0, nil)}
}

func (m *memberships) key(org, team, user string) string {
	org, team = strings.ToLower(org), strings.ToLower(team)
	m.mu.Lock()
	defer m.mu.Unlock()
	return fmt.Sprintf("%s#%d/%s#%d/%s", org, m.gens[org], team, m.gens[org+"/"+team], strings.ToLower(user))
}

func (m *memberships) forget(org, team, user string) {
	if user != "" {
		m.cache.Add(m.key(org, team, user), membershipAnswer{}) // an answer from the epoch: expired
		return
	}
	k := strings.ToLower(org)
	if team != "" {
		k += "/" + strings.ToLower(team)
	}
	m.mu.Lock()
	m.gens[k]++
	m.mu.Unlock()
}

// ActiveMember reports whether user is an active member of the team slug
// of org (GET /orgs/{org}/teams/{slug}/memberships/{user}): true for state
// "active", false for "pending" (an invitation not yet accepted) and for
// 404 (no membership; GitHub counts child teams' members in). Answers are
// reused for Options.MembershipTTL. An error means the answer is unknown;
// callers must not read it as "no" or "yes".
func (c *Client) ActiveMember(ctx context.Context, installationID int64, org, team, user string) (bool, error) {
	key := c.members.key(org, team, user)
	if a, ok := c.members.cache.Get(key); ok && c.members.ttl > 0 && c.members.now().Sub(a.at) < c.members.ttl {
		return a.active, nil
	}
	ic, err := c.installation(installationID)
	if err != nil {
		return false, err
	}
	m, resp, err := ic.rest.Teams.GetTeamMembershipBySlug(ctx, org, team, user)
	active := false
	switch {
	case err == nil:
		active = m.GetState() == "active"
	case resp != nil && resp.StatusCode == http.StatusNotFound:
		// 404 is also the answer for a team that does not exist, or that
		// the App cannot see: no active member either way.
	default:
		return false, fmt.Errorf("githubapi: membership of %s in team %s/%s: %w", user, org, team, err)
	}
	c.members.cache.Add(key, membershipAnswer{active: active, at: c.members.now()})
	return active, nil
}

// ForgetMembership drops cached membership answers, after a membership or
// team event said they changed: of user in org/team, of every member of
// org/team when user is "", of every team of org when team is "" too.
func (c *Client) ForgetMembership(org, team, user string) { c.members.forget(org, team, user) }

// AppLogin returns the login of the App's bot user, "<slug>[bot]": the
// author of the App's comments and the sender of webhooks its own writes
// cause. It is read once (GET /app, with the App's JWT) and kept.
func (c *Client) AppLogin(ctx context.Context) (string, error) {
	c.appMu.Lock()
	defer c.appMu.Unlock()
	if c.appLogin != "" {
		return c.appLogin, nil
	}
	rest, err := c.appClient()
	if err != nil {
		return "", err
	}
	app, _, err := rest.Apps.Get(ctx, "")
	if err != nil {
		return "", fmt.Errorf("githubapi: reading the App (GET /app): %w", err)
	}
	if app.GetSlug() == "" {
		return "", errors.New("githubapi: GET /app returned no slug")
	}
	c.appLogin = app.GetSlug() + "[bot]"
	return c.appLogin, nil
}

// appClient returns a metered REST client authenticated as the App (JWT).
func (c *Client) appClient() (*github.Client, error) {
	gh, err := c.cc.NewAppClient()
	if err != nil {
		return nil, fmt.Errorf("githubapi: App client: %w", err)
	}
	hc := gh.Client()
	transport := hc.Transport
	if transport == nil {
		transport = http.DefaultTransport
	}
	hc.Transport = c.meter.wrap(transport, strings.TrimSuffix(gh.BaseURL.Path, "/"), "")
	rest := github.NewClient(hc)
	rest.BaseURL, rest.UploadURL, rest.UserAgent = gh.BaseURL, gh.UploadURL, gh.UserAgent
	return rest, nil
}

// OrgInstallation returns the ID of the App's installation on org
// (GET /orgs/{org}/installation, with the App's JWT).
func (c *Client) OrgInstallation(ctx context.Context, org string) (int64, error) {
	rest, err := c.appClient()
	if err != nil {
		return 0, err
	}
	inst, _, err := rest.Apps.FindOrganizationInstallation(ctx, org)
	if err != nil {
		return 0, fmt.Errorf("githubapi: finding the App's installation on %s: %w", org, err)
	}
	return inst.GetID(), nil
}
