package web

import (
	"net/http"
	"testing"
	"time"
)

func TestSessionCookie(t *testing.T) {
	cases := []struct {
		name string
		// spoil changes the signed-in browser's session cookie, or the
		// clock; nil leaves the session as it is.
		spoil    func(t *testing.T, e *env, c *http.Cookie)
		signedIn bool
	}{
		{name: "as issued", signedIn: true},
		{name: "one character changed", spoil: func(t *testing.T, e *env, c *http.Cookie) {
			b := []byte(c.Value)
			b[len(b)/2] ^= 1
			c.Value = string(b)
		}},
		{name: "truncated", spoil: func(t *testing.T, e *env, c *http.Cookie) { c.Value = c.Value[:len(c.Value)-4] }},
		{name: "sealed with another session key", spoil: func(t *testing.T, e *env, c *http.Cookie) {
			other, err := newSealer([]byte("another key, another key, another"), sessionCookie)
			if err != nil {
				t.Fatal(err)
			}
			c.Value = seal(t, other, session{Login: "alice", Token: "ghu_x", CSRF: "c", Issued: e.clock.Now()})
		}},
		{name: "a sign-in cookie's sealing", spoil: func(t *testing.T, e *env, c *http.Cookie) {
			var s session
			if err := e.h.sessions.open(c.Value, &s); err != nil {
				t.Fatal(err)
			}
			c.Value = seal(t, e.h.states, s)
		}},
		{name: "eight hours later", spoil: func(t *testing.T, e *env, c *http.Cookie) { e.clock.Add(sessionLifetime) }},
		{name: "the token expired before the session", spoil: func(t *testing.T, e *env, c *http.Cookie) {
			var s session
			if err := e.h.sessions.open(c.Value, &s); err != nil {
				t.Fatal(err)
			}
			s.TokenExpires = e.clock.Now().Add(time.Hour)
			c.Value = seal(t, e.h.sessions, s)
			e.clock.Add(time.Hour)
		}},
		{name: "issued in the future", spoil: func(t *testing.T, e *env, c *http.Cookie) {
			var s session
			if err := e.h.sessions.open(c.Value, &s); err != nil {
				t.Fatal(err)
			}
			s.Issued = e.clock.Now().Add(time.Hour)
			c.Value = seal(t, e.h.sessions, s)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			b := newBrowser(t)
			b.signIn(e, "alice")
			if tc.spoil != nil {
				c := b.cookie(e, sessionCookie)
				tc.spoil(t, e, c)
				b.setCookie(e, c)
			}
			got := b.get(e.url + "/orgs/acme")
			if tc.signedIn {
				if got.StatusCode != 200 || got.body != "board acme for alice" {
					t.Fatalf("board: %d %q", got.StatusCode, got.body)
				}
				return
			}
			if got.StatusCode != http.StatusSeeOther || got.Header.Get("Location") != "/login?next=%2Forgs%2Facme" {
				t.Fatalf("board with a spoilt session: %d to %q, want a redirect to sign in", got.StatusCode, got.Header.Get("Location"))
			}
			if b.cookie(e, sessionCookie) != nil {
				t.Error("the spoilt cookie was kept")
			}
		})
	}
}

func seal(t testing.TB, s *sealer, v any) string {
	t.Helper()
	out, err := s.seal(v)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSealer(t *testing.T) {
	key := []byte(testSessionKey)
	s, err := newSealer(key, sessionCookie)
	if err != nil {
		t.Fatal(err)
	}
	a, b := seal(t, s, session{Login: "alice"}), seal(t, s, session{Login: "alice"})
	if a == b {
		t.Error("two sealings of the same value are equal: the nonce is not random")
	}
	var got session
	if err := s.open(a, &got); err != nil || got.Login != "alice" {
		t.Fatalf("open: %v %+v", err, got)
	}
	if _, err := newSealer(key[:31], sessionCookie); err == nil {
		t.Error("a 31-byte key was accepted")
	}
}
