package server

import (
	"crypto/ed25519"
	"fmt"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/launchgate/launchgate/internal/launchrecord"
	"github.com/launchgate/launchgate/internal/store"
	"github.com/launchgate/launchgate/internal/web"
)

// FromConfig is the App as its configuration describes it: with the store
// and, with a web: section, the pages. serve, demo --web and the
// deployment's tests build it alike; it returns the options it was built
// with.
func FromConfig(cfg *Config, st *store.Store, log zerolog.Logger) (*Server, Options, error) {
	opts := Options{Config: cfg, Logger: log, Store: st}
	if err := opts.servePages(); err != nil {
		return nil, opts, err
	}
	app, err := New(opts)
	return app, opts, err
}

// servePages gives o the pages its configuration's web: section
// describes, if it has one. They count in o.Registry, made here when
// unset, so that one GET /metrics serves the pages' metrics and the App's.
func (o *Options) servePages() error {
	cfg := o.Config
	if !cfg.Web.Enabled() {
		return nil
	}
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
	}
	pages, err := newPages(cfg, o.Store, o.Logger, o.Registry)
	if err != nil {
		return err
	}
	o.Pages, o.PagesURL = pages, strings.TrimSuffix(cfg.Server.PublicURL, "/")
	return nil
}

// newPages builds the pages (the web: section), signing people in with the
// App's OAuth credentials and finding the App's installations with its
// own client.
func newPages(cfg *Config, st *store.Store, log zerolog.Logger, reg prometheus.Registerer) (http.Handler, error) {
	key, err := cfg.Web.SessionKeyBytes()
	if err != nil {
		return nil, fmt.Errorf("web.session_key %w", err) // LoadConfig checked it
	}
	recordKey, err := launchrecord.ParsePrivateKey([]byte(cfg.Records.Key))
	if err != nil {
		return nil, fmt.Errorf("records.key: %w", err) // LoadConfig checked it
	}
	gh, err := NewGitHubClient(cfg, log)
	if err != nil {
		return nil, err
	}
	return web.New(web.Options{
		PublicURL: cfg.Server.PublicURL, GitHubWebURL: cfg.GitHub.WebURL, GitHubAPIURL: cfg.GitHub.V3APIURL,
		ClientID: cfg.Web.ClientID, ClientSecret: cfg.Web.ClientSecret, SessionKey: key, AccessTTL: cfg.Web.AccessTTL,
		App: gh, CheckName: CheckName, RecordKey: recordKey.Public().(ed25519.PublicKey), Store: st, Metrics: reg, Logger: log,
	})
}
