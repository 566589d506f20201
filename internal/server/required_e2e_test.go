package server

import (
	"strings"
	"testing"

	"github.com/launchgate/launchgate/internal/githubsim"
)

// TestRunSaysWhenTheCheckIsNotRequired: a launch PR's run tells admins
// when its base branch does not require the check, and says nothing when a
// ruleset or classic protection requires it from this App.
func TestRunSaysWhenTheCheckIsNotRequired(t *testing.T) {
	tests := []struct {
		name    string
		protect func(sim *githubsim.Server)
		note    bool
	}{
		{name: "no rule", note: true},
		{name: "an organisation ruleset requires it", protect: func(sim *githubsim.Server) {
			sim.AddBranchRule("acme", "orders", "main", "required_status_checks", githubsim.RulesetSource{Type: "Organization", Name: "acme"},
				githubsim.StatusCheck{Context: CheckName, AppID: testAppID})
		}},
		{name: "a ruleset requires another App's check of that name", note: true, protect: func(sim *githubsim.Server) {
			sim.AddBranchRule("acme", "orders", "main", "required_status_checks", githubsim.RulesetSource{Type: "Repository", Name: "acme/orders"},
				githubsim.StatusCheck{Context: CheckName, AppID: testAppID + 1})
		}},
		{name: "classic protection requires it", protect: func(sim *githubsim.Server) {
			sim.ProtectBranch("acme", "orders", "main", []githubsim.StatusCheck{{Context: CheckName, AppID: testAppID}}, nil)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			s, _ := h.repo(nil)
			if tt.protect != nil {
				tt.protect(h.sim)
			}
			_, head := h.openPR(s.Branch, s.Opened, githubsim.PRSpec{Title: s.Title, Labels: s.Labels})
			summary := h.run(head).GetOutput().GetSummary()
			said := strings.Contains(summary, "branch `main` does not require the `Production readiness` check") &&
				strings.Contains(summary, "require-status-checks-to-pass-before-merging")
			if said != tt.note {
				t.Errorf("summary says the check is not required: %v, want %v\n%s", said, tt.note, summary)
			}
		})
	}
}
