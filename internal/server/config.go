package server

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/palantir/go-githubapp/githubapp"
	"github.com/rs/zerolog"
	"gopkg.in/yaml.v3"

	"github.com/launchgate/launchgate/internal/store"
	"github.com/launchgate/launchgate/internal/web"
	"github.com/launchgate/launchgate/internal/yamlstrict"
)

// Config is the configuration of `launchgate serve`. Secrets may come from
// the environment (go-githubapp's variable names) so that they need not be
// written into the file.
type Config struct {
	Server ServerConfig `yaml:"server"`
	GitHub GitHubConfig `yaml:"github"`
	Log    LogConfig    `yaml:"log"`
	// Signoff configures the reviewer checklist (signoff.go).
	Signoff SignoffConfig `yaml:"signoff"`
	// Records configures launch records (records.go).
	Records RecordsConfig `yaml:"records"`
	// Store configures where launchgate keeps its state (internal/store).
	Store StoreConfig `yaml:"store"`
	// Web configures the pages and their GitHub sign-in (internal/web).
	Web WebConfig `yaml:"web"`
}

// The pages' secrets may come from the environment; they win over the file.
const (
	envOAuthClientSecret = "LAUNCHGATE_OAUTH_CLIENT_SECRET"
	envSessionKey        = "LAUNCHGATE_SESSION_KEY"
)

// WebConfig turns on the pages (a launch PR's details, the organisation
// board, launch records) behind sign-in with GitHub, with the App's own
// OAuth credentials.
type WebConfig struct {
	// ClientID is the App's OAuth client id ("Iv1.…" on its settings
	// page); the pages are on when it is set.
	ClientID string `yaml:"client_id"`
	// ClientSecret is one of the App's client secrets.
	ClientSecret string `yaml:"client_secret"`
	// SessionKey is base64 of at least 32 random bytes; it seals the
	// session cookies, so changing it signs everybody out.
	SessionKey string `yaml:"session_key"`
	// AccessTTL is how long GitHub's answer to "may this user see X" is
	// reused. Default one minute.
	AccessTTL time.Duration `yaml:"access_ttl"`
}

// Enabled says whether the pages are served.
func (w WebConfig) Enabled() bool { return w.ClientID != "" }

// SessionKeyBytes decodes the session key.
func (w WebConfig) SessionKeyBytes() ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(w.SessionKey))
	if err != nil {
		return nil, errors.New("is not base64 (make one with: openssl rand -base64 32)")
	}
	if len(key) < web.MinSessionKeyBytes {
		return nil, fmt.Errorf("decodes to %d bytes; it needs at least %d random bytes (openssl rand -base64 32)", len(key), web.MinSessionKeyBytes)
	}
	return key, nil
}

// envStoreURL holds the store URL, which may carry a password; it wins over
// the file.
const envStoreURL = "LAUNCHGATE_STORE_URL"

// StoreConfig names the store.
type StoreConfig struct {
	// URL is "sqlite:PATH" (the default, store.DefaultURL) or a PostgreSQL
	// URL "postgres://..." that several replicas share. It may carry a
	// password, so it is never logged.
	URL string `yaml:"url"`
}

