package web

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestPageAccess(t *testing.T) {
	e := newEnv(t)
	browsers := map[string]*browser{}
	for _, login := range []string{"alice", "sam", "carol", "mallory"} {
		browsers[login] = newBrowser(t)
		browsers[login].signIn(e, login)
	}
	cases := []struct {
		name, login, path string
		status            int
		body              string
	}{
		{name: "member sees the board", login: "alice", path: "/orgs/acme", status: 200, body: "board acme for alice"},
		{name: "team member sees the board", login: "sam", path: "/orgs/ACME", status: 200, body: "board ACME for sam"},
		{name: "collaborator is no member", login: "carol", path: "/orgs/acme", status: 404, body: "not found for carol"},
		{name: "stranger gets 404 for the board", login: "mallory", path: "/orgs/acme", status: 404},
		{name: "board of an org without the App", login: "alice", path: "/orgs/other", status: 404},
		{name: "member reads a private repo's PR", login: "alice", path: "/acme/web/pull/3", status: 200, body: "pull acme/web#3 for alice"},
		{name: "collaborator reads their repo's PR", login: "carol", path: "/acme/api/pull/12", status: 200, body: "pull acme/api#12 for carol"},
		{name: "collaborator does not read another repo", login: "carol", path: "/acme/web/pull/3", status: 404},
		{name: "stranger gets 404 for a private repo's PR", login: "mallory", path: "/acme/api/pull/12", status: 404},
		{name: "a repo that does not exist is the same 404", login: "mallory", path: "/acme/nope/pull/12", status: 404},
		{name: "PR number must be a number", login: "alice", path: "/acme/web/pull/x", status: 404},
		{name: "PR number must be positive", login: "alice", path: "/acme/web/pull/0", status: 404},
		{name: "escaped slash in a name", login: "alice", path: "/acme/web%2F..%2F..%2Fuser/pull/3", status: 404},
		{name: "record of a readable repo", login: "carol", path: "/orgs/acme/records/api-12", status: 200, body: "record acme/api#12 for carol"},
		{name: "record name with hyphens", login: "alice", path: "/orgs/acme/records/web-3", status: 200, body: "record acme/web#3 for alice"},
		{name: "record of a private repo to a stranger", login: "mallory", path: "/orgs/acme/records/api-12", status: 404},
		{name: "record id without a number", login: "alice", path: "/orgs/acme/records/api", status: 404},
		{name: "unknown path", login: "alice", path: "/nothing/here", status: 404, body: "not found for alice"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := browsers[tc.login].get(e.url + tc.path)
			if got.StatusCode != tc.status {
				t.Fatalf("%s for %s: %d, want %d: %s", tc.path, tc.login, got.StatusCode, tc.status, got.body)
			}
			if tc.body != "" && got.body != tc.body {
				t.Errorf("body %q, want %q", got.body, tc.body)
			}
		})
	}
	t.Run("names that cannot exist are not asked of GitHub", func(t *testing.T) {
		e.sim.ResetRequests()
		browsers["alice"].get(e.url + "/acme/web%2F..%2F..%2Fuser/pull/3")
		if n := len(e.sim.Requests()); n != 0 {
			t.Fatalf("%d requests to GitHub: %+v", n, e.sim.Requests())
		}
	})
}

func TestSignedOutVisitors(t *testing.T) {
	e := newEnv(t)
	b := newBrowser(t)
	cases := []struct {
		path, location string
		status         int
	}{
		{path: "/orgs/acme", status: http.StatusSeeOther, location: "/login?next=%2Forgs%2Facme"},
		{path: "/acme/web/pull/3?tab=history", status: http.StatusSeeOther, location: "/login?next=%2Facme%2Fweb%2Fpull%2F3%3Ftab%3Dhistory"},
		{path: "/orgs/acme/records/web-3", status: http.StatusSeeOther, location: "/login?next=%2Forgs%2Facme%2Frecords%2Fweb-3"},
		{path: "/api/orgs/acme/launches", status: http.StatusUnauthorized},
		{path: "/elsewhere", status: http.StatusNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			got := b.get(e.url + tc.path)
			if got.StatusCode != tc.status || got.Header.Get("Location") != tc.location {
				t.Fatalf("%d to %q, want %d to %q", got.StatusCode, got.Header.Get("Location"), tc.status, tc.location)
			}
		})
	}
}

