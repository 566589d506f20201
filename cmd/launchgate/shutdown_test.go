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
// the order: /readyz, on the internal listener, fails first while the
// public listener still serves (the load balancer's cue), and only then do
// both listeners close.
func TestServeDrainsBeforeClosing(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &server.Config{
		// The delay is long only so that the test can look during it.
		Server: server.ServerConfig{Address: "127.0.0.1:0", InternalAddress: "127.0.0.1:0", ShutdownDelay: 2 * time.Second},
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
	addrs := make(chan [2]string, 1)
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, cfg, &lockedBuffer{}, func(public, internal string) { addrs <- [2]string{public, internal} })
	}()
	a := <-addrs
	public, internal := "http://"+a[0], "http://"+a[1]
	status := func(base, path string) int {
		resp, err := http.Get(base + path)
		if err != nil {
			return 0 // the listener is closed
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := status(internal, "/readyz"); got != http.StatusOK {
		t.Fatalf("/readyz: %d before the stop", got)
	}
	cancel()
	for status(internal, "/readyz") == http.StatusOK {
		time.Sleep(10 * time.Millisecond)
	}
	if got := status(internal, "/readyz"); got != http.StatusServiceUnavailable {
		t.Errorf("/readyz: %d after the stop began, want 503 from a server still listening", got)
	}
	if got := status(internal, "/healthz"); got != http.StatusOK {
		t.Errorf("/healthz: %d while draining, want 200", got)
	}
	if got := status(public, server.RecordsPublicKeyPath); got != http.StatusOK {
		t.Errorf("public %s: %d while draining, want 200 from the listener still taking deliveries", server.RecordsPublicKeyPath, got)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for _, base := range []string{public, internal} {
		if got := status(base, "/healthz"); got != 0 {
			t.Errorf("%s/healthz: %d after serve returned; the listener should be closed", base, got)
		}
	}
}
