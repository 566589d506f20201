package githubsim

import (
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/rs/zerolog"
)

// Options configures a simulator. AppID and PrivateKey are required.
type Options struct {
	// AppID is the ID of the GitHub App the simulator serves; App JWTs must
	// carry it as "iss".
	AppID int64
	// AppSlug names the App; its bot user is "<slug>[bot]". Default "launchgate".
	AppSlug string
	// PrivateKey is the App's key. The simulator only uses its public half,
	// to verify the RS256 signature of App JWTs.
	PrivateKey *rsa.PrivateKey
	// WebhookURL receives the App's webhooks; empty means no deliveries
	// (GitHub does not deliver to an App without a webhook URL).
	WebhookURL string
	// WebhookSecret signs deliveries (X-Hub-Signature-256); empty sends no
	// signature header, as GitHub does for a hook without a secret.
	WebhookSecret string
	// Events lists the webhook events the App subscribed to; nil means all.
	// GitHub only delivers subscribed events.
	Events []string
	// RateLimit is the primary rate limit per installation and hour, for REST
	// ("core") and GraphQL alike. Default 5,000 (GitHub's base for an
	// installation).
	RateLimit int
	// TreeEntryLimit is the number of entries after which a recursive tree is
	// truncated. Default 100,000, GitHub's documented limit.
	TreeEntryLimit int
	// Now is the clock used for token and JWT expiry and rate-limit windows.
	// Default time.Now.
	Now func() time.Time
	// DenyAdministration answers 403 to reads that need the Administration
	// permission (classic branch protection), as for an installation that
	// was not granted it; the permissions the simulator lists then lack it.
	DenyAdministration bool
	// Logger, when set, receives one debug line per API request and webhook
	// delivery.
	Logger *zerolog.Logger
}

// Server is a running simulator. All methods are safe for concurrent use.
// State-driving methods (AddRepo, Push, OpenPR, …) panic when given an
// unknown repository, pull request or team: those are programming errors in
// the test or demo that drives the simulator.
type Server struct {
	opts     Options
	now      func() time.Time
	ln       net.Listener
	srv      *http.Server
	base     string // http://127.0.0.1:PORT
	hookHTTP *http.Client
	pending  inflight // asynchronous webhook deliveries

	mu        sync.Mutex // guards everything below
	nextID    int64
	apps      map[int64]*app
	installs  map[int64]*installation
	tokens    map[string]*instToken
	users     map[string]*github.User // by lower-case login
	orgs      map[string]*org         // by lower-case login
	repos     map[string]*repo        // by lower-case "owner/name"
	checkRuns map[int64]*checkRun
	comments  map[int64]*comment
	anon      bucket // unauthenticated callers
	hooks     hookState
	requests  []RecordedRequest
	faults    faultState
	// The OAuth web flow (oauth.go): codes not yet exchanged, user access
	// tokens, and each user's rate-limit budget.
	codes       map[string]*oauthCode
	userTokens  map[string]*userToken
	userBuckets map[string]*bucket // by lower-case login
}

// RecordedRequest is one API request the simulator answered.
type RecordedRequest struct {
	Method string `json:"method"`
	// Path is relative to the REST root ("/repos/o/r/check-runs"); GraphQL
	// requests are recorded as "/graphql", and the OAuth web flow's from
	// the web root ("/login/oauth/access_token") with neither query nor
	// body, which carry the client secret and the codes.
	Path  string `json:"path"`
	Query string `json:"query,omitempty"`
	// Body is the request body when it is JSON, else the body as a JSON string.
	Body   json.RawMessage `json:"body,omitempty"`
	Status int             `json:"status"`
}

const (
	restPrefix     = "/api/v3"
	graphqlPath    = "/api/graphql"
	maxRequestBody = 25 << 20
	docsREST       = "https://docs.github.com/rest"
)