func TestLaunchesAPI(t *testing.T) {
	e := newEnv(t)
	signedIn := newBrowser(t)
	signedIn.signIn(e, "alice")
	cases := []struct {
		name   string
		client *browser
		auth   string
		status int
		body   string
	}{
		{name: "bearer token of a member", client: newBrowser(t), auth: "Bearer " + e.sim.UserToken("sam"), status: 200, body: `{"org":"acme","viewer":"sam"}`},
		{name: "token scheme", client: newBrowser(t), auth: "token " + e.sim.UserToken("alice"), status: 200, body: `{"org":"acme","viewer":"alice"}`},
		{name: "session cookie", client: signedIn, status: 200, body: `{"org":"acme","viewer":"alice"}`},
		{name: "bearer token of a stranger", client: newBrowser(t), auth: "Bearer " + e.sim.UserToken("mallory"), status: 404},
		{name: "a token GitHub does not know", client: newBrowser(t), auth: "Bearer ghu_forged", status: 401},
		{name: "an installation's token, which has no user", client: newBrowser(t), auth: "Bearer " + e.installationToken(t), status: 401},
		{name: "nothing", client: newBrowser(t), status: 401},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got page
			if tc.auth != "" {
				got = tc.client.get(e.url+"/api/orgs/acme/launches", "Authorization", tc.auth)
			} else {
				got = tc.client.get(e.url + "/api/orgs/acme/launches")
			}
			if got.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", got.StatusCode, tc.status, got.body)
			}
			if tc.body != "" && got.body != tc.body {
				t.Errorf("body %s, want %s", got.body, tc.body)
			}
			if tc.status != 200 && !strings.HasPrefix(got.Header.Get("Content-Type"), "application/json") {
				t.Errorf("a script gets %s, want JSON", got.Header.Get("Content-Type"))
			}
		})
	}
}

func TestAccessCache(t *testing.T) {
	e := newEnv(t)
	b := newBrowser(t)
	b.signIn(e, "alice")
	const membership = "/user/memberships/orgs/acme"
	e.sim.ResetRequests()
	for range 3 {
		if got := b.get(e.url + "/orgs/acme"); got.StatusCode != 200 {
			t.Fatalf("board: %d", got.StatusCode)
		}
	}
	if n := e.count("GET", membership); n != 1 {
		t.Fatalf("GitHub was asked %d times in one access_ttl, want once", n)
	}
	e.clock.Add(time.Minute)
	b.get(e.url + "/orgs/acme")
	if n := e.count("GET", membership); n != 2 {
		t.Fatalf("GitHub was asked %d times after access_ttl, want twice", n)
	}
	t.Run("another sign-in asks again", func(t *testing.T) {
		again := newBrowser(t)
		again.signIn(e, "alice")
		again.get(e.url + "/orgs/acme")
		if n := e.count("GET", membership); n != 3 {
			t.Fatalf("a new token reused the old token's answer: %d requests, want 3", n)
		}
	})
	t.Run("a lost membership shows within access_ttl", func(t *testing.T) {
		e.sim.RemoveTeamMember("acme", "security", "sam")
		sam := newBrowser(t)
		sam.signIn(e, "sam")
		if got := sam.get(e.url + "/orgs/acme"); got.StatusCode != 404 {
			t.Fatalf("former member: %d, want 404", got.StatusCode)
		}
	})
}

func TestReadableAndTeams(t *testing.T) {
	e := newEnv(t)
	e.sim.AddTeam("acme", "infra", "sam")
	e.sim.AddTeam("other", "ops", "sam")
	e.sim.InstallApp(testAppID, "other")
	ask := func(login string) context.Context { return withToken(context.Background(), e.sim.UserToken(login)) }
	readable := []struct {
		login, org string
		want       []string
	}{
		{login: "alice", org: "acme", want: []string{"acme/api", "acme/web"}},
		{login: "carol", org: "acme", want: []string{"acme/api"}},
		{login: "mallory", org: "acme", want: nil},
		{login: "alice", org: "nowhere", want: nil},
	}
	for _, tc := range readable {
		t.Run("readable "+tc.login+" "+tc.org, func(t *testing.T) {
			got, err := e.h.gate.Readable(ask(tc.login), &viewer{Login: tc.login}, tc.org)
			if err != nil {
				t.Fatal(err)
			}
			if keys := slices.Sorted(maps.Keys(got)); !slices.Equal(keys, tc.want) {
				t.Fatalf("readable %v, want %v", keys, tc.want)
			}
		})
	}
	teams := []struct {
		login, org string
		want       []string
	}{
		{login: "sam", org: "acme", want: []string{"infra", "security"}},
		{login: "sam", org: "Other", want: []string{"ops"}},
		{login: "alice", org: "acme", want: nil},
	}
	for _, tc := range teams {
		t.Run("teams "+tc.login+" "+tc.org, func(t *testing.T) {
			got, err := e.h.gate.Teams(ask(tc.login), &viewer{Login: tc.login}, tc.org)
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("teams %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("no token in the context", func(t *testing.T) {
		if _, err := e.h.gate.MemberOf(context.Background(), &viewer{Login: "alice"}, "acme"); err == nil {
			t.Fatal("the gate answered without a token")
		}
	})
}
