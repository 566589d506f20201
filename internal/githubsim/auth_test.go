package githubsim

import (
	"context"
	"net/http"
	"testing"
	"time"
)

func TestAppJWT(t *testing.T) {
	f := newFixture(t)
	keys := testKeys()
	cases := []struct {
		name    string
		token   string
		status  int
		message string
	}{
		// GitHub's own sample: iat 60 s back, exp 10 minutes from now.
		{"github sample claims", f.jwt(t, keys[0], testAppID, -time.Minute, 10*time.Minute), 200, ""},
		{"expired", f.jwt(t, keys[0], testAppID, -11*time.Minute, -time.Minute), 401, msgJWTExpired},
		{"exp too far ahead", f.jwt(t, keys[0], testAppID, -time.Minute, 10*time.Minute+time.Second), 401, msgJWTTooFar},
		{"iat in the future", f.jwt(t, keys[0], testAppID, time.Minute, 5*time.Minute), 401, msgJWTIat},
		{"signed with another key", f.jwt(t, keys[1], testAppID, -time.Minute, 5*time.Minute), 401, msgJWTUndecodable},
		{"unknown app", f.jwt(t, keys[0], 999, -time.Minute, 5*time.Minute), 401, msgJWTUndecodable},
		{"installation token", f.token(t, f.inst), 401, msgJWTUndecodable},
		{"garbage", "not-a-token", 401, msgJWTUndecodable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := f.do(t, "GET", "/app/installations", "Bearer "+tc.token, nil)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if tc.message != "" && errMessage(t, body) != tc.message {
				t.Errorf("message %q, want %q", errMessage(t, body), tc.message)
			}
		})
	}
}

func TestInstallationTokens(t *testing.T) {
	f := newFixture(t)
	f.sim.AddRepo("other", "secret", "main", map[string]string{"a": "b"})
	tok := f.token(t, f.inst)
	cases := []struct {
		name, path, auth string
		status           int
		message          string
	}{
		{"bearer token", "/repos/acme/web", "Bearer " + tok, 200, ""},
		{"token scheme", "/repos/acme/web", "token " + tok, 200, ""},
		{"case-insensitive repo", "/repos/ACME/Web", "token " + tok, 200, ""},
		{"repo outside installation is hidden", "/repos/other/secret", "token " + tok, 404, "Not Found"},
		{"unknown token", "/repos/acme/web", "token ghs_nope", 401, "Bad credentials"},
		{"app JWT on repo endpoint", "/repos/acme/web", "Bearer " + f.jwt(t, testKeys()[0], testAppID, -time.Minute, 5*time.Minute), 401, "Bad credentials"},
		{"anonymous on private repo", "/repos/acme/web", "", 404, "Not Found"},
		{"anonymous on org endpoint", "/orgs/acme/teams/x", "", 401, "Requires authentication"},
		{"unknown route", "/repos/acme/web/nope", "token " + tok, 404, "Not Found"},
		{"known path, wrong method", "/repos/acme/web", "token " + tok, 404, "Not Found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			method := "GET"
			if tc.name == "known path, wrong method" {
				method = "DELETE"
			}
			resp, body := f.do(t, method, tc.path, tc.auth, nil)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if tc.message != "" && errMessage(t, body) != tc.message {
				t.Errorf("message %q, want %q", errMessage(t, body), tc.message)
			}
		})
	}

	t.Run("expires after one hour", func(t *testing.T) {
		f.clock.Add(59 * time.Minute)
		if resp, _ := f.do(t, "GET", "/repos/acme/web", "token "+tok, nil); resp.StatusCode != 200 {
			t.Fatalf("token rejected before expiry: %d", resp.StatusCode)
		}
		f.clock.Add(time.Minute)
		if resp, _ := f.do(t, "GET", "/repos/acme/web", "token "+tok, nil); resp.StatusCode != 401 {
			t.Fatalf("expired token accepted: %d", resp.StatusCode)
		}
	})
}

func TestInstallationEndpoints(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	app := f.appClient(t)
	second := f.sim.AddInstallation("globex")

	list, resp, err := app.Apps.ListInstallations(ctx, nil)
	if err != nil || len(list) != 2 || list[0].GetID() != f.inst || list[1].GetAccount().GetLogin() != "globex" {
		t.Fatalf("ListInstallations = %v, %v", list, err)
	}
	if resp.Rate.Limit != 5000 {
		t.Errorf("rate limit header %d", resp.Rate.Limit)
	}
	inst, _, err := app.Apps.FindRepositoryInstallation(ctx, "acme", "web")
	if err != nil || inst.GetID() != f.inst || inst.GetAppID() != testAppID {
		t.Fatalf("FindRepositoryInstallation = %v, %v", inst, err)
	}
	inst, _, err = app.Apps.FindOrganizationInstallation(ctx, "globex")
	if err != nil || inst.GetID() != second {
		t.Fatalf("FindOrganizationInstallation = %v, %v", inst, err)
	}
	if _, _, err := app.Apps.FindOrganizationInstallation(ctx, "initech"); statusOf(err) != http.StatusNotFound {
		t.Fatalf("uninstalled org: %v", err)
	}
	if _, _, err := app.Apps.CreateInstallationToken(ctx, 12345, nil); statusOf(err) != http.StatusNotFound {
		t.Fatalf("token for unknown installation: %v", err)
	}
	tok, _, err := app.Apps.CreateInstallationToken(ctx, f.inst, nil)
	if err != nil || !tok.GetExpiresAt().Time.Equal(f.clock.Now().Add(time.Hour)) {
		t.Fatalf("token = %v, %v", tok, err)
	}
	repos, _, err := f.client(t, tok.GetToken()).Apps.ListRepos(ctx, nil)
	if err != nil || repos.GetTotalCount() != 1 || repos.Repositories[0].GetFullName() != "acme/web" {
		t.Fatalf("ListRepos = %v, %v", repos, err)
	}
}
