package web

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"testing"
	"time"

	"github.com/palantir/go-githubapp/githubapp"

	"github.com/launchgate/launchgate/internal/githubapi"
	"github.com/launchgate/launchgate/internal/githubsim"
)

// TestRequiredChecks asks the simulator, through the real GitHub adapter,
// which of acme's installed repositories do not require the check, and
// reuses the answer for ten minutes, whatever the letter case asked.
func TestRequiredChecks(t *testing.T) {
	const appID, check = 4242, "Production readiness"
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	sim, err := githubsim.Start(githubsim.Options{AppID: appID, PrivateKey: key})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	sim.AddInstallation("acme")
	sim.AddInstallation("other")
	for _, name := range []string{"orders", "docs", "pinned"} {
		sim.AddRepo("acme", name, "main", map[string]string{"README.md": "x\n"})
	}
	sim.AddRepo("other", "elsewhere", "main", map[string]string{"README.md": "x\n"})
	ruleset := githubsim.RulesetSource{Type: "Organization", Name: "acme"}
	sim.AddBranchRule("acme", "orders", "main", "required_status_checks", ruleset, githubsim.StatusCheck{Context: check, AppID: appID})
	// A check of that name from another App does not count.
	sim.AddBranchRule("acme", "pinned", "main", "required_status_checks", ruleset, githubsim.StatusCheck{Context: check, AppID: appID + 1})

	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	cc := githubapp.NewClientCreator(sim.URL(), sim.GraphQLURL(), appID,
		pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	rc := newRequiredChecks(githubapi.NewClient(cc, githubapi.Options{AppID: appID, Now: clock}), check, clock)

	steps := []struct {
		name    string
		advance time.Duration
		require string // a repository that starts requiring the check before the step
		want    string
	}{
		{name: "asked", want: "[acme/docs acme/pinned]"},
		{name: "reused within ten minutes", advance: 9 * time.Minute, require: "docs", want: "[acme/docs acme/pinned]"},
		{name: "asked again after ten minutes", advance: 2 * time.Minute, want: "[acme/pinned]"},
	}
	for _, s := range steps {
		now = now.Add(s.advance)
		if s.require != "" {
			sim.AddBranchRule("acme", s.require, "main", "required_status_checks", ruleset, githubsim.StatusCheck{Context: check, AppID: appID})
		}
		repos, err := rc.unrequiredRepos(context.Background(), "acme")
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		var names []string
		for _, r := range repos {
			if r.State == githubapi.Required || r.Branch != "main" {
				t.Errorf("%s: listed %+v", s.name, r)
			}
			names = append(names, r.Repo)
		}
		if got := fmt.Sprint(names); got != s.want {
			t.Errorf("%s: unrequired repositories %s, want %s", s.name, got, s.want)
		}
	}
	// GitHub matches organisation names in any letter case: acme's answer
	// serves ACME without asking again.
	sim.ResetRequests()
	if repos, err := rc.unrequiredRepos(context.Background(), "ACME"); err != nil || len(repos) != 1 || len(sim.Requests()) != 0 {
		t.Errorf("asked as ACME: %+v, %v after %d requests; want acme's answer reused", repos, err, len(sim.Requests()))
	}
	if _, err := rc.unrequiredRepos(context.Background(), "nobody"); err == nil {
		t.Error("an organisation without the App's installation listed no error")
	}
}