// ServerConfig is the HTTP side.
type ServerConfig struct {
	// Address is where the public listener listens: webhooks, the records
	// public key and the pages. Default ":8080".
	Address string `yaml:"address"`
	// InternalAddress is where the operational listener listens: /healthz,
	// /readyz and /metrics, for the kubelet and Prometheus. Keeping them
	// off the public listener means no proxy in front of it, however it
	// matches paths, can expose them. Default ":9090"; its port must
	// differ from Address's.
	InternalAddress string `yaml:"internal_address"`
	// PublicURL is the URL GitHub reaches the server at; the webhook URL is
	// PublicURL + /api/github/hook. Optional: it is logged at startup so an
	// operator can check the App's settings against it.
	PublicURL string `yaml:"public_url"`
	// MaxBodyBytes caps a webhook request body. Default DefaultMaxBodyBytes.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// Workers evaluate events concurrently. Default 4.
	Workers int `yaml:"workers"`
	// QueueSize is how many accepted events may wait for a worker; beyond
	// it a delivery is answered 503 (GitHub shows it as failed, and the
	// reconciler redelivers it). Events for a pull request already waiting
	// are merged into it and take no place. Default 1000.
	QueueSize int `yaml:"queue_size"`
	// QueueMaxBytes bounds the payload bytes of the waiting events, as
	// QueueSize bounds their number. Default 64 MiB.
	QueueMaxBytes int64 `yaml:"queue_max_bytes"`
	// ShutdownDelay is how long a stopping server keeps serving with
	// /readyz answering 503, so that the load balancer stops sending it
	// deliveries before the listener closes. LoadConfig's default is 5s;
	// zero (the zero Config) stops at once.
	ShutdownDelay time.Duration `yaml:"shutdown_delay"`
	// ShutdownTimeout is how long, after that, webhook requests in flight
	// and accepted evaluations get to finish. What is left is handed back:
	// it is GitHub state the reconciler of a running replica repairs.
	// Default 25s; with the delay, within Kubernetes' 30s grace period.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// ReconcileInterval is how often the reconciler looks for pull requests
	// whose check run is missing or out of date and for failed webhook
	// deliveries, after a first pass at start-up. LoadConfig's default is
	// 10m; zero disables it (the zero Config: tests and the demo run passes
	// themselves).
	ReconcileInterval time.Duration `yaml:"reconcile_interval"`
	// ReconcileMaxPRs bounds the open pull requests one pass examines; the
	// next pass continues where it stopped. Default 1000.
	ReconcileMaxPRs int `yaml:"reconcile_max_prs"`
}

// GitHubConfig says which GitHub to talk to and as which App.
type GitHubConfig struct {
	// WebURL is the browser URL (links in check runs). Default
	// https://github.com.
	WebURL string `yaml:"web_url"`
	// V3APIURL is the REST root. Default https://api.github.com/, or
	// WebURL + /api/v3/ when WebURL names a GitHub Enterprise Server.
	V3APIURL string `yaml:"v3_api_url"`
	// V4APIURL is the GraphQL endpoint. Default
	// https://api.github.com/graphql, or WebURL + /api/graphql for GHES.
	V4APIURL string    `yaml:"v4_api_url"`
	App      AppConfig `yaml:"app"`
	// MembershipTTL is how long an answer about a team membership is
	// reused; a membership event forgets it at once. LoadConfig's default
	// is DefaultMembershipTTL; zero (the zero Config) reuses no answer.
	MembershipTTL time.Duration `yaml:"membership_ttl"`
	// MaxRetryTime bounds one GitHub request with its retries and its waits
	// for rate limits (githubapi.RetryOptions.MaxTime). Default 90s.
	MaxRetryTime time.Duration `yaml:"max_retry_time"`
	// RateLimitReserve is the number of requests left in an installation's
	// primary rate limit below which its requests are paced to last until
	// the reset (githubapi.RetryOptions.Reserve). Default 500.
	RateLimitReserve int `yaml:"rate_limit_reserve"`
}

// AppConfig identifies the GitHub App.
type AppConfig struct {
	IntegrationID int64  `yaml:"integration_id"`
	WebhookSecret string `yaml:"webhook_secret"`
	// PrivateKey is the App's PEM private key. After LoadConfig it holds
	// the key whichever way it was given.
	PrivateKey string `yaml:"private_key"`
	// PrivateKeyFile is a path to the PEM private key (a mounted secret).
	PrivateKeyFile string `yaml:"private_key_file"`
}

// LogConfig sets logging.
type LogConfig struct {
	// Level is a zerolog level: debug, info, warn, error. Default info.
	Level string `yaml:"level"`
}

// DefaultMaxBodyBytes caps webhook bodies. GitHub sends payloads up to
// 25 MB (https://docs.github.com/en/webhooks/webhook-events-and-payloads),
// but the events launchgate handles are a few tens of kilobytes: the
// largest part is a pull request body of at most 65,536 characters, under
// 400 KB even when every character is JSON-escaped. 5 MiB leaves ample room
// while keeping a flood of large bodies from costing much memory.
const DefaultMaxBodyBytes = 5 << 20

// Defaults LoadConfig sets for settings whose zero means "off".
const (
	defaultShutdownDelay     = 5 * time.Second
	defaultReconcileInterval = 10 * time.Minute
	// DefaultMembershipTTL is also for Configs built in code, which
	// otherwise ask GitHub about every membership every time.
	DefaultMembershipTTL = time.Minute
)

