package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/launchgate/launchgate/internal/lru"
)

// access is the gate: it asks GitHub with the viewer's own token, so that
// launchgate shows a person exactly what GitHub would, and reuses each
// answer for ttl. Answers are cached under the login and a hash of the
// token, never the token itself, and a new token (a new sign-in) asks
// again.
type access struct {
	github       *oauthClient
	installation func(ctx context.Context, org string) (int64, error)
	ttl          time.Duration
	now          func() time.Time
	cache        *lru.Cache[cachedAnswer]
	metrics      *metrics
}

type cachedAnswer struct {
	val     any
	expires time.Time
}

// maxAccessEntries bounds the cache: a few answers per person and page.
const maxAccessEntries = 10_000

// maxListPages bounds a listing (an installation's repositories, the
// user's teams) at 100 a page.
const maxListPages = 100

func newAccess(gh *oauthClient, installation func(context.Context, string) (int64, error), ttl time.Duration, now func() time.Time, m *metrics) *access {
	return &access{github: gh, installation: installation, ttl: ttl, now: now, cache: lru.New[cachedAnswer](maxAccessEntries, 0, nil), metrics: m}
}

// cached returns the answer under key if it is fresh, else asks and keeps
// the answer; errors are not kept. asked says the answer is not the
// cache's.
func cached[T any](a *access, key string, ask func() (T, error)) (v T, asked bool, err error) {
	if c, ok := a.cache.Get(key); ok && a.now().Before(c.expires) {
		return c.val.(T), false, nil
	}
	v, err = ask()
	if err != nil {
		return v, true, err
	}
	a.cache.Add(key, cachedAnswer{val: v, expires: a.now().Add(a.ttl)})
	return v, true, nil
}

// answered answers a question about the viewer (a question* label) from the
// cache or by asking GitHub, and counts the answer; grants says whether an
// answer lets the viewer see anything.
func answered[T any](a *access, question, key string, grants func(T) bool, ask func() (T, error)) (T, error) {
	v, asked, err := cached(a, key, ask)
	a.metrics.accessChecked(question, asked, err == nil && grants(v), err)
	return v, err
}

func isTrue(b bool) bool                 { return b }
func anyRepo(repos map[string]bool) bool { return len(repos) > 0 }
func anyTeam(slugs []string) bool        { return len(slugs) > 0 }
func hasLogin(login string) bool         { return login != "" }

// userKey identifies a question by the token that asks it. A token signed
// out on this replica asks nothing more: the cached answers it earned are
// not reused by a copy of its cookie.
func (a *access) userKey(ctx context.Context, v *viewer, question string, args ...string) (key, token string, err error) {
	token = tokenFrom(ctx)
	if token == "" || v == nil {
		return "", "", errTokenRejected
	}
	hash := tokenHash(token)
	if c, ok := a.cache.Get(revokedKey(hash)); ok && a.now().Before(c.expires) {
		return "", "", errTokenRejected
	}
	parts := append([]string{question, strings.ToLower(v.Login), hash}, args...)
	return strings.Join(parts, "\x00"), token, nil
}

func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:16])
}

func revokedKey(hash string) string { return "revoked\x00" + hash }

// holder asks GitHub whose token this is (GET /user), once per ttl.
func (a *access) holder(ctx context.Context, token string) (string, error) {
	return answered(a, questionUser, "login\x00"+tokenHash(token), hasLogin, func() (string, error) {
		return a.github.login(ctx, token)
	})
}

// forget marks a signed-out token: until any session holding it has
// expired, this replica refuses it without asking GitHub (which refuses
// it too once it is revoked, after the other replicas' cached answers
// expire).
func (a *access) forget(token string) {
	a.cache.Add(revokedKey(tokenHash(token)), cachedAnswer{expires: a.now().Add(sessionLifetime)})
}

// notVisible says whether GitHub's answer means "you may not see it":
// 404 (not there, or hidden) and 403.
func notVisible(err error) bool {
	var e *github.ErrorResponse
	return errors.As(err, &e) && e.Response != nil &&
		(e.Response.StatusCode == http.StatusNotFound || e.Response.StatusCode == http.StatusForbidden)
}

// MemberOf: GET /user/memberships/orgs/{org} answers an active membership.
func (a *access) MemberOf(ctx context.Context, v *viewer, org string) (bool, error) {
	key, token, err := a.userKey(ctx, v, questionMember, strings.ToLower(org))
	if err != nil {
		return false, err
	}
	return answered(a, questionMember, key, isTrue, func() (bool, error) {
		m, _, err := a.github.client(token).Organizations.GetOrgMembership(ctx, "", org)
		switch {
		case notVisible(err):
			return false, nil
		case err != nil:
			return false, githubError("GET /user/memberships/orgs/"+org, err)
		}
		return m.GetState() == "active", nil
	})
}

