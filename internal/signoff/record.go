package signoff

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// MinKeyLen is the shortest signing key accepted: HMAC-SHA256 wants a key
// at least as long as its output to be as strong as the hash.
const MinKeyLen = 32

// CheckKey reports whether key can sign records. The server checks its
// configured key at start-up; Sign and Verify refuse a key that fails.
func CheckKey(key []byte) error {
	if len(key) < MinKeyLen {
		return fmt.Errorf("signoff: the signing key is %d bytes long; it must be at least %d random bytes", len(key), MinKeyLen)
	}
	return nil
}

// Record is one sign-off: who ticked which item of which pull request,
// when, and the digest of the artifacts the item attests at that moment.
type Record struct {
	Repo   string // "owner/name"
	PR     int
	Item   string
	User   string // login
	At     time.Time
	Digest string // Artifacts.Digest
}

// Sign returns the record's signature: HMAC-SHA256 under key over a
// canonical encoding of every field, base64url without padding. A record
// copied to another repository, pull request or item, or with any field
// edited, no longer verifies. Sign returns "" for a key CheckKey refuses,
// and "" never verifies.
func Sign(key []byte, r Record) string {
	if CheckKey(key) != nil {
		return ""
	}
	return encodeMAC(recordMAC(key, r))
}

func encodeMAC(m []byte) string { return base64.RawURLEncoding.EncodeToString(m) }

// hmacEqual reports, in constant time, whether sig encodes want.
func hmacEqual(sig string, want []byte) bool {
	got, err := base64.RawURLEncoding.DecodeString(sig)
	return err == nil && hmac.Equal(got, want)
}

// Verify reports, in constant time, whether sig is the signature of r
// under key.
func Verify(key []byte, sig string, r Record) bool {
	if CheckKey(key) != nil {
		return false
	}
	return hmacEqual(sig, recordMAC(key, r))
}

// recordMAC compares logins and repository names case-insensitively, as
// GitHub does, and times to the second, which is what the comment keeps.
func recordMAC(key []byte, r Record) []byte {
	return mac(key, "record",
		strings.ToLower(r.Repo), strconv.Itoa(r.PR), r.Item, strings.ToLower(r.User),
		r.At.UTC().Truncate(time.Second).Format(time.RFC3339), r.Digest)
}

// noteMAC binds a note launchgate wrote to its pull request and item, so
// that nobody editing the comment can make launchgate appear to say
// something in the check run.
func noteMAC(key []byte, repo string, pr int, item, text string) string {
	if CheckKey(key) != nil {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(mac(key, "note", strings.ToLower(repo), strconv.Itoa(pr), item, text))
}

func verifyNote(key []byte, repo string, pr int, item, text, sig string) bool {
	want := noteMAC(key, repo, pr, item, text)
	return want != "" && hmac.Equal([]byte(sig), []byte(want))
}

// mac is HMAC-SHA256 over a domain tag and length-prefixed fields, so that
// no two different field lists (or a record and a note) encode alike.
func mac(key []byte, domain string, fields ...string) []byte {
	h := hmac.New(sha256.New, key)
	fmt.Fprintf(h, "launchgate-signoff-v1 %s\n", domain)
	for _, f := range fields {
		fmt.Fprintf(h, "%d:%s", len(f), f)
	}
	return h.Sum(nil)
}
