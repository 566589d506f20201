package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/launchgate/launchgate/internal/server"
)

func TestServeRejectsBrokenConfig(t *testing.T) {
	for _, k := range []string{"GITHUB_APP_INTEGRATION_ID", "GITHUB_APP_WEBHOOK_SECRET", "GITHUB_APP_PRIVATE_KEY"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	cfg := filepath.Join(t.TempDir(), "config.yml")
	if err := os.WriteFile(cfg, []byte("server:\n  adress: :1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := runServe([]string{"--config", cfg}, &out, &errOut); code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	if !strings.Contains(errOut.String(), `config.yml:2: unknown key "adress" in server`) {
		t.Errorf("stderr does not say what is wrong and where:\n%s", errOut.String())
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestServeStartsAndStops runs the server on a free port, sends it a
// signed ping, and stops it as SIGTERM would.
func TestServeStartsAndStops(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	const secret = "serve-test-secret"
	cfg := &server.Config{
		Server: server.ServerConfig{Address: "127.0.0.1:0", InternalAddress: "127.0.0.1:0", PublicURL: "https://launchgate.example.com"},
		GitHub: server.GitHubConfig{App: server.AppConfig{IntegrationID: 7, WebhookSecret: secret,
			PrivateKey: string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))}},
		Signoff: server.SignoffConfig{Key: "serve-test-signoff-key-0123456789abcdef"},
		Records: server.RecordsConfig{Key: testRecordsKey(t)},
		Store:   server.StoreConfig{URL: "sqlite:" + filepath.Join(t.TempDir(), "launchgate.db")},
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &lockedBuffer{}
	addr := make(chan string, 2)
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, cfg, logs, func(public, internal string) { addr <- public; addr <- internal })
	}()
	base, internal := "http://"+<-addr, "http://"+<-addr
	// The metrics are the internal listener's alone.
	for _, tc := range []struct {
		base string
		want int
	}{{base: internal, want: http.StatusOK}, {base: base, want: http.StatusNotFound}} {
		resp, err := http.Get(tc.base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("GET %s/metrics: %d, want %d", tc.base, resp.StatusCode, tc.want)
		}
	}

	body := []byte(`{"zen":"Keep it logically awesome.","hook_id":1}`)
	req, _ := http.NewRequest(http.MethodPost, base+server.HookPath, bytes.NewReader(body))
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "ping")
	req.Header.Set("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(m.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("signed ping: %d", resp.StatusCode)
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve returned %v after a graceful stop", err)
	}
	out := logs.String()
	for _, want := range []string{`"message":"launchgate serving"`, `"version":`, `"address":"127.0.0.1:`, `"internal_address":"127.0.0.1:`, `"webhook_url":"https://launchgate.example.com/api/github/hook"`, `"message":"stopped"`, `"github_delivery_id":"72d3162e-cc78-11e3-81ab-4c9367dc0958"`} {
		if !strings.Contains(out, want) {
			t.Errorf("logs lack %s:\n%s", want, out)
		}
	}
	for _, leak := range []string{secret, "PRIVATE KEY"} {
		if strings.Contains(out, leak) {
			t.Errorf("logs leak %q", leak)
		}
	}
}
