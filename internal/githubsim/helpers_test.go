package githubsim

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v4"
	"github.com/google/go-github/v60/github"
)

const (
	testAppID  = 42
	testSecret = "s3cret"
)

var testKeys = sync.OnceValue(func() [2]*rsa.PrivateKey {
	var keys [2]*rsa.PrivateKey
	for i := range keys {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		keys[i] = k
	}
	return keys
})

// received is one webhook delivery seen by the test receiver.
type received struct {
	event, guid string
	header      http.Header
	body        []byte
	payload     map[string]any
	sigErr      error
}

// receiver records deliveries and answers with status (200 by default).
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	got    []received
	status int
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{status: http.StatusOK}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, sigErr := github.ValidatePayload(r, []byte(testSecret))
		if sigErr != nil {
			body, _ = io.ReadAll(r.Body)
		}
		var payload map[string]any
		_ = json.Unmarshal(body, &payload)
		rc.mu.Lock()
		rc.got = append(rc.got, received{r.Header.Get("X-GitHub-Event"), r.Header.Get("X-GitHub-Delivery"), r.Header, body, payload, sigErr})
		status := rc.status
		rc.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) all() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// ofEvent returns the deliveries of one event (and action, if given).
func (rc *receiver) ofEvent(event, action string) []received {
	var out []received
	for _, r := range rc.all() {
		if r.event == event && (action == "" || r.payload["action"] == action) {
			out = append(out, r)
		}
	}
	return out
}

func (rc *receiver) setStatus(code int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.status = code
}

type fixture struct {
	sim   *Server
	clock *Clock
	hooks *receiver
	inst  int64
	repo  *Repo
}

// newFixture starts a simulator with the App installed on "acme" and a
// repository acme/web, with webhooks going to a recording receiver.
func newFixture(t *testing.T, tweak ...func(*Options)) *fixture {
	t.Helper()
	f := &fixture{clock: NewClock(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)), hooks: newReceiver(t)}
	opts := Options{AppID: testAppID, PrivateKey: testKeys()[0], WebhookURL: f.hooks.srv.URL, WebhookSecret: testSecret, Now: f.clock.Now}
	for _, fn := range tweak {
		fn(&opts)
	}
	sim, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	f.sim = sim
	f.inst = sim.AddInstallation("acme")
	f.repo = sim.AddRepo("acme", "web", "main", map[string]string{
		"README.md":      "hello\n",
		"deploy/app.yml": "replicas: 2\n",
	})
	return f
}

func (f *fixture) jwt(t *testing.T, key *rsa.PrivateKey, appID int64, iat, exp time.Duration) string {
	t.Helper()
	now := f.clock.Now()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"iss": strconv.FormatInt(appID, 10), "iat": now.Add(iat).Unix(), "exp": now.Add(exp).Unix(),
	})
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// appClient authenticates as the App with a fresh JWT.
func (f *fixture) appClient(t *testing.T) *github.Client {
	return f.client(t, f.jwt(t, testKeys()[0], testAppID, -time.Minute, 9*time.Minute))
}

func (f *fixture) client(t *testing.T, token string) *github.Client {
	t.Helper()
	c, err := github.NewClient(nil).WithAuthToken(token).WithEnterpriseURLs(f.sim.URL(), f.sim.URL())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// token mints an installation token through the API, as an App would.
func (f *fixture) token(t *testing.T, inst int64) string {
	t.Helper()
	tok, _, err := f.appClient(t).Apps.CreateInstallationToken(context.Background(), inst, nil)
	if err != nil {
		t.Fatal(err)
	}
	return tok.GetToken()
}

// instClient is a go-github client for the fixture's installation.
func (f *fixture) instClient(t *testing.T) *github.Client { return f.client(t, f.token(t, f.inst)) }

// do sends a raw request with an Authorization header value.
func (f *fixture) do(t *testing.T, method, path, auth string, body any, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	u := f.sim.URL() + path[1:]
	if path == "/graphql" {
		u = f.sim.GraphQLURL()
	}
	req, _ := http.NewRequest(method, u, rd)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp, out
}

func errMessage(t *testing.T, body []byte) string {
	t.Helper()
	var e struct {
		Message string `json:"message"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("not a GitHub error body: %s", body)
	}
	return e.Message
}

func statusOf(err error) int {
	if e, ok := err.(*github.ErrorResponse); ok {
		return e.Response.StatusCode
	}
	return 0
}

func newServer(t *testing.T, h http.Handler) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}
