package server

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/rs/zerolog"

	"github.com/launchgate/launchgate/internal/githubsim"
	"github.com/launchgate/launchgate/internal/launchrecord"
	"github.com/launchgate/launchgate/internal/server/demo"
)

const (
	testAppID  = 4242
	testSecret = "webhook-secret-for-tests"
	// testSignoffKey signs the checklist's records in tests.
	testSignoffKey = "signoff-key-for-tests-0123456789abcdef"
)

// testRecordsKey signs launch records in tests (PEM).
var testRecordsKey = func() string {
	k, err := launchrecord.NewKeyPEM()
	if err != nil {
		panic(err)
	}
	return k
}()

// testNow is the evaluation clock of the end-to-end tests.
var testNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// harness is the real App server behind an httptest server, with the
// simulator as its GitHub, delivering signed webhooks to it.
type harness struct {
	t   *testing.T
	sim *githubsim.Server
	srv *Server
	url string // the App's public base URL (Handler)
	// internalURL is the base URL of its operational routes
	// (InternalHandler).
	internalURL string
	logs        *syncBuffer
	inst        int64
}

// newHarness starts the simulator and an App (see newApp for tune).
func newHarness(t *testing.T, tune ...func(*Config, *Options)) *harness {
	t.Helper()
	sim, err := githubsim.Start(githubsim.Options{AppID: testAppID, PrivateKey: testKey(), WebhookSecret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	h := newApp(t, sim, tune...)
	t.Cleanup(func() { _ = sim.Close() })
	sim.SetWebhookURL(h.url + HookPath)
	h.inst = sim.AddInstallation("acme")
	return h
}

// newApp starts an App server that talks to sim; webhooks reach it once
// sim's webhook URL names it. Two of them on one simulator are two
// replicas. tune, if any, adjusts the configuration and options before the
// server is built.
func newApp(t *testing.T, sim *githubsim.Server, tune ...func(*Config, *Options)) *harness {
	t.Helper()
	cfg := &Config{GitHub: GitHubConfig{
		WebURL: "https://github.com", V3APIURL: sim.URL(), V4APIURL: sim.GraphQLURL(),
		App:           AppConfig{IntegrationID: testAppID, WebhookSecret: testSecret, PrivateKey: pkcs1PEM()},
		MembershipTTL: DefaultMembershipTTL,
	}, Signoff: SignoffConfig{Key: testSignoffKey}, Records: RecordsConfig{Key: testRecordsKey}}
	logs := &syncBuffer{}
	opts := Options{Config: cfg, Logger: zerolog.New(logs), Now: func() time.Time { return testNow }}
	for _, f := range tune {
		f(cfg, &opts)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	srv, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	ops := httptest.NewServer(srv.InternalHandler())
	// Cleanups run last-registered first: the simulator finishes its
	// deliveries before the App stops.
	t.Cleanup(func() {
		ts.Close()
		ops.Close()
		if err := srv.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
		if t.Failed() {
			t.Logf("App logs:\n%s", logs.String())
		}
	})
	return &harness{t: t, sim: sim, srv: srv, url: ts.URL, internalURL: ops.URL, logs: logs}
}

// settle waits until the App has handled every event the simulator
// delivered, including those its own writes caused.
func (h *harness) settle() {
	for {
		n := len(h.sim.Deliveries())
		h.sim.WaitForDeliveries()
		h.srv.Wait()
		// The App's writes while it evaluated raised deliveries that may
		// still be on their way; an event the gate ignores is never
		// queued, so srv.Wait does not wait for them.
		h.sim.WaitForDeliveries()
		if len(h.sim.Deliveries()) == n {
			return
		}
	}
}

// repo creates acme/orders with the demo's default branch plus extra files,
// and returns the story and the default branch's head.
func (h *harness) repo(extra map[string]string) (demo.Story, string) {
	s := demo.New(testNow)
	files := map[string]string{}
	for k, v := range s.Main {
		files[k] = v
	}
	for k, v := range extra {
		files[k] = v
	}
	r := h.sim.AddRepo(s.Owner, s.Repo, s.DefaultBranch, files)
	return s, r.HeadSHA
}

// openPR pushes files to branch and opens a pull request from it.
func (h *harness) openPR(branch string, files map[string]string, spec githubsim.PRSpec) (number int, head string) {
	head = h.sim.Push("acme", "orders", branch, files)
	spec.Head = branch
	number = h.sim.OpenPR("acme", "orders", spec)
	h.settle()
	return number, head
}

// runs returns the Production readiness runs on sha, oldest first.
func (h *harness) runs(sha string) []*github.CheckRun {
	var ours []*github.CheckRun
	for _, r := range h.sim.CheckRuns("acme", "orders", sha) {
		if r.GetName() == CheckName {
			ours = append(ours, r)
		}
	}
	return ours
}

// run returns the one Production readiness run on sha: an evaluation that
// created a second one would have duplicated it.
func (h *harness) run(sha string) *github.CheckRun {
	h.t.Helper()
	ours := h.runs(sha)
	if len(ours) != 1 {
		h.t.Fatalf("%d %q runs on %s, want 1", len(ours), CheckName, sha)
	}
	return ours[0]
}

// latestRun is the run GitHub shows and branch protection uses. A run
// whose annotations must change is superseded by a new one (githubapi's
// PublishCheckRun: GitHub cannot remove annotations).
func (h *harness) latestRun(sha string) *github.CheckRun {
	h.t.Helper()
	ours := h.runs(sha)
	if len(ours) == 0 {
		h.t.Fatalf("no %q run on %s", CheckName, sha)
	}
	return ours[len(ours)-1]
}

// writes lists the requests that changed something on GitHub.
func writes(reqs []githubsim.RecordedRequest) []string {
	var out []string
	for _, r := range reqs {
		if r.Method != http.MethodGet && r.Method != http.MethodHead && !strings.HasSuffix(r.Path, "/access_tokens") && r.Path != "/graphql" {
			out = append(out, r.Method+" "+r.Path)
		}
	}
	return out
}

// post sends a webhook the way GitHub does, signed unless sign is false.
func (h *harness) post(event string, body []byte, headers map[string]string) *http.Response {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.url+HookPath, bytes.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", fmt.Sprintf("test-%d", time.Now().UnixNano()))
	req.Header.Set("X-Hub-Signature-256", "sha256="+signBody(testSecret, body))
	for k, v := range headers {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	// The answer's body is kept for tests that read it.
	answer, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		h.t.Fatal(err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(answer))
	return resp
}

func signBody(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// fixture loads an octokit example payload and sets fields by dotted path
// ("pull_request.head.sha") to the simulator's state.
func fixture(t *testing.T, name string, set map[string]any) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	for path, v := range set {
		keys := strings.Split(path, ".")
		obj := m
		for _, k := range keys[:len(keys)-1] {
			next, ok := obj[k].(map[string]any)
			if !ok {
				t.Fatalf("fixture %s has no object at %s", name, k)
			}
			obj = next
		}
		obj[keys[len(keys)-1]] = v
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// syncBuffer is a log sink the App's goroutines may write concurrently.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// lines decodes the JSON log lines.
func (b *syncBuffer) lines(t *testing.T) []map[string]any {
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", l)
		}
		out = append(out, m)
	}
	return out
}
