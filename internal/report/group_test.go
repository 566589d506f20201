package report

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/launchgate/launchgate/internal/inspect"
	"github.com/launchgate/launchgate/internal/readiness"
)

func TestGroupFindings(t *testing.T) {
	missing := func(env string) inspect.Finding {
		return inspect.Finding{Message: env + ": no deployment configuration", Fix: "add an overlay"}
	}
	tests := []struct {
		name string
		in   []inspect.Finding
		want []inspect.Finding
	}{
		{name: "environments that differ in one word merge",
			in:   []inspect.Finding{missing("production"), missing("uat"), missing("user-acceptance")},
			want: []inspect.Finding{{Message: "production, uat, user-acceptance: no deployment configuration", Fix: "add an overlay"}}},
		{name: "different fixes stay apart",
			in:   []inspect.Finding{missing("production"), {Message: "uat: no deployment configuration", Fix: "add a values file"}},
			want: []inspect.Finding{missing("production"), {Message: "uat: no deployment configuration", Fix: "add a values file"}}},
		{name: "messages that differ in more than a word stay apart",
			in:   []inspect.Finding{{Message: "a runs 1 replica"}, {Message: "b runs 3 replicas"}},
			want: []inspect.Finding{{Message: "a runs 1 replica"}, {Message: "b runs 3 replicas"}}},
		{name: "different places of one word-apart message stay apart",
			in:   []inspect.Finding{{Path: "a.yaml", Message: "x: bad"}, {Path: "b.yaml", Message: "y: bad"}},
			want: []inspect.Finding{{Path: "a.yaml", Message: "x: bad"}, {Path: "b.yaml", Message: "y: bad"}}},
		{name: "the same message in several files is listed once",
			in:   []inspect.Finding{{Path: "a.yaml", Line: 3, Message: "no probe"}, {Path: "b.yaml", Message: "no probe"}, {Path: "c.yaml", Line: 1, Message: "no probe"}},
			want: []inspect.Finding{{Path: "a.yaml", Line: 3, Message: "no probe (also b.yaml, c.yaml:1)"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := groupFindings(tt.in)
			if len(got) != len(tt.want) {
				t.Fatalf("groupFindings = %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("finding %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// sharedApprovalReport asks team infra in two requirements.
func sharedApprovalReport() *readiness.Report {
	approval := readiness.Check{ID: "approval-infra", Kind: readiness.KindApproval, Description: "Approval by team infra", Status: readiness.Pending,
		Findings: []inspect.Finding{{Message: "waiting for an approving review by a member of team infra"}}}
	return &readiness.Report{Requirements: []readiness.Requirement{
		{ID: "monitoring", Title: "Monitoring", Status: readiness.Fail, Checks: []readiness.Check{
			{ID: "probes", Kind: "probes", Status: readiness.Fail, Findings: []inspect.Finding{
				{Message: "production: no deployment configuration", Fix: "add deploy/overlays/production/"},
			}},
			approval,
		}},
		{ID: "scaling", Title: "Scaling", Status: readiness.Pending, Checks: []readiness.Check{approval}},
	}}
}

// TestApprovalsAndFixes: a team asked by several requirements is listed
// once with them, and a finding's fix has a line of its own.
func TestApprovalsAndFixes(t *testing.T) {
	render := map[string]func(*bytes.Buffer) error{
		"text": func(b *bytes.Buffer) error { return Text(b, sharedApprovalReport(), Options{}) },
		"markdown": func(b *bytes.Buffer) error {
			return Markdown(b, sharedApprovalReport(), Options{})
		},
		"check run": func(b *bytes.Buffer) error {
			out, err := CheckRun(sharedApprovalReport(), CheckRunOptions{})
			b.WriteString(out.Text)
			return err
		},
	}
	for _, tt := range []struct {
		format   string
		approval string // the approval's line
		fix      string // the fix's line
	}{
		{format: "text", approval: "○ approval-infra: Approval by team infra, for monitoring, scaling", fix: "          fix: add deploy/overlays/production/"},
		{format: "markdown", approval: "- ⏳ **approval\\-infra**: Approval by team infra, for monitoring, scaling", fix: "    - fix: add deploy/overlays/production/"},
		{format: "check run", approval: "- ⏳ **approval\\-infra**: Approval by team infra, for monitoring, scaling", fix: "    - fix: add deploy/overlays/production/"},
	} {
		t.Run(tt.format, func(t *testing.T) {
			var b bytes.Buffer
			if err := render[tt.format](&b); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			if n := strings.Count(out, "approval-infra") + strings.Count(out, "approval\\-infra"); n != 1 {
				t.Errorf("approval-infra appears %d times, want once:\n%s", n, out)
			}
			if n := strings.Count(out, "waiting for an approving review"); n != 1 {
				t.Errorf("the approval's finding appears %d times, want once:\n%s", n, out)
			}
			if !strings.Contains(out, tt.approval) {
				t.Errorf("no %q in:\n%s", tt.approval, out)
			}
			if !slices.Contains(strings.Split(out, "\n"), tt.fix) {
				t.Errorf("no line %q in:\n%s", tt.fix, out)
			}
		})
	}
}
