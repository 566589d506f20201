// Package web serves launchgate's pages (a launch PR's details, the
// organisation board and its JSON, launch records) behind GitHub login.
// This side of it signs people in with the App's OAuth credentials, keeps
// their session in a sealed cookie, and asks GitHub, with the user's own
// token, what they may see: anything else is a 404, as GitHub answers
// about a private repository.
package web

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/launchgate/launchgate/internal/store"
	"github.com/launchgate/launchgate/templates"
)

// Options configures the pages.
type Options struct {
	// PublicURL is where browsers reach launchgate (server.public_url), no
	// trailing slash: https, or http on a loopback host only.
	PublicURL string
	// GitHubWebURL is GitHub's web root (https://github.com or a GitHub
	// Enterprise Server's), where the OAuth web flow lives.
	GitHubWebURL string
	// GitHubAPIURL is GitHub's REST root, ending in "/"
	// (https://api.github.com/, or …/api/v3/ on GitHub Enterprise Server).
	GitHubAPIURL string
	// ClientID and ClientSecret are the App's OAuth credentials.
	ClientID, ClientSecret string
	// SessionKey seals the session and sign-in cookies; at least 32 bytes.
	SessionKey []byte
	// AccessTTL is how long GitHub's answer to "may this user see X" is
	// reused. Default one minute.
	AccessTTL time.Duration
	// App asks GitHub as the App: its installation on an organisation,
	// whose repositories bound the board, and which of them require the
	// check (githubapi.Client).
	App AppReader
	// CheckName is the check run's name, whose requirement the board
	// reports per repository.
	CheckName string
	// RecordKey verifies launch records' signatures on the record page.
	RecordKey ed25519.PublicKey
	// Store holds what the pages show.
	Store *store.Store
	// HTTPClient talks to GitHub. Default: a client with a 10 s timeout.
	HTTPClient *http.Client
	// Metrics is the registry the App's GET /metrics serves
	// (server.Options.Registry): the pages count their answers, sign-ins
	// and questions to GitHub in it.
	Metrics prometheus.Registerer
	Logger  zerolog.Logger
	// Now is the clock of sessions and cached answers. Default time.Now.
	Now func() time.Time
}

// viewer is the signed-in person as the pages see them: never their
// token, which only the gate uses (it travels in the request's context).
type viewer struct {
	Login string
	// CSRF goes into every POST form as the csrfField field.
	CSRF string
}

// gate answers, with the viewer's GitHub token, what they may see.
// MemberOf and CanRead decide whether a page is shown at all, in one
// place: the route table (handler.routes).
type gate interface {
	MemberOf(ctx context.Context, v *viewer, org string) (bool, error)
	CanRead(ctx context.Context, v *viewer, owner, repo string) (bool, error)
	rowAccess
}

// rowAccess is what the board asks the gate once it is shown: which rows
// the viewer may read, and which teams are theirs.
type rowAccess interface {
	// Readable is the set of "owner/name" the viewer can read in the App's
	// installation on org.
	Readable(ctx context.Context, v *viewer, org string) (map[string]bool, error)
	// Teams are the slugs of the viewer's teams in org.
	Teams(ctx context.Context, v *viewer, org string) ([]string, error)
}

// tokenKeeper knows about the users' tokens themselves: whose a bearer
// token is, and which were signed out.
type tokenKeeper interface {
	// holder is the login of token's holder; a token GitHub refuses is
	// errTokenRejected.
	holder(ctx context.Context, token string) (string, error)
	// forget refuses token from now on: its holder signed out.
	forget(token string)
}