// Start listens on 127.0.0.1 (a free port) and serves the simulated API.
func Start(opts Options) (*Server, error) {
	if opts.AppID <= 0 || opts.PrivateKey == nil {
		return nil, errors.New("githubsim: Options.AppID and Options.PrivateKey are required")
	}
	if opts.AppSlug == "" {
		opts.AppSlug = "launchgate"
	}
	if opts.RateLimit <= 0 {
		opts.RateLimit = 5000
	}
	if opts.TreeEntryLimit <= 0 {
		opts.TreeEntryLimit = 100_000
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("githubsim: listen: %w", err)
	}
	s := &Server{
		opts:      opts,
		now:       now,
		ln:        ln,
		base:      "http://" + ln.Addr().String(),
		hookHTTP:  &http.Client{Timeout: hookTimeout},
		apps:      map[int64]*app{},
		installs:  map[int64]*installation{},
		tokens:    map[string]*instToken{},
		users:     map[string]*github.User{},
		orgs:      map[string]*org{},
		repos:     map[string]*repo{},
		checkRuns: map[int64]*checkRun{},
		comments:  map[int64]*comment{},
		anon:      bucket{limit: anonymousRateLimit},

		codes:       map[string]*oauthCode{},
		userTokens:  map[string]*userToken{},
		userBuckets: map[string]*bucket{},
	}
	s.hooks = newHookState(opts.WebhookURL)
	s.mu.Lock()
	s.addAppLocked(opts.AppID, opts.AppSlug, &opts.PrivateKey.PublicKey)
	s.mu.Unlock()
	s.srv = &http.Server{Handler: s.routes(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Close waits for in-flight webhook deliveries, then stops the server.
func (s *Server) Close() error {
	s.pending.Wait()
	return s.srv.Close()
}

// URL is the REST API root, GHES style (http://127.0.0.1:PORT/api/v3/), so
// go-github's WithEnterpriseURLs(URL(), URL()) talks to the simulator.
func (s *Server) URL() string { return s.base + restPrefix + "/" }

// GraphQLURL is the GraphQL endpoint (http://127.0.0.1:PORT/api/graphql).
func (s *Server) GraphQLURL() string { return s.base + graphqlPath }

// Requests returns a copy of every API request answered since the last
// ResetRequests, oldest first.
func (s *Server) Requests() []RecordedRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]RecordedRequest(nil), s.requests...)
}

// ResetRequests forgets the recorded requests.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

// authKind says which credential a route requires.
type authKind int

const (
	authNone         authKind = iota // unknown route: always 404
	authApp                          // App JWT
	authInstallation                 // installation token
	authRepo                         // installation token whose installation owns {owner}/{repo}
	authOrg                          // installation token whose installation is on {org}
	authUser                         // user access token (oauth.go)
	authRepoRead                     // authRepo, or a user access token that may read {owner}/{repo}
	authClient                       // Basic auth with an OAuth client id and secret
)

// call is one API request as seen by a handler, which runs with s.mu held.
type call struct {
	r      *http.Request
	body   []byte
	app    *app          // the App (JWT) or the App the installation belongs to
	inst   *installation // installation-token calls
	user   *userToken    // user-access-token calls
	repo   *repo         // authRepo routes
	org    *org          // authOrg routes
	header http.Header   // extra response headers (Link, Location)
	events []*event      // webhooks to deliver once the lock is released
	bucket *bucket       // the rate-limit bucket charged; refunded on a 304
	res    string        // rate-limit resource: "core" or "graphql"
}

func (c *call) emit(ev *event) {
	if ev != nil {
		c.events = append(c.events, ev)
	}
}

// reply is a handler's answer; body is marshalled as JSON unless it is
// already []byte.
type reply struct {
	status int
	body   any
}

type handler func(*call) reply

// errorBody is GitHub's error shape. GitHub also sends the status as a string.
type errorBody struct {
	Message          string       `json:"message"`
	Errors           []fieldError `json:"errors,omitempty"`
	DocumentationURL string       `json:"documentation_url,omitempty"`
	Status           string       `json:"status,omitempty"`
}

// fieldError is one entry of a 422 "Validation Failed" body.
type fieldError struct {
	Resource string `json:"resource,omitempty"`
	Field    string `json:"field,omitempty"`
	Code     string `json:"code"`
	Message  string `json:"message,omitempty"`
}

func errReply(status int, msg, doc string) reply {
	if doc == "" {
		doc = docsREST
	}
	return reply{status, errorBody{Message: msg, DocumentationURL: doc, Status: fmt.Sprint(status)}}
}

func notFound() reply { return errReply(http.StatusNotFound, "Not Found", "") }

// validationFailed is GitHub's 422 for semantic errors on a resource.
func validationFailed(doc string, errs ...fieldError) reply {
	r := errReply(http.StatusUnprocessableEntity, "Validation Failed", doc)
	b := r.body.(errorBody)
	b.Errors = errs
	r.body = b
	return r
}

