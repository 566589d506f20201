package githubsim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	testClientID     = "Iv1.testclient"
	testClientSecret = "client-s3cret"
	testCallback     = "https://launchgate.example/login/callback"
)

var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// oauthFixture is newFixture with the App's OAuth credentials set.
func oauthFixture(t *testing.T) *fixture {
	f := newFixture(t)
	f.sim.SetOAuthApp(testClientID, testClientSecret)
	return f
}

// grant signs login in on the simulated authorize form and returns the
// redirect it answers.
func (f *fixture) grant(t *testing.T, form url.Values) *http.Response {
	t.Helper()
	resp, err := noRedirects.PostForm(f.sim.WebURL()+authorizePath, form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// code runs the authorize step for login and returns the code.
func (f *fixture) code(t *testing.T, login string) string {
	t.Helper()
	resp := f.grant(t, url.Values{"client_id": {testClientID}, "redirect_uri": {testCallback}, "state": {"st"}, "login": {login}})
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil {
		t.Fatalf("authorize: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return loc.Query().Get("code")
}

// exchange posts a token request as a form and decodes the JSON answer.
func (f *fixture) exchange(t *testing.T, params url.Values) map[string]any {
	t.Helper()
	req, _ := http.NewRequest("POST", f.sim.WebURL()+accessTokenPath, strings.NewReader(params.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("token endpoint answered %d, GitHub answers 200 even to errors", resp.StatusCode)
	}
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestAuthorizePage(t *testing.T) {
	f := oauthFixture(t)
	cases := []struct {
		name   string
		query  url.Values
		status int
		want   string
	}{
		{name: "login prefilled", query: url.Values{"client_id": {testClientID}, "redirect_uri": {testCallback}, "state": {"xyz"}, "login": {"alice"}},
			status: 200, want: `name="login" value="alice"`},
		{name: "state carried in the form", query: url.Values{"client_id": {testClientID}, "redirect_uri": {testCallback}, "state": {"x<y"}},
			status: 200, want: `name="state" value="x&lt;y"`},
		{name: "unknown client id", query: url.Values{"client_id": {"Iv1.nope"}, "redirect_uri": {testCallback}}, status: 404},
		{name: "no client id", query: url.Values{"redirect_uri": {testCallback}}, status: 404},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.Get(f.sim.WebURL() + authorizePath + "?" + tc.query.Encode())
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if !strings.Contains(string(body), tc.want) {
				t.Errorf("page lacks %q:\n%s", tc.want, body)
			}
		})
	}
}

func TestAuthorizeGrant(t *testing.T) {
	f := oauthFixture(t)
	form := func(edit func(url.Values)) url.Values {
		v := url.Values{"client_id": {testClientID}, "redirect_uri": {testCallback + "?from=x"}, "state": {"s t"}, "login": {"alice"}}
		edit(v)
		return v
	}
	cases := []struct {
		name   string
		form   url.Values
		status int
	}{
		{name: "granted", form: form(func(url.Values) {}), status: http.StatusFound},
		{name: "unknown client", form: form(func(v url.Values) { v.Set("client_id", "Iv1.other") }), status: http.StatusNotFound},
		{name: "relative redirect_uri", form: form(func(v url.Values) { v.Set("redirect_uri", "/login/callback") }), status: http.StatusBadRequest},
		{name: "no login", form: form(func(v url.Values) { v.Set("login", "") }), status: http.StatusUnprocessableEntity},
		{name: "login with a slash", form: form(func(v url.Values) { v.Set("login", "a/b") }), status: http.StatusUnprocessableEntity},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := f.grant(t, tc.form)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if tc.status != http.StatusFound {
				return
			}
			loc, _ := url.Parse(resp.Header.Get("Location"))
			q := loc.Query()
			if got := loc.Scheme + "://" + loc.Host + loc.Path; got != testCallback {
				t.Errorf("redirected to %s, want %s", got, testCallback)
			}
			if q.Get("state") != "s t" || q.Get("from") != "x" || len(q.Get("code")) != 20 {
				t.Errorf("redirect query %v: want the state unchanged, the callback's own query kept and a 20-character code", q)
			}
		})
	}
}

func TestTokenExchange(t *testing.T) {
	f := oauthFixture(t)
	params := func(code string, edit func(url.Values)) url.Values {
		v := url.Values{"client_id": {testClientID}, "client_secret": {testClientSecret}, "code": {code}, "redirect_uri": {testCallback}}
		edit(v)
		return v
	}
	keep := func(url.Values) {}
	cases := []struct {
		name string
		// spend is run with a fresh code first (a reuse, a wait).
		spend  func(t *testing.T, code string)
		params func(code string) url.Values
		err    string
	}{
		{name: "granted", params: func(c string) url.Values { return params(c, keep) }},
		{name: "redirect_uri may be left out", params: func(c string) url.Values { return params(c, func(v url.Values) { v.Del("redirect_uri") }) }},
		{name: "wrong client secret", params: func(c string) url.Values { return params(c, func(v url.Values) { v.Set("client_secret", "guess") }) }, err: "incorrect_client_credentials"},
		{name: "unknown client id", params: func(c string) url.Values { return params(c, func(v url.Values) { v.Set("client_id", "Iv1.x") }) }, err: "incorrect_client_credentials"},
		{name: "unknown code", params: func(string) url.Values { return params("0123456789abcdef0123", keep) }, err: "bad_verification_code"},
		{name: "another redirect_uri", params: func(c string) url.Values {
			return params(c, func(v url.Values) { v.Set("redirect_uri", "https://evil.example/cb") })
		}, err: "redirect_uri_mismatch"},
		{name: "code used twice", spend: func(t *testing.T, c string) {
			if got := f.exchange(t, params(c, keep)); got["access_token"] == nil {
				t.Fatalf("first exchange failed: %v", got)
			}
		}, params: func(c string) url.Values { return params(c, keep) }, err: "bad_verification_code"},
		{name: "code after ten minutes", spend: func(*testing.T, string) { f.clock.Add(codeLifetime) },
			params: func(c string) url.Values { return params(c, keep) }, err: "bad_verification_code"},
		{name: "code spent by a mismatched redirect_uri", spend: func(t *testing.T, c string) {
			f.exchange(t, params(c, func(v url.Values) { v.Set("redirect_uri", "https://evil.example/cb") }))
		}, params: func(c string) url.Values { return params(c, keep) }, err: "bad_verification_code"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code := f.code(t, "alice")
			if tc.spend != nil {
				tc.spend(t, code)
			}
			got := f.exchange(t, tc.params(code))
			if tc.err != "" {
				if got["error"] != tc.err || got["error_description"] == "" || got["access_token"] != nil {
					t.Fatalf("answer %v, want error %s with a description and no token", got, tc.err)
				}
				return
			}
			tok, _ := got["access_token"].(string)
			if !strings.HasPrefix(tok, "ghu_") || len(tok) != 40 || got["expires_in"] != float64(28800) ||
				!strings.HasPrefix(got["refresh_token"].(string), "ghr_") || got["token_type"] != "bearer" {
				t.Fatalf("token answer %v", got)
			}
			resp, body := f.do(t, "GET", "/user", "Bearer "+tok, nil)
			if resp.StatusCode != 200 || !strings.Contains(string(body), `"login":"alice"`) {
				t.Errorf("GET /user with the new token: %d %s", resp.StatusCode, body)
			}
		})
	}
}

func TestPKCE(t *testing.T) {
	f := oauthFixture(t)
	const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk" // RFC 7636, appendix B
	const challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
	cases := []struct {
		name, method, verifier string
		authorize              int    // the sign-in form's answer
		err                    string // the exchange's error, "" for a token
	}{
		{name: "matching verifier", method: "S256", verifier: verifier, authorize: http.StatusFound},
		{name: "wrong verifier", method: "S256", verifier: verifier[1:] + "x", authorize: http.StatusFound, err: "bad_verification_code"},
		{name: "no verifier", method: "S256", authorize: http.StatusFound, err: "bad_verification_code"},
		{name: "plain method refused", method: "plain", verifier: challenge, authorize: http.StatusBadRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := f.grant(t, url.Values{"client_id": {testClientID}, "redirect_uri": {testCallback}, "state": {"st"}, "login": {"alice"},
				"code_challenge": {challenge}, "code_challenge_method": {tc.method}})
			if resp.StatusCode != tc.authorize {
				t.Fatalf("authorize answered %d, want %d", resp.StatusCode, tc.authorize)
			}
			if tc.authorize != http.StatusFound {
				return
			}
			loc, _ := url.Parse(resp.Header.Get("Location"))
			params := url.Values{"client_id": {testClientID}, "client_secret": {testClientSecret}, "code": {loc.Query().Get("code")}}
			if tc.verifier != "" {
				params.Set("code_verifier", tc.verifier)
			}
			got := f.exchange(t, params)
			if gotErr, _ := got["error"].(string); gotErr != tc.err || (tc.err == "") != (got["access_token"] != nil) {
				t.Fatalf("answer %v, want error %q", got, tc.err)
			}
		})
	}
}