// envOverrides are the environment variables that win over the file:
// go-githubapp's names, and launchgate's own for the sign-off key. key is
// the setting each replaces, for messages.
var envOverrides = []struct {
	env, key string
	set      func(c *Config, v string) error
}{
	{env: "GITHUB_WEB_URL", key: "github.web_url", set: func(c *Config, v string) error { c.GitHub.WebURL = v; return nil }},
	{env: "GITHUB_V3_API_URL", key: "github.v3_api_url", set: func(c *Config, v string) error { c.GitHub.V3APIURL = v; return nil }},
	{env: "GITHUB_V4_API_URL", key: "github.v4_api_url", set: func(c *Config, v string) error { c.GitHub.V4APIURL = v; return nil }},
	{env: "GITHUB_APP_INTEGRATION_ID", key: "github.app.integration_id", set: func(c *Config, v string) error {
		// go-githubapp ignores a value that is not a number; it is refused
		// here so that a typo cannot start the App under no identity.
		id, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not a number", v)
		}
		c.GitHub.App.IntegrationID = id
		return nil
	}},
	{env: "GITHUB_APP_WEBHOOK_SECRET", key: "github.app.webhook_secret", set: func(c *Config, v string) error { c.GitHub.App.WebhookSecret = v; return nil }},
	{env: "GITHUB_APP_PRIVATE_KEY", key: "github.app.private_key", set: func(c *Config, v string) error {
		c.GitHub.App.PrivateKey, c.GitHub.App.PrivateKeyFile = v, ""
		return nil
	}},
	{env: envSignoffKey, key: "signoff.key", set: func(c *Config, v string) error {
		c.Signoff.Key, c.Signoff.KeyFile = v, ""
		return nil
	}},
	{env: envRecordsKey, key: "records.key", set: func(c *Config, v string) error {
		c.Records.Key, c.Records.KeyFile = v, ""
		return nil
	}},
	{env: envStoreURL, key: "store.url", set: func(c *Config, v string) error {
		c.Store.URL = v
		return nil
	}},
	{env: envOAuthClientSecret, key: "web.client_secret", set: func(c *Config, v string) error {
		c.Web.ClientSecret = v
		return nil
	}},
	{env: envSessionKey, key: "web.session_key", set: func(c *Config, v string) error {
		c.Web.SessionKey = v
		return nil
	}},
}

// LoadConfig reads the configuration file at path (none when path is
// empty), applies the environment variables of envOverrides, which win
// over the file, fills in defaults and validates everything, the private
// key included. Every problem found is reported, one per line, naming the
// key and line, or the environment variable, it comes from.
func LoadConfig(path string) (*Config, error) {
	// Where zero means "off", the default is set before decoding, so that
	// the file can still say 0.
	cfg := &Config{
		Server: ServerConfig{ShutdownDelay: defaultShutdownDelay, ReconcileInterval: defaultReconcileInterval},
		GitHub: GitHubConfig{MembershipTTL: DefaultMembershipTTL},
	}
	var problems []string
	from := origins{env: map[string]string{}, invalid: map[string]bool{}}
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("reading config: %w", err)
		}
		decoded, fileProblems := decodeStrict(data, cfg)
		for _, p := range fileProblems {
			where := path
			if p.Line > 0 {
				where = fmt.Sprintf("%s:%d", path, p.Line)
			}
			problems = append(problems, where+": "+p.Msg)
			from.invalid[p.Path] = true
		}
		if !decoded {
			// Nothing was read, so every other setting would be reported
			// missing: only the syntax error is true.
			return nil, problemsError(problems)
		}
	}
	// An empty variable overrides nothing: a secret exported empty by a
	// deployment template must not wipe the file's value unseen.
	for _, o := range envOverrides {
		v := os.Getenv(o.env)
		if v == "" {
			continue
		}
		from.env[o.key] = o.env
		delete(from.invalid, o.key)
		if err := o.set(cfg, v); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", o.env, err))
			from.invalid[o.key] = true
		}
	}
	cfg.setDefaults()
	if err := problemsError(append(problems, cfg.validate(from)...)); err != nil {
		return nil, err
	}
	return cfg, nil
}

// Validate fills in defaults, reads the private key file into PrivateKey
// and checks everything, for a Config built in code (the demo builds one).
func (c *Config) Validate() error {
	c.setDefaults()
	return problemsError(c.validate(origins{}))
}

// origins says where settings came from, for validate's messages.
type origins struct {
	env     map[string]string // key → the environment variable that set it
	invalid map[string]bool   // keys already reported as not decodable
}

