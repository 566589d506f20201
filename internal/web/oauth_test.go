package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestSignIn(t *testing.T) {
	e := newEnv(t)
	b := newBrowser(t)
	back := b.authorize(e, "alice", "/orgs/acme?sort=age")
	if back.Path != callbackPath || !strings.HasPrefix(back.String(), e.url) {
		t.Fatalf("GitHub sent the browser to %s, want %s%s", back, e.url, callbackPath)
	}
	done := b.get(back.String())
	if done.StatusCode != http.StatusSeeOther || done.Header.Get("Location") != "/orgs/acme?sort=age" {
		t.Fatalf("callback: %d to %q: %s", done.StatusCode, done.Header.Get("Location"), done.body)
	}
	var session *http.Cookie
	for _, c := range done.Cookies() {
		if c.Name == sessionCookie {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Path != "/" || session.MaxAge != 8*3600 {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Lax, Path=/, Max-Age 8 h", session)
	}
	if strings.Contains(session.Value, "ghu_") {
		t.Fatal("the session cookie shows the user token")
	}
	if got := b.get(e.url + "/orgs/acme"); got.StatusCode != 200 || got.body != "board acme for alice" {
		t.Fatalf("board after sign-in: %d %q", got.StatusCode, got.body)
	}
	t.Run("the authorize request carries the PKCE challenge of the cookie's verifier", func(t *testing.T) {
		b := newBrowser(t)
		start := b.get(e.url + loginPath)
		to, _ := url.Parse(start.Header.Get("Location"))
		var st oauthState
		if c := b.cookie(e, stateCookie); c == nil || e.h.states.open(c.Value, &st) != nil {
			t.Fatal("no sign-in cookie")
		}
		q := to.Query()
		if len(st.Verifier) != 43 || q.Get("code_challenge") != pkceChallenge(st.Verifier) || q.Get("code_challenge_method") != "S256" {
			t.Fatalf("authorize query %v for verifier %q", q, st.Verifier)
		}
		if q.Get("state") != st.State || strings.Contains(to.String(), st.Verifier) {
			t.Fatalf("authorize query %v: want the state, never the verifier", q)
		}
	})
	t.Run("Secure on https", func(t *testing.T) {
		opts := e.options()
		opts.PublicURL = "https://launchgate.example"
		h, err := newHandler(opts)
		if err != nil {
			t.Fatal(err)
		}
		rec := httptestRecorder(h.routes(recordingPages{}), "GET", "/login")
		for _, c := range rec.Result().Cookies() {
			if c.Name == stateCookie && (!c.Secure || !c.HttpOnly || c.Path != callbackPath) {
				t.Fatalf("sign-in cookie %+v: want Secure, HttpOnly, Path=%s", c, callbackPath)
			}
		}
		if loc := rec.Header().Get("Location"); !strings.Contains(loc, url.QueryEscape("https://launchgate.example/login/callback")) {
			t.Fatalf("redirect_uri not the https callback: %s", loc)
		}
	})
}

func TestCallbackRefusals(t *testing.T) {
	cases := []struct {
		name string
		// callback returns the callback URL a browser then opens.
		callback func(t *testing.T, e *env, b *browser) string
		status   int
	}{
		{name: "state not this browser's", status: http.StatusBadRequest, callback: func(t *testing.T, e *env, b *browser) string {
			back := b.authorize(e, "alice", "/")
			q := back.Query()
			q.Set("state", "forged")
			back.RawQuery = q.Encode()
			return back.String()
		}},
		{name: "started in another browser", status: http.StatusBadRequest, callback: func(t *testing.T, e *env, b *browser) string {
			return newBrowser(t).authorize(e, "mallory", "/").String()
		}},
		{name: "code used twice", status: http.StatusBadRequest, callback: func(t *testing.T, e *env, b *browser) string {
			first := b.authorize(e, "alice", "/")
			if got := b.get(first.String()); got.StatusCode != http.StatusSeeOther {
				t.Fatalf("first callback: %d", got.StatusCode)
			}
			b.get(e.url + loginPath) // a new sign-in: a valid state, the old code
			state := b.cookie(e, stateCookie)
			var st oauthState
			if state == nil || e.h.states.open(state.Value, &st) != nil {
				t.Fatal("no sign-in cookie")
			}
			q := first.Query()
			q.Set("state", st.State)
			first.RawQuery = q.Encode()
			return first.String()
		}},
		{name: "a code taken from another browser's callback", status: http.StatusBadRequest, callback: func(t *testing.T, e *env, b *browser) string {
			stolen := newBrowser(t).authorize(e, "alice", "/") // alice's code, never used by her browser
			b.get(e.url + loginPath)                           // the thief's own sign-in: their state and verifier
			var st oauthState
			if c := b.cookie(e, stateCookie); c == nil || e.h.states.open(c.Value, &st) != nil {
				t.Fatal("no sign-in cookie")
			}
			q := stolen.Query()
			q.Set("state", st.State)
			stolen.RawQuery = q.Encode()
			return stolen.String()
		}},
		{name: "sign-in older than ten minutes", status: http.StatusBadRequest, callback: func(t *testing.T, e *env, b *browser) string {
			back := b.authorize(e, "alice", "/")
			e.clock.Add(stateLifetime)
			return back.String()
		}},
		{name: "user declined", status: http.StatusForbidden, callback: func(t *testing.T, e *env, b *browser) string {
			back := b.authorize(e, "alice", "/")
			q := back.Query()
			q.Del("code")
			q.Set("error", "access_denied")
			back.RawQuery = q.Encode()
			return back.String()
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			b := newBrowser(t)
			got := b.get(tc.callback(t, e, b))
			if got.StatusCode != tc.status {
				t.Fatalf("callback answered %d, want %d: %s", got.StatusCode, tc.status, got.body)
			}
			if b.cookie(e, sessionCookie) != nil && tc.name != "code used twice" {
				t.Error("a refused callback left a session cookie")
			}
			if page := b.get(e.url + "/orgs/acme"); tc.name != "code used twice" && page.StatusCode != http.StatusSeeOther {
				t.Errorf("board after a refused sign-in: %d, want a redirect to sign in", page.StatusCode)
			}
		})
	}
}

func TestOpenRedirectRefused(t *testing.T) {
	cases := []struct {
		next, want string
	}{
		{next: "/orgs/acme", want: "/orgs/acme"},
		{next: "/acme/web/pull/3?x=1", want: "/acme/web/pull/3?x=1"},
		{next: "", want: "/"},
		{next: "//evil.example/x", want: "/"},
		{next: `/\evil.example`, want: "/"},
		{next: "https://evil.example/", want: "/"},
		{next: "javascript:alert(1)", want: "/"},
		{next: "orgs/acme", want: "/"},
		{next: "/\t/evil.example", want: "/"},
		{next: "/a\\b", want: "/"},
	}
	for _, tc := range cases {
		t.Run(tc.next, func(t *testing.T) {
			if got := localPath(tc.next); got != tc.want {
				t.Errorf("localPath(%q) = %q, want %q", tc.next, got, tc.want)
			}
		})
	}
	t.Run("through a whole sign-in", func(t *testing.T) {
		e := newEnv(t)
		b := newBrowser(t)
		got := b.get(b.authorize(e, "alice", "//evil.example/steal").String())
		if got.StatusCode != http.StatusSeeOther || got.Header.Get("Location") != "/" {
			t.Fatalf("callback: %d to %q, want / on this site", got.StatusCode, got.Header.Get("Location"))
		}
	})
}

func TestLogout(t *testing.T) {
	e := newEnv(t)
	b := newBrowser(t)
	b.signIn(e, "alice")
	var s session
	if err := e.h.sessions.open(b.cookie(e, sessionCookie).Value, &s); err != nil {
		t.Fatal(err)
	}
	stolen := *b.cookie(e, sessionCookie)
	cases := []struct {
		name   string
		form   url.Values
		header []string
		status int
	}{
		{name: "no CSRF token", form: url.Values{}, status: http.StatusForbidden},
		{name: "wrong CSRF token", form: url.Values{csrfField: {"guess"}}, status: http.StatusForbidden},
		{name: "posted from another site", form: url.Values{csrfField: {s.CSRF}}, header: []string{"Origin", "https://evil.example"}, status: http.StatusForbidden},
		{name: "with the token", form: url.Values{csrfField: {s.CSRF}}, header: []string{"Origin", e.url}, status: http.StatusOK},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := b.post(e.url+logoutPath, tc.form, tc.header...)
			if got.StatusCode != tc.status {
				t.Fatalf("logout answered %d, want %d: %s", got.StatusCode, tc.status, got.body)
			}
			board := b.get(e.url + "/orgs/acme")
			if signedOut := board.StatusCode == http.StatusSeeOther; signedOut != (tc.status == http.StatusOK) {
				t.Fatalf("after the logout answered %d, the board answers %d", got.StatusCode, board.StatusCode)
			}
		})
	}
	t.Run("a copy of the cookie is worthless afterwards", func(t *testing.T) {
		thief := newBrowser(t)
		thief.setCookie(e, &stolen)
		// At once on this replica, though its answers were cached; and
		// after the cache, GitHub refuses the revoked token anywhere.
		for _, wait := range []time.Duration{0, 2 * time.Minute} {
			e.clock.Add(wait)
			got := thief.get(e.url + "/orgs/acme")
			if got.StatusCode != http.StatusSeeOther || !strings.HasPrefix(got.Header.Get("Location"), loginPath) {
				t.Fatalf("stolen cookie %v after logout: %d %q %s", wait, got.StatusCode, got.Header.Get("Location"), got.body)
			}
		}
	})
}

// TestSecretsNeverLogged: a whole visit, refusals included, logs neither
// the user's token, nor the client secret, nor the session cookie.
func TestSecretsNeverLogged(t *testing.T) {
	e := newEnv(t)
	b := newBrowser(t)
	b.signIn(e, "alice")
	cookie := b.cookie(e, sessionCookie).Value
	var s session
	if err := e.h.sessions.open(cookie, &s); err != nil {
		t.Fatal(err)
	}
	b.get(e.url + "/orgs/acme")
	b.get(e.url + "/other/secret/pull/1")
	b.post(e.url+logoutPath, url.Values{}) // refused: no CSRF token
	b.post(e.url+logoutPath, url.Values{csrfField: {s.CSRF}}, "Origin", e.url)
	logs := e.logs.String()
	if !strings.Contains(logs, `"login":"alice"`) {
		t.Fatalf("the visit was not logged (so this test would prove nothing):\n%s", logs)
	}
	for what, secret := range map[string]string{"user token": s.Token, "client secret": testClientSecret, "session cookie": cookie, "CSRF secret": s.CSRF} {
		if strings.Contains(logs, secret) {
			t.Errorf("the %s is in the logs:\n%s", what, logs)
		}
	}
}