// invalidRequest is GitHub's 422 for request bodies that break the
// endpoint's schema, e.g. "Invalid request.\n\nOnly 65535 characters are
// allowed; 65536 were supplied."
func invalidRequest(doc, detail string) reply {
	return errReply(http.StatusUnprocessableEntity, "Invalid request.\n\n"+detail, doc)
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	rest := func(pattern string, kind authKind, h handler) {
		method, path, _ := strings.Cut(pattern, " ")
		mux.HandleFunc(method+" "+restPrefix+path, func(w http.ResponseWriter, r *http.Request) {
			s.serve(w, r, kind, "core", h)
		})
	}
	// auth.go
	rest("GET /app", authApp, s.getApp)
	rest("GET /app/installations", authApp, s.listInstallations)
	rest("GET /app/installations/{id}", authApp, s.getInstallation)
	rest("POST /app/installations/{id}/access_tokens", authApp, s.createAccessToken)
	rest("GET /repos/{owner}/{repo}/installation", authApp, s.getRepoInstallation)
	rest("GET /orgs/{org}/installation", authApp, s.getOrgInstallation)
	rest("GET /installation/repositories", authInstallation, s.listInstallationRepos)
	// hooks.go
	rest("GET /app/hook/deliveries", authApp, s.listDeliveries)
	rest("GET /app/hook/deliveries/{id}", authApp, s.getDelivery)
	rest("POST /app/hook/deliveries/{id}/attempts", authApp, s.redeliver)
	// git.go
	rest("GET /repos/{owner}/{repo}", authRepoRead, s.getRepo)
	rest("GET /repos/{owner}/{repo}/git/trees/{sha}", authRepo, s.getTree)
	rest("GET /repos/{owner}/{repo}/git/blobs/{sha}", authRepo, s.getBlob)
	rest("GET /repos/{owner}/{repo}/contents/{path...}", authRepo, s.getContents)
	rest("GET /repos/{owner}/{repo}/commits/{ref...}", authRepo, s.getCommit)
	// pulls.go
	rest("GET /repos/{owner}/{repo}/pulls", authRepo, s.listPulls)
	rest("GET /repos/{owner}/{repo}/pulls/{number}", authRepo, s.getPull)
	rest("GET /repos/{owner}/{repo}/pulls/{number}/files", authRepo, s.listPullFiles)
	rest("GET /repos/{owner}/{repo}/pulls/{number}/reviews", authRepo, s.listReviews)
	rest("POST /repos/{owner}/{repo}/pulls/{number}/requested_reviewers", authRepo, s.requestReviewers)
	// checks.go
	rest("POST /repos/{owner}/{repo}/check-runs", authRepo, s.createCheckRun)
	rest("GET /repos/{owner}/{repo}/check-runs/{id}", authRepo, s.getCheckRun)
	rest("PATCH /repos/{owner}/{repo}/check-runs/{id}", authRepo, s.updateCheckRun)
	rest("GET /repos/{owner}/{repo}/check-runs/{id}/annotations", authRepo, s.listAnnotations)
	rest("GET /repos/{owner}/{repo}/commits/{ref}/check-runs", authRepo, s.listCheckRunsForRef)
	// issues.go
	rest("GET /repos/{owner}/{repo}/issues/{x}/{y}", authRepo, s.getIssueSubresource)
	rest("POST /repos/{owner}/{repo}/issues/{number}/comments", authRepo, s.createComment)
	rest("PATCH /repos/{owner}/{repo}/issues/comments/{id}", authRepo, s.updateComment)
	// protection.go
	rest("GET /repos/{owner}/{repo}/rules/branches/{branch}", authRepo, s.getBranchRules)
	rest("GET /repos/{owner}/{repo}/branches/{branch}/protection/required_status_checks", authRepo, s.getStatusChecksProtection)
	// teams.go
	rest("GET /orgs/{org}/teams/{slug}", authOrg, s.getTeam)
	rest("GET /orgs/{org}/teams/{slug}/memberships/{username}", authOrg, s.getTeamMembership)
	// oauth.go and users.go: the web flow on the web root, then the reads
	// with a user access token.
	mux.HandleFunc("GET "+authorizePath, s.authorizePage)
	mux.HandleFunc("POST "+authorizePath, s.authorizeGrant)
	mux.HandleFunc("POST "+accessTokenPath, s.exchangeCode)
	rest("DELETE /applications/{client_id}/token", authClient, s.deleteUserToken)
	rest("GET /user", authUser, s.getUser)
	rest("GET /user/memberships/orgs/{org}", authUser, s.getOrgMembership)
	rest("GET /user/teams", authUser, s.listUserTeams)
	rest("GET /user/installations/{id}/repositories", authUser, s.listUserInstallationRepos)
	// graphql.go
	mux.HandleFunc("POST "+graphqlPath, func(w http.ResponseWriter, r *http.Request) {
		s.serve(w, r, authInstallation, "graphql", s.graphql)
	})
	// Anything else, including a known path with another method, is a 404
	// as on GitHub.
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.serve(w, r, authNone, "core", nil)
	})
	return mux
}

