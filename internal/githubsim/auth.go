package githubsim

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v4"
	"github.com/google/go-github/v60/github"
)

// Authentication as documented for GitHub Apps:
//   - App JWT (RS256, iss = App ID, iat in the past, exp no more than 10
//     minutes in the future) for /app/* endpoints:
//     https://docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-json-web-token-jwt-for-a-github-app
//     GitHub's own sample signs iat = now-60 and exp = now+600, so the 10
//     minutes are counted from now, not from iat.
//   - Installation access tokens, valid for one hour, sent as
//     "Authorization: token T" or "Bearer T", for everything else:
//     https://docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app/authenticating-as-a-github-app-installation
const (
	tokenLifetime = time.Hour
	jwtMaxAhead   = 10 * time.Minute
	docsJWT       = "https://docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-json-web-token-jwt-for-a-github-app"

	msgJWTUndecodable = "A JSON web token could not be decoded"
	msgJWTIat         = "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued"
	msgJWTExpired     = "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"
	msgJWTTooFar      = "'Expiration time' claim ('exp') is too far in the future"
)

type app struct {
	id     int64
	slug   string
	key    *rsa.PublicKey
	bot    *github.User // "<slug>[bot]", type Bot
	bucket *bucket      // requests made with the App's JWT
	since  time.Time
	// clientID and clientSecret are the App's OAuth credentials
	// (SetOAuthApp); empty: the App takes no part in the web flow.
	clientID, clientSecret string
}

type installation struct {
	id            int64
	app           *app
	account       *org
	core, graphql *bucket
	since         time.Time
}

type instToken struct {
	inst    *installation
	expires time.Time
}

// caller is who an Authorization header identifies.
type caller struct {
	app         *app          // JWT, or the App owning the installation token
	inst        *installation // installation token
	user        *userToken    // user access token
	credentials bool          // an Authorization header was sent
	jwtErr      string        // why a JWT was rejected
}

// AddApp registers another GitHub App (it has no webhook). Tests use it to
// act as a second App, e.g. to show that only a check run's creator may
// update it.
func (s *Server) AddApp(id int64, slug string, key *rsa.PublicKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addAppLocked(id, slug, key)
}

func (s *Server) addAppLocked(id int64, slug string, key *rsa.PublicKey) {
	bot := &github.User{
		Login: ptr(slug + "[bot]"), ID: ptr(s.id()), Type: ptr("Bot"),
		HTMLURL: ptr(s.base + "/apps/" + slug),
	}
	bot.NodeID = ptr(nodeID("BOT", bot.GetID()))
	s.apps[id] = &app{id: id, slug: slug, key: key, bot: bot, bucket: newBucket(s.opts.RateLimit), since: s.now()}
}

// AddInstallation installs the simulator's App on an account (an
// organization, created if new) and returns the installation ID. The
// installation covers all of the account's repositories.
func (s *Server) AddInstallation(account string) int64 {
	return s.InstallApp(s.opts.AppID, account)
}

// InstallApp installs the App appID (see AddApp) on an account.
func (s *Server) InstallApp(appID int64, account string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.apps[appID]
	if a == nil {
		panic(fmt.Sprintf("githubsim: no app %d", appID))
	}
	inst := &installation{
		id: s.id(), app: a, account: s.orgLocked(account),
		core: newBucket(s.opts.RateLimit), graphql: newBucket(s.opts.RateLimit), since: s.now(),
	}
	s.installs[inst.id] = inst
	return inst.id
}

// installationFor is the installation of App a on an account, if any.
func (s *Server) installationFor(a *app, account *org) *installation {
	for _, inst := range s.installs {
		if inst.app == a && inst.account == account {
			return inst
		}
	}
	return nil
}

// identify reads the Authorization header.
func (s *Server) identify(r *http.Request) caller {
	h := r.Header.Get("Authorization")
	if h == "" {
		return caller{}
	}
	scheme, cred, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "token") && !strings.EqualFold(scheme, "bearer") {
		return caller{credentials: true}
	}
	cred = strings.TrimSpace(cred)
	if strings.Count(cred, ".") == 2 {
		a, msg := s.verifyJWT(cred)
		return caller{app: a, credentials: true, jwtErr: msg}
	}
	if t := s.tokens[cred]; t != nil && s.now().Before(t.expires) {
		return caller{app: t.inst.app, inst: t.inst, credentials: true}
	}
	if t := s.userTokens[cred]; t != nil && s.now().Before(t.expires) {
		return caller{app: t.app, user: t, credentials: true}
	}
	return caller{credentials: true}
}

