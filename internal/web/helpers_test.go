package web

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/palantir/go-githubapp/githubapp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/launchgate/launchgate/internal/githubapi"
	"github.com/launchgate/launchgate/internal/githubsim"
	"github.com/launchgate/launchgate/internal/store"
)

const (
	testAppID        = 7
	testClientID     = "Iv1.webtest"
	testClientSecret = "web-client-s3cret"
	// testSessionKey seals the tests' session and sign-in cookies.
	testSessionKey = "0123456789abcdef0123456789abcdef"
)

var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// testRecordKey signs the launch records the record page verifies.
var testRecordKey = sync.OnceValue(func() ed25519.PrivateKey {
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
})

// recordingPages stands for the pages: each answers with what it was
// asked to show and to whom, so that the tests see what reached them.
type recordingPages struct{}

func (recordingPages) board(w http.ResponseWriter, _ *http.Request, v *viewer, org string) {
	fmt.Fprintf(w, "board %s for %s", org, v.Login)
}

func (recordingPages) boardJSON(w http.ResponseWriter, _ *http.Request, v *viewer, org string) {
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"org":%q,"viewer":%q}`, org, v.Login)
}

func (recordingPages) pull(w http.ResponseWriter, _ *http.Request, v *viewer, owner, repo string, number int) {
	fmt.Fprintf(w, "pull %s/%s#%d for %s", owner, repo, number, v.Login)
}

func (recordingPages) record(w http.ResponseWriter, _ *http.Request, v *viewer, org, name string, pr int) {
	fmt.Fprintf(w, "record %s/%s#%d for %s", org, name, pr, v.Login)
}

func (recordingPages) notFound(w http.ResponseWriter, _ *http.Request, v *viewer) {
	w.WriteHeader(http.StatusNotFound)
	who := "nobody"
	if v != nil {
		who = v.Login
	}
	fmt.Fprintf(w, "not found for %s", who)
}

// env is the simulator and the pages' handler, served on 127.0.0.1.
//
// acme (the App is installed): alice is a member, sam is in the security
// team, carol is an outside collaborator on acme/api; mallory is nobody.
// Repositories acme/web and acme/api are private.
type env struct {
	sim   *githubsim.Server
	clock *githubsim.Clock // the simulator and the pages run on it
	h     *handler
	url   string // the pages' public URL
	inst  int64
	store *store.Store
	logs  lockedBuffer // the pages' log lines
	// metrics is the registry the handler counts in, as the App's
	// /metrics would serve it.
	metrics *prometheus.Registry
}

// lockedBuffer collects log lines written by concurrent requests.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newEnv(t *testing.T) *env {
	t.Helper()
	// The clock starts at the real time: the App's JWTs are dated by it.
	e := &env{clock: githubsim.NewClock(time.Now())}
	sim, err := githubsim.Start(githubsim.Options{AppID: testAppID, PrivateKey: testKey(), Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	e.sim = sim
	if e.store, err = store.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "launchgate.db")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.store.Close() })
	sim.SetOAuthApp(testClientID, testClientSecret)
	e.inst = sim.AddInstallation("acme")
	sim.AddRepo("acme", "web", "main", map[string]string{"README.md": "x"})
	sim.AddRepo("acme", "api", "main", map[string]string{"README.md": "x"})
	sim.AddOrgMember("acme", "alice")
	sim.AddTeam("acme", "security", "sam")
	sim.AddCollaborator("acme", "api", "carol", "pull")
	sim.AddRepo("other", "secret", "main", map[string]string{"README.md": "x"})

	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	e.url = srv.URL
	opts := e.options()
	e.metrics = prometheus.NewRegistry()
	opts.Metrics = e.metrics
	e.h, err = newHandler(opts)
	if err != nil {
		t.Fatal(err)
	}
	h = e.h.routes(recordingPages{})
	return e
}

// appClients makes the App's clients (JWT and installation tokens).
func (e *env) appClients() githubapp.ClientCreator {
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(testKey())})
	return githubapp.NewClientCreator(e.sim.URL(), e.sim.GraphQLURL(), testAppID, keyPEM)
}

// options are the env's pages' options, with a registry of their own: a
// handler built from them does not count in the env's.
func (e *env) options() Options {
	cc := e.appClients()
	return Options{
		PublicURL: e.url, GitHubWebURL: e.sim.WebURL(), GitHubAPIURL: e.sim.URL(),
		ClientID: testClientID, ClientSecret: testClientSecret,
		SessionKey: []byte(testSessionKey), AccessTTL: time.Minute,
		App:       githubapi.NewClient(cc, githubapi.Options{AppID: testAppID, Now: e.clock.Now}),
		CheckName: "Production readiness", RecordKey: testRecordKey().Public().(ed25519.PublicKey),
		Store: e.store, Now: e.clock.Now, Logger: zerolog.New(&e.logs), Metrics: prometheus.NewRegistry(),
	}
}

// installationToken mints a token of the App's installation on acme.
func (e *env) installationToken(t *testing.T) string {
	t.Helper()
	gh, err := e.appClients().NewAppClient()
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := gh.Apps.CreateInstallationToken(context.Background(), e.inst, nil)
	if err != nil {
		t.Fatal(err)
	}
	return tok.GetToken()
}

// browser is a cookie-keeping client that does not follow redirects, so
// that each step of a sign-in can be looked at.
type browser struct {
	t  *testing.T
	c  *http.Client
	jr *cookiejar.Jar
}

func newBrowser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, jr: jar, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// page is an answer with its body read.
type page struct {
	*http.Response
	body string
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return page{resp, string(body)}
}

func (b *browser) get(u string, header ...string) page {
	b.t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return b.do(req)
}

func (b *browser) post(u string, form url.Values, header ...string) page {
	b.t.Helper()
	req, _ := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return b.do(req)
}

// cookie returns the browser's cookie for the pages, or nil.
func (b *browser) cookie(e *env, name string) *http.Cookie {
	u, _ := url.Parse(e.url + callbackPath)
	for _, c := range b.jr.Cookies(u) {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func (b *browser) setCookie(e *env, c *http.Cookie) {
	u, _ := url.Parse(e.url)
	c.Path = "/"
	b.jr.SetCookies(u, []*http.Cookie{c})
}

// authorize runs /login?next=… and the simulator's sign-in form as login,
// and returns GitHub's redirect back to the callback, not yet followed.
func (b *browser) authorize(e *env, login, next string) *url.URL {
	b.t.Helper()
	start := b.get(e.url + loginPath + "?next=" + url.QueryEscape(next))
	to, err := url.Parse(start.Header.Get("Location"))
	if start.StatusCode != http.StatusFound || err != nil || !strings.HasPrefix(to.String(), e.sim.WebURL()+"/login/oauth/authorize?") {
		b.t.Fatalf("/login answered %d to %q", start.StatusCode, start.Header.Get("Location"))
	}
	// The simulator's sign-in form carries the authorize request's
	// parameters as hidden fields; the user types the login.
	form := to.Query()
	form.Set("login", login)
	granted := b.post(e.sim.WebURL()+"/login/oauth/authorize", form)
	back, err := url.Parse(granted.Header.Get("Location"))
	if granted.StatusCode != http.StatusFound || err != nil {
		b.t.Fatalf("simulated GitHub answered %d to %q", granted.StatusCode, granted.Header.Get("Location"))
	}
	return back
}

// signIn signs login in and checks that the callback sends the browser on.
func (b *browser) signIn(e *env, login string) {
	b.t.Helper()
	if got := b.get(b.authorize(e, login, "/").String()); got.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("callback answered %d: %s", got.StatusCode, got.body)
	}
}

// count is the number of recorded simulator requests to path.
func (e *env) count(method, path string) int {
	n := 0
	for _, r := range e.sim.Requests() {
		if r.Method == method && r.Path == path {
			n++
		}
	}
	return n
}

// httptestRecorder serves one request to h in memory.
func httptestRecorder(h http.Handler, method, path string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}
