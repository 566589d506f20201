package server

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// The pages take every path the App's own routes leave: theirs keep
// answering as before.
func TestPagesAreTheFallback(t *testing.T) {
	h := newHarness(t, func(_ *Config, o *Options) {
		o.Pages = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "pages") })
	})
	cases := []struct {
		method, path string
		pages        bool
	}{
		{method: "GET", path: "/", pages: true},
		{method: "GET", path: "/orgs/acme", pages: true},
		{method: "GET", path: "/acme/web/pull/3", pages: true},
		{method: "GET", path: "/login/callback?code=x", pages: true},
		{method: "POST", path: "/logout", pages: true},
		{method: "GET", path: "/healthz", pages: true},
		{method: "GET", path: "/metrics", pages: true},
		{method: "GET", path: RecordsPublicKeyPath},
		{method: "POST", path: HookPath},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, h.url+tc.path, strings.NewReader("{}"))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if (string(body) == "pages") != tc.pages {
				t.Fatalf("%s %s answered %d %q; served by the pages: %v, want %v", tc.method, tc.path, resp.StatusCode, body, string(body) == "pages", tc.pages)
			}
		})
	}
}

// The public listener serves no operational route, however its path is
// spelled: a proxy in front of it that matches on the raw path cannot
// reach /metrics through /%6Detrics, because only the internal listener
// has it. Without pages such a request is a plain 404; with them, the
// pages answer it (the raw path they see proves it arrived encoded).
func TestPublicHandlerServesNoOperationalRoute(t *testing.T) {
	for _, withPages := range []bool{false, true} {
		h := newHarness(t, func(_ *Config, o *Options) {
			if withPages {
				o.Pages = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					http.Error(w, "pages 404 "+r.RequestURI, http.StatusNotFound)
				})
			}
		})
		for _, path := range []string{"/metrics", "/%6Detrics", "/healthz", "/readyz"} {
			req, err := http.NewRequest(http.MethodGet, h.url+path, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body := strings.TrimSpace(string(b))
			want := "404 page not found"
			if withPages {
				want = "pages 404 " + path
			}
			if resp.StatusCode != http.StatusNotFound || body != want {
				t.Errorf("pages %v: GET %s on the public handler = %d %q, want 404 %q", withPages, path, resp.StatusCode, body, want)
			}
		}
		// The same paths on the internal listener are the operational
		// routes, so the 404s above are not those of a broken App.
		for _, path := range []string{"/metrics", "/%6Detrics", "/healthz", "/readyz"} {
			if code, _ := get(t, h.internalURL+path); code != http.StatusOK {
				t.Errorf("pages %v: GET %s on the internal handler = %d, want 200", withPages, path, code)
			}
		}
	}
}

// The internal listener serves the operational routes and nothing else:
// neither webhooks, the records key nor the pages.
func TestInternalHandlerServesOnlyOperationalRoutes(t *testing.T) {
	h := newHarness(t, func(_ *Config, o *Options) {
		o.Pages = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "pages") })
	})
	cases := []struct {
		method, path string
		want         int
	}{
		{method: "POST", path: HookPath, want: http.StatusNotFound},
		{method: "GET", path: RecordsPublicKeyPath, want: http.StatusNotFound},
		{method: "GET", path: "/", want: http.StatusNotFound},
		{method: "GET", path: "/orgs/acme", want: http.StatusNotFound},
		{method: "POST", path: "/metrics", want: http.StatusMethodNotAllowed},
	}
	for _, tc := range cases {
		req, _ := http.NewRequest(tc.method, h.internalURL+tc.path, strings.NewReader("{}"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want || string(body) == "pages" {
			t.Errorf("%s %s on the internal handler = %d %q, want %d", tc.method, tc.path, resp.StatusCode, body, tc.want)
		}
	}
}
