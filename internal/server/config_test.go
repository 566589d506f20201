package server

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// testKey is one RSA key for the whole test binary: generating one takes a
// noticeable fraction of a second.
var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

func pkcs1PEM() string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(testKey())}))
}

func pkcs8PEM(t *testing.T, key any) string {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

var configEnv = []string{"GITHUB_WEB_URL", "GITHUB_V3_API_URL", "GITHUB_V4_API_URL", "GITHUB_APP_INTEGRATION_ID",
	"GITHUB_APP_WEBHOOK_SECRET", "GITHUB_APP_PRIVATE_KEY", "GITHUB_OAUTH_CLIENT_ID", "GITHUB_OAUTH_CLIENT_SECRET", envSignoffKey, envRecordsKey, envStoreURL,
	envOAuthClientSecret, envSessionKey}

// testSessionKey is base64 of 32 bytes.
const testSessionKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="

// clearEnv unsets the variables LoadConfig reads, for this test only.
func clearEnv(t *testing.T) {
	for _, k := range configEnv {
		t.Setenv(k, "") // restores the old value after the test
		os.Unsetenv(k)
	}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadConfigFromFile(t *testing.T) {
	clearEnv(t)
	keyFile := writeFile(t, "app.pem", pkcs1PEM())
	path := writeFile(t, "config.yml", `
server:
  address: 127.0.0.1:9000
  public_url: https://launchgate.example.com
  workers: 2
github:
  app:
    integration_id: 12345
    webhook_secret: s3cret-value
    private_key_file: `+keyFile+`
log:
  level: debug
signoff:
  key: `+testSignoffKey+`
records:
  key_file: `+writeFile(t, "records.pem", testRecordsKey)+`
`)
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Server: ServerConfig{Address: "127.0.0.1:9000", InternalAddress: ":9090", PublicURL: "https://launchgate.example.com", MaxBodyBytes: DefaultMaxBodyBytes, Workers: 2,
			QueueSize: 1000, QueueMaxBytes: 64 << 20, ShutdownDelay: 5 * time.Second, ShutdownTimeout: 25 * time.Second,
			ReconcileInterval: 10 * time.Minute, ReconcileMaxPRs: 1000},
		GitHub: GitHubConfig{WebURL: "https://github.com", V3APIURL: "https://api.github.com/", V4APIURL: "https://api.github.com/graphql",
			App: AppConfig{IntegrationID: 12345, WebhookSecret: "s3cret-value", PrivateKey: pkcs1PEM()}, MaxRetryTime: 90 * time.Second, RateLimitReserve: 500,
			MembershipTTL: DefaultMembershipTTL},
		Log:     LogConfig{Level: "debug"},
		Signoff: SignoffConfig{Key: testSignoffKey},
		Records: RecordsConfig{Key: testRecordsKey},
		Store:   StoreConfig{URL: "sqlite:launchgate.db"},
		Web:     WebConfig{AccessTTL: time.Minute},
	}
	if *cfg != want {
		t.Errorf("config =\n%+v\nwant\n%+v", *cfg, want)
	}
}

func TestLoadConfigEnvironmentWins(t *testing.T) {
	clearEnv(t)
	path := writeFile(t, "config.yml", `
github:
  web_url: https://ghes.example.com
  app:
    integration_id: 1
    webhook_secret: from-file
    private_key_file: /nonexistent/key.pem
`)
	t.Setenv("GITHUB_APP_INTEGRATION_ID", "777")
	t.Setenv("GITHUB_APP_WEBHOOK_SECRET", "from-env")
	t.Setenv("GITHUB_APP_PRIVATE_KEY", pkcs8PEM(t, testKey()))
	t.Setenv(envSignoffKey, testSignoffKey)
	t.Setenv(envRecordsKey, testRecordsKey)
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	app := cfg.GitHub.App
	if app.IntegrationID != 777 || app.WebhookSecret != "from-env" || !strings.Contains(app.PrivateKey, "BEGIN PRIVATE KEY") {
		t.Errorf("environment did not win: %+v", app)
	}
	// GitHub Enterprise Server URLs follow from web_url.
	if cfg.GitHub.V3APIURL != "https://ghes.example.com/api/v3/" || cfg.GitHub.V4APIURL != "https://ghes.example.com/api/graphql" {
		t.Errorf("GHES URLs = %q, %q", cfg.GitHub.V3APIURL, cfg.GitHub.V4APIURL)
	}
}

func TestLoadConfigWithoutFile(t *testing.T) {
	clearEnv(t)
	t.Setenv("GITHUB_APP_INTEGRATION_ID", "5")
	t.Setenv("GITHUB_APP_WEBHOOK_SECRET", "x")
	t.Setenv("GITHUB_APP_PRIVATE_KEY", pkcs1PEM())
	t.Setenv("GITHUB_V3_API_URL", "http://127.0.0.1:1234/api/v3")
	t.Setenv(envSignoffKey, testSignoffKey)
	t.Setenv(envRecordsKey, testRecordsKey)
	cfg, err := LoadConfig("")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.GitHub.V3APIURL != "http://127.0.0.1:1234/api/v3/" {
		t.Errorf("v3 URL %q lacks the trailing slash go-github needs", cfg.GitHub.V3APIURL)
	}
}

// TestLoadConfigAccepts covers what README documents and yaml.v3 alone
// would refuse or get wrong: 0 for a duration, and an exported empty
// variable, which overrides nothing.
func TestLoadConfigAccepts(t *testing.T) {
	keyFile := writeFile(t, "app.pem", pkcs1PEM())
	base := "signoff:\n  key: " + testSignoffKey + "\nrecords:\n  key_file: " + writeFile(t, "records.pem", testRecordsKey) + "\ngithub:\n  app:\n    integration_id: 7\n    webhook_secret: from-file\n    private_key_file: " + keyFile + "\n"
	tests := []struct {
		name  string
		yaml  string
		env   map[string]string
		check func(c *Config) bool
	}{
		{name: "reconcile_interval: 0 turns the reconciler off", yaml: base + "server:\n  reconcile_interval: 0\n",
			check: func(c *Config) bool { return c.Server.ReconcileInterval == 0 }},
		{name: "shutdown_delay: 0 stops at once", yaml: base + "server:\n  shutdown_delay: 0\n  shutdown_timeout: 10s\n",
			check: func(c *Config) bool { return c.Server.ShutdownDelay == 0 && c.Server.ShutdownTimeout == 10*time.Second }},
		{name: "membership_ttl: 0.0 is zero too", yaml: base + "  membership_ttl: 0.0\n",
			check: func(c *Config) bool { return c.GitHub.MembershipTTL == 0 }},
		{name: "pages on, secrets from the environment, access_ttl defaulted",
			yaml: base + "server:\n  public_url: https://gate.example.com\nweb:\n  client_id: Iv1.abc\n  client_secret: from-file\n",
			env:  map[string]string{envOAuthClientSecret: "from-env", envSessionKey: testSessionKey},
			check: func(c *Config) bool {
				key, err := c.Web.SessionKeyBytes()
				return c.Web.Enabled() && c.Web.ClientSecret == "from-env" && err == nil && len(key) == 32 && c.Web.AccessTTL == time.Minute
			}},
		{name: "pages on http://localhost", yaml: base + "server:\n  public_url: http://localhost:8080\nweb:\n  client_id: Iv1.abc\n  client_secret: s\n  session_key: " + testSessionKey + "\n  access_ttl: 30s\n",
			check: func(c *Config) bool { return c.Web.Enabled() && c.Web.AccessTTL == 30*time.Second }},
		{name: "the internal listener on a port of its own", yaml: base + "server:\n  address: 127.0.0.1:8000\n  internal_address: 10.0.0.1:8001\n",
			check: func(c *Config) bool {
				return c.Server.Address == "127.0.0.1:8000" && c.Server.InternalAddress == "10.0.0.1:8001"
			}},
		{name: "both listeners on ports the system chooses", yaml: base + "server:\n  address: 127.0.0.1:0\n  internal_address: 127.0.0.1:0\n",
			check: func(c *Config) bool { return c.Server.InternalAddress == "127.0.0.1:0" }},
		{name: "pages off by default", yaml: base, check: func(c *Config) bool { return !c.Web.Enabled() }},
		{name: "an empty variable does not override the file", yaml: base,
			env: map[string]string{"GITHUB_APP_WEBHOOK_SECRET": "", "GITHUB_APP_INTEGRATION_ID": "", "GITHUB_V3_API_URL": ""},
			check: func(c *Config) bool {
				return c.GitHub.App.WebhookSecret == "from-file" && c.GitHub.App.IntegrationID == 7 && c.GitHub.V3APIURL == "https://api.github.com/"
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			cfg, err := LoadConfig(writeFile(t, "config.yml", tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(cfg) {
				t.Errorf("config = %+v", *cfg)
			}
		})
	}
}

func TestLoadConfigErrors(t *testing.T) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	const secret = "very-secret-webhook-value"
	valid := func(extra string) string {
		return "github:\n  app:\n    integration_id: 9\n    webhook_secret: " + secret + "\n" + extra
	}
	tests := []struct {
		name   string
		yaml   string
		env    map[string]string
		want   []string
		never  string // a problem that must not be reported
		keyPEM string // written to a file named by private_key_file
	}{
		{name: "a value of the wrong type is not also missing", yaml: "github:\n  app:\n    integration_id: abc\n    webhook_secret: [a]\n",
			want:  []string{`config.yml:3: github.app.integration_id must be a whole number, not "abc"`, "config.yml:4: github.app.webhook_secret must be a single value (text), not a list"},
			never: "is missing: set it, or GITHUB_APP_"},
		{name: "unknown key", yaml: "server:\n  adress: :8080\n", want: []string{`config.yml:2: unknown key "adress" in server (expected one of: address, internal_address, max_body_bytes,`}},
		{name: "unknown nested key", yaml: "github:\n  app:\n    secret: x\n", want: []string{`config.yml:3: unknown key "secret" in github.app (expected one of: integration_id, private_key, private_key_file, webhook_secret)`}},
		{name: "wrong type", yaml: "server:\n  workers: many\n", want: []string{`config.yml:2: server.workers must be a whole number, not "many"`}},
		{name: "bare number as a duration", yaml: "server:\n  reconcile_interval: 30\n", want: []string{"config.yml:2: server.reconcile_interval is 30, a number without a unit: write a duration such as 30s"}},
		{name: "bare number as a nested duration", yaml: "github:\n  membership_ttl: 1.5\n", want: []string{"config.yml:2: github.membership_ttl is 1.5, a number without a unit"}},
		{name: "every problem at once", yaml: "server:\n  adress: x\n  workers: many\n  shutdown_delay: 5\ngithub:\n  membership_ttl: 2h\n",
			want: []string{`config.yml:2: unknown key "adress"`, `config.yml:3: server.workers must be`, "config.yml:4: server.shutdown_delay is 5", "github.membership_ttl is 2h0m0s", "integration_id is missing"}},
		{name: "syntax error, on the line yaml.v3 says is the one above", yaml: "server:\n  address: :8080\n  workers: 4\nlog:\n  level: info\n  fields: [a, b\n",
			want: []string{"config.yml:6: did not find expected ',' or ']'"}, never: "is missing"},
		{name: "nothing set", yaml: "", want: []string{"integration_id is missing", "webhook_secret is missing", "private_key is missing", "signoff.key is missing"}},
		{name: "not PEM", yaml: valid(""), env: map[string]string{"GITHUB_APP_PRIVATE_KEY": "hello"}, want: []string{"GITHUB_APP_PRIVATE_KEY: not PEM"}},
		{name: "bad URL from the environment names the variable", yaml: valid(""), keyPEM: pkcs1PEM(), env: map[string]string{"GITHUB_V4_API_URL": "api.github.com/graphql"},
			want: []string{`GITHUB_V4_API_URL: "api.github.com/graphql" must be an absolute http(s) URL`}},
		{name: "bad sign-off key from the environment names the variable", yaml: valid(""), keyPEM: pkcs1PEM(), env: map[string]string{envSignoffKey: "short"},
			want: []string{envSignoffKey + ": "}},
		{name: "a store URL of no known database, its password withheld", yaml: valid(""), keyPEM: pkcs1PEM(), env: map[string]string{envStoreURL: "mysql://lg:hunter2@db/lg"},
			want: []string{`store.url: store: unsupported store url "mysql://lg:xxxxx@db/lg"`}, never: "hunter2"},
		{name: "escaped newlines", yaml: valid(""), env: map[string]string{"GITHUB_APP_PRIVATE_KEY": strings.ReplaceAll(pkcs1PEM(), "\n", `\n`)},
			want: []string{`literal \n`}},
		{name: "corrupt PKCS#1", yaml: valid(""), keyPEM: string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: []byte("garbage")})),
			want: []string{"github.app.private_key_file ", "k.pem: the RSA PRIVATE KEY block does not parse as PKCS#1"}},
		{name: "EC key", yaml: valid(""), keyPEM: pkcs8PEM(t, ec), want: []string{"holds an ECDSA key; launchgate needs an RSA key, as GitHub issues them"}},
		{name: "Ed25519 key", yaml: valid(""), keyPEM: pkcs8PEM(t, edKey), want: []string{"holds an Ed25519 key; launchgate needs an RSA key, as GitHub issues them"}},
		{name: "certificate, not a key", yaml: valid(""), keyPEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1}})),
			want: []string{`"CERTIFICATE" is not a private key`}},
		{name: "missing key file", yaml: valid("    private_key_file: /nonexistent/app.pem\n"), want: []string{"private_key_file", "no such file"}},
		{name: "both key and file", yaml: valid("    private_key: x\n    private_key_file: /k.pem\n"), want: []string{"both set"}},
		{name: "bad URL", yaml: valid("  v3_api_url: api.github.com\n"), keyPEM: pkcs1PEM(), want: []string{`github.v3_api_url: "api.github.com/" must be an absolute http(s) URL`}},
		{name: "id not a number", yaml: valid(""), keyPEM: pkcs1PEM(), env: map[string]string{"GITHUB_APP_INTEGRATION_ID": "12a"}, want: []string{`GITHUB_APP_INTEGRATION_ID: "12a" is not a number`}},
		{name: "tiny body cap", yaml: valid("server:\n  max_body_bytes: 100\n"), keyPEM: pkcs1PEM(), want: []string{"max_body_bytes"}},
		{name: "internal listener on the public port", yaml: valid("server:\n  address: :8080\n  internal_address: 127.0.0.1:8080\n"), keyPEM: pkcs1PEM(),
			want: []string{`server.internal_address "127.0.0.1:8080" uses the port of server.address ":8080"`}},
		{name: "internal listener on the default public port", yaml: valid("server:\n  internal_address: :8080\n"), keyPEM: pkcs1PEM(),
			want: []string{`server.internal_address ":8080" uses the port of server.address ":8080"`}},
		{name: "addresses without a port number", yaml: valid("server:\n  address: 8080\n  internal_address: localhost:metrics\n"), keyPEM: pkcs1PEM(),
			want: []string{`server.address "8080" is not host:port`, `server.internal_address "localhost:metrics" is not host:port`}},
		{name: "bad log level", yaml: valid("log:\n  level: loud\n"), keyPEM: pkcs1PEM(), want: []string{`log.level "loud"`}},
		{name: "pages without their secrets or a public URL", yaml: valid("web:\n  client_id: Iv1.abc\n"), keyPEM: pkcs1PEM(),
			want: []string{"web.client_secret is missing", "web.session_key is missing", "server.public_url is missing"}},
		{name: "pages on plain http", yaml: valid("server:\n  public_url: http://gate.example.com\nweb:\n  client_id: Iv1.abc\n  client_secret: s\n  session_key: " + testSessionKey + "\n"),
			keyPEM: pkcs1PEM(), want: []string{`server.public_url: public URL "http://gate.example.com" must be https (http only on a loopback host)`}},
		{name: "short session key from the environment", yaml: valid("server:\n  public_url: https://gate.example.com\nweb:\n  client_id: Iv1.abc\n  client_secret: s\n"),
			keyPEM: pkcs1PEM(), env: map[string]string{envSessionKey: "c2hvcnQga2V5"}, want: []string{envSessionKey + " decodes to 9 bytes; it needs at least 32"}, never: "c2hvcnQga2V5"},
		{name: "session key not base64", yaml: valid("server:\n  public_url: https://gate.example.com\nweb:\n  client_id: Iv1.abc\n  client_secret: s\n  session_key: not*base64\n"),
			keyPEM: pkcs1PEM(), want: []string{"web.session_key is not base64"}, never: "not*base64"},
		{name: "access_ttl out of range", yaml: valid("server:\n  public_url: https://gate.example.com\nweb:\n  client_id: Iv1.abc\n  client_secret: s\n  session_key: " + testSessionKey + "\n  access_ttl: 2h\n"),
			keyPEM: pkcs1PEM(), want: []string{"web.access_ttl is 2h0m0s; it must be between 1s and 1h"}},
		{name: "a client secret without a client id", yaml: valid(""), keyPEM: pkcs1PEM(), env: map[string]string{envOAuthClientSecret: "s"},
			want: []string{"web.client_id is missing, yet the pages' other settings are set"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			y := tt.yaml
			if tt.keyPEM != "" {
				y = strings.Replace(y, "    webhook_secret:", "    private_key_file: "+writeFile(t, "k.pem", tt.keyPEM)+"\n    webhook_secret:", 1)
			}
			_, err := LoadConfig(writeFile(t, "config.yml", y))
			if err == nil {
				t.Fatal("LoadConfig accepted a broken configuration")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if tt.never != "" && strings.Contains(err.Error(), tt.never) {
				t.Errorf("error has %q:\n%v", tt.never, err)
			}
			// Startup errors go to logs: they must never carry secrets.
			for _, leak := range []string{secret, "MII", strings.Split(pkcs1PEM(), "\n")[1]} {
				if strings.Contains(err.Error(), leak) {
					t.Errorf("error leaks a secret (%.10q…):\n%v", leak, err)
				}
			}
		})
	}
}
