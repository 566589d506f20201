package signoff

import (
	"strings"
	"testing"
	"time"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

func TestSignVerify(t *testing.T) {
	at := time.Date(2026, 11, 20, 14, 3, 9, 0, time.UTC)
	r := Record{Repo: "acme/shop", PR: 7, Item: "alerts-fired", User: "ivan", At: at, Digest: "sha256:aa"}
	sig := Sign(testKey, r)
	if sig == "" || !Verify(testKey, sig, r) {
		t.Fatalf("a record does not verify with its own signature %q", sig)
	}
	tests := []struct {
		name   string
		change func(*Record)
		valid  bool
	}{
		{"other repository", func(r *Record) { r.Repo = "acme/other" }, false},
		{"other pull request", func(r *Record) { r.PR = 8 }, false},
		{"other item", func(r *Record) { r.Item = "recovery-repeats" }, false},
		{"other user", func(r *Record) { r.User = "mallory" }, false},
		{"other time", func(r *Record) { r.At = r.At.Add(time.Second) }, false},
		{"other digest", func(r *Record) { r.Digest = "sha256:ab" }, false},
		{"fields shifted across a boundary", func(r *Record) { r.Repo, r.Item = "acme/sho", "palerts-fired" }, false},
		{"repository and login differ only in case (GitHub ignores it)", func(r *Record) { r.Repo, r.User = "ACME/Shop", "Ivan" }, true},
		{"same instant in another zone, below a second", func(r *Record) {
			r.At = r.At.In(time.FixedZone("CET", 3600)).Add(500 * time.Millisecond)
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			changed := r
			tt.change(&changed)
			if got := Verify(testKey, sig, changed); got != tt.valid {
				t.Errorf("Verify = %v, want %v", got, tt.valid)
			}
		})
	}
	t.Run("other key", func(t *testing.T) {
		if Verify([]byte(strings.Repeat("k", MinKeyLen)), sig, r) {
			t.Error("a signature verifies under another key")
		}
	})
	t.Run("garbage and empty signatures", func(t *testing.T) {
		for _, s := range []string{"", "!!!", sig[:len(sig)-2], sig + "AA"} {
			if Verify(testKey, s, r) {
				t.Errorf("Verify(%q) = true", s)
			}
		}
	})
	t.Run("short keys sign nothing and verify nothing", func(t *testing.T) {
		short := testKey[:MinKeyLen-1]
		if s := Sign(short, r); s != "" {
			t.Errorf("Sign with a short key = %q", s)
		}
		if Verify(short, Sign(testKey, r), r) || Verify(nil, "", r) {
			t.Error("a short key verifies")
		}
		if CheckKey(short) == nil || CheckKey(testKey) != nil {
			t.Error("CheckKey misjudges key length")
		}
	})
}

func TestNotesAndRecordsDoNotShareSignatures(t *testing.T) {
	// A note's MAC must never pass as a record's, whatever the fields.
	r := Record{Repo: "acme/shop", PR: 7, Item: "x"}
	n := noteMAC(testKey, "acme/shop", 7, "x", "")
	if Verify(testKey, n, r) {
		t.Fatal("a note signature verifies as a record")
	}
}
