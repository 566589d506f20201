// Package server is the launchgate GitHub App: it receives webhooks,
// recognises launch pull requests, evaluates their head commit against the
// base branch's policy and publishes the result as the "Production
// readiness" check run.
//
// Routes of the public handler (Handler, served on server.address):
//
//	POST /api/github/hook   webhooks (signed with X-Hub-Signature-256)
//	GET  /records/public-key the launch record public key (PEM)
//	     /                  the web pages, when Options.Pages serves them
//
// Routes of the operational handler (InternalHandler, served on
// server.internal_address), which the public handler never serves, so
// that no path rewriting in front of the public listener can reach them:
//
//	GET  /healthz           liveness: 200 while the process serves
//	GET  /readyz            readiness: 200 while the server takes events (see readyz)
//	GET  /metrics           Prometheus metrics
//
// Webhooks are answered as soon as they are checked, parsed and queued, or
// found unable to change any check run, which are never queued (see
// webhookGate); a pool of workers handles them (see queue), every event for
// one pull request coalesced into one evaluation. Each event type's
// parsing, coalescing and handling live in a file named after it
// (pull_request.go, check_run.go, ...), as palantir/policy-bot does.
//
// An evaluation of a pull request reads everything it depends on first
// (gather.go), decides what to publish without a request (decide.go), then
// writes it: the checklist comment, the check run, the review requests
// (publish.go).
package server

import (
	"cmp"
	"context"
	"crypto/rsa"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v4"

	"github.com/palantir/go-githubapp/githubapp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/launchgate/launchgate/internal/githubapi"
	"github.com/launchgate/launchgate/internal/launchrecord"
	"github.com/launchgate/launchgate/internal/signoff"
	"github.com/launchgate/launchgate/internal/store"
	"github.com/launchgate/launchgate/internal/version"
)

// HookPath is where GitHub delivers webhooks (go-githubapp's default).
const HookPath = githubapp.DefaultWebhookRoute

// Options configures a Server.
type Options struct {
	// Config is a loaded configuration (LoadConfig).
	Config *Config
	// Logger receives JSON log lines; evaluation lines carry the delivery
	// id, event, installation, repository and pull request number.
	Logger zerolog.Logger
	// Store also keeps the launch records (the PR comment stays their
	// durable copy). Nil keeps them in the comments only, for tests and
	// the load test, which have no state to keep.
	Store *store.Store
	// Now is the evaluation clock (the recovery drill's age). Default
	// time.Now.
	Now func() time.Time
	// Version is the launchgate version the check runs record. Default
	// version.String(); tests and the rolling-deploy drill run two
	// versions side by side.
	Version string
	// Pages serves launchgate's web pages: every path the App's own
	// routes do not take. Nil serves none.
	Pages http.Handler
	// PagesURL is the pages' base URL ("https://launchgate.example.com",
	// no trailing slash). When set, a launch PR's check run links to its
	// details page, PagesURL/{owner}/{repo}/pull/{number}, instead of the
	// checklist comment.
	PagesURL string
	// Registry is what GET /metrics serves; New registers the App's
	// metrics in it, and the pages register theirs in the same one
	// (FromConfig). Default: a new registry, of this server alone.
	Registry *prometheus.Registry
}

// Server is the App. Create it with New, serve Handler and
// InternalHandler, and call Shutdown when both HTTP servers have stopped.
type Server struct {
	log      zerolog.Logger
	queue    *queue
	handler  http.Handler // the public routes
	internal http.Handler // the operational routes
	stopping atomic.Bool

	appID int64
	key   *rsa.PrivateKey // readiness signs an App JWT with it

	reconciler        *reconciler
	reconcileInterval time.Duration
	draining          chan struct{} // closed by Drain
	drainOnce         sync.Once
}

// clientCreator makes the App's GitHub clients from cfg.
func clientCreator(cfg *Config, ver string) (githubapp.ClientCreator, error) {
	app := cfg.GitHub.App
	base := githubapp.NewClientCreator(cfg.GitHub.V3APIURL, cfg.GitHub.V4APIURL, app.IntegrationID, []byte(app.PrivateKey),
		githubapp.WithClientUserAgent("launchgate/"+ver),
		githubapp.WithClientTimeout(30*time.Second),
	)
	// Installation clients are cached so that every evaluation of an
	// installation reuses its token (ghinstallation renews it) instead of
	// asking GitHub for a new one.
	cc, err := githubapp.NewCachingClientCreator(base, 1000)
	if err != nil {
		return nil, fmt.Errorf("server: client cache: %w", err)
	}
	return cc, nil
}

