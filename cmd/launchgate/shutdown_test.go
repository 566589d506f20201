package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/launchgate/launchgate/internal/server"
)

// TestServeDrainsBeforeClosing stops a server as SIGTERM does and watches
// the order: /readyz fails first while the listener still serves (the load
// balancer's cue), and only then does the listener close.
func TestServeDrainsBeforeClosing(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &server.Config{
		// The delay is long only so that the test can look during it.
		Server: server.ServerConfig{Address: "127.0.0.1:0", ShutdownDelay: 2 * time.Second},
		GitHub: server.GitHubConfig{App: server.AppConfig{IntegrationID: 7, WebhookSecret: "s",
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
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, &lockedBuffer{}, func(a string) { addr <- a }) }()
	base := "http://" + <-addr
	status := func(path string) int {
		resp, err := http.Get(base + path)
		if err != nil {
			return 0 // the listener is closed
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := status("/readyz"); got != http.StatusOK {
		t.Fatalf("/readyz: %d before the stop", got)
	}
	cancel()
	for status("/readyz") == http.StatusOK {
		time.Sleep(10 * time.Millisecond)
	}
	if got := status("/readyz"); got != http.StatusServiceUnavailable {
		t.Errorf("/readyz: %d after the stop began, want 503 from a server still listening", got)
	}
	if got := status("/healthz"); got != http.StatusOK {
		t.Errorf("/healthz: %d while draining, want 200", got)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := status("/healthz"); got != 0 {
		t.Errorf("/healthz: %d after serve returned; the listener should be closed", got)
	}
}
