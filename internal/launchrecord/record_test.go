package launchrecord

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"testing"
	"time"
)

func testKey(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func sampleRecord() Record {
	at := time.Date(2026, 12, 7, 4, 30, 0, 0, time.UTC)
	return Record{
		Repo: "acme/orders", PR: 7, Title: "Launch: orders <b>now</b>", Author: "dev",
		Merge: strings.Repeat("a", 40), MergedBy: "lead", MergedAt: at,
		Head: strings.Repeat("b", 40), Conclusion: "success", PolicySource: ".github/launchgate.yml", PolicyDigest: "sha256:00",
		Version:      "test",
		Requirements: []Requirement{{ID: "monitoring", Status: "pass", Checks: []Check{{ID: "alerts", Kind: "alerts", Status: "waived"}}}},
		Signoffs:     []Signoff{{Item: "recovery", By: "ann", At: at, Digest: "sha256:11"}},
		Approvals:    []Approval{{Team: "sre", By: "bob", At: at, Commit: strings.Repeat("b", 40)}},
		Waivers:      []Waiver{{Check: "alerts", By: "ann", At: at, Until: "2027-03-01", Reason: "batch job"}},
	}
}

func TestVerify(t *testing.T) {
	key, other := testKey(t), testKey(t)
	_, line, err := Sign(key, sampleRecord())
	if err != nil {
		t.Fatal(err)
	}
	pub := key.Public().(ed25519.PublicKey)
	tests := []struct {
		name    string
		line    []byte
		pub     ed25519.PublicKey
		wantErr string
	}{
		{name: "as signed", line: line, pub: pub},
		{name: "with a trailing newline", line: append(bytes.Clone(line), '\n'), pub: pub},
		{name: "another key", line: line, pub: other.Public().(ed25519.PublicKey), wantErr: "does not verify"},
		{name: "a value changed", line: bytes.Replace(line, []byte(`"pr":7`), []byte(`"pr":8`), 1), pub: pub, wantErr: "does not verify"},
		{name: "bypassed flipped", line: bytes.Replace(line, []byte(`"bypassed":false`), []byte(`"bypassed":true`), 1), pub: pub, wantErr: "does not verify"},
		{name: "white space added", line: bytes.Replace(line, []byte(`"pr":7`), []byte(`"pr": 7`), 1), pub: pub, wantErr: "not in its signed form"},
		{name: "a field added", line: bytes.Replace(line, []byte(`{"repo"`), []byte(`{"extra":1,"repo"`), 1), pub: pub, wantErr: "unknown field"},
		{name: "not JSON", line: []byte("hello"), pub: pub, wantErr: "not a launch record"},
		{name: "two objects", line: append(bytes.Clone(line), line...), pub: pub, wantErr: "text follows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Verify(tt.pub, tt.line)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if r.Repo != "acme/orders" || r.PR != 7 || len(r.Waivers) != 1 {
					t.Errorf("Verify returned %+v, want the signed record", r)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Verify error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestVerifyUnsigned(t *testing.T) {
	key := testKey(t)
	line, err := Signed(sampleRecord())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(key.Public().(ed25519.PublicKey), line); err == nil || !strings.Contains(err.Error(), "no valid Ed25519 signature") {
		t.Errorf("Verify of an unsigned record = %v, want no valid signature", err)
	}
}

func TestKeysRoundTrip(t *testing.T) {
	key := testKey(t)
	privPEM, err := PrivateKeyPEM(key)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := ParsePrivateKey(privPEM)
	if err != nil {
		t.Fatalf("ParsePrivateKey: %v", err)
	}
	pubPEM, err := PublicKeyPEM(parsed)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ParsePublicKey(pubPEM)
	if err != nil {
		t.Fatalf("ParsePublicKey: %v", err)
	}
	if !pub.Equal(key.Public()) {
		t.Error("the public key read back is not the key's")
	}
	for _, tt := range []struct {
		name string
		data []byte
	}{
		{name: "public key as private", data: pubPEM},
		{name: "not PEM", data: []byte("secret")},
	} {
		if _, err := ParsePrivateKey(tt.data); err == nil {
			t.Errorf("ParsePrivateKey(%s) succeeded, want an error", tt.name)
		}
	}
	if _, err := ParsePublicKey(privPEM); err == nil {
		t.Error("ParsePublicKey of a private key succeeded, want an error")
	}
}

func TestCommentRoundTrip(t *testing.T) {
	key := testKey(t)
	r, line, err := Sign(key, sampleRecord())
	if err != nil {
		t.Fatal(err)
	}
	body := Comment(r, line)
	if strings.Contains(body, "<b>now</b>") {
		t.Errorf("the summary does not escape the title:\n%s", body)
	}
	for _, login := range []string{"dev", "lead", "ann", "bob"} {
		if !strings.Contains(body, "`@"+login+"`") || strings.Contains(body, " @"+login) {
			t.Errorf("@%s is not in a code span, where it notifies no one:\n%s", login, body)
		}
	}
	got, err := FromComment(body)
	if err != nil {
		t.Fatalf("FromComment: %v", err)
	}
	if !bytes.Equal(got, line) {
		t.Errorf("FromComment = %s, want %s", got, line)
	}
	if _, err := Verify(key.Public().(ed25519.PublicKey), got); err != nil {
		t.Errorf("the record read from the comment does not verify: %v", err)
	}
	if _, err := FromComment("someone's comment\n" + body); err == nil {
		t.Error("FromComment accepted a comment without the marker on its first line")
	}
}

func TestSummaryBypassed(t *testing.T) {
	r := sampleRecord()
	r.Bypassed, r.Conclusion = true, "failure"
	if s := Summary(r); !strings.Contains(s, "merged past the gate") || !strings.Contains(s, "failure") {
		t.Errorf("a bypassed record's summary does not say so:\n%s", s)
	}
	if s := Summary(sampleRecord()); strings.Contains(s, "past the gate") {
		t.Errorf("a passing record's summary says it was bypassed:\n%s", s)
	}
}