// name is what a message calls a setting: its key, or the environment
// variable that set it.
func (o origins) name(key string) string {
	if env, ok := o.env[key]; ok {
		return env
	}
	return key
}

// reported says whether a problem with one of keys was already reported,
// so that its value's absence is not reported again.
func (o origins) reported(keys ...string) bool {
	for _, k := range keys {
		if o.invalid[k] {
			return true
		}
	}
	return false
}

func problemsError(problems []string) error {
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("invalid configuration:\n  %s", strings.Join(problems, "\n  "))
}

// decodeStrict decodes the configuration file into cfg and returns every
// problem in it, each with its line. decoded is false when the file is not
// YAML at all.
func decodeStrict(data []byte, cfg *Config) (decoded bool, problems []yamlstrict.Problem) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return false, []yamlstrict.Problem{yamlstrict.SyntaxProblem(err, data)}
	}
	if len(root.Content) == 0 {
		return true, nil // an empty file: every setting from the environment
	}
	return true, yamlstrict.Decode(&root, cfg)
}

func (c *Config) githubapp() githubapp.Config {
	var gh githubapp.Config
	gh.WebURL, gh.V3APIURL, gh.V4APIURL = c.GitHub.WebURL, c.GitHub.V3APIURL, c.GitHub.V4APIURL
	gh.App.IntegrationID = c.GitHub.App.IntegrationID
	gh.App.WebhookSecret = c.GitHub.App.WebhookSecret
	gh.App.PrivateKey = c.GitHub.App.PrivateKey
	return gh
}

// GitHubApp is the configuration in go-githubapp's form, for its client
// creator.
func (c *Config) GitHubApp() githubapp.Config { return c.githubapp() }

func (c *Config) setDefaults() {
	if c.Store.URL == "" {
		c.Store.URL = store.DefaultURL
	}
	s := &c.Server
	if s.Address == "" {
		s.Address = ":8080"
	}
	if s.InternalAddress == "" {
		s.InternalAddress = ":9090"
	}
	if s.MaxBodyBytes == 0 {
		s.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if s.Workers == 0 {
		s.Workers = 4
	}
	if s.QueueSize == 0 {
		s.QueueSize = 1000
	}
	if s.QueueMaxBytes == 0 {
		s.QueueMaxBytes = 64 << 20
	}
	if s.ShutdownTimeout == 0 {
		s.ShutdownTimeout = 25 * time.Second
	}
	if s.ReconcileMaxPRs == 0 {
		s.ReconcileMaxPRs = 1000
	}
	if c.GitHub.MaxRetryTime == 0 {
		c.GitHub.MaxRetryTime = 90 * time.Second
	}
	if c.GitHub.RateLimitReserve == 0 {
		c.GitHub.RateLimitReserve = 500
	}
	g := &c.GitHub
	if g.WebURL == "" {
		g.WebURL = "https://github.com"
	}
	g.WebURL = strings.TrimSuffix(g.WebURL, "/")
	dotcom := g.WebURL == "https://github.com"
	if g.V3APIURL == "" {
		g.V3APIURL = "https://api.github.com/"
		if !dotcom {
			// GitHub Enterprise Server serves REST under /api/v3/ and
			// GraphQL at /api/graphql
			// (https://docs.github.com/en/enterprise-server@latest/graphql/guides/forming-calls-with-graphql).
			g.V3APIURL = g.WebURL + "/api/v3/"
		}
	}
	if !strings.HasSuffix(g.V3APIURL, "/") {
		g.V3APIURL += "/"
	}
	if g.V4APIURL == "" {
		g.V4APIURL = "https://api.github.com/graphql"
		if !dotcom {
			g.V4APIURL = g.WebURL + "/api/graphql"
		}
	}
	if c.Log.Level == "" {
		c.Log.Level = "info"
	}
	if c.Web.AccessTTL == 0 {
		c.Web.AccessTTL = time.Minute
	}
}

// checkAddresses returns the problems with the two listeners' addresses:
// each must be host:port with a numeric port, and the ports must differ
// (port 0, which the system chooses, excepted), or the operational routes
// would share a port with the public ones, or the second listener would
// fail to start.
func checkAddresses(public, internal string) []string {
	var problems []string
	port := func(key, addr string) (string, bool) {
		_, p, err := net.SplitHostPort(addr)
		if err == nil {
			_, err = strconv.ParseUint(p, 10, 16)
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s %q is not host:port with a port number (such as \":8080\")", key, addr))
			return "", false
		}
		return p, true
	}
	pp, okPublic := port("server.address", public)
	ip, okInternal := port("server.internal_address", internal)
	if okPublic && okInternal && pp == ip && pp != "0" {
		problems = append(problems, fmt.Sprintf("server.internal_address %q uses the port of server.address %q; the operational routes need a port of their own", internal, public))
	}
	return problems
}

