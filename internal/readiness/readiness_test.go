package readiness

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/launchgate/launchgate/internal/inspect"
	"github.com/launchgate/launchgate/internal/policy"
)

// fileCheck passes when its file exists: enough to drive the evaluator's
// combination logic without depending on any real check kind.
type fileCheck struct{ path string }

func (c fileCheck) Validate() error  { return nil }
func (c fileCheck) Inputs() []string { return []string{c.path} }
func (c fileCheck) Check(r *inspect.Repo) []inspect.Finding {
	if r.Exists(c.path) {
		return nil
	}
	return []inspect.Finding{{Path: c.path, Message: "missing"}}
}

func testPolicy() *policy.Policy {
	return &policy.Policy{
		Version:   1,
		Approvals: policy.Approvals{Teams: []string{"security", "infra"}},
		Requirements: []policy.Requirement{
			{ID: "docs", Title: "Docs", Checks: []policy.Check{{ID: "readme", Kind: "file", Checker: fileCheck{"README.md"}}}},
			{ID: "security", Title: "Security", Checks: []policy.Check{{ID: "review", Kind: "file", Checker: fileCheck{"SECURITY.md"}}},
				Signoffs: []policy.Signoff{{ID: "reviewed", Text: "Reviewed", Team: "security"}}, Approvals: []string{"security"}},
		},
	}
}

func TestEvaluate(t *testing.T) {
	when := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	both := fstest.MapFS{"README.md": {Data: []byte("x")}, "SECURITY.md": {Data: []byte("x")}}
	allDone := &Human{
		Signoffs:  map[string]Done{"reviewed": {By: "sec-ann", At: when}},
		Approvals: map[string]Done{"security": {By: "sec-ann", At: when}, "infra": {By: "ops-bob", At: when}},
	}
	tests := []struct {
		name       string
		fs         fstest.MapFS
		human      *Human
		wantReady  bool
		wantStatus map[string]Status
	}{
		{"local check: files present, people unknown", both, nil, false,
			map[string]Status{"docs": Pass, "security": Pending, "approvals": Pending}},
		{"a failing check fails its requirement even with sign-offs", fstest.MapFS{"README.md": {Data: []byte("x")}}, allDone, false,
			map[string]Status{"docs": Pass, "security": Fail, "approvals": Pass}},
		{"everything done", both, allDone, true,
			map[string]Status{"docs": Pass, "security": Pass, "approvals": Pass}},
		{"approval voided", both, &Human{
			Signoffs:  allDone.Signoffs,
			Approvals: map[string]Done{"security": {By: "sec-ann", At: when}},
			Voided:    map[string]string{"infra": "approved by @ops-bob before deploy/x.yaml changed"},
		}, false, map[string]Status{"docs": Pass, "security": Pass, "approvals": Pending}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := Evaluate(testPolicy(), Snapshot{FS: tt.fs, Human: tt.human}, when)
			if rep.Ready != tt.wantReady {
				t.Errorf("Ready = %v, want %v", rep.Ready, tt.wantReady)
			}
			if len(rep.Requirements) != len(tt.wantStatus) {
				t.Fatalf("got %d requirements, want %d", len(rep.Requirements), len(tt.wantStatus))
			}
			for _, r := range rep.Requirements {
				if r.Status != tt.wantStatus[r.ID] {
					t.Errorf("requirement %s = %s, want %s", r.ID, r.Status, tt.wantStatus[r.ID])
				}
				for _, c := range r.Checks {
					if c.Findings == nil {
						t.Errorf("check %s has nil findings; JSON must show []", c.ID)
					}
					if c.Status != Pass && len(c.Findings) == 0 {
						t.Errorf("check %s is %s without a finding saying why", c.ID, c.Status)
					}
				}
			}
		})
	}
}

func TestEvaluateShowsVoidReason(t *testing.T) {
	h := &Human{Voided: map[string]string{"reviewed": "ticked by @ann before launch/security-review.md changed"}}
	rep := Evaluate(testPolicy(), Snapshot{FS: fstest.MapFS{}, Human: h}, time.Now())
	for _, c := range rep.Requirements[1].Checks {
		if c.ID == "reviewed" {
			if c.Status != Pending || len(c.Findings) != 1 || !strings.Contains(c.Findings[0].Message, "before launch/security-review.md changed") {
				t.Fatalf("voided sign-off shown as %+v", c)
			}
			return
		}
	}
	t.Fatal("sign-off missing from the report")
}

func TestExtraApprovalsFromCodeowners(t *testing.T) {
	rep := Evaluate(testPolicy(), Snapshot{FS: fstest.MapFS{}, ExtraApprovals: []string{"payments", "security"}}, time.Now())
	last := rep.Requirements[len(rep.Requirements)-1]
	var teams []string
	for _, c := range last.Checks {
		teams = append(teams, c.Team)
	}
	// security is already required by a requirement; infra by the policy;
	// payments by CODEOWNERS.
	if got := strings.Join(teams, ","); got != "infra,payments" {
		t.Errorf("extra approvals = %s, want infra,payments", got)
	}
}