// NewGitHubClient returns a GitHub client for the App cfg configures, made
// as serve makes its own (retries included), for commands that ask GitHub
// once (doctor).
func NewGitHubClient(cfg *Config, log zerolog.Logger) (*githubapi.Client, error) {
	if _, err := ParsePrivateKey([]byte(cfg.GitHub.App.PrivateKey)); err != nil {
		return nil, fmt.Errorf("server: github.app private key: %w", err)
	}
	cc, err := clientCreator(cfg, version.String())
	if err != nil {
		return nil, err
	}
	cc = githubapi.NewRetrier(githubapi.RetryOptions{MaxTime: cfg.GitHub.MaxRetryTime, Reserve: cfg.GitHub.RateLimitReserve}).ClientCreator(cc)
	return githubapi.NewClient(cc, githubapi.Options{AppID: cfg.GitHub.App.IntegrationID, GraphQLURL: cfg.GitHub.V4APIURL, Logger: log}), nil
}

// New builds the App from its configuration: GitHub clients authenticated
// as the App's installations, the evaluator and the webhook handlers.
func New(opts Options) (*Server, error) {
	cfg := opts.Config
	if cfg == nil {
		return nil, fmt.Errorf("server: no configuration")
	}
	if err := signoff.CheckKey([]byte(cfg.Signoff.Key)); err != nil {
		return nil, fmt.Errorf("server: signoff.key: %w", err)
	}
	recordKey, err := launchrecord.ParsePrivateKey([]byte(cfg.Records.Key))
	if err != nil {
		return nil, fmt.Errorf("server: records.key: %w", err)
	}
	publicKey, err := launchrecord.PublicKeyPEM(recordKey)
	if err != nil {
		return nil, fmt.Errorf("server: records.key: %w", err)
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	ver := cmp.Or(opts.Version, version.String())
	app := cfg.GitHub.App
	key, err := ParsePrivateKey([]byte(app.PrivateKey))
	if err != nil {
		return nil, fmt.Errorf("server: github.app private key: %w", err)
	}
	cc, err := clientCreator(cfg, ver)
	if err != nil {
		return nil, err
	}
	q := newQueue(queueOptions{workers: cfg.Server.Workers, size: cfg.Server.QueueSize, maxBytes: cfg.Server.QueueMaxBytes, dedupeSize: dedupeSize})
	m, err := newMetrics(q, cmp.Or(opts.Registry, prometheus.NewRegistry()))
	if err != nil {
		return nil, err
	}
	// Every App and installation client retries GitHub's faults and paces
	// requests as the rate limit runs low (githubapi.Retrier).
	cc = githubapi.NewRetrier(githubapi.RetryOptions{
		MaxTime: cfg.GitHub.MaxRetryTime, Reserve: cfg.GitHub.RateLimitReserve,
		OnRateLimit: m.rateLimitLeft, OnRetry: m.githubRetry,
	}).ClientCreator(cc)
	gh := githubapi.NewClient(cc, githubapi.Options{
		AppID: app.IntegrationID, GraphQLURL: cfg.GitHub.V4APIURL, Logger: opts.Logger, OnRequest: m.githubRequest,
		MembershipTTL: cfg.GitHub.MembershipTTL,
	})
	if err := checkPagesURL(opts.PagesURL); err != nil {
		return nil, err
	}
	ev := &evaluator{gh: gh, webURL: cfg.GitHub.WebURL, pagesURL: opts.PagesURL, version: ver, key: []byte(cfg.Signoff.Key), recordKey: recordKey, store: opts.Store, now: now, memo: newMemo(10_000), metrics: m}
	pg := gh
	fo := fanout{ev: ev, gh: gh, maxRepos: maxFanoutRepos, maxPulls: maxFanoutPulls}
	s := &Server{log: opts.Logger, queue: q, appID: app.IntegrationID, key: key,
		reconcileInterval: cfg.Server.ReconcileInterval, draining: make(chan struct{})}
	s.reconciler = newReconciler(gh, cc.NewAppClient, q, ev, m, opts.Logger, cfg.Server.ReconcileMaxPRs, time.Now)
	parsers := map[string]parser{
		"pull_request":        pullRequestHandler{ev: ev}.parser(),
		"check_run":           checkRunHandler{ev: ev, pulls: pg, appID: app.IntegrationID}.parser(),
		"check_suite":         checkSuiteHandler{ev: ev, pulls: pg, appID: app.IntegrationID}.parser(),
		"pull_request_review": pullRequestReviewHandler{ev: ev}.parser(),
		"issue_comment":       issueCommentHandler{ev: ev, pulls: pg}.parser(),
		"membership":          membershipHandler{fanout: fo, members: gh}.parser(),
		"team":                teamHandler{fanout: fo, members: gh}.parser(),
		"push":                pushHandler{fanout: fo}.parser(),
	}
	// The reconciler recovers a failed delivery of these events, whose
	// target is one pull request, by evaluating that pull request afresh;
	// it redelivers the others without reading their payload.
	s.reconciler.prEvents = map[string]parser{}
	for _, e := range []string{"pull_request", "check_run", "check_suite"} {
		s.reconciler.prEvents[e] = parsers[e]
	}
	mux := http.NewServeMux()
	mux.Handle("POST "+HookPath, m.countWebhooks(webhookGate{secret: []byte(app.WebhookSecret), max: cfg.Server.MaxBodyBytes, parsers: parsers, queue: q, onIgnored: m.ignoredWebhook}))
	mux.HandleFunc("GET "+RecordsPublicKeyPath, servePublicKey(publicKey))
	if opts.Pages != nil {
		// The least specific pattern: the routes above keep theirs.
		mux.Handle("/", opts.Pages)
	}
	s.handler = withLogger(opts.Logger, mux)
	ops := http.NewServeMux()
	ops.HandleFunc("GET /healthz", ok)
	ops.HandleFunc("GET /readyz", s.readyz)
	ops.Handle("GET /metrics", m.handler())
	s.internal = ops
	return s, nil
}

// checkPagesURL refuses a pages URL a check run cannot link to: GitHub
// takes only http and https details links.
func checkPagesURL(pagesURL string) error {
	if pagesURL == "" {
		return nil
	}
	u, err := url.Parse(pagesURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(pagesURL, "/") {
		return fmt.Errorf("server: pages URL %q is not an http(s) URL without a query, fragment or trailing slash", pagesURL)
	}
	return nil
}

// Handler serves the App's public routes: webhooks, the records public key
// and the pages.
func (s *Server) Handler() http.Handler { return s.handler }

// InternalHandler serves the operational routes: /healthz, /readyz and
// /metrics, for the kubelet and Prometheus only.
func (s *Server) InternalHandler() http.Handler { return s.internal }

// ok answers liveness probes: the process serves HTTP.
func ok(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ok")
}

// readyz answers readiness probes. It answers 503, and the load balancer
// sends deliveries to other replicas, while
//   - the server is stopping (Drain), so that it receives nothing more
//     before it exits;
//   - the App's private key cannot sign a JWT (the configuration was loaded
//     and the key parsed before the server existed; signing is what every
//     installation token needs). It never asks GitHub: a GitHub outage must
//     not take every replica out of the load balancer;
//   - the queue is more than 90% full, by events or bytes, so that other
//     replicas take the burst before this one refuses deliveries.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.stopping.Load() {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	if err := s.signJWT(); err != nil {
		http.Error(w, "the App's private key cannot sign a JWT: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	if st := s.queue.stats(); st.saturated() {
		http.Error(w, fmt.Sprintf("queue saturated: %d of %d events, %d of %d bytes", st.depth, st.capacity, st.bytes, st.maxBytes), http.StatusServiceUnavailable)
		return
	}
	ok(w, r)
}

// signJWT signs an App JWT as ghinstallation does (RS256, issued 30
// seconds back, 2 minutes valid) and discards it. It costs about a
// millisecond, once per probe.
func (s *Server) signJWT() error {
	now := time.Now()
	claims := jwt.RegisteredClaims{
		Issuer:    strconv.FormatInt(s.appID, 10),
		IssuedAt:  jwt.NewNumericDate(now.Add(-30 * time.Second)),
		ExpiresAt: jwt.NewNumericDate(now.Add(2 * time.Minute)),
	}
	_, err := jwt.NewWithClaims(jwt.SigningMethodRS256, claims).SignedString(s.key)
	return err
}

// Wait blocks until every accepted event has been handled. Tests and the
// demo use it; a deployment never needs to.
func (s *Server) Wait() { s.queue.Wait() }

// Drain begins a graceful stop: /readyz answers 503, so that the load
// balancer stops sending deliveries, and the reconciler stops. Deliveries
// that still arrive are taken as before.
func (s *Server) Drain() {
	s.drainOnce.Do(func() {
		s.stopping.Store(true)
		close(s.draining)
	})
}

// Shutdown drains, stops accepting events (they are answered 503: failed
// deliveries that a running replica's reconciler redelivers) and waits
// until the accepted ones are handled or ctx ends. At the deadline it
// cancels the evaluations left and returns an error saying how many were
// handed back to the reconciler. Call it after the public listener's
// http.Server.Shutdown has returned, so that no delivery is cut off while
// it is being queued.
func (s *Server) Shutdown(ctx context.Context) error {
	s.Drain()
	return s.queue.Close(ctx)
}

// withLogger puts the base logger into each request's context, where the
// webhook gate adds the event type and delivery id.
func withLogger(log zerolog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(log.WithContext(r.Context())))
	})
}
