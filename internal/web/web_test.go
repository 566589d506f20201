package web

import (
	"strings"
	"testing"
)

func TestCheckPublicURL(t *testing.T) {
	cases := []struct {
		url    string
		secure bool
		err    string
	}{
		{url: "https://launchgate.example.com", secure: true},
		{url: "https://launchgate.example.com/", secure: true},
		{url: "http://127.0.0.1:8080"},
		{url: "http://localhost:8080"},
		{url: "http://[::1]:8080"},
		{url: "http://launchgate.example.com", err: "must be https"},
		{url: "http://127.0.0.1.example.com", err: "must be https"},
		{url: "ftp://launchgate.example.com", err: "must be https"},
		{url: "https://launchgate.example.com/gate", err: "served at the root"},
		{url: "launchgate.example.com", err: "not an absolute URL"},
		{url: "", err: "not an absolute URL"},
	}
	for _, tc := range cases {
		t.Run(tc.url, func(t *testing.T) {
			u, err := CheckPublicURL(tc.url)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one saying %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (u.Scheme == "https") != tc.secure {
				t.Errorf("scheme %s", u.Scheme)
			}
		})
	}
}

func TestNewRefuses(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name string
		edit func(*Options)
		err  string
	}{
		{name: "short session key", edit: func(o *Options) { o.SessionKey = o.SessionKey[:16] }, err: "at least 32"},
		{name: "no client secret", edit: func(o *Options) { o.ClientSecret = "" }, err: "client secret"},
		{name: "no client id", edit: func(o *Options) { o.ClientID = "" }, err: "client id"},
		{name: "http on a network host", edit: func(o *Options) { o.PublicURL = "http://gate.example" }, err: "https"},
		{name: "API URL without its slash", edit: func(o *Options) { o.GitHubAPIURL = strings.TrimSuffix(o.GitHubAPIURL, "/") }, err: "end in /"},
		{name: "no App client", edit: func(o *Options) { o.App = nil }, err: "Options.App"},
		{name: "no record key", edit: func(o *Options) { o.RecordKey = nil }, err: "public key"},
		{name: "no store", edit: func(o *Options) { o.Store = nil }, err: "store"},
		{name: "no registry", edit: func(o *Options) { o.Metrics = nil }, err: "Options.Metrics"},
		{name: "a registry already counting pages", edit: func(o *Options) { o.Metrics = e.metrics }, err: "registering the pages' metrics"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opts := e.options()
			tc.edit(&opts)
			if _, err := New(opts); err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("New: %v, want an error saying %q", err, tc.err)
			}
		})
	}
	if _, err := newHandler(e.options()); err != nil {
		t.Fatalf("valid options refused: %v", err)
	}
}

func TestParseRecordID(t *testing.T) {
	cases := []struct {
		id, name string
		pr       int
		ok       bool
	}{
		{id: "web-3", name: "web", pr: 3, ok: true},
		{id: "my-service-12", name: "my-service", pr: 12, ok: true},
		{id: "web", ok: false},
		{id: "web-", ok: false},
		{id: "-3", ok: false},
		{id: "web-0", ok: false},
		{id: "web--3", name: "web-", pr: 3, ok: true}, // a repository may end in a hyphen
		{id: "..-3", ok: false},
	}
	for _, tc := range cases {
		t.Run(tc.id, func(t *testing.T) {
			name, pr, ok := parseRecordID(tc.id)
			if ok != tc.ok || (ok && (name != tc.name || pr != tc.pr)) {
				t.Fatalf("parseRecordID(%q) = %q, %d, %v", tc.id, name, pr, ok)
			}
		})
	}
}