// validate returns every problem with the configuration. It reads the
// private key file and parses the key, so that a broken key stops the
// server at startup rather than at its first webhook. from says where
// values came from and which were reported as undecodable already.
func (c *Config) validate(from origins) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	s, g, app := c.Server, c.GitHub, &c.GitHub.App
	problems = append(problems, checkAddresses(s.Address, s.InternalAddress)...)
	if s.MaxBodyBytes < 64<<10 {
		add("server.max_body_bytes is %d; it must be at least 65536 (64 KiB) for real webhook payloads", s.MaxBodyBytes)
	}
	if s.Workers < 1 || s.Workers > 256 {
		add("server.workers is %d; it must be between 1 and 256", s.Workers)
	}
	if s.QueueSize < 1 {
		add("server.queue_size is %d; it must be at least 1", s.QueueSize)
	}
	if s.QueueMaxBytes < s.MaxBodyBytes {
		add("server.queue_max_bytes is %d; it must be at least server.max_body_bytes (%d), or the largest delivery could never be queued", s.QueueMaxBytes, s.MaxBodyBytes)
	}
	if s.ShutdownDelay < 0 || s.ShutdownTimeout < 0 {
		add("server.shutdown_delay (%s) and server.shutdown_timeout (%s) cannot be negative", s.ShutdownDelay, s.ShutdownTimeout)
	}
	if s.ReconcileInterval != 0 && s.ReconcileInterval < time.Second {
		add("server.reconcile_interval is %s; it must be 0 (off) or at least 1s", s.ReconcileInterval)
	}
	if s.ReconcileMaxPRs < 1 {
		add("server.reconcile_max_prs is %d; it must be at least 1", s.ReconcileMaxPRs)
	}
	if g.MaxRetryTime < time.Second || g.MaxRetryTime > 10*time.Minute {
		add("github.max_retry_time is %s; it must be between 1s and 10m", g.MaxRetryTime)
	}
	if g.RateLimitReserve < 1 {
		add("github.rate_limit_reserve is %d; it must be at least 1", g.RateLimitReserve)
	}
	if s.PublicURL != "" {
		if err := checkURL(s.PublicURL); err != nil {
			add("server.public_url: %v", err)
		}
	}
	for _, u := range []struct{ key, val string }{
		{"github.web_url", g.WebURL},
		{"github.v3_api_url", g.V3APIURL},
		{"github.v4_api_url", g.V4APIURL},
	} {
		if err := checkURL(u.val); err != nil {
			add("%s: %v", from.name(u.key), err)
		}
	}
	if app.IntegrationID <= 0 && !from.reported("github.app.integration_id") {
		add("github.app.integration_id is missing: set it, or GITHUB_APP_INTEGRATION_ID, to the App ID shown on the App's settings page")
	}
	if app.WebhookSecret == "" && !from.reported("github.app.webhook_secret") {
		add("github.app.webhook_secret is missing: set it, or GITHUB_APP_WEBHOOK_SECRET; launchgate refuses unsigned webhooks")
	}
	if p := app.resolveKey(from.name("github.app.private_key")); p != "" && !from.reported("github.app.private_key", "github.app.private_key_file") {
		add("%s", p)
	}
	if p := c.Signoff.resolveKey(from.name("signoff.key")); p != "" && !from.reported("signoff.key", "signoff.key_file") {
		add("%s", p)
	}
	if p := c.Records.resolveKey(from.name("records.key")); p != "" && !from.reported("records.key", "records.key_file") {
		add("%s", p)
	}
	if err := store.CheckURL(c.Store.URL); err != nil {
		add("store.url: %v", err)
	}
	if c.GitHub.MembershipTTL < 0 || c.GitHub.MembershipTTL > time.Hour {
		add("github.membership_ttl is %s; it must be between 0 (no reuse) and 1h", c.GitHub.MembershipTTL)
	}
	if _, err := zerolog.ParseLevel(c.Log.Level); err != nil || c.Log.Level == "" {
		add("log.level %q is not one of trace, debug, info, warn, error", c.Log.Level)
	}
	return append(problems, c.validateWeb(from)...)
}

