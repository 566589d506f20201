package web

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// A session is a cookie sealed with AES-256-GCM: the browser holds it but
// can neither read it (it carries the user's GitHub token) nor change it
// (any change fails authentication and the cookie is ignored). Nothing is
// kept server-side, so replicas share sessions through the key alone.
const (
	sessionCookie   = "launchgate_session"
	stateCookie     = "launchgate_oauth"
	sessionLifetime = 8 * time.Hour
	// stateLifetime matches the life of GitHub's authorization codes.
	stateLifetime = 10 * time.Minute
	// MinSessionKeyBytes is the shortest session key accepted.
	MinSessionKeyBytes = 32
)

// session is what the session cookie holds.
type session struct {
	Login string `json:"login"`
	Token string `json:"token"`
	// TokenExpires is when GitHub stops accepting Token; zero for a token
	// that does not expire.
	TokenExpires time.Time `json:"token_expires,omitzero"`
	// CSRF is the secret every POST form must echo.
	CSRF   string    `json:"csrf"`
	Issued time.Time `json:"issued"`
}

// expired says whether the session is over at now: eight hours after it
// began, or when GitHub stops accepting its token, whichever comes first.
// One issued in the future is refused too: it was not issued by this clock.
func (s *session) expired(now time.Time) bool {
	return !now.Before(s.Issued.Add(sessionLifetime)) ||
		(!s.TokenExpires.IsZero() && !now.Before(s.TokenExpires)) ||
		s.Issued.After(now.Add(time.Minute))
}

// sealer seals values for one cookie with its own key, derived from the
// session key with HKDF (RFC 5869), so that one cookie can never be
// opened as another.
type sealer struct {
	aead    cipher.AEAD
	purpose []byte // the cookie's name, authenticated with every value
}

func newSealer(key []byte, purpose string) (*sealer, error) {
	if len(key) < MinSessionKeyBytes {
		return nil, fmt.Errorf("web: the session key has %d bytes; it needs at least %d", len(key), MinSessionKeyBytes)
	}
	derived, err := hkdf.Key(sha256.New, key, nil, "launchgate web cookie "+purpose, 32)
	if err != nil {
		return nil, fmt.Errorf("web: deriving the %s key: %w", purpose, err)
	}
	block, err := aes.NewCipher(derived)
	if err != nil {
		return nil, fmt.Errorf("web: %s cipher: %w", purpose, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("web: %s cipher: %w", purpose, err)
	}
	return &sealer{aead: aead, purpose: []byte(purpose)}, nil
}

// seal encrypts v's JSON under a random nonce: base64url(nonce ‖ sealed).
func (s *sealer) seal(v any) (string, error) {
	plain, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("web: encoding the %s cookie: %w", s.purpose, err)
	}
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(s.aead.Seal(nonce, nonce, plain, s.purpose)), nil
}

var errBadCookie = errors.New("web: cookie does not open")

// open is seal's inverse; a value sealed under another key or purpose, or
// changed in any way, is errBadCookie.
func (s *sealer) open(text string, v any) error {
	raw, err := base64.RawURLEncoding.DecodeString(text)
	if err != nil || len(raw) < s.aead.NonceSize() {
		return errBadCookie
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, raw[:n], raw[n:], s.purpose)
	if err != nil {
		return errBadCookie
	}
	if err := json.Unmarshal(plain, v); err != nil {
		return errBadCookie
	}
	return nil
}

// tokenKey carries the viewer's GitHub token in a request's context, from
// the session to the gate, out of the pages' reach.
type tokenKey struct{}

func withToken(ctx context.Context, token string) context.Context {
	return context.WithValue(ctx, tokenKey{}, token)
}

func tokenFrom(ctx context.Context) string {
	tok, _ := ctx.Value(tokenKey{}).(string)
	return tok
}

// signedIn returns the viewer of a valid session, and the request's
// context carrying their token; nil when there is none. A cookie that
// does not open or has expired is deleted: it is treated as logged out.
func (h *handler) signedIn(w http.ResponseWriter, r *http.Request) (*viewer, context.Context) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil, r.Context()
	}
	var s session
	if err := h.sessions.open(c.Value, &s); err != nil || s.expired(h.now()) || s.Login == "" || s.Token == "" {
		h.clearCookie(w, sessionCookie, "/")
		return nil, r.Context()
	}
	return &viewer{Login: s.Login, CSRF: s.CSRF}, withToken(r.Context(), s.Token)
}

// startSession sets the session cookie for a new sign-in.
func (h *handler) startSession(w http.ResponseWriter, login, token string, tokenExpires time.Time) error {
	s := session{Login: login, Token: token, TokenExpires: tokenExpires, CSRF: rand.Text(), Issued: h.now()}
	sealed, err := h.sessions.seal(s)
	if err != nil {
		return err
	}
	h.setCookie(w, sessionCookie, "/", sealed, sessionLifetime)
	return nil
}

func (h *handler) setCookie(w http.ResponseWriter, name, path, value string, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: path, MaxAge: int(maxAge / time.Second),
		Secure: h.secure, HttpOnly: true, SameSite: http.SameSiteLaxMode,
	})
}

func (h *handler) clearCookie(w http.ResponseWriter, name, path string) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Path: path, MaxAge: -1, Secure: h.secure, HttpOnly: true, SameSite: http.SameSiteLaxMode,
	})
}