// pageHandlers render the pages. The route table calls them only for a
// viewer the gate allowed to see the page (notFound aside), so they do not
// ask again.
type pageHandlers interface {
	board(w http.ResponseWriter, r *http.Request, v *viewer, org string)
	boardJSON(w http.ResponseWriter, r *http.Request, v *viewer, org string)
	pull(w http.ResponseWriter, r *http.Request, v *viewer, owner, repo string, number int)
	record(w http.ResponseWriter, r *http.Request, v *viewer, org, name string, pr int)
	// notFound is the answer to a missing page and to one the viewer may
	// not see alike; v is nil when nobody is signed in.
	notFound(w http.ResponseWriter, r *http.Request, v *viewer)
}

// New returns the pages' handler: sign-in, sign-out and the pages.
func New(opts Options) (http.Handler, error) {
	if opts.Store == nil {
		return nil, errors.New("web: the pages need a store")
	}
	h, err := newHandler(opts)
	if err != nil {
		return nil, err
	}
	p, err := newPages(pagesOptions{
		Store: opts.Store, Rows: h.gate, Required: newRequiredChecks(opts.App, opts.CheckName, h.now),
		WebURL: opts.GitHubWebURL, RecordKey: opts.RecordKey, Now: h.now, Log: opts.Logger,
	})
	if err != nil {
		return nil, err
	}
	return h.routes(p), nil
}

// handler holds what every request needs.
type handler struct {
	log      zerolog.Logger
	now      func() time.Time
	origin   string // scheme://host of PublicURL, for the Origin check
	secure   bool   // cookies are Secure unless PublicURL is http on loopback
	github   *oauthClient
	sessions *sealer
	states   *sealer
	metrics  *metrics
	// gate and tokens are one *access in production, which keeps their
	// answers in one cache.
	gate   gate
	tokens tokenKeeper
}

