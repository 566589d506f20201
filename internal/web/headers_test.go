package web

import (
	"net/http"
	"strings"
	"testing"
)

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t)
	signedIn := newBrowser(t)
	signedIn.signIn(e, "alice")
	want := map[string]string{
		"Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "same-origin",
		"X-Frame-Options":         "DENY",
		"Cache-Control":           "no-store",
	}
	cases := []struct {
		name   string
		client *browser
		method string
		path   string
	}{
		{name: "board", client: signedIn, method: "GET", path: "/orgs/acme"},
		{name: "not allowed", client: signedIn, method: "GET", path: "/other/secret/pull/1"},
		{name: "not found", client: newBrowser(t), method: "GET", path: "/x"},
		{name: "sign-in redirect", client: newBrowser(t), method: "GET", path: "/login"},
		{name: "callback refusal", client: newBrowser(t), method: "GET", path: "/login/callback?code=x&state=y"},
		{name: "JSON 401", client: newBrowser(t), method: "GET", path: "/api/orgs/acme/launches"},
		{name: "logout refusal", client: signedIn, method: "POST", path: "/logout"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got page
			if tc.method == "POST" {
				got = tc.client.post(e.url+tc.path, nil)
			} else {
				got = tc.client.get(e.url + tc.path)
			}
			for k, v := range want {
				if got.Header.Get(k) != v {
					t.Errorf("%s %s (%d): %s is %q, want %q", tc.method, tc.path, got.StatusCode, k, got.Header.Get(k), v)
				}
			}
		})
	}
}

func TestMessagePagesEscape(t *testing.T) {
	rec := httptestRecorder(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeMessage(w, http.StatusBadRequest, "<b>t</b>", `<script>alert(1)</script>`, "")
	}), "GET", "/")
	if body := rec.Body.String(); strings.Contains(body, "<script>") || strings.Contains(body, "<b>") {
		t.Fatalf("unescaped text in a message page:\n%s", body)
	}
}

// TestStylesheet: the one stylesheet the layout links to is served from
// the binary, as CSS, to anyone (the sign-in pages use it too).
func TestStylesheet(t *testing.T) {
	e := newEnv(t)
	got := newBrowser(t).get(e.url + stylesheetPath)
	if got.StatusCode != http.StatusOK || got.Header.Get("Content-Type") != "text/css; charset=utf-8" {
		t.Fatalf("GET %s: %d %q", stylesheetPath, got.StatusCode, got.Header.Get("Content-Type"))
	}
	if !strings.Contains(got.body, ":focus") {
		t.Errorf("the stylesheet has no focus style:\n%s", got.body)
	}
	if got.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("X-Content-Type-Options %q", got.Header.Get("X-Content-Type-Options"))
	}
}

// TestStrictTransportSecurity: HSTS only when the pages are on https (an
// http loopback URL, for trying the pages out, must not pin the browser).
func TestStrictTransportSecurity(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	for _, tc := range []struct {
		secure bool
		want   string
	}{
		{secure: true, want: hsts},
		{secure: false, want: ""},
	} {
		rec := httptestRecorder(securityHeaders(ok, tc.secure), "GET", "/")
		if got := rec.Header().Get("Strict-Transport-Security"); got != tc.want {
			t.Errorf("secure %v: Strict-Transport-Security %q, want %q", tc.secure, got, tc.want)
		}
	}
}
