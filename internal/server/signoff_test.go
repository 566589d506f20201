package server

import (
	"strings"
	"testing"
	"time"
)

// The checklist's signing key: required, at least 32 bytes, from the file,
// a key file or the environment (which wins), and never echoed.
func TestSignoffKeyConfig(t *testing.T) {
	const short = "short-secret-value"
	base := func(extra string) string {
		return "github:\n  app:\n    integration_id: 9\n    webhook_secret: s\n    private_key_file: KEYFILE\n" + extra
	}
	tests := []struct {
		name    string
		yaml    string
		env     string // LAUNCHGATE_SIGNOFF_KEY, "" unset
		keyFile string // written to a file named by signoff.key_file
		wantKey string
		wantErr []string
	}{
		{name: "in the file", yaml: base("signoff:\n  key: " + testSignoffKey + "\n"), wantKey: testSignoffKey},
		{name: "environment wins", yaml: base("signoff:\n  key: " + short + "\n"), env: testSignoffKey, wantKey: testSignoffKey},
		{name: "key file, trimmed", yaml: base("signoff:\n  key_file: SIGNOFFFILE\n"), keyFile: testSignoffKey + "\n", wantKey: testSignoffKey},
		{name: "missing", yaml: base(""), wantErr: []string{"signoff.key is missing", envSignoffKey, "openssl rand -hex 32"}},
		{name: "too short", yaml: base("signoff:\n  key: " + short + "\n"), wantErr: []string{"signoff.key", "18 bytes", "at least 32"}},
		{name: "both", yaml: base("signoff:\n  key: " + testSignoffKey + "\n  key_file: /k\n"), wantErr: []string{"both set"}},
		{name: "unreadable key file", yaml: base("signoff:\n  key_file: /nonexistent/signoff.key\n"), wantErr: []string{"signoff.key_file", "no such file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			t.Setenv(envRecordsKey, testRecordsKey)
			if tt.env != "" {
				t.Setenv(envSignoffKey, tt.env)
			}
			y := strings.Replace(tt.yaml, "KEYFILE", writeFile(t, "app.pem", pkcs1PEM()), 1)
			if tt.keyFile != "" {
				y = strings.Replace(y, "SIGNOFFFILE", writeFile(t, "signoff.key", tt.keyFile), 1)
			}
			cfg, err := LoadConfig(writeFile(t, "config.yml", y))
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if cfg.Signoff.Key != tt.wantKey || cfg.Signoff.KeyFile != "" {
					t.Errorf("signoff = %+v, want key %q", cfg.Signoff, tt.wantKey)
				}
				return
			}
			if err == nil {
				t.Fatal("LoadConfig accepted a configuration without a usable signing key")
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if strings.Contains(err.Error(), short) || strings.Contains(err.Error(), testSignoffKey) {
				t.Errorf("error leaks the key:\n%v", err)
			}
		})
	}
}

func TestMembershipTTLConfig(t *testing.T) {
	clearEnv(t)
	t.Setenv(envSignoffKey, testSignoffKey)
	t.Setenv(envRecordsKey, testRecordsKey)
	for ttl, ok := range map[string]bool{"30s": true, "2h": false, "-1s": false} {
		y := "github:\n  membership_ttl: " + ttl + "\n  app:\n    integration_id: 9\n    webhook_secret: s\n    private_key_file: " +
			writeFile(t, "app.pem", pkcs1PEM()) + "\n"
		cfg, err := LoadConfig(writeFile(t, "config.yml", y))
		switch {
		case ok && err != nil:
			t.Errorf("membership_ttl %s: %v", ttl, err)
		case ok && cfg.GitHub.MembershipTTL != 30*time.Second:
			t.Errorf("membership_ttl %s read as %s", ttl, cfg.GitHub.MembershipTTL)
		case !ok && (err == nil || !strings.Contains(err.Error(), "github.membership_ttl")):
			t.Errorf("membership_ttl %s: error %v, want one naming the key", ttl, err)
		}
	}
}
