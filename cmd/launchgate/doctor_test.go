package main

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/launchgate/launchgate/internal/githubsim"
	"github.com/launchgate/launchgate/internal/server"
)

// TestDoctor runs doctor against the simulator with a configuration file,
// as an admin runs it against GitHub.
func TestDoctor(t *testing.T) {
	for _, k := range []string{"GITHUB_APP_INTEGRATION_ID", "GITHUB_APP_WEBHOOK_SECRET", "GITHUB_APP_PRIVATE_KEY"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	const appID = 77
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "app.pem")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600); err != nil {
		t.Fatal(err)
	}
	// doctor reads serve's configuration, which needs every key serve does.
	recordsKeyFile := filepath.Join(dir, "records.pem")
	if err := os.WriteFile(recordsKeyFile, []byte(testRecordsKey(t)), 0o600); err != nil {
		t.Fatal(err)
	}
	ruleset := githubsim.RulesetSource{Type: "Organization", Name: "acme"}
	tests := []struct {
		name string
		deny bool // the App was not granted Administration: read
		// required are the repositories a ruleset requires the check on.
		required []string
		want     []string
		wantCode int
	}{
		{name: "one repository does not require it", required: []string{"orders"}, wantCode: 1, want: []string{
			"acme/orders (main): required: a ruleset (acme) requires it",
			"acme/docs (trunk): not required: no ruleset or branch protection rule requires it",
			"acme/pinned (main): not required",
		}},
		{name: "every repository requires it", required: []string{"orders", "docs", "pinned"}, wantCode: 0, want: []string{
			"acme/docs (trunk): required", "3 repositories; \"Production readiness\" required on every default branch: true",
		}},
		{name: "classic protection unreadable", deny: true, required: []string{"orders", "docs"}, wantCode: 1, want: []string{
			"acme/pinned (main): could not tell: no ruleset requires it, and the App may not read classic branch protection (403)",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, err := githubsim.Start(githubsim.Options{AppID: appID, PrivateKey: key, DenyAdministration: tt.deny})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = sim.Close() })
			sim.AddInstallation("acme")
			sim.AddInstallation("other")
			sim.AddRepo("acme", "orders", "main", map[string]string{"README.md": "x\n"})
			sim.AddRepo("acme", "docs", "trunk", map[string]string{"README.md": "x\n"})
			sim.AddRepo("acme", "pinned", "main", map[string]string{"README.md": "x\n"})
			sim.AddRepo("other", "elsewhere", "main", map[string]string{"README.md": "x\n"})
			// A check of that name from another App does not count.
			sim.AddBranchRule("acme", "pinned", "main", "required_status_checks", ruleset,
				githubsim.StatusCheck{Context: server.CheckName, AppID: appID + 1})
			branches := map[string]string{"orders": "main", "docs": "trunk", "pinned": "main"}
			for _, r := range tt.required {
				sim.AddBranchRule("acme", r, branches[r], "required_status_checks", ruleset, githubsim.StatusCheck{Context: server.CheckName, AppID: appID})
			}
			cfg := filepath.Join(dir, "config.yml")
			yaml := fmt.Sprintf("server:\n  public_url: https://launchgate.example.com\ngithub:\n  v3_api_url: %s\n  v4_api_url: %s\n"+
				"  app:\n    integration_id: %d\n    webhook_secret: s3cret\n    private_key_file: %s\nsignoff:\n  key: doctor-test-signoff-key-0123456789abcdef\nrecords:\n  key_file: %s\n",
				sim.URL(), sim.GraphQLURL(), appID, keyFile, recordsKeyFile)
			if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			var out, errOut bytes.Buffer
			code := run([]string{"doctor", "--org", "acme", "--config", cfg}, &out, &errOut, time.Now())
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.wantCode, errOut.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
			if strings.Contains(out.String(), "elsewhere") {
				t.Errorf("doctor listed another organisation's repository:\n%s", out.String())
			}
		})
	}
}

func TestDoctorNeedsAnOrg(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"doctor"}, &out, &errOut, time.Now()); code != 2 || !strings.Contains(errOut.String(), "--org is required") {
		t.Errorf("exit %d, stderr %q; want 2 saying --org is required", code, errOut.String())
	}
}
