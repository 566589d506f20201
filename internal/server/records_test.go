package server

import (
	"strings"
	"testing"
)

// TestRecordsKeyConfig: the launch record key comes from the file, a key
// file or the environment (which wins), is required, must be Ed25519, and
// is never echoed.
func TestRecordsKeyConfig(t *testing.T) {
	base := "signoff:\n  key: " + testSignoffKey + "\ngithub:\n  app:\n    integration_id: 9\n    webhook_secret: s\n    private_key_file: KEYFILE\n"
	indent := func(pem string) string {
		return "    " + strings.ReplaceAll(strings.TrimSpace(pem), "\n", "\n    ") + "\n"
	}
	rsaPKCS8 := pkcs8PEM(t, testKey())
	tests := []struct {
		name    string
		yaml    string
		env     string // LAUNCHGATE_RECORDS_KEY, "" unset
		keyFile string // written to a file named by records.key_file
		wantErr []string
	}{
		{name: "in the file", yaml: base + "records:\n  key: |\n" + indent(testRecordsKey)},
		{name: "key file", yaml: base + "records:\n  key_file: RECORDSFILE\n", keyFile: testRecordsKey},
		{name: "environment wins", yaml: base + "records:\n  key: not-a-key\n", env: testRecordsKey},
		{name: "missing", yaml: base, wantErr: []string{"records.key is missing", envRecordsKey, "openssl genpkey -algorithm ed25519"}},
		{name: "an RSA key", yaml: base + "records:\n  key_file: RECORDSFILE\n", keyFile: rsaPKCS8, wantErr: []string{"records.key_file", "launch records need an Ed25519 key"}},
		{name: "not PEM", yaml: base + "records:\n  key: not-a-key\n", wantErr: []string{"records.key", "not a PEM PRIVATE KEY block"}},
		{name: "both", yaml: base + "records:\n  key: x\n  key_file: /k\n", wantErr: []string{"both set"}},
		{name: "unreadable key file", yaml: base + "records:\n  key_file: /nonexistent/records.pem\n", wantErr: []string{"records.key_file", "no such file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			if tt.env != "" {
				t.Setenv(envRecordsKey, tt.env)
			}
			y := strings.Replace(tt.yaml, "KEYFILE", writeFile(t, "app.pem", pkcs1PEM()), 1)
			if tt.keyFile != "" {
				y = strings.Replace(y, "RECORDSFILE", writeFile(t, "records.pem", tt.keyFile), 1)
			}
			cfg, err := LoadConfig(writeFile(t, "config.yml", y))
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if strings.TrimSpace(cfg.Records.Key) != strings.TrimSpace(testRecordsKey) || cfg.Records.KeyFile != "" {
					t.Errorf("records = %+v, want the test key", cfg.Records)
				}
				return
			}
			if err == nil {
				t.Fatal("LoadConfig accepted a configuration without a usable records key")
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			for _, leak := range []string{strings.Split(testRecordsKey, "\n")[1], strings.Split(rsaPKCS8, "\n")[1]} {
				if strings.Contains(err.Error(), leak) {
					t.Errorf("error leaks a key:\n%v", err)
				}
			}
		})
	}
}