// verifyJWT checks an App JWT the way GitHub does and returns the App, or
// GitHub's message for the rejection.
func (s *Server) verifyJWT(raw string) (*app, string) {
	claims := jwt.MapClaims{}
	parser := jwt.NewParser(jwt.WithValidMethods([]string{"RS256"}), jwt.WithoutClaimsValidation(), jwt.WithJSONNumber())
	var a *app
	_, err := parser.ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) {
		if a = s.appByIssuer(claims["iss"]); a == nil {
			return nil, fmt.Errorf("unknown issuer %v", claims["iss"])
		}
		return a.key, nil
	})
	if err != nil {
		return nil, msgJWTUndecodable
	}
	now := s.now().Unix()
	if iat, ok := numericClaim(claims["iat"]); !ok || iat > now {
		return nil, msgJWTIat
	}
	exp, ok := numericClaim(claims["exp"])
	if !ok || exp <= now {
		return nil, msgJWTExpired
	}
	if exp > now+int64(jwtMaxAhead/time.Second) {
		return nil, msgJWTTooFar
	}
	return a, ""
}

// appByIssuer accepts the App ID as a JSON number or string.
func (s *Server) appByIssuer(iss any) *app {
	var id int64
	switch v := iss.(type) {
	case json.Number:
		id, _ = v.Int64()
	case string:
		id, _ = strconv.ParseInt(v, 10, 64)
	}
	return s.apps[id]
}

func numericClaim(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	if i, err := n.Int64(); err == nil {
		return i, true
	}
	f, err := n.Float64()
	return int64(f), err == nil
}

// authorize checks the caller against what the route needs.
func (s *Server) authorize(c *call, who caller, kind authKind) (reply, bool) {
	switch kind {
	case authNone:
		return reply{}, true
	case authApp:
		if who.app != nil && who.inst == nil {
			c.app = who.app
			return reply{}, true
		}
		msg := who.jwtErr
		if msg == "" {
			msg = msgJWTUndecodable
		}
		return errReply(http.StatusUnauthorized, msg, docsJWT), false
	case authClient:
		return s.authorizeClient(c)
	case authUser:
		if who.user != nil {
			c.app, c.user = who.app, who.user
			return reply{}, true
		}
		if who.inst != nil {
			// The /user endpoints need a user: GitHub refuses an
			// installation token this way.
			return errReply(http.StatusForbidden, "Resource not accessible by integration", docsREST), false
		}
	case authRepoRead:
		if who.user != nil {
			c.app, c.user = who.app, who.user
			return reply{}, true
		}
	}
	if who.inst != nil {
		c.app, c.inst = who.app, who.inst
		return reply{}, true
	}
	switch {
	case who.user != nil:
		// A valid user access token on a route the simulator serves only
		// to installations.
		return errReply(http.StatusForbidden, "Resource not accessible by integration", docsREST), false
	case who.credentials:
		return errReply(http.StatusUnauthorized, "Bad credentials", docsREST), false
	case c.res == "graphql":
		return errReply(http.StatusUnauthorized, "This endpoint requires you to be authenticated.",
			"https://docs.github.com/graphql/guides/forming-calls-with-graphql#authenticating-with-graphql"), false
	case kind == authRepo || kind == authRepoRead:
		// Anonymous callers cannot see private repositories: GitHub answers 404.
		return notFound(), false
	}
	return errReply(http.StatusUnauthorized, "Requires authentication", docsREST), false
}

// resolveScope finds the repository or organization in the path. One the
// installation does not cover is a 404, as GitHub hides what a token cannot
// see.
func (s *Server) resolveScope(c *call, kind authKind) (reply, bool) {
	switch kind {
	case authRepo, authRepoRead:
		r := s.repos[repoKey(c.r.PathValue("owner"), c.r.PathValue("repo"))]
		if r == nil {
			return notFound(), false
		}
		if c.user != nil {
			// A user access token reaches what both the user and the App
			// can: a repository of one of the App's installations that the
			// user may read
			// (https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-user-access-token-for-a-github-app).
			if s.installationFor(c.app, r.owner) == nil || !s.canRead(c.user.login, r) {
				return notFound(), false
			}
		} else if r.owner != c.inst.account {
			return notFound(), false
		}
		c.repo = r
	case authOrg:
		o := s.orgs[strings.ToLower(c.r.PathValue("org"))]
		if o == nil || o != c.inst.account {
			return notFound(), false
		}
		c.org = o
	}
	return reply{}, true
}

// permissions are the App's, as in deploy's app.yml.
func (s *Server) permissions() *github.InstallationPermissions {
	p := &github.InstallationPermissions{
		Checks: ptr("write"), Contents: ptr("read"), Issues: ptr("write"), Metadata: ptr("read"),
		Members: ptr("read"), PullRequests: ptr("write"), Administration: ptr("read"),
	}
	if s.opts.DenyAdministration {
		p.Administration = nil
	}
	return p
}

