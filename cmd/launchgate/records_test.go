package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/launchgate/launchgate/internal/launchrecord"
)

// testRecordsKey is a launch record signing key for a server's Config.
func testRecordsKey(t *testing.T) string {
	t.Helper()
	k, err := launchrecord.NewKeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestRecordsVerify(t *testing.T) {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pubPEM, err := launchrecord.PublicKeyPEM(key)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "records-public-key.pem")
	if err := os.WriteFile(keyFile, pubPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	var lines [][]byte
	for pr := 1; pr <= 2; pr++ {
		_, line, err := launchrecord.Sign(key, launchrecord.Record{Repo: "acme/orders", PR: pr, Conclusion: "success",
			MergedAt: time.Date(2026, 12, 7, 4, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, line)
	}
	good := string(lines[0]) + "\n" + string(lines[1]) + "\n"
	tampered := string(lines[0]) + "\n" + strings.Replace(string(lines[1]), `"pr":2`, `"pr":3`, 1) + "\n"
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	goodFile, badFile, emptyFile := write("good.jsonl", good), write("bad.jsonl", tampered), write("empty.jsonl", "")
	tests := []struct {
		name     string
		args     []string
		stdin    string
		wantCode int
		want     []string
	}{
		{name: "every record verifies", args: []string{"--public-key", keyFile, goodFile}, wantCode: 0,
			want: []string{"good.jsonl:1: ok acme/orders#1", "good.jsonl:2: ok acme/orders#2", "2 of 2 records verify"}},
		{name: "from stdin", args: []string{"--public-key", keyFile}, stdin: good, wantCode: 0, want: []string{"stdin:2: ok", "2 of 2"}},
		{name: "one changed byte", args: []string{badFile, "--public-key", keyFile}, wantCode: 1,
			want: []string{"bad.jsonl:1: ok", "bad.jsonl:2: FAIL acme/orders#3: the signature does not verify", "1 of 2 records verify"}},
		{name: "no records", args: []string{"--public-key", keyFile, emptyFile}, wantCode: 1, want: []string{"0 of 0"}},
		{name: "no key", args: []string{goodFile}, wantCode: 2},
		{name: "a private key file", args: []string{"--public-key", goodFile, goodFile}, wantCode: 2},
		{name: "missing file", args: []string{"--public-key", keyFile, filepath.Join(dir, "none")}, wantCode: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := runRecordsVerify(tt.args, strings.NewReader(tt.stdin), &stdout, &stderr)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, stdout.String(), stderr.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(stdout.String(), w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout.String())
				}
			}
		})
	}
}

func TestRecordsDispatch(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"records", "export"}, &stdout, &stderr, time.Now()); code != 2 {
		t.Errorf("launchgate records export: exit %d, want 2 (usage)", code)
	}
	stdout.Reset()
	if code := run([]string{"help", "records"}, &stdout, &stderr, time.Now()); code != 0 || !strings.Contains(stdout.String(), "--public-key") {
		t.Errorf("launchgate help records: exit %d, page:\n%s", code, stdout.String())
	}
}