func newHandler(opts Options) (*handler, error) {
	if opts.ClientID == "" || opts.ClientSecret == "" {
		return nil, errors.New("web: the App's OAuth client id and client secret are required")
	}
	if opts.App == nil || opts.CheckName == "" {
		return nil, errors.New("web: Options.App and Options.CheckName are required")
	}
	api, err := url.Parse(opts.GitHubAPIURL)
	if err != nil || !api.IsAbs() || !strings.HasSuffix(api.Path, "/") {
		return nil, fmt.Errorf("web: GitHub API URL %q must be absolute and end in /", opts.GitHubAPIURL)
	}
	if web, err := url.Parse(opts.GitHubWebURL); err != nil || !web.IsAbs() {
		return nil, fmt.Errorf("web: GitHub web URL %q must be absolute", opts.GitHubWebURL)
	}
	if opts.AccessTTL <= 0 {
		opts.AccessTTL = time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	h, err := newSessionHandler(opts.PublicURL, opts.SessionKey, opts.Now, opts.Logger)
	if err != nil {
		return nil, err
	}
	if h.metrics, err = newMetrics(opts.Metrics); err != nil {
		return nil, err
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	h.github = &oauthClient{
		http: hc, api: api, webURL: strings.TrimSuffix(opts.GitHubWebURL, "/"),
		clientID: opts.ClientID, clientSecret: opts.ClientSecret, callback: strings.TrimSuffix(opts.PublicURL, "/") + callbackPath,
	}
	a := newAccess(h.github, opts.App.OrgInstallation, opts.AccessTTL, opts.Now, h.metrics)
	h.gate, h.tokens = a, a
	return h, nil
}

// newSessionHandler is a handler that opens and seals sessions for the
// site at publicURL, still without GitHub (no OAuth client, gate or
// tokenKeeper) or metrics.
func newSessionHandler(publicURL string, key []byte, now func() time.Time, log zerolog.Logger) (*handler, error) {
	pub, err := CheckPublicURL(publicURL)
	if err != nil {
		return nil, err
	}
	sessions, err := newSealer(key, sessionCookie)
	if err != nil {
		return nil, err
	}
	states, err := newSealer(key, stateCookie)
	if err != nil {
		return nil, err
	}
	return &handler{
		log: log, now: now, origin: pub.Scheme + "://" + pub.Host, secure: pub.Scheme == "https",
		sessions: sessions, states: states,
	}, nil
}

const (
	loginPath    = "/login"
	callbackPath = "/login/callback"
	logoutPath   = "/logout"
)

// routes is the route table; p renders the pages. It is the one place
// that decides whether a viewer may see a page (allowed): p is called only
// once the gate has said yes.
func (h *handler) routes(p pageHandlers) http.Handler {
	mux := http.NewServeMux()
	// Every route is counted under its page, whatever it answers.
	route := func(pattern, page string, serve http.Handler) { mux.Handle(pattern, h.metrics.counted(page, serve)) }
	route("GET "+loginPath, pageLogin, http.HandlerFunc(h.login))
	route("GET "+callbackPath, pageCallback, http.HandlerFunc(h.callback))
	route("POST "+logoutPath, pageLogout, http.HandlerFunc(h.logout))
	route("GET /orgs/{org}", pageBoard, h.browser(func(w http.ResponseWriter, r *http.Request, v *viewer) {
		org := r.PathValue("org")
		if h.allowed(w, r, p, v, validOwner(org), func(ctx context.Context) (bool, error) { return h.gate.MemberOf(ctx, v, org) }) {
			p.board(w, r, v, org)
		}
	}))
	route("GET /api/orgs/{org}/launches", pageBoardJSON, h.api(func(w http.ResponseWriter, r *http.Request, v *viewer) {
		org := r.PathValue("org")
		if h.allowed(w, r, nil, v, validOwner(org), func(ctx context.Context) (bool, error) { return h.gate.MemberOf(ctx, v, org) }) {
			p.boardJSON(w, r, v, org)
		}
	}))
	// /{owner}/{repo}/pull/{number}, written with {kind} because a literal
	// "pull" would make it and /api/orgs/{org}/launches overlap with
	// neither more specific, which ServeMux refuses.
	route("GET /{owner}/{repo}/{kind}/{number}", pagePull, h.browser(func(w http.ResponseWriter, r *http.Request, v *viewer) {
		owner, repo := r.PathValue("owner"), r.PathValue("repo")
		number, err := strconv.Atoi(r.PathValue("number"))
		valid := r.PathValue("kind") == "pull" && err == nil && number > 0 && validOwner(owner) && validRepo(repo)
		if h.allowed(w, r, p, v, valid, func(ctx context.Context) (bool, error) { return h.gate.CanRead(ctx, v, owner, repo) }) {
			p.pull(w, r, v, owner, repo, number)
		}
	}))
	route("GET /orgs/{org}/records/{id}", pageRecord, h.browser(func(w http.ResponseWriter, r *http.Request, v *viewer) {
		org := r.PathValue("org")
		name, pr, ok := parseRecordID(r.PathValue("id"))
		if h.allowed(w, r, p, v, ok && validOwner(org), func(ctx context.Context) (bool, error) { return h.gate.CanRead(ctx, v, org, name) }) {
			p.record(w, r, v, org, name, pr)
		}
	}))
	route("GET "+stylesheetPath, pageStatic, http.HandlerFunc(serveStylesheet))
	route("/", pageNotFound, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, _ := h.signedIn(w, r)
		p.notFound(w, r, v)
	}))
	return securityHeaders(mux, h.secure)
}

// stylesheetPath is the pages' one stylesheet, served from the binary: the
// pages load nothing from elsewhere (the Content-Security-Policy allows
// styles from 'self' only).
const stylesheetPath = "/static/style.css"

