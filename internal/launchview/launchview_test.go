package launchview

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/launchgate/launchgate/internal/inspect"
	"github.com/launchgate/launchgate/internal/readiness"
)

var at = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// report is a launch PR half ready: deployment passes, security waits for
// its sign-off and an approval, monitoring fails with a waived check, and
// infra's approval is voided.
func report() *readiness.Report {
	ticked := at.Add(-time.Hour)
	return &readiness.Report{Requirements: []readiness.Requirement{
		{ID: "deployment", Title: "Deployment", Status: readiness.Pass, Checks: []readiness.Check{
			{ID: "manifests", Kind: "kubernetes-manifests", Status: readiness.Pass, Findings: []inspect.Finding{}},
			{ID: "deploy-signoff", Kind: readiness.KindSignoff, Team: "platform", Status: readiness.Pass, By: "pat", At: &ticked, Findings: []inspect.Finding{}},
		}},
		{ID: "security", Title: "Security", Status: readiness.Pending, Checks: []readiness.Check{
			{ID: "security-review", Kind: readiness.KindSignoff, Team: "security", Status: readiness.Pending,
				Findings: []inspect.Finding{{Message: "waiting for a member of team security"}}},
			{ID: "approval-security", Kind: readiness.KindApproval, Team: "security", Status: readiness.Pending,
				Findings: []inspect.Finding{{Message: "waiting for an approving review"}}},
		}},
		{ID: "monitoring", Title: "Monitoring", Status: readiness.Fail, Checks: []readiness.Check{
			{ID: "alerts", Kind: "prometheus-rules", Status: readiness.Fail, Findings: []inspect.Finding{
				{Path: "deploy/alerts.yaml", Line: 12, Message: "no alert on the error rate", Fix: "add one"},
				{Path: "deploy/alerts.yaml", Line: 40, Message: "no runbook_url"},
			}},
			{ID: "dashboards", Kind: "file-exists", Status: readiness.Waived, Findings: []inspect.Finding{{Path: "dashboards/", Message: "missing"}},
				Waiver: &readiness.Waiver{By: "sam", At: ticked, Until: "2027-01-15", Reason: "dashboards next sprint", Was: readiness.Fail}},
		}},
		{ID: "approvals", Title: "Team approvals", Status: readiness.Pending, Checks: []readiness.Check{
			{ID: "approval-infra", Kind: readiness.KindApproval, Team: "infra", Status: readiness.Pending,
				Findings: []inspect.Finding{{Message: "waiting (approved by @ian before deploy/ changed)"}}},
		}},
	}}
}

func TestFailingAndPendingTeams(t *testing.T) {
	tests := []struct {
		name        string
		report      *readiness.Report
		wantFailing []string
		wantTeams   []string
	}{
		{name: "no report", report: nil},
		{name: "ready", report: &readiness.Report{Ready: true, Requirements: []readiness.Requirement{
			{ID: "deployment", Status: readiness.Pass, Checks: []readiness.Check{{ID: "approval-infra", Kind: readiness.KindApproval, Team: "infra", Status: readiness.Pass}}},
		}}},
		{name: "failing and pending requirements, each team once", report: report(),
			wantFailing: []string{"monitoring"}, wantTeams: []string{"infra", "security"}},
		{name: "a failing automatic check names no team", report: &readiness.Report{Requirements: []readiness.Requirement{
			{ID: "scaling", Status: readiness.Fail, Checks: []readiness.Check{{ID: "replicas", Kind: "replicas", Team: "", Status: readiness.Fail}}},
		}}, wantFailing: []string{"scaling"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Failing(tt.report); !reflect.DeepEqual(got, tt.wantFailing) {
				t.Errorf("Failing = %q, want %q", got, tt.wantFailing)
			}
			if got := PendingTeams(tt.report); !reflect.DeepEqual(got, tt.wantTeams) {
				t.Errorf("PendingTeams = %q, want %q", got, tt.wantTeams)
			}
		})
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		page PR
	}{
		{name: "a full evaluation", page: PR{
			Repo: "acme/pay", Number: 7, Title: "Launch pay", Author: "ann", HTMLURL: "https://github.com/acme/pay/pull/7",
			Base: "main", Head: strings.Repeat("a", 40), OpenedAt: at.Add(-72 * time.Hour), EvaluatedAt: at,
			Conclusion: "failure", Summary: "1 of 4 ready", ChecklistURL: "https://github.com/acme/pay/pull/7#issuecomment-12",
			Policy: Policy{Source: "acme/pay@" + strings.Repeat("b", 40) + ":.github/launchgate.yml", Digest: "sha256:0123",
				URL: "https://github.com/acme/pay/blob/" + strings.Repeat("b", 40) + "/.github/launchgate.yml"},
			Report: report(), Voided: map[string]string{"infra": "approved by @ian before deploy/ changed"},
		}},
		{name: "a failure published instead", page: PR{
			Repo: "acme/pay", Number: 7, Head: strings.Repeat("a", 40), EvaluatedAt: at, Conclusion: "failure",
			Summary: "launchgate could not finish: writing the checklist comment", Policy: Policy{Source: "embedded default policy", Digest: "sha256:0123"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := Marshal(tt.page)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Unmarshal(data)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.page) {
				t.Errorf("Unmarshal(Marshal(page)) =\n%+v\nwant\n%+v", got, tt.page)
			}
		})
	}
}

func TestNotAPage(t *testing.T) {
	tests := []struct {
		name string
		data string
	}{
		{name: "not JSON", data: "<html>"},
		{name: "empty object", data: "{}"},
		{name: "no number", data: `{"repo":"acme/pay"}`},
		{name: "negative number", data: `{"repo":"acme/pay","number":-1}`},
		{name: "a report that is not one", data: `{"repo":"acme/pay","number":1,"report":"ready"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if p, err := Unmarshal([]byte(tt.data)); err == nil {
				t.Errorf("Unmarshal(%s) = %+v, want an error", tt.data, p)
			}
		})
	}
	if _, err := Marshal(PR{Repo: "acme/pay"}); err == nil {
		t.Error("Marshal accepted a page without a pull request number")
	}
}
