package githubapi

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/launchgate/launchgate/internal/githubsim"
)

func TestJudgeRequired(t *testing.T) {
	const name = "Production readiness"
	other := int64(7)
	ours := int64(testAppID)
	anyApp := int64(-1)
	rule := func(ctx string, id *int64) branchRule {
		r := branchRule{Type: "required_status_checks", RulesetSource: "acme"}
		r.Parameters.RequiredStatusChecks = append(r.Parameters.RequiredStatusChecks, struct {
			Context       string `json:"context"`
			IntegrationID *int64 `json:"integration_id"`
		}{ctx, id})
		return r
	}
	classic := func(ctx string, id *int64) classicChecks {
		var c classicChecks
		c.Checks = append(c.Checks, struct {
			Context string `json:"context"`
			AppID   *int64 `json:"app_id"`
		}{ctx, id})
		return c
	}
	tests := []struct {
		name string
		prot protection
		want RequiredState
	}{
		{name: "nothing", want: NotRequired},
		{name: "ruleset, any source", prot: protection{rules: []branchRule{rule(name, nil)}}, want: Required},
		{name: "ruleset, this App", prot: protection{rules: []branchRule{{Type: "deletion"}, rule(name, &ours)}}, want: Required},
		{name: "ruleset, another App's check of the same name", prot: protection{rules: []branchRule{rule(name, &other)}}, want: NotRequired},
		{name: "ruleset, another context", prot: protection{rules: []branchRule{rule("ci", nil)}}, want: NotRequired},
		{name: "ruleset of another type naming nothing", prot: protection{rules: []branchRule{{Type: "pull_request"}}}, want: NotRequired},
		{name: "classic, this App", prot: protection{classic: classicRead, checks: classic(name, &ours)}, want: Required},
		{name: "classic, any App (-1)", prot: protection{classic: classicRead, checks: classic(name, &anyApp)}, want: Required},
		{name: "classic, another App", prot: protection{classic: classicRead, checks: classic(name, &other)}, want: NotRequired},
		{name: "classic, legacy contexts", prot: protection{classic: classicRead, checks: classicChecks{Contexts: []string{"ci", name}}}, want: Required},
		{name: "classic unreadable (403)", prot: protection{classic: classicDenied}, want: RequiredUnknown},
		{name: "more rules than one page, none of them requires it", prot: protection{rules: []branchRule{rule("ci", nil)}, rulesCut: true}, want: RequiredUnknown},
		{name: "more rules than one page, one read requires it", prot: protection{rules: []branchRule{rule(name, nil)}, rulesCut: true}, want: Required},
		{name: "ruleset requires it, classic unreadable", prot: protection{rules: []branchRule{rule(name, nil)}, classic: classicDenied}, want: Required},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.prot.judge(name, testAppID)
			if got.State != tt.want || got.Why == "" {
				t.Errorf("judge = %v (%q), want %v with a reason", got.State, got.Why, tt.want)
			}
		})
	}
}