func serveStylesheet(w http.ResponseWriter, r *http.Request) {
	css, err := fs.ReadFile(templates.Web, "web/style.css")
	if err != nil { // embedded: not reached
		http.Error(w, "no stylesheet", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	// No user data in it; an hour keeps a deploy's change visible soon.
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(css)
}

// parseRecordID splits a record page's "{name}-{pr}"; the repository name
// may itself contain hyphens, the number may not.
func parseRecordID(id string) (name string, pr int, ok bool) {
	i := strings.LastIndexByte(id, '-')
	if i < 0 {
		return "", 0, false
	}
	pr, err := strconv.Atoi(id[i+1:])
	if err != nil || pr <= 0 || !validRepo(id[:i]) {
		return "", 0, false
	}
	return id[:i], pr, true
}

// validOwner accepts GitHub's account names: alphanumerics and hyphens, at
// most 39 characters. Path values are unescaped, so without this check a
// "%2F" could steer the request the gate sends to GitHub elsewhere.
func validOwner(s string) bool {
	return len(s) <= 39 && s != "" && s[0] != '-' && onlyNameBytes(s, false)
}

// validRepo accepts GitHub's repository names: alphanumerics, '.', '-' and
// '_', at most 100 characters, neither "." nor "..".
func validRepo(s string) bool {
	return len(s) <= 100 && s != "" && s != "." && s != ".." && onlyNameBytes(s, true)
}

func onlyNameBytes(s string, repo bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-':
		case repo && (c == '.' || c == '_'):
		default:
			return false
		}
	}
	return true
}

// pageFunc serves a page for a signed-in viewer.
type pageFunc func(w http.ResponseWriter, r *http.Request, v *viewer)

// browser serves a page to a signed-in browser and sends anyone else to
// sign in, coming back to the same page.
func (h *handler) browser(serve pageFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, ctx := h.signedIn(w, r)
		if v == nil {
			http.Redirect(w, r, loginPath+"?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		serve(w, r.WithContext(ctx), v)
	})
}

// api serves JSON to a script with "Authorization: Bearer <GitHub token>"
// or to a signed-in browser; anyone else gets a 401.
func (h *handler) api(serve pageFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, ctx, err := h.bearer(r)
		if err == nil && v == nil {
			v, ctx = h.signedIn(w, r)
		}
		if err != nil && !errors.Is(err, errTokenRejected) {
			h.log.Warn().Err(err).Msg("web: asking GitHub who holds a bearer token")
			writeJSONError(w, http.StatusBadGateway, "GitHub could not be asked who you are; try again")
			return
		}
		if v == nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="launchgate"`)
			writeJSONError(w, http.StatusUnauthorized, "Requires authentication: sign in, or send Authorization: Bearer <GitHub token>")
			return
		}
		serve(w, r.WithContext(ctx), v)
	})
}

// allowed asks the gate whether v may see the page and answers for it
// when not: a 404 (the pages' own, or JSON when p is nil), a new sign-in
// when GitHub no longer accepts the token, a 502 when GitHub cannot be
// asked. valid says the path names something that can exist at all.
func (h *handler) allowed(w http.ResponseWriter, r *http.Request, p pageHandlers, v *viewer, valid bool, ask func(context.Context) (bool, error)) bool {
	ok, err := false, error(nil)
	if valid {
		ok, err = ask(r.Context())
	}
	switch {
	case errors.Is(err, errTokenRejected):
		// Revoked or expired at GitHub: the session is worth nothing.
		h.clearCookie(w, sessionCookie, "/")
		if p == nil {
			writeJSONError(w, http.StatusUnauthorized, "GitHub no longer accepts this token")
		} else {
			http.Redirect(w, r, loginPath+"?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		}
	case err != nil:
		h.log.Warn().Err(err).Str("login", v.Login).Str("path", r.URL.Path).Msg("web: asking GitHub what a user may see")
		if p == nil {
			writeJSONError(w, http.StatusBadGateway, "GitHub could not be asked what you may see; try again")
		} else {
			writeMessage(w, http.StatusBadGateway, "GitHub did not answer", "launchgate could not ask GitHub what you may see. Try again in a moment.", "")
		}
	case !ok && p == nil:
		writeJSONError(w, http.StatusNotFound, "Not Found")
	case !ok:
		p.notFound(w, r, v)
	}
	return ok && err == nil
}
