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
		r.Parameters.RequiredStatusChecks = append(r.Parameters.RequiredStatusChecks, ruleCheck{Context: ctx, IntegrationID: id})
		return r
	}
	classic := func(ctx string, id *int64) classicChecks {
		var c classicChecks
		c.Checks = append(c.Checks, classicCheck{Context: ctx, AppID: id})
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
		{name: "classic, another App, its context in the legacy list", prot: protection{classic: classicRead,
			checks: classicChecks{Contexts: []string{name}, Checks: classic(name, &other).Checks}}, want: NotRequired},
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

// TestPullStateReadsWhetherTheCheckIsRequired: PullState's one GraphQL
// query answers what RequiredCheck answers over REST, with no other
// request, and an unreadable classic protection costs only that answer.
func TestPullStateReadsWhetherTheCheckIsRequired(t *testing.T) {
	const name, marker = "Production readiness", "<!-- checklist -->"
	src := githubsim.RulesetSource{Type: "Repository", Name: "acme/svc"}
	tests := []struct {
		name  string
		deny  bool
		setup func(sim *githubsim.Server)
		want  RequiredState
	}{
		{name: "unprotected", want: NotRequired},
		{name: "org ruleset, this App", want: Required, setup: func(sim *githubsim.Server) {
			sim.AddBranchRule("acme", "svc", "main", "deletion", src)
			sim.AddBranchRule("acme", "svc", "main", "required_status_checks", githubsim.RulesetSource{Type: "Organization", Name: "acme"},
				githubsim.StatusCheck{Context: name, AppID: testAppID})
		}},
		{name: "ruleset, any source", want: Required, setup: func(sim *githubsim.Server) {
			sim.AddBranchRule("acme", "svc", "main", "required_status_checks", src, githubsim.StatusCheck{Context: name})
		}},
		{name: "ruleset, another App's check of that name", want: NotRequired, setup: func(sim *githubsim.Server) {
			sim.AddBranchRule("acme", "svc", "main", "required_status_checks", src, githubsim.StatusCheck{Context: name, AppID: 99})
		}},
		{name: "classic, this App", want: Required, setup: func(sim *githubsim.Server) {
			sim.ProtectBranch("acme", "svc", "main", []githubsim.StatusCheck{{Context: name, AppID: testAppID}}, nil)
		}},
		{name: "classic, legacy context", want: Required, setup: func(sim *githubsim.Server) {
			sim.ProtectBranch("acme", "svc", "main", nil, []string{name})
		}},
		{name: "classic, another App", want: NotRequired, setup: func(sim *githubsim.Server) {
			sim.ProtectBranch("acme", "svc", "main", []githubsim.StatusCheck{{Context: name, AppID: 99}}, []string{"ci"})
		}},
		{name: "classic unreadable", deny: true, want: RequiredUnknown, setup: func(sim *githubsim.Server) {
			sim.ProtectBranch("acme", "svc", "main", nil, []string{name})
		}},
		{name: "unreadable, but a ruleset requires it", deny: true, want: Required, setup: func(sim *githubsim.Server) {
			sim.AddBranchRule("acme", "svc", "main", "required_status_checks", src, githubsim.StatusCheck{Context: name})
		}},
		{name: "more rules than a page", want: RequiredUnknown, setup: func(sim *githubsim.Server) {
			for range rulesPerPage {
				sim.AddBranchRule("acme", "svc", "main", "deletion", src)
			}
			sim.AddBranchRule("acme", "svc", "main", "required_status_checks", src, githubsim.StatusCheck{Context: name})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, githubsim.Options{DenyAdministration: tt.deny})
			pr := e.repo("svc", map[string]string{"README.md": "r"}, map[string]string{"docs/a.md": "a"})
			e.sim.SubmitReview("acme", "svc", pr.Number, "ann", "APPROVED")
			if tt.setup != nil {
				tt.setup(e.sim)
			}
			ctx := context.Background()
			c := e.client(Options{})
			e.requests()
			st, err := c.PullState(ctx, pr, name, marker)
			if err != nil {
				t.Fatal(err)
			}
			if reqs := e.apiRequests(); len(reqs) != 1 {
				t.Errorf("PullState sent %v, want the one GraphQL query", reqs)
			}
			if len(st.Reviews) != 1 || st.Reviews[0].User != "ann" {
				t.Errorf("reviews %+v, want ann's approval", st.Reviews)
			}
			if st.Required == nil {
				t.Fatal("Required not read")
			}
			if st.Required.State != tt.want || st.Required.Why == "" {
				t.Errorf("Required = %v (%q), want %v with a reason", st.Required.State, st.Required.Why, tt.want)
			}
			rest, err := c.RequiredCheck(ctx, e.inst, "acme", "svc", "main", name)
			if err != nil || rest.State != st.Required.State {
				t.Errorf("over REST: %v, %v; the query says %v", rest.State, err, st.Required.State)
			}
		})
	}
}
