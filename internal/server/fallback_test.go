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
		{method: "GET", path: "/orgs/acme", pages: true},
		{method: "GET", path: "/acme/web/pull/3", pages: true},
		{method: "GET", path: "/login/callback?code=x", pages: true},
		{method: "POST", path: "/logout", pages: true},
		{method: "GET", path: "/healthz"},
		{method: "GET", path: "/metrics"},
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