func TestRequiredCheckReadsAndCaches(t *testing.T) {
	const name = "Production readiness"
	tests := []struct {
		name  string
		deny  bool
		setup func(sim *githubsim.Server)
		want  RequiredState
		// reads is the number of requests the first answer takes.
		reads int
	}{
		{name: "unprotected", want: NotRequired, reads: 2},
		{name: "org ruleset", want: Required, reads: 1, setup: func(sim *githubsim.Server) {
			sim.AddBranchRule("acme", "svc", "main", "deletion", githubsim.RulesetSource{Type: "Repository", Name: "acme/svc"})
			sim.AddBranchRule("acme", "svc", "main", "required_status_checks", githubsim.RulesetSource{Type: "Organization", Name: "acme"},
				githubsim.StatusCheck{Context: name, AppID: testAppID})
		}},
		{name: "another App's ruleset check", want: NotRequired, reads: 2, setup: func(sim *githubsim.Server) {
			sim.AddBranchRule("acme", "svc", "main", "required_status_checks", githubsim.RulesetSource{Type: "Repository", Name: "acme/svc"},
				githubsim.StatusCheck{Context: name, AppID: 99})
		}},
		{name: "classic protection", want: Required, reads: 2, setup: func(sim *githubsim.Server) {
			sim.ProtectBranch("acme", "svc", "main", nil, []string{name})
		}},
		{name: "classic protection unreadable", deny: true, want: RequiredUnknown, reads: 2, setup: func(sim *githubsim.Server) {
			sim.ProtectBranch("acme", "svc", "main", nil, []string{name})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, githubsim.Options{DenyAdministration: tt.deny})
			e.sim.AddRepo("acme", "svc", "main", map[string]string{"README.md": "x\n"})
			if tt.setup != nil {
				tt.setup(e.sim)
			}
			clk := newFakeClock()
			c := e.client(Options{Now: clk.Now, RequiredTTL: time.Minute})
			ctx := context.Background()
			ask := func() RequiredState {
				t.Helper()
				got, err := c.RequiredCheck(ctx, e.inst, "acme", "svc", "main", name)
				if err != nil {
					t.Fatal(err)
				}
				return got.State
			}
			e.requests()
			if got := ask(); got != tt.want {
				t.Fatalf("RequiredCheck = %v, want %v", got, tt.want)
			}
			if n := len(e.apiRequests()); n != tt.reads {
				t.Errorf("first answer took %d requests, want %d", n, tt.reads)
			}
			// Within the TTL: no request.
			if got := ask(); got != tt.want {
				t.Fatalf("cached RequiredCheck = %v, want %v", got, tt.want)
			}
			if n := len(e.apiRequests()); n != 0 {
				t.Errorf("a cached answer sent %d requests", n)
			}
			// After it: revalidated; unchanged answers are 304s, free of
			// rate limit.
			_ = clk.Sleep(ctx, 2*time.Minute)
			if got := ask(); got != tt.want {
				t.Fatalf("revalidated RequiredCheck = %v, want %v", got, tt.want)
			}
			for _, r := range e.sim.Requests() {
				if !strings.HasSuffix(r.Path, "/access_tokens") && r.Status == 200 {
					t.Errorf("revalidating %s answered 200, want 304 or an error status", r.Path)
				}
			}
		})
	}
}

func TestRequiredCheckSeesAChangeAfterTheTTL(t *testing.T) {
	const name = "Production readiness"
	e := newEnv(t, githubsim.Options{})
	e.sim.AddRepo("acme", "svc", "main", map[string]string{"README.md": "x\n"})
	clk := newFakeClock()
	c := e.client(Options{Now: clk.Now, RequiredTTL: time.Minute})
	ctx := context.Background()
	if got, err := c.RequiredCheck(ctx, e.inst, "acme", "svc", "main", name); err != nil || got.State != NotRequired {
		t.Fatalf("before: %v %v", got, err)
	}
	e.sim.AddBranchRule("acme", "svc", "main", "required_status_checks", githubsim.RulesetSource{Type: "Repository", Name: "acme/svc"},
		githubsim.StatusCheck{Context: name})
	_ = clk.Sleep(ctx, 2*time.Minute)
	if got, err := c.RequiredCheck(ctx, e.inst, "acme", "svc", "main", name); err != nil || got.State != Required {
		t.Fatalf("after the ruleset was added: %v %v", got, err)
	}
}

// TestRequiredCheckWithMoreRulesThanAPage: a rule on an unread page may be
// the one requiring the check, so launchgate cannot tell.
func TestRequiredCheckWithMoreRulesThanAPage(t *testing.T) {
	e := newEnv(t, githubsim.Options{})
	e.sim.AddRepo("acme", "svc", "main", map[string]string{"README.md": "x\n"})
	src := githubsim.RulesetSource{Type: "Repository", Name: "acme/svc"}
	for range rulesPerPage {
		e.sim.AddBranchRule("acme", "svc", "main", "deletion", src)
	}
	e.sim.AddBranchRule("acme", "svc", "main", "required_status_checks", src, githubsim.StatusCheck{Context: "Production readiness"})
	got, err := e.client(Options{}).RequiredCheck(context.Background(), e.inst, "acme", "svc", "main", "Production readiness")
	if err != nil || got.State != RequiredUnknown {
		t.Fatalf("RequiredCheck = %v (%q), %v; want could not tell", got.State, got.Why, err)
	}
}
