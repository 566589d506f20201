package readiness

import (
	"reflect"
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

// workloadCheck stands for a check that depends on the environments
// check, with fixed results.
type workloadCheck struct {
	judged  []inspect.Finding
	pending []string
}

func (c workloadCheck) Validate() error   { return nil }
func (c workloadCheck) Inputs() []string  { return nil }
func (c workloadCheck) DependsOn() string { return "environments" }
func (c workloadCheck) CheckJudged(*inspect.Repo) ([]inspect.Finding, []string) {
	return c.judged, c.pending
}

// Check is what the check reports alone: each pending environment is a
// finding of its own.
func (c workloadCheck) Check(*inspect.Repo) []inspect.Finding {
	out := append([]inspect.Finding{}, c.judged...)
	for _, env := range c.pending {
		out = append(out, inspect.Finding{Message: env + ": no deployment configuration"})
	}
	return out
}

func TestEvaluateDependentChecks(t *testing.T) {
	when := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	deployment := func(envFile string) policy.Requirement {
		return policy.Requirement{ID: "deployment", Title: "Deployment", Checks: []policy.Check{
			{ID: "environments", Kind: "environments", Checker: fileCheck{envFile}}}}
	}
	scaling := func(c workloadCheck) policy.Requirement {
		return policy.Requirement{ID: "scaling", Title: "Scaling", Checks: []policy.Check{{ID: "replicas", Kind: "replicas", Checker: c}}}
	}
	production := inspect.Finding{Path: "deploy/prod/app.yaml", Line: 6, Message: "production: Deployment web runs 1 replica"}
	tests := []struct {
		name         string
		requirements []policy.Requirement
		wantStatus   map[string]Status
		wantFindings []inspect.Finding
	}{
		{name: "pending on a failing environments check, in another requirement",
			requirements: []policy.Requirement{scaling(workloadCheck{pending: []string{"uat", "ci"}}), deployment("missing.yaml")},
			wantStatus:   map[string]Status{"deployment": Fail, "scaling": Pending},
			wantFindings: []inspect.Finding{{Message: "pending on environments [deployment]: checks uat, ci once it passes"}}},
		{name: "its own findings fail it, the rest stays pending without a location",
			requirements: []policy.Requirement{deployment("missing.yaml"), scaling(workloadCheck{judged: []inspect.Finding{production}, pending: []string{"uat"}})},
			wantStatus:   map[string]Status{"deployment": Fail, "scaling": Fail},
			wantFindings: []inspect.Finding{production, {Message: "pending on environments [deployment]: checks uat once it passes"}}},
		{name: "without an environments check the causes are its own findings",
			requirements: []policy.Requirement{scaling(workloadCheck{pending: []string{"uat"}})},
			wantStatus:   map[string]Status{"scaling": Fail},
			wantFindings: []inspect.Finding{{Message: "uat: no deployment configuration"}}},
		{name: "an environments check that passes cannot leave it pending",
			requirements: []policy.Requirement{deployment("README.md"), scaling(workloadCheck{pending: []string{"uat"}})},
			wantStatus:   map[string]Status{"deployment": Pass, "scaling": Fail},
			wantFindings: []inspect.Finding{{Message: "uat: no deployment configuration"}}},
		{name: "nothing pending passes",
			requirements: []policy.Requirement{deployment("README.md"), scaling(workloadCheck{})},
			wantStatus:   map[string]Status{"deployment": Pass, "scaling": Pass},
			wantFindings: []inspect.Finding{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &policy.Policy{Version: 1, Requirements: tt.requirements}
			rep := Evaluate(p, Snapshot{FS: fstest.MapFS{"README.md": {Data: []byte("x")}}}, when)
			for _, r := range rep.Requirements {
				if r.Status != tt.wantStatus[r.ID] {
					t.Errorf("requirement %s = %s, want %s", r.ID, r.Status, tt.wantStatus[r.ID])
				}
				for _, c := range r.Checks {
					if c.ID == "replicas" && !reflect.DeepEqual(c.Findings, tt.wantFindings) {
						t.Errorf("replicas findings:\n got %+v\nwant %+v", c.Findings, tt.wantFindings)
					}
				}
			}
			if rep.Ready != (tt.wantStatus["scaling"] == Pass) {
				t.Errorf("Ready = %v with scaling %s", rep.Ready, tt.wantStatus["scaling"])
			}
		})
	}
}

// TestEvaluateWithRecordedOutcomes: outcomes recorded from an earlier
// evaluation stand in for the checks only when they cover every check of
// the policy; otherwise the checks run on the tree.
func TestEvaluateWithRecordedOutcomes(t *testing.T) {
	when := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	pol := testPolicy()
	readmeOnly := fstest.MapFS{"README.md": {Data: []byte("x")}}
	fresh := Evaluate(pol, Snapshot{FS: readmeOnly}, when)
	recorded := AutomaticOf(pol, fresh)
	tests := []struct {
		name      string
		outcomes  [][]Check
		fs        fstest.MapFS
		wantCheck Status // of security's "review" check
	}{
		{name: "recorded outcomes are used, the tree is not read", outcomes: recorded, fs: fstest.MapFS{"README.md": {}, "SECURITY.md": {}}, wantCheck: Fail},
		{name: "outcomes missing a requirement: the checks run", outcomes: recorded[:1], fs: fstest.MapFS{"README.md": {}, "SECURITY.md": {}}, wantCheck: Pass},
		{name: "outcomes of other checks: the checks run", outcomes: [][]Check{{{ID: "readme", Kind: "file", Status: Pass}}, {{ID: "other", Kind: "file", Status: Pass}}},
			fs: fstest.MapFS{"README.md": {}}, wantCheck: Fail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := Evaluate(pol, Snapshot{FS: tt.fs, Automatic: tt.outcomes}, when)
			if got := rep.Requirements[1].Checks[0]; got.ID != "review" || got.Status != tt.wantCheck {
				t.Errorf("security's first check = %s %s, want review %s", got.ID, got.Status, tt.wantCheck)
			}
		})
	}
	if replayed := Evaluate(pol, Snapshot{FS: fstest.MapFS{}, Automatic: recorded}, when); !reflect.DeepEqual(replayed, fresh) {
		t.Errorf("the report from recorded outcomes differs from the fresh one:\n got %+v\nwant %+v", replayed, fresh)
	}
}