// serve runs one API request through the pipeline GitHub applies: injected
// faults, authentication, the primary rate limit, the handler, then
// conditional-request handling. The handler runs under s.mu; webhooks it
// raised are delivered after the lock is released.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, kind authKind, resource string, h handler) {
	body, readErr := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if d := s.injectedLatency(); d > 0 {
		time.Sleep(d)
	}
	c := &call{r: r, body: body, header: http.Header{}, bucket: &s.anon, res: "core"}

	s.mu.Lock()
	var rep reply
	if readErr != nil {
		rep = errReply(http.StatusRequestEntityTooLarge, "Payload Too Large", "")
	} else {
		rep = s.dispatch(c, kind, resource, h)
	}
	out, err := encodeBody(rep.body)
	if err != nil {
		rep, out = reply{status: http.StatusInternalServerError}, []byte(`{"message":"Server Error"}`)
	}
	if r.Method == http.MethodGet && rep.status == http.StatusOK {
		rep.status, out = s.conditional(c, out)
	}
	c.bucket.writeHeaders(c.header, c.res, s.now())
	s.requests = append(s.requests, RecordedRequest{
		Method: r.Method, Path: apiPath(r.URL.Path), Query: r.URL.RawQuery,
		Body: rawJSON(body), Status: rep.status,
	})
	events := c.events
	s.mu.Unlock()

	if l := s.opts.Logger; l != nil {
		l.Debug().Str("method", r.Method).Str("path", r.URL.Path).Int("status", rep.status).Msg("githubsim request")
	}
	hdr := w.Header()
	for k, v := range c.header {
		hdr[k] = v
	}
	hdr.Set("X-GitHub-Media-Type", "github.v3; format=json")
	hdr.Set("X-GitHub-Request-Id", fmt.Sprintf("SIM:%X", s.now().UnixNano()))
	if len(out) > 0 {
		hdr.Set("Content-Type", "application/json; charset=utf-8")
	}
	// The deliveries are registered before the response is written, so
	// that a caller who has its response and then calls WaitForDeliveries
	// waits for them too.
	s.deliverAsync(events)
	w.WriteHeader(rep.status)
	_, _ = w.Write(out)
}

// inflight counts work in progress. Unlike a sync.WaitGroup, work may be
// added while another goroutine waits, which is the normal case here: the
// App keeps calling the simulator while a test waits for deliveries.
type inflight struct {
	mu   sync.Mutex
	cond *sync.Cond
	n    int
}

func (f *inflight) Add(delta int) {
	f.mu.Lock()
	f.n += delta
	if f.n == 0 && f.cond != nil {
		f.cond.Broadcast()
	}
	f.mu.Unlock()
}

func (f *inflight) Done() { f.Add(-1) }

// Wait blocks until no work is in progress.
func (f *inflight) Wait() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cond == nil {
		f.cond = sync.NewCond(&f.mu)
	}
	for f.n > 0 {
		f.cond.Wait()
	}
}

func (s *Server) dispatch(c *call, kind authKind, resource string, h handler) reply {
	who := s.identify(c.r)
	b := s.bucketFor(who, resource)
	c.bucket, c.res = b, resource

	if rep, ok := s.injectFault(c); ok {
		return rep
	}
	if rep, ok := s.authorize(c, who, kind); !ok {
		b.charge(s.now())
		return rep
	}
	if !b.charge(s.now()) {
		return s.rateLimited(c, who)
	}
	if kind == authNone {
		return notFound()
	}
	if rep, ok := s.resolveScope(c, kind); !ok {
		return rep
	}
	return h(c)
}

func encodeBody(body any) ([]byte, error) {
	switch b := body.(type) {
	case nil:
		return nil, nil
	case []byte:
		return b, nil
	default:
		return json.Marshal(b)
	}
}

func apiPath(p string) string {
	if p == graphqlPath {
		return "/graphql"
	}
	return strings.TrimPrefix(p, restPrefix)
}

func rawJSON(b []byte) json.RawMessage {
	if len(b) == 0 {
		return nil
	}
	if json.Valid(b) {
		return append(json.RawMessage(nil), b...)
	}
	q, _ := json.Marshal(string(b))
	return q
}

// id hands out the next resource ID. GitHub's IDs are per resource type; one
// counter keeps them unique, which is all clients may rely on.
func (s *Server) id() int64 {
	s.nextID++
	return s.nextID
}
