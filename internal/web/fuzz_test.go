package web

import (
	"encoding/base64"
	"net/url"
	"strings"
	"testing"
)

// FuzzLocalPath: whatever `next` a sign-in is given, where the browser
// goes afterwards stays on launchgate. Browsers read "\" as "/" and drop
// tabs and newlines (https://url.spec.whatwg.org/#url-parsing), so a kept
// path must hold none of them and must not start "//".
func FuzzLocalPath(f *testing.F) {
	for _, seed := range []string{
		"/orgs/acme", "/acme/web/pull/3?x=1#f", "", "//evil.example", `/\evil.example`, "/\t/evil.example",
		"https://evil.example/", "javascript:alert(1)", "/%2F%2Fevil.example", "/..//evil.example", "/a/../../b",
	} {
		f.Add(seed)
	}
	site, _ := url.Parse("https://launchgate.example.com/login/callback")
	f.Fuzz(func(t *testing.T, next string) {
		got := localPath(next)
		if got == "/" {
			return
		}
		if got != next {
			t.Fatalf("localPath(%q) = %q: a path is kept as given or replaced by /", next, got)
		}
		if !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") || strings.ContainsAny(got, "\\\t\n\r") {
			t.Fatalf("localPath(%q) kept %q, which a browser may read as another site", next, got)
		}
		u, err := url.Parse(got)
		if err != nil {
			t.Fatalf("localPath(%q) kept %q, which does not parse: %v", next, got, err)
		}
		if to := site.ResolveReference(u); to.Host != site.Host || to.Scheme != site.Scheme {
			t.Fatalf("localPath(%q) = %q leads to %s", next, got, to)
		}
	})
}

// FuzzOpenCookie: no cookie opens as a session but one launchgate
// sealed. A value made up from nothing never opens, nor does a sealed one
// with a bit changed or bytes added.
func FuzzOpenCookie(f *testing.F) {
	s, err := newSealer([]byte(testSessionKey), sessionCookie)
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []struct {
		made     string
		at       uint
		flip     byte
		appended string
	}{
		{made: "", at: 0, flip: 1},
		{made: "e30", at: 13, flip: 0x80},
		{made: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", at: 40, flip: 0, appended: "A"},
	} {
		f.Add(seed.made, seed.at, seed.flip, seed.appended)
	}
	f.Fuzz(func(t *testing.T, made string, at uint, flip byte, appended string) {
		var got session
		if err := s.open(made, &got); err == nil {
			t.Fatalf("a made-up cookie %q opened as %+v", made, got)
		}
		sealed, err := s.seal(session{Login: "alice", Token: "ghu_x", CSRF: "c"})
		if err != nil {
			t.Fatal(err)
		}
		raw, err := base64.RawURLEncoding.DecodeString(sealed)
		if err != nil {
			t.Fatal(err)
		}
		i := at % uint(len(raw))
		raw[i] ^= flip
		raw = append(raw, appended...)
		changed := flip != 0 || appended != ""
		if err := s.open(base64.RawURLEncoding.EncodeToString(raw), &got); (err == nil) == changed {
			t.Fatalf("a sealed cookie with byte %d xor %#x and %q appended: open error %v", i, flip, appended, err)
		}
	})
}
