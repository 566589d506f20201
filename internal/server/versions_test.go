package server

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/google/go-github/v60/github"

	"github.com/launchgate/launchgate/internal/githubapi"
	"github.com/launchgate/launchgate/internal/githubsim"
	"github.com/launchgate/launchgate/internal/report"
)

func runningVersion(v string) func(*Config, *Options) {
	return func(_ *Config, o *Options) { o.Version = v }
}

// recheck presses the run's Re-check button, delivered to the App of h:
// an evaluation that ignores the memo.
func (h *harness) recheck(t *testing.T, run *github.CheckRun) {
	t.Helper()
	body := fixture(t, "check_run.requested_action.json", map[string]any{
		"check_run.head_sha": run.GetHeadSHA(), "check_run.name": CheckName, "check_run.app.id": testAppID,
		"check_run.external_id": run.GetExternalID(), "check_run.pull_requests": []any{},
		"requested_action.identifier": report.RecheckIdentifier,
		"repository.name":             "orders", "repository.owner.login": "acme", "installation.id": h.inst,
	})
	if resp := h.post("check_run", body, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("Re-check answered %d", resp.StatusCode)
	}
	h.settle()
}

// TestTwoVersionsConverge runs two replicas of different versions on one
// GitHub, as a rolling deploy does, and has both evaluate the same pull
// requests again and again: the runs end as the newer version writes them,
// and once there, neither replica writes anything.
func TestTwoVersionsConverge(t *testing.T) {
	for _, newerFirst := range []bool{false, true} {
		t.Run(fmt.Sprintf("newer first=%v", newerFirst), func(t *testing.T) {
			older := newHarness(t, runningVersion("v1.4.2"))
			newer := newApp(t, older.sim, runningVersion("v1.10.0"))
			newer.inst = older.inst
			if newerFirst {
				older.sim.SetWebhookURL(newer.url + HookPath)
			}
			s, _ := older.repo(nil)
			_, launch := older.openPR(s.Branch, s.Opened, githubsim.PRSpec{Title: s.Title, Labels: s.Labels})
			_, docs := older.openPR("docs", map[string]string{"README.md": "orders\n"}, githubsim.PRSpec{Title: "Docs"})
			newer.settle()
			for round := range 3 {
				for _, head := range []string{launch, docs} {
					older.recheck(t, older.latestRun(head))
					newer.recheck(t, older.latestRun(head))
					older.recheck(t, older.latestRun(head))
				}
				if round == 0 {
					older.sim.ResetRequests() // converged: from here on nothing is written
				}
			}
			if n := checkRunWrites(older); n != 0 {
				t.Errorf("%d check-run writes after convergence: %v", n, writes(older.sim.Requests()))
			}
			if w := writes(older.sim.Requests()); len(w) != 0 {
				t.Errorf("writes after convergence: %v", w)
			}
			for head, outcome := range map[string]githubapi.RunOutcome{launch: githubapi.OutcomeEvaluated, docs: githubapi.OutcomeNotLaunch} {
				ext := older.latestRun(head).GetExternalID()
				if id, err := githubapi.ParseRunID(ext); err != nil || id.Version != "v1.10.0" || id.Outcome != outcome {
					t.Errorf("run on %.7s has external_id %q (%v); want the newer version's, outcome %s", head, ext, err, outcome)
				}
			}
		})
	}
}

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"v1.10.0", "v1.4.2", 1},
		{"v1.4.2", "v1.4.2", 0},
		{"dev", "v0.0.1", -1},
		{"v0.0.1", "dev", 1},
		{"dev", "dev", 0},
		{"", "v1.0.0", -1},
		{"v0.0.0-20261125120000-abcdef123456", "v0.1.0", -1}, // a Go pseudo-version is a pre-release
		{"v2.0.0-rc.1", "v2.0.0", -1},
	}
	for _, tt := range tests {
		if got := compareVersions(tt.a, tt.b); got != tt.want {
			t.Errorf("compareVersions(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestKeepNewer(t *testing.T) {
	const policy = "0123456789ab"
	keep := keepNewer(githubapi.RunID{PR: 7, Version: "v1.4.2", Policy: policy, Outcome: githubapi.OutcomeEvaluated})
	tests := []struct {
		name     string
		existing githubapi.RunID
		want     bool
	}{
		{name: "newer", existing: githubapi.RunID{PR: 7, Version: "v1.10.0", Policy: policy}, want: true},
		{name: "newer, another outcome", existing: githubapi.RunID{PR: 7, Version: "v1.10.0", Policy: policy, Outcome: githubapi.OutcomeEvaluationError}, want: true},
		{name: "same", existing: githubapi.RunID{PR: 7, Version: "v1.4.2", Policy: policy}, want: false},
		{name: "older", existing: githubapi.RunID{PR: 7, Version: "v1.4.1", Policy: policy}, want: false},
		{name: "not a release", existing: githubapi.RunID{PR: 7, Version: "dev", Policy: policy}, want: false},
		// Another policy: the caller's evaluation is as good.
		{name: "newer under another policy", existing: githubapi.RunID{PR: 7, Version: "v1.10.0", Policy: "ffffffffffff"}, want: false},
		{name: "no version", existing: githubapi.RunID{}, want: false},
	}
	for _, tt := range tests {
		if got := keep(tt.existing); got != tt.want {
			t.Errorf("%s: keep(%+v) = %v, want %v", tt.name, tt.existing, got, tt.want)
		}
	}
}