func (s *Server) appJSON(a *app) *github.App {
	return &github.App{
		ID: ptr(a.id), Slug: ptr(a.slug), Name: ptr(a.slug), NodeID: ptr(nodeID("APP", a.id)),
		HTMLURL: ptr(s.base + "/apps/" + a.slug), ExternalURL: ptr(s.base + "/apps/" + a.slug),
		CreatedAt: ts(a.since), UpdatedAt: ts(a.since), Permissions: s.permissions(),
		Events: s.opts.Events,
	}
}

func (s *Server) installationJSON(inst *installation) *github.Installation {
	api := s.base + restPrefix
	return &github.Installation{
		ID: ptr(inst.id), NodeID: ptr(nodeID("INST", inst.id)), AppID: ptr(inst.app.id), AppSlug: ptr(inst.app.slug),
		TargetID: inst.account.user.ID, TargetType: ptr("Organization"), Account: inst.account.user,
		RepositorySelection: ptr("all"), Permissions: s.permissions(), Events: s.opts.Events,
		AccessTokensURL: ptr(fmt.Sprintf("%s/app/installations/%d/access_tokens", api, inst.id)),
		RepositoriesURL: ptr(api + "/installation/repositories"),
		HTMLURL:         ptr(fmt.Sprintf("%s/organizations/%s/settings/installations/%d", s.base, inst.account.login, inst.id)),
		CreatedAt:       ts(inst.since), UpdatedAt: ts(inst.since),
	}
}

// GET /app
func (s *Server) getApp(c *call) reply { return reply{http.StatusOK, s.appJSON(c.app)} }

// GET /app/installations (paginated, oldest first)
func (s *Server) listInstallations(c *call) reply {
	var list []*installation
	for _, inst := range s.installs {
		if inst.app == c.app {
			list = append(list, inst)
		}
	}
	slices.SortFunc(list, func(a, b *installation) int { return int(a.id - b.id) })
	lo, hi := s.paginate(c, len(list), 0)
	out := make([]*github.Installation, 0, hi-lo)
	for _, inst := range list[lo:hi] {
		out = append(out, s.installationJSON(inst))
	}
	return reply{http.StatusOK, out}
}

func (s *Server) pathInstallation(c *call) *installation {
	id, _ := strconv.ParseInt(c.r.PathValue("id"), 10, 64)
	if inst := s.installs[id]; inst != nil && inst.app == c.app {
		return inst
	}
	return nil
}

// GET /app/installations/{id}
func (s *Server) getInstallation(c *call) reply {
	inst := s.pathInstallation(c)
	if inst == nil {
		return notFound()
	}
	return reply{http.StatusOK, s.installationJSON(inst)}
}

// POST /app/installations/{id}/access_tokens: a token for one hour.
func (s *Server) createAccessToken(c *call) reply {
	inst := s.pathInstallation(c)
	if inst == nil {
		return notFound()
	}
	tok := "ghs_" + rand.Text() + rand.Text()[:10]
	exp := s.now().Add(tokenLifetime).Truncate(time.Second)
	s.tokens[tok] = &instToken{inst: inst, expires: exp}
	return reply{http.StatusCreated, &github.InstallationToken{Token: ptr(tok), ExpiresAt: ts(exp), Permissions: s.permissions()}}
}

// GET /repos/{owner}/{repo}/installation
func (s *Server) getRepoInstallation(c *call) reply {
	r := s.repos[repoKey(c.r.PathValue("owner"), c.r.PathValue("repo"))]
	if r == nil {
		return notFound()
	}
	if inst := s.installationFor(c.app, r.owner); inst != nil {
		return reply{http.StatusOK, s.installationJSON(inst)}
	}
	return notFound()
}

// GET /orgs/{org}/installation
func (s *Server) getOrgInstallation(c *call) reply {
	if o := s.orgs[strings.ToLower(c.r.PathValue("org"))]; o != nil {
		if inst := s.installationFor(c.app, o); inst != nil {
			return reply{http.StatusOK, s.installationJSON(inst)}
		}
	}
	return notFound()
}

// GET /installation/repositories (paginated, by name)
func (s *Server) listInstallationRepos(c *call) reply {
	var list []*repo
	for _, r := range s.repos {
		if r.owner == c.inst.account {
			list = append(list, r)
		}
	}
	slices.SortFunc(list, func(a, b *repo) int { return strings.Compare(a.name, b.name) })
	lo, hi := s.paginate(c, len(list), 0)
	out := &github.ListRepositories{TotalCount: ptr(len(list))}
	for _, r := range list[lo:hi] {
		out.Repositories = append(out.Repositories, s.repoJSON(r))
	}
	if out.Repositories == nil {
		out.Repositories = []*github.Repository{}
	}
	return reply{http.StatusOK, out}
}
