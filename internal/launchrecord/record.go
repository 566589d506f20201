// Package launchrecord is the signed launch record launchgate writes when a
// launch pull request merges: what held at the merge, who attested what,
// and whether the gate was bypassed. Records are signed with Ed25519 so
// that anyone holding the public key can verify one and nobody but
// launchgate can sign one.
package launchrecord

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"time"
)

// Record is one merged launch pull request. Its JSON form is what is
// signed and published; see Signed for the exact bytes.
type Record struct {
	Repo     string    `json:"repo"` // "owner/name"
	PR       int       `json:"pr"`
	Title    string    `json:"title"`
	Author   string    `json:"author"`
	Merge    string    `json:"merge_commit"`
	MergedBy string    `json:"merged_by"`
	MergedAt time.Time `json:"merged_at"`
	// Head is the head commit last evaluated; Conclusion is this App's
	// run's conclusion on it, "none" when there was no run.
	Head       string `json:"head"`
	Conclusion string `json:"conclusion"`
	// Bypassed is true when the head's conclusion was not "success": an
	// admin merged past the gate, or the check is not required.
	Bypassed     bool          `json:"bypassed"`
	PolicySource string        `json:"policy_source"`
	PolicyDigest string        `json:"policy_digest"`
	Version      string        `json:"launchgate_version"`
	Requirements []Requirement `json:"requirements"`
	Signoffs     []Signoff     `json:"signoffs"`
	Approvals    []Approval    `json:"approvals"`
	Waivers      []Waiver      `json:"waivers"`
	// Signature is the Ed25519 signature of Signed's bytes, standard
	// base64; empty while the record is being signed.
	Signature string `json:"signature,omitempty"`
}

// Requirement is a requirement's status at the merge, with its checks'.
type Requirement struct {
	ID     string  `json:"id"`
	Status string  `json:"status"`
	Checks []Check `json:"checks"`
}

// Check is one check's status at the merge.
type Check struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	Status string `json:"status"`
}

// Signoff is a valid sign-off: who ticked the item, when, and the digest
// of the files it attested.
type Signoff struct {
	Item   string    `json:"item"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
	Digest string    `json:"digest"`
}

// Approval is a team's counting approval and the commit it was given on.
type Approval struct {
	Team   string    `json:"team"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
	Commit string    `json:"commit"`
}

// Waiver is a check waived at the merge.
type Waiver struct {
	Check  string    `json:"check"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
	Until  string    `json:"until"`
	Reason string    `json:"reason"`
}

// Signed returns the bytes a record's signature covers: the record as
// encoding/json marshals it with Signature empty (and so left out): fields
// in Record's declaration order, no white space, HTML characters escaped
// as \u003c, times in RFC 3339. Build records with UTC times so that they
// survive a round trip through JSON unchanged.
func Signed(r Record) ([]byte, error) {
	r.Signature = ""
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("launchrecord: encoding the record of %s#%d: %w", r.Repo, r.PR, err)
	}
	return b, nil
}

// Sign returns the record with its signature set, and its JSON line (the
// bytes published, without a trailing newline).
func Sign(key ed25519.PrivateKey, r Record) (Record, []byte, error) {
	msg, err := Signed(r)
	if err != nil {
		return Record{}, nil, err
	}
	r.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(key, msg))
	line, err := json.Marshal(r)
	if err != nil {
		return Record{}, nil, fmt.Errorf("launchrecord: encoding the signed record of %s#%d: %w", r.Repo, r.PR, err)
	}
	return r, line, nil
}

// Verify parses one published record and checks its signature with pub.
// It fails closed: a line that is not exactly the record's canonical JSON
// (an unknown field, white space, a reordered field) is refused as well as
// a signature that does not match, so that no byte of a verified line can
// have been changed.
func Verify(pub ed25519.PublicKey, line []byte) (Record, error) {
	line = bytes.TrimSpace(line)
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	var r Record
	if err := dec.Decode(&r); err != nil {
		return Record{}, fmt.Errorf("not a launch record: %w", err)
	}
	if dec.More() {
		return Record{}, errors.New("not a launch record: text follows the JSON object")
	}
	canonical, err := json.Marshal(r)
	if err != nil {
		return Record{}, fmt.Errorf("re-encoding the record: %w", err)
	}
	if !bytes.Equal(canonical, line) {
		return r, errors.New("the record is not in its signed form (edited, reformatted or with fields reordered)")
	}
	sig, err := base64.StdEncoding.DecodeString(r.Signature)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return r, errors.New("the record has no valid Ed25519 signature")
	}
	msg, err := Signed(r)
	if err != nil {
		return r, err
	}
	if !ed25519.Verify(pub, msg, sig) {
		return r, errors.New("the signature does not verify with this public key")
	}
	return r, nil
}

// ParsePrivateKey parses a record signing key: a PEM "PRIVATE KEY" block
// holding a PKCS#8 Ed25519 key (`openssl genpkey -algorithm ed25519`).
// Errors never include the key's bytes.
func ParsePrivateKey(data []byte) (ed25519.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, errors.New("not a PEM PRIVATE KEY block (make one with `openssl genpkey -algorithm ed25519`)")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, errors.New("the PRIVATE KEY block does not parse as PKCS#8")
	}
	ek, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("the PRIVATE KEY block holds a %T; launch records need an Ed25519 key", k)
	}
	return ek, nil
}

// PrivateKeyPEM encodes key as ParsePrivateKey reads it.
func PrivateKeyPEM(key ed25519.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("launchrecord: encoding the private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// PublicKeyPEM is key's public half as a PEM "PUBLIC KEY" block (PKIX), as
// `openssl pkey -pubout` writes it.
func PublicKeyPEM(key ed25519.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return nil, fmt.Errorf("launchrecord: encoding the public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// ParsePublicKey parses what PublicKeyPEM writes.
func ParsePublicKey(data []byte) (ed25519.PublicKey, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PUBLIC KEY" {
		return nil, errors.New("not a PEM PUBLIC KEY block")
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("the PUBLIC KEY block does not parse: %w", err)
	}
	ek, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("the PUBLIC KEY block holds a %T, not an Ed25519 key", k)
	}
	return ek, nil
}

// NewKeyPEM generates a record signing key, PEM as ParsePrivateKey reads
// it: for the demo and the load test, which run with throwaway keys.
func NewKeyPEM() (string, error) {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", fmt.Errorf("launchrecord: generating a key: %w", err)
	}
	b, err := PrivateKeyPEM(key)
	return string(b), err
}