func TestTokenExchangeEncodings(t *testing.T) {
	f := oauthFixture(t)
	cases := []struct {
		name, contentType, accept string
		body                      func(code string) string
		wantJSON                  bool
	}{
		{name: "form in, JSON out", contentType: "application/x-www-form-urlencoded", accept: "application/json", wantJSON: true,
			body: func(c string) string {
				return url.Values{"client_id": {testClientID}, "client_secret": {testClientSecret}, "code": {c}}.Encode()
			}},
		{name: "JSON in, JSON out", contentType: "application/json", accept: "application/json", wantJSON: true,
			body: func(c string) string {
				b, _ := json.Marshal(map[string]string{"client_id": testClientID, "client_secret": testClientSecret, "code": c})
				return string(b)
			}},
		{name: "form in, form out", contentType: "application/x-www-form-urlencoded",
			body: func(c string) string {
				return url.Values{"client_id": {testClientID}, "client_secret": {testClientSecret}, "code": {c}}.Encode()
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", f.sim.WebURL()+accessTokenPath, strings.NewReader(tc.body(f.code(t, "bob"))))
			req.Header.Set("Content-Type", tc.contentType)
			if tc.accept != "" {
				req.Header.Set("Accept", tc.accept)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var tok string
			if tc.wantJSON {
				var out map[string]any
				if err := json.Unmarshal(raw, &out); err != nil {
					t.Fatalf("not JSON: %s", raw)
				}
				tok, _ = out["access_token"].(string)
			} else {
				q, err := url.ParseQuery(string(raw))
				if err != nil {
					t.Fatalf("not form-encoded: %s", raw)
				}
				tok = q.Get("access_token")
			}
			if !strings.HasPrefix(tok, "ghu_") {
				t.Fatalf("no user token in %s", raw)
			}
		})
	}
	t.Run("the client secret and the code are not recorded", func(t *testing.T) {
		for _, r := range f.sim.Requests() {
			if strings.Contains(string(r.Body)+r.Query, testClientSecret) || strings.Contains(r.Query, "code") {
				t.Errorf("recorded %+v", r)
			}
		}
	})
}

// userReads sets up acme (the App's installation) with members, a
// collaborator and a public repository, and "elsewhere", where the App is
// not installed.
func userReadsFixture(t *testing.T) *fixture {
	f := oauthFixture(t)
	f.sim.AddRepo("acme", "api", "main", map[string]string{"a": "b"})
	f.sim.AddRepo("acme", "site", "main", map[string]string{"a": "b"})
	f.sim.SetRepoPrivate("acme", "site", false)
	f.sim.AddOrgMember("acme", "alice")
	f.sim.AddTeam("acme", "security", "sam")
	f.sim.AddCollaborator("acme", "api", "carol", "pull")
	f.sim.AddRepo("elsewhere", "x", "main", map[string]string{"a": "b"})
	f.sim.AddOrgMember("elsewhere", "alice")
	f.sim.AddTeam("elsewhere", "ops", "sam")
	return f
}

func TestUserTokenReads(t *testing.T) {
	f := userReadsFixture(t)
	tokens := map[string]string{}
	for _, login := range []string{"alice", "sam", "carol", "mallory"} {
		tokens[login] = f.sim.UserToken(login)
	}
	inst := "/user/installations/" + strconv.FormatInt(f.inst, 10) + "/repositories"
	cases := []struct {
		name, login, path string
		status            int
		want              string // a substring of the body
	}{
		{name: "GET /user", login: "carol", path: "/user", status: 200, want: `"login":"carol"`},
		{name: "member", login: "alice", path: "/user/memberships/orgs/acme", status: 200, want: `"state":"active"`},
		{name: "team member is a member", login: "sam", path: "/user/memberships/orgs/ACME", status: 200, want: `"state":"active"`},
		{name: "collaborator is not a member", login: "carol", path: "/user/memberships/orgs/acme", status: 404},
		{name: "stranger", login: "mallory", path: "/user/memberships/orgs/acme", status: 404},
		{name: "member of an org without the App", login: "alice", path: "/user/memberships/orgs/elsewhere", status: 404},
		{name: "teams only where the App is installed", login: "sam", path: "/user/teams", status: 200, want: `"slug":"security"`},
		{name: "member reads a private repo", login: "alice", path: "/repos/acme/api", status: 200, want: `"private":true`},
		{name: "collaborator reads their repo", login: "carol", path: "/repos/acme/api", status: 200},
		{name: "collaborator does not read another private repo", login: "carol", path: "/repos/acme/web", status: 404},
		{name: "stranger does not see a private repo", login: "mallory", path: "/repos/acme/api", status: 404},
		{name: "stranger reads a public repo", login: "mallory", path: "/repos/acme/site", status: 200, want: `"visibility":"public"`},
		{name: "member, but the App is not installed", login: "alice", path: "/repos/elsewhere/x", status: 404},
		{name: "installation repos of a member", login: "alice", path: inst, status: 200, want: `"total_count":3`},
		{name: "installation repos of a collaborator", login: "carol", path: inst, status: 200, want: `"total_count":2`},
		{name: "installation repos of a stranger: the public one", login: "mallory", path: inst, status: 200, want: `"full_name":"acme/site"`},
		{name: "another installation id", login: "alice", path: "/user/installations/99999/repositories", status: 404},
		{name: "user token on an installation-only route", login: "alice", path: "/repos/acme/api/pulls", status: 403},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := f.do(t, "GET", tc.path, "Bearer "+tokens[tc.login], nil)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if !strings.Contains(string(body), tc.want) {
				t.Errorf("body lacks %s: %s", tc.want, body)
			}
		})
	}
	t.Run("teams list the organization and nothing of elsewhere", func(t *testing.T) {
		_, body := f.do(t, "GET", "/user/teams", "Bearer "+tokens["sam"], nil)
		var teams []struct {
			Slug         string `json:"slug"`
			Organization struct {
				Login string `json:"login"`
			} `json:"organization"`
		}
		if err := json.Unmarshal(body, &teams); err != nil || len(teams) != 1 || teams[0].Organization.Login != "acme" {
			t.Fatalf("teams %s", body)
		}
	})
	t.Run("installation token on /user", func(t *testing.T) {
		resp, body := f.do(t, "GET", "/user", "token "+f.token(t, f.inst), nil)
		if resp.StatusCode != 403 || errMessage(t, body) != "Resource not accessible by integration" {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	})
	t.Run("no token on /user", func(t *testing.T) {
		if resp, _ := f.do(t, "GET", "/user", "", nil); resp.StatusCode != 401 {
			t.Fatalf("status %d, want 401", resp.StatusCode)
		}
	})
	t.Run("expires after eight hours", func(t *testing.T) {
		f.clock.Add(userTokenLifetime - time.Second)
		if resp, _ := f.do(t, "GET", "/user", "Bearer "+tokens["alice"], nil); resp.StatusCode != 200 {
			t.Fatalf("status %d before expiry", resp.StatusCode)
		}
		f.clock.Add(time.Second)
		resp, body := f.do(t, "GET", "/user", "Bearer "+tokens["alice"], nil)
		if resp.StatusCode != 401 || errMessage(t, body) != "Bad credentials" {
			t.Fatalf("expired token: %d %s", resp.StatusCode, body)
		}
	})
}

func TestDeleteUserToken(t *testing.T) {
	f := oauthFixture(t)
	tok := f.sim.UserToken("alice")
	path := "/applications/" + testClientID + "/token"
	cases := []struct {
		name, user, pass, token string
		status                  int
	}{
		{name: "wrong secret", user: testClientID, pass: "guess", token: tok, status: 404},
		{name: "unknown token", user: testClientID, pass: testClientSecret, token: "ghu_nope", status: 404},
		{name: "no token", user: testClientID, pass: testClientSecret, status: 422},
		{name: "revoked", user: testClientID, pass: testClientSecret, token: tok, status: 204},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := map[string]string{}
			if tc.token != "" {
				body["access_token"] = tc.token
			}
			b, _ := json.Marshal(body)
			req, _ := http.NewRequest("DELETE", f.sim.URL()+path[1:], strings.NewReader(string(b)))
			req.SetBasicAuth(tc.user, tc.pass)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
		})
	}
	if resp, _ := f.do(t, "GET", "/user", "Bearer "+tok, nil); resp.StatusCode != 401 {
		t.Fatalf("revoked token still works: %d", resp.StatusCode)
	}
}