// CanRead: GET /repos/{owner}/{repo} with the user's token answers 200.
func (a *access) CanRead(ctx context.Context, v *viewer, owner, repo string) (bool, error) {
	key, token, err := a.userKey(ctx, v, questionRead, strings.ToLower(owner+"/"+repo))
	if err != nil {
		return false, err
	}
	return answered(a, questionRead, key, isTrue, func() (bool, error) {
		_, _, err := a.github.client(token).Repositories.Get(ctx, owner, repo)
		switch {
		case notVisible(err):
			return false, nil
		case err != nil:
			return false, githubError("GET /repos/"+owner+"/"+repo, err)
		}
		return true, nil
	})
}

// Readable lists the repositories of the App's installation on org that
// the user's token reaches (GET /user/installations/{id}/repositories).
// No installation, or none the user reads, is an empty set.
func (a *access) Readable(ctx context.Context, v *viewer, org string) (map[string]bool, error) {
	key, token, err := a.userKey(ctx, v, questionReadable, strings.ToLower(org))
	if err != nil {
		return nil, err
	}
	return answered(a, questionReadable, key, anyRepo, func() (map[string]bool, error) {
		id, err := a.installationOf(ctx, org)
		if err != nil || id == 0 {
			return map[string]bool{}, err
		}
		gh := a.github.client(token)
		out := map[string]bool{}
		opts := &github.ListOptions{PerPage: 100}
		for range maxListPages {
			list, resp, err := gh.Apps.ListUserRepos(ctx, id, opts)
			switch {
			case notVisible(err):
				return map[string]bool{}, nil
			case err != nil:
				return nil, githubError(fmt.Sprintf("GET /user/installations/%d/repositories", id), err)
			}
			for _, r := range list.Repositories {
				out[r.GetFullName()] = true
			}
			if resp.NextPage == 0 {
				return out, nil
			}
			opts.Page = resp.NextPage
		}
		return nil, fmt.Errorf("GET /user/installations/%d/repositories: more than %d pages", id, maxListPages)
	})
}

// installationOf is the App's installation on org, 0 when there is none;
// it is the App's answer, the same for everyone.
func (a *access) installationOf(ctx context.Context, org string) (int64, error) {
	id, _, err := cached(a, "installation\x00"+strings.ToLower(org), func() (int64, error) {
		id, err := a.installation(ctx, org)
		if notVisible(err) {
			return 0, nil
		}
		if err != nil {
			return 0, fmt.Errorf("finding the App's installation on %s: %w", org, err)
		}
		return id, nil
	})
	return id, err
}

// Teams lists the slugs of the user's teams in org (GET /user/teams).
func (a *access) Teams(ctx context.Context, v *viewer, org string) ([]string, error) {
	key, token, err := a.userKey(ctx, v, questionTeams, strings.ToLower(org))
	if err != nil {
		return nil, err
	}
	return answered(a, questionTeams, key, anyTeam, func() ([]string, error) {
		gh := a.github.client(token)
		var slugs []string
		opts := &github.ListOptions{PerPage: 100}
		for range maxListPages {
			teams, resp, err := gh.Teams.ListUserTeams(ctx, opts)
			if err != nil {
				return nil, githubError("GET /user/teams", err)
			}
			for _, t := range teams {
				if strings.EqualFold(t.GetOrganization().GetLogin(), org) {
					slugs = append(slugs, t.GetSlug())
				}
			}
			if resp.NextPage == 0 {
				return slugs, nil
			}
			opts.Page = resp.NextPage
		}
		return nil, fmt.Errorf("GET /user/teams: more than %d pages", maxListPages)
	})
}

// bearer resolves "Authorization: Bearer <GitHub token>" (or "token …")
// to its holder, asking GitHub once per ttl. No header: nil viewer, no
// error.
func (h *handler) bearer(r *http.Request) (*viewer, context.Context, error) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	token = strings.TrimSpace(token)
	if !ok || token == "" || (!strings.EqualFold(scheme, "bearer") && !strings.EqualFold(scheme, "token")) {
		return nil, r.Context(), nil
	}
	login, err := h.tokens.holder(r.Context(), token)
	if err != nil {
		return nil, r.Context(), err
	}
	return &viewer{Login: login}, withToken(r.Context(), token), nil
}
