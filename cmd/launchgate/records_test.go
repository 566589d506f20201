package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/launchgate/launchgate/internal/launchrecord"
	"github.com/launchgate/launchgate/internal/store"
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

// TestRecordsExport: export prints the stored lines the filters select,
// byte for byte, so that records verify accepts them.
func TestRecordsExport(t *testing.T) {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	url := "sqlite:" + filepath.Join(dir, "launchgate.db")
	ctx := context.Background()
	st, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	lines := map[string]string{}
	for _, r := range []launchrecord.Record{
		{Repo: "acme/orders", PR: 1, MergedAt: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)},
		{Repo: "acme/orders", PR: 2, MergedAt: time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)},
		{Repo: "acme/web", PR: 3, MergedAt: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)},
	} {
		_, line, err := launchrecord.Sign(key, r)
		if err != nil {
			t.Fatal(err)
		}
		id := fmt.Sprintf("%s#%d", r.Repo, r.PR)
		lines[id] = string(line) + "\n"
		if err := st.PutRecord(ctx, store.Record{ID: id, Repo: r.Repo, PR: r.PR, MergedAt: r.MergedAt, Line: line}); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     string
	}{
		{name: "every record, oldest first", args: []string{"--store", url}, wantCode: 0,
			want: lines["acme/orders#1"] + lines["acme/orders#2"] + lines["acme/web#3"]},
		{name: "since a date", args: []string{"--store", url, "--since", "2026-12-02"}, wantCode: 0,
			want: lines["acme/orders#2"] + lines["acme/web#3"]},
		{name: "one repository", args: []string{"--store", url, "--repo", "acme/orders"}, wantCode: 0,
			want: lines["acme/orders#1"] + lines["acme/orders#2"]},
		{name: "no store", args: nil, wantCode: 2},
		{name: "a store file that does not exist", args: []string{"--store", "sqlite:" + filepath.Join(dir, "typo.db")}, wantCode: 2},
		{name: "a date that is not one", args: []string{"--store", url, "--since", "12/02/2026"}, wantCode: 2},
		{name: "a repository that is not owner/name", args: []string{"--store", url, "--repo", "orders"}, wantCode: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := runRecordsExport(tt.args, &out, &errOut); code != tt.wantCode || out.String() != tt.want {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nwant:\n%s\nstderr: %s", code, tt.wantCode, out.String(), tt.want, errOut.String())
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "typo.db")); err == nil {
		t.Error("exporting from a missing SQLite file created it")
	}
}