// validateWeb checks the pages' settings when they are on, and that none
// is set when they are off, which would otherwise pass unnoticed.
func (c *Config) validateWeb(from origins) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	w := c.Web
	if !w.Enabled() {
		if (w.ClientSecret != "" || w.SessionKey != "") && !from.reported("web.client_id") {
			add("web.client_id is missing, yet the pages' other settings are set: set it to the App's client id to serve the pages, or remove them")
		}
		return problems
	}
	if w.ClientSecret == "" && !from.reported("web.client_secret") {
		add("web.client_secret is missing: set it, or %s, to a client secret generated on the App's settings page", envOAuthClientSecret)
	}
	switch {
	case from.reported("web.session_key"):
	case w.SessionKey == "":
		add("web.session_key is missing: set it, or %s, to base64 of 32 random bytes (openssl rand -base64 32)", envSessionKey)
	default:
		if _, err := w.SessionKeyBytes(); err != nil {
			add("%s %v", from.name("web.session_key"), err)
		}
	}
	if c.Server.PublicURL == "" {
		add("server.public_url is missing: the pages need it for GitHub's sign-in callback ({public_url}/login/callback)")
	} else if _, err := web.CheckPublicURL(c.Server.PublicURL); err != nil {
		add("server.public_url: %v", strings.TrimPrefix(err.Error(), "web: "))
	}
	if c.Store.URL == "" {
		add("store.url is missing: the pages show what the store holds")
	}
	if w.AccessTTL < time.Second || w.AccessTTL > time.Hour {
		add("web.access_ttl is %s; it must be between 1s and 1h", w.AccessTTL)
	}
	return problems
}

// resolveKey reads the key file into PrivateKey and parses the key. It
// returns a problem, or "". keySource names where PrivateKey came from.
func (a *AppConfig) resolveKey(keySource string) string {
	switch {
	case a.PrivateKey != "" && a.PrivateKeyFile != "":
		return "github.app.private_key and github.app.private_key_file are both set: use one"
	case a.PrivateKeyFile != "":
		data, err := os.ReadFile(a.PrivateKeyFile)
		if err != nil {
			return fmt.Sprintf("github.app.private_key_file: %v", err)
		}
		keySource = "github.app.private_key_file " + a.PrivateKeyFile
		a.PrivateKey, a.PrivateKeyFile = string(data), ""
	case a.PrivateKey == "":
		return "github.app.private_key is missing: set private_key_file to the App's .pem file, or GITHUB_APP_PRIVATE_KEY to its contents"
	}
	if _, err := ParsePrivateKey([]byte(a.PrivateKey)); err != nil {
		return fmt.Sprintf("%s: %v", keySource, err)
	}
	return ""
}

// keyKind names a parsed key's algorithm for people, not Go.
func keyKind(k any) string {
	switch k.(type) {
	case *ecdsa.PrivateKey:
		return "an ECDSA key"
	case ed25519.PrivateKey:
		return "an Ed25519 key"
	case *ecdh.PrivateKey:
		return "an X25519 key"
	}
	return "a key of another kind"
}

func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%q is not a URL: %v", raw, err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%q must be an absolute http(s) URL", raw)
	}
	return nil
}

// ParsePrivateKey parses a GitHub App private key: PEM, PKCS#1 ("RSA
// PRIVATE KEY", what GitHub generates) or PKCS#8 ("PRIVATE KEY") holding an
// RSA key, as ghinstallation requires for RS256 JWTs. Errors never include
// the key's bytes.
func ParsePrivateKey(data []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		if bytes.Contains(data, []byte(`\n`)) {
			return nil, errors.New("not PEM: it contains literal \\n sequences; pass the file's real line breaks (or use private_key_file)")
		}
		return nil, errors.New("not PEM: expected a block starting with -----BEGIN RSA PRIVATE KEY-----")
	}
	switch block.Type {
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, errors.New("the RSA PRIVATE KEY block does not parse as PKCS#1")
		}
		return k, nil
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, errors.New("the PRIVATE KEY block does not parse as PKCS#8")
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("the PRIVATE KEY block holds %s; launchgate needs an RSA key, as GitHub issues them", keyKind(k))
		}
		return rk, nil
	default:
		return nil, fmt.Errorf("PEM block %q is not a private key (want RSA PRIVATE KEY or PRIVATE KEY)", block.Type)
	}
}
