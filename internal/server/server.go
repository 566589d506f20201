// Package server is the launchgate GitHub App: it receives webhooks,
// recognises launch pull requests, evaluates their head commit against the
// base branch's policy and publishes the result as the "Production
// readiness" check run.
//
// Routes:
//
//	POST /api/github/hook   webhooks (signed with X-Hub-Signature-256)
//	GET  /healthz           liveness: 200 while the process serves
//	GET  /readyz            readiness: 200 while the server accepts events
//	GET  /metrics           Prometheus metrics
//
// Webhooks are answered as soon as they are checked and queued; a pool of
// workers evaluates them (see queue). Each event handler lives in a file
// named after its event, as palantir/policy-bot does.
package server

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/palantir/go-githubapp/githubapp"
	"github.com/rs/zerolog"

	"github.com/launchgate/launchgate/internal/githubapi"
	"github.com/launchgate/launchgate/internal/signoff"
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
	// Now is the evaluation clock (the recovery drill's age). Default
	// time.Now.
	Now func() time.Time
}

// Server is the App. Create it with New, serve Handler, and call Shutdown
// when the HTTP server has stopped.
type Server struct {
	log      zerolog.Logger
	queue    *queue
	handler  http.Handler
	stopping atomic.Bool
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
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	app := cfg.GitHub.App
	base := githubapp.NewClientCreator(cfg.GitHub.V3APIURL, cfg.GitHub.V4APIURL, app.IntegrationID, []byte(app.PrivateKey),
		githubapp.WithClientUserAgent("launchgate/"+version.String()),
		githubapp.WithClientTimeout(30*time.Second),
	)
	// Installation clients are cached so that every evaluation of an
	// installation reuses its token (ghinstallation renews it) instead of
	// asking GitHub for a new one.
	cc, err := githubapp.NewCachingClientCreator(base, 1000)
	if err != nil {
		return nil, fmt.Errorf("server: client cache: %w", err)
	}
	q := newQueue(cfg.Server.Workers, cfg.Server.QueueSize)
	m := newMetrics(q)
	gh := githubapi.NewClient(cc, githubapi.Options{
		AppID: app.IntegrationID, GraphQLURL: cfg.GitHub.V4APIURL, Logger: opts.Logger, OnRequest: m.githubRequest,
		MembershipTTL: cfg.GitHub.MembershipTTL,
	})
	ev := &evaluator{gh: gh, webURL: cfg.GitHub.WebURL, version: version.String(), now: now, memo: newMemo(10_000), metrics: m,
		human: &humans{gh: gh, key: []byte(cfg.Signoff.Key), now: now}}
	pg := gh
	fo := fanout{ev: ev, gh: gh, maxRepos: maxFanoutRepos, maxPulls: maxFanoutPulls}
	s := &Server{log: opts.Logger, queue: q}
	dispatcher := githubapp.NewEventDispatcher([]githubapp.EventHandler{
		pullRequestHandler{ev: ev},
		checkRunHandler{ev: ev, pulls: pg, appID: app.IntegrationID},
		checkSuiteHandler{ev: ev, pulls: pg, appID: app.IntegrationID},
		pullRequestReviewHandler{ev: ev},
		issueCommentHandler{ev: ev, pulls: pg, app: gh},
		membershipHandler{fanout: fo, members: gh},
		teamHandler{fanout: fo, members: gh},
		pushHandler{fanout: fo},
	}, app.WebhookSecret,
		githubapp.WithScheduler(q),
		githubapp.WithErrorCallback(dispatchError),
		githubapp.WithResponseCallback(dispatchResponse),
	)
	mux := http.NewServeMux()
	mux.Handle("POST "+HookPath, m.countWebhooks(webhookGate{secret: []byte(app.WebhookSecret), max: cfg.Server.MaxBodyBytes, next: dispatcher}))
	mux.HandleFunc("GET /healthz", ok)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("GET /metrics", m.handler())
	s.handler = withLogger(opts.Logger, mux)
	return s, nil
}

// Handler serves the App's routes.
func (s *Server) Handler() http.Handler { return s.handler }

// ok answers liveness probes: the process serves HTTP.
func ok(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ok")
}

// readyz answers readiness probes: 503 once the server is stopping, so
// that the load balancer stops sending deliveries before it exits.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.stopping.Load() {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	ok(w, r)
}

// Wait blocks until every accepted event has been handled. Tests and the
// demo use it; a deployment never needs to.
func (s *Server) Wait() { s.queue.Wait() }

// Shutdown stops accepting events and waits until the accepted ones are
// handled or ctx ends. Call it after http.Server.Shutdown has returned, so
// that no delivery is cut off while it is being queued.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stopping.Store(true)
	return s.queue.Close(ctx)
}

// withLogger puts the base logger into each request's context, where
// go-githubapp's dispatcher adds the event type and delivery id.
func withLogger(log zerolog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(log.WithContext(r.Context())))
	})
}
