package githubsim

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestBranchRulesListEveryRulesetsRules(t *testing.T) {
	f := newFixture(t)
	f.sim.AddBranchRule("acme", "web", "main", "deletion", RulesetSource{Type: "Repository", Name: "acme/web"})
	f.sim.AddBranchRule("acme", "web", "main", "required_status_checks", RulesetSource{Type: "Organization", Name: "acme"},
		StatusCheck{Context: "Production readiness", AppID: testAppID}, StatusCheck{Context: "ci"})
	f.sim.AddBranchRule("acme", "web", "release", "required_status_checks", RulesetSource{Type: "Repository", Name: "acme/web"},
		StatusCheck{Context: "other"})

	resp, body := f.do(t, http.MethodGet, "/repos/acme/web/rules/branches/main", "token "+f.token(t, f.inst), nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var rules []struct {
		Type       string `json:"type"`
		SourceType string `json:"ruleset_source_type"`
		Source     string `json:"ruleset_source"`
		Parameters struct {
			Checks []struct {
				Context       string `json:"context"`
				IntegrationID *int64 `json:"integration_id"`
			} `json:"required_status_checks"`
		} `json:"parameters"`
	}
	if err := json.Unmarshal(body, &rules); err != nil {
		t.Fatal(err)
	}
	if len(rules) != 2 || rules[0].Type != "deletion" || rules[1].Type != "required_status_checks" ||
		rules[1].SourceType != "Organization" || rules[1].Source != "acme" {
		t.Fatalf("rules of main = %s", body)
	}
	checks := rules[1].Parameters.Checks
	if len(checks) != 2 || checks[0].IntegrationID == nil || *checks[0].IntegrationID != testAppID || checks[1].IntegrationID != nil {
		t.Fatalf("required checks = %s", body)
	}
	// A branch no rule applies to, existing or not, has an empty list.
	if resp, body := f.do(t, http.MethodGet, "/repos/acme/web/rules/branches/nowhere", "token "+f.token(t, f.inst), nil); resp.StatusCode != http.StatusOK || string(body) != "[]" {
		t.Fatalf("rules of an unruled branch: %d %s", resp.StatusCode, body)
	}
}

func TestStatusChecksProtection(t *testing.T) {
	tests := []struct {
		name        string
		deny        bool
		protect     bool
		wantStatus  int
		wantChecks  int
		wantContext []string
	}{
		{name: "not protected", wantStatus: http.StatusNotFound},
		{name: "protected", protect: true, wantStatus: http.StatusOK, wantChecks: 2, wantContext: []string{"legacy", "Production readiness"}},
		{name: "no Administration permission", deny: true, protect: true, wantStatus: http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(o *Options) { o.DenyAdministration = tt.deny })
			if tt.protect {
				f.sim.ProtectBranch("acme", "web", "main", []StatusCheck{{Context: "Production readiness", AppID: testAppID}}, []string{"legacy"})
			}
			gh := f.instClient(t)
			got, resp, err := gh.Repositories.GetRequiredStatusChecks(context.Background(), "acme", "web", "main")
			if resp == nil || resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %v (%v), want %d", resp, err, tt.wantStatus)
			}
			if tt.wantStatus != http.StatusOK {
				return
			}
			var contexts []string
			if got.Contexts != nil {
				contexts = *got.Contexts
			}
			if len(got.GetChecks()) != tt.wantChecks || !slices.Equal(contexts, tt.wantContext) {
				t.Fatalf("got checks %v contexts %v", got.GetChecks(), contexts)
			}
			if id := got.GetChecks()[0].AppID; id == nil || *id != testAppID {
				t.Errorf("first check's app_id = %v, want %d", id, testAppID)
			}
		})
	}
}

// TestRefRulesAndProtectionOverGraphQL: Ref.rules and
// Ref.branchProtectionRule answer what the REST endpoints answer, in
// GitHub's GraphQL shapes; without Administration the protection rule is
// null with a FORBIDDEN error at its path, and the rules still answer.
func TestRefRulesAndProtectionOverGraphQL(t *testing.T) {
	const query = `query($base: String!) { repository(owner: "acme", name: "web") {
	  base: ref(qualifiedName: $base) {
	    rules(first: 10) { pageInfo { hasNextPage } nodes { type parameters { ... on RequiredStatusChecksParameters { requiredStatusChecks { context integrationId } } } } }
	    branchProtectionRule { requiresStatusChecks requiredStatusChecks { context app { databaseId } } requiredStatusCheckContexts }
	  } } }`
	tests := []struct {
		name string
		deny bool
		base string
		want string // in the answer's JSON; the App's id is testAppID (42)
	}{
		{name: "rules and protection", base: "refs/heads/main",
			want: `{"data":{"repository":{"base":{"rules":{"pageInfo":{"hasNextPage":false},"nodes":[{"type":"DELETION","parameters":null},` +
				`{"type":"REQUIRED_STATUS_CHECKS","parameters":{"requiredStatusChecks":[{"context":"Production readiness","integrationId":42},{"context":"ci","integrationId":null}]}}]},` +
				`"branchProtectionRule":{"requiresStatusChecks":true,"requiredStatusChecks":[{"context":"Production readiness","app":{"databaseId":42}},{"context":"legacy","app":null}],` +
				`"requiredStatusCheckContexts":["Production readiness","legacy"]}}}}}`},
		{name: "no Administration permission", deny: true, base: "refs/heads/main",
			want: `"branchProtectionRule":null}}},"errors":[{"type":"FORBIDDEN","path":["repository","base","branchProtectionRule"]`},
		{name: "a branch that does not exist", base: "refs/heads/nowhere", want: `{"data":{"repository":{"base":null}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(o *Options) { o.DenyAdministration = tt.deny })
			f.sim.AddBranchRule("acme", "web", "main", "deletion", RulesetSource{Type: "Repository", Name: "acme/web"})
			f.sim.AddBranchRule("acme", "web", "main", "required_status_checks", RulesetSource{Type: "Organization", Name: "acme"},
				StatusCheck{Context: "Production readiness", AppID: testAppID}, StatusCheck{Context: "ci"})
			f.sim.ProtectBranch("acme", "web", "main", []StatusCheck{{Context: "Production readiness", AppID: testAppID}}, []string{"legacy"})
			resp, body := f.do(t, "POST", "/graphql", "bearer "+f.token(t, f.inst), map[string]any{"query": query, "variables": map[string]any{"base": tt.base}})
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), tt.want) {
				t.Fatalf("status %d, answer\n%s\nwant it to contain\n%s", resp.StatusCode, body, tt.want)
			}
		})
	}
}

// TestRuleParametersTakeOnlyTheirFragments: a fragment that cannot apply
// to RuleParameters is rejected, as GitHub rejects it.
func TestRuleParametersTakeOnlyTheirFragments(t *testing.T) {
	f := newFixture(t)
	q := `{ repository(owner: "acme", name: "web") { ref(qualifiedName: "main") { rules(first: 1) { nodes { parameters { ... on Blob { text } } } } } } }`
	_, body := f.do(t, "POST", "/graphql", "bearer "+f.token(t, f.inst), map[string]any{"query": q})
	if !strings.Contains(string(body), "Fragment on Blob can't be spread inside RuleParameters") {
		t.Fatalf("answer %s, want the fragment rejected", body)
	}
}
