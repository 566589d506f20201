package approval

import (
	"cmp"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/launchgate/launchgate/internal/codeowners"
	"github.com/launchgate/launchgate/internal/policy"
	"github.com/launchgate/launchgate/internal/readiness"
)

// testPolicy needs security for the security review and infra for the
// recovery plan, and asks CODEOWNERS teams of launch/ and deploy/.
func testPolicy(t *testing.T) *policy.Policy {
	t.Helper()
	p, err := policy.Parse("test.yml", []byte(`version: 1
launch:
  labels: [launch]
approvals:
  teams: [security, infra]
  paths: ["launch/**", "deploy/**"]
requirements:
  - id: security
    title: Security review
    checks:
      - id: security-review
        kind: document
        path: launch/security-review.md
        sections: [{title: Attack surface}]
    approvals: [security]
  - id: recovery
    title: Backup and recovery
    checks:
      - id: recovery-doc
        kind: document
        path: launch/recovery.md
        sections: [{title: Backups}]
    approvals: [infra, dba]
`))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

const testOwners = `# Launch kits belong to the platform team.
/launch/                 @acme/platform
/launch/security-review.md @acme/Security @acme/appsec
/deploy/                 @acme/infra @ops-lead sre@acme.example @other-org/sre
/deploy/generated/
/src/                    @acme/backend
not a valid line
`

func TestRequiredTeams(t *testing.T) {
	pol := testPolicy(t)
	owners := codeowners.Parse("CODEOWNERS", []byte(testOwners))
	if len(owners.Invalid) != 1 {
		t.Fatalf("test CODEOWNERS should have one invalid line, got %v", owners.Invalid)
	}
	tests := []struct {
		name      string
		changed   []string
		wantTeams []string
		wantExtra []string
	}{
		{"no changed files: the policy's teams, requirement teams included",
			nil, []string{"security", "infra", "dba"}, nil},
		{"a CODEOWNERS team of a launch file is added",
			[]string{"launch/scaling.md"}, []string{"security", "infra", "dba", "platform"}, []string{"platform"}},
		{"a team equal to a policy team but for case is not extra; its neighbour is",
			[]string{"launch/security-review.md"}, []string{"security", "infra", "dba", "appsec"}, []string{"appsec"}},
		{"users, emails and other organisations' teams make no requirement",
			[]string{"deploy/prod/app.yaml"}, []string{"security", "infra", "dba"}, nil},
		{"a rule without owners leaves the path unowned",
			[]string{"deploy/generated/x.yaml"}, []string{"security", "infra", "dba"}, nil},
		{"owners of paths outside approvals.paths are not asked",
			[]string{"src/main.go"}, []string{"security", "infra", "dba"}, nil},
		{"extra teams are sorted and deduplicated",
			[]string{"launch/security-review.md", "launch/a.md", "launch/b.md"},
			[]string{"security", "infra", "dba", "appsec", "platform"}, []string{"appsec", "platform"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			teams, extra := RequiredTeams(pol, owners, "ACME", tt.changed)
			if !reflect.DeepEqual(teams, tt.wantTeams) || !reflect.DeepEqual(extra, tt.wantExtra) {
				t.Errorf("RequiredTeams = %q, extra %q; want %q, extra %q", teams, extra, tt.wantTeams, tt.wantExtra)
			}
		})
	}
	t.Run("no CODEOWNERS file", func(t *testing.T) {
		teams, extra := RequiredTeams(pol, nil, "acme", []string{"launch/a.md"})
		if !reflect.DeepEqual(teams, []string{"security", "infra", "dba"}) || extra != nil {
			t.Errorf("RequiredTeams = %q, %q", teams, extra)
		}
	})
}

func TestGuards(t *testing.T) {
	guards := Guards(testPolicy(t), codeowners.Parse("CODEOWNERS", []byte(testOwners)), "acme")
	tests := []struct {
		team, path string
		want       bool
	}{
		{"security", "launch/security-review.md", true}, // owner and input
		{"security", "launch/recovery.md", false},
		{"infra", "launch/recovery.md", true}, // input of a requirement it approves
		{"INFRA", "launch/recovery.md", true},
		{"infra", "deploy/prod/app.yaml", true}, // CODEOWNERS
		{"infra", "deploy/generated/app.yaml", false},
		{"platform", "launch/scaling.md", true},
		{"platform", "deploy/prod/app.yaml", false},
		{"backend", "src/main.go", true},
		{"sre", "deploy/prod/app.yaml", false}, // @other-org/sre is not acme's
	}
	for _, tt := range tests {
		if got := guards(tt.team, tt.path); got != tt.want {
			t.Errorf("guards(%q, %q) = %v, want %v", tt.team, tt.path, got, tt.want)
		}
	}
}

func TestEvaluate(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	const head, old, older = "ccccccc333", "bbbbbbb222", "aaaaaaa111"
	members := map[string]map[string]bool{
		"security": {"ann": true, "sam": true, "carol": true, "dora": true, "pending-pat": false},
		"infra":    {"ivan": true, "bob": false, "carol": true, "dora": true, "sam": false},
	}
	guards := func(team, path string) bool {
		switch team {
		case "security":
			return strings.HasPrefix(path, "launch/security")
		case "infra":
			return path == "launch/recovery.md" || strings.HasPrefix(path, "deploy/")
		}
		return false
	}
	changed := map[string][]string{
		old:   {"launch/recovery.md", "README.md"},
		older: {"launch/recovery.md", "launch/security-review.md", "README.md"},
	}
	review := func(user, state string, min int, commit string) Review {
		return Review{User: user, State: state, SubmittedAt: at(min), CommitID: commit}
	}
	tests := []struct {
		name         string
		author       string // "carol" when empty
		reviews      []Review
		want         map[string]readiness.Done
		wantVoided   map[string]string // substrings
		wantMissing  []string
		wantCandidat map[string][]string
	}{
		{
			name:        "no reviews",
			wantMissing: []string{"security", "infra"},
			want:        map[string]readiness.Done{},
		},
		{
			name:         "each team approved by one of its members at head",
			reviews:      []Review{review("ann", Approved, 1, head), review("ivan", Approved, 2, head)},
			want:         map[string]readiness.Done{"security": {By: "ann", At: at(1)}, "infra": {By: "ivan", At: at(2)}},
			wantCandidat: map[string][]string{"security": {"ivan", "ann"}, "infra": {"ivan", "ann"}},
		},
		{
			name:         "a member of both teams satisfies both",
			reviews:      []Review{review("dora", Approved, 1, head)},
			want:         map[string]readiness.Done{"security": {By: "dora", At: at(1)}, "infra": {By: "dora", At: at(1)}},
			wantCandidat: map[string][]string{"security": {"dora"}, "infra": {"dora"}},
		},
		{
			name:         "a non-member's approval does not count",
			reviews:      []Review{review("ann", Approved, 1, head), review("bob", Approved, 2, head)},
			want:         map[string]readiness.Done{"security": {By: "ann", At: at(1)}},
			wantVoided:   map[string]string{"infra": "@bob approved but is not an active member of team infra"},
			wantMissing:  []string{"infra"},
			wantCandidat: map[string][]string{"security": {"bob", "ann"}, "infra": {"bob", "ann"}},
		},
		{
			name:        "a pending membership is not active",
			reviews:     []Review{review("pending-pat", Approved, 1, head)},
			want:        map[string]readiness.Done{},
			wantVoided:  map[string]string{"security": "@pending-pat approved but is not an active member of team security"},
			wantMissing: []string{"security", "infra"},
		},
		{
			name:        "unknown membership fails closed",
			reviews:     []Review{review("newcomer", Approved, 1, head)},
			want:        map[string]readiness.Done{},
			wantVoided:  map[string]string{"security": "@newcomer approved but their membership of team security could not be checked"},
			wantMissing: []string{"security", "infra"},
		},
		{
			name:        "the author's own approval never counts, whatever the case of the login",
			author:      "CAROL",
			reviews:     []Review{review("Carol", Approved, 1, head)},
			want:        map[string]readiness.Done{},
			wantVoided:  map[string]string{"security": "@Carol approved their own pull request", "infra": "@Carol approved their own pull request"},
			wantMissing: []string{"security", "infra"},
			// No membership is asked about for the author.
			wantCandidat: map[string][]string{},
		},
		{
			name:        "changes requested after approving withdraws the approval",
			reviews:     []Review{review("ann", Approved, 1, head), review("ann", ChangesRequested, 2, head)},
			want:        map[string]readiness.Done{},
			wantMissing: []string{"security", "infra"},
		},
		{
			name:        "a dismissed approval does not count",
			reviews:     []Review{review("ann", Dismissed, 1, head)},
			want:        map[string]readiness.Done{},
			wantMissing: []string{"security", "infra"},
		},
		{
			name:        "an earlier approval does not survive the dismissal of a later one",
			reviews:     []Review{review("ann", Approved, 1, head), review("ann", Dismissed, 2, head)},
			want:        map[string]readiness.Done{},
			wantMissing: []string{"security", "infra"},
		},
		{
			name:        "approved again after a dismissal counts",
			reviews:     []Review{review("ann", Dismissed, 1, head), review("ann", Approved, 2, head)},
			want:        map[string]readiness.Done{"security": {By: "ann", At: at(2)}},
			wantMissing: []string{"infra"},
		},
		{
			name:        "approving after requesting changes counts",
			reviews:     []Review{review("ivan", ChangesRequested, 1, head), review("ivan", Approved, 2, head)},
			want:        map[string]readiness.Done{"infra": {By: "ivan", At: at(2)}},
			wantMissing: []string{"security"},
		},
		{
			name: "a comment after approving keeps the approval, as does a pending review",
			reviews: []Review{review("ann", Approved, 1, head), review("ann", Commented, 2, head),
				{User: "ann", State: Pending, CommitID: head}},
			want:        map[string]readiness.Done{"security": {By: "ann", At: at(1)}},
			wantMissing: []string{"infra"},
		},
		{
			name:        "the latest review counts whatever case the login comes in",
			reviews:     []Review{review("ann", Approved, 1, head), review("ANN", ChangesRequested, 2, head)},
			want:        map[string]readiness.Done{},
			wantMissing: []string{"security", "infra"},
		},
		{
			name:    "a push changing a file the team guards voids its approval; a push touching nothing of theirs keeps the other",
			reviews: []Review{review("ann", Approved, 1, old), review("ivan", Approved, 2, old)},
			want:    map[string]readiness.Done{"security": {By: "ann", At: at(1)}},
			wantVoided: map[string]string{
				"infra": "approved by @ivan at bbbbbbb; launch/recovery.md changed since"},
			wantMissing: []string{"infra"},
			// ivan's approval is voided for infra: nobody asks whether he is
			// a member of it.
			wantCandidat: map[string][]string{"security": {"ivan", "ann"}},
		},
		{
			name:    "an older approval voided, a newer one at head counts",
			reviews: []Review{review("ann", Approved, 1, older), review("sam", Approved, 2, head)},
			want:    map[string]readiness.Done{"security": {By: "sam", At: at(2)}},
			wantVoided: map[string]string{
				"infra": "@sam approved but is not an active member of team infra; approved by @ann at aaaaaaa; launch/recovery.md changed since"},
			wantMissing: []string{"infra"},
		},
		{
			name:        "approved on a commit whose changes are unknown: voided",
			reviews:     []Review{review("ann", Approved, 1, "ddddddd444")},
			want:        map[string]readiness.Done{},
			wantVoided:  map[string]string{"security": "approved by @ann at ddddddd, and what changed since cannot be determined"},
			wantMissing: []string{"security", "infra"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := Input{
				Author: cmp.Or(tt.author, "carol"), Reviews: tt.reviews, Teams: []string{"security", "infra"},
				Members: members, Head: head, ChangedSince: changed, Guards: guards,
			}
			got := Evaluate(in)
			// Each approval keeps the commit its review was given on;
			// the table states who and when.
			for team, d := range got.Approvals {
				if !slices.ContainsFunc(tt.reviews, func(r Review) bool { return r.User == d.By && r.CommitID == d.Commit }) {
					t.Errorf("approval of %s by %s names commit %q, which none of their reviews was given on", team, d.By, d.Commit)
				}
				d.Commit = ""
				got.Approvals[team] = d
			}
			if !reflect.DeepEqual(got.Approvals, tt.want) {
				t.Errorf("Approvals = %v, want %v", got.Approvals, tt.want)
			}
			if !reflect.DeepEqual(got.Missing, tt.wantMissing) {
				t.Errorf("Missing = %q, want %q", got.Missing, tt.wantMissing)
			}
			for team, want := range tt.wantVoided {
				if !strings.Contains(got.Voided[team], want) {
					t.Errorf("Voided[%s] = %q, want it to contain %q", team, got.Voided[team], want)
				}
			}
			for team := range got.Approvals {
				if _, ok := got.Voided[team]; ok {
					t.Errorf("team %s is satisfied and voided at once", team)
				}
			}
			if tt.wantCandidat != nil {
				if c := Candidates(in); !reflect.DeepEqual(c, tt.wantCandidat) {
					t.Errorf("Candidates = %v, want %v", c, tt.wantCandidat)
				}
			}
		})
	}
}

// The server may stop asking about a team at the first active member
// Candidates lists; Evaluate must then pick that member, not wait for
// answers about the others.
func TestEvaluateWithFirstAnswerOnly(t *testing.T) {
	in := Input{
		Author: "carol", Teams: []string{"infra"}, Head: "h",
		Reviews: []Review{
			{User: "ivan", State: Approved, CommitID: "h"},
			{User: "olga", State: Approved, CommitID: "h"},
		},
	}
	first := Candidates(in)["infra"][0]
	in.Members = map[string]map[string]bool{"infra": {first: true}}
	got := Evaluate(in)
	if got.Approvals["infra"].By != first || len(got.Missing) != 0 {
		t.Fatalf("Evaluate = %+v, want infra approved by %s", got, first)
	}
}

func TestEvaluateNilGuardsVoidsOnAnyChange(t *testing.T) {
	in := Input{
		Author: "carol", Teams: []string{"infra"}, Head: "h",
		Reviews:      []Review{{User: "ivan", State: Approved, CommitID: "o"}},
		Members:      map[string]map[string]bool{"infra": {"ivan": true}},
		ChangedSince: map[string][]string{"o": {"README.md"}},
	}
	if got := Evaluate(in); len(got.Missing) != 1 || !strings.Contains(got.Voided["infra"], "README.md changed since") {
		t.Fatalf("Evaluate = %+v", got)
	}
	in.ChangedSince["o"] = nil // an empty push (a rebase with no change)
	if got := Evaluate(in); len(got.Missing) != 0 {
		t.Fatalf("a push changing nothing voided the approval: %+v", got)
	}
}

func TestToRequest(t *testing.T) {
	tests := []struct {
		name                           string
		missing, requested, remembered []string
		wantAsk, wantRemember          []string
	}{
		{"first evaluation asks every missing team",
			[]string{"security", "infra"}, nil, nil,
			[]string{"security", "infra"}, []string{"infra", "security"}},
		{"the next event asks nobody again",
			[]string{"security", "infra"}, []string{"security", "infra"}, []string{"infra", "security"},
			nil, []string{"infra", "security"}},
		{"a request a person removed is not made again",
			[]string{"security", "infra"}, []string{"security"}, []string{"infra", "security"},
			nil, []string{"infra", "security"}},
		{"a team that became missing later is asked once",
			[]string{"infra", "platform"}, nil, []string{"infra", "security"},
			[]string{"platform"}, []string{"infra", "platform", "security"}},
		{"a team a person requested is remembered, not asked",
			[]string{"dba"}, []string{"dba"}, nil,
			nil, []string{"dba"}},
		{"slugs compare case-insensitively",
			[]string{"Security"}, nil, []string{"security"},
			nil, []string{"security"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ask, remember := ToRequest(tt.missing, tt.requested, tt.remembered)
			if !reflect.DeepEqual(ask, tt.wantAsk) || !reflect.DeepEqual(remember, tt.wantRemember) {
				t.Errorf("ToRequest = %q, %q; want %q, %q", ask, remember, tt.wantAsk, tt.wantRemember)
			}
		})
	}
}

func TestNamePaths(t *testing.T) {
	tests := []struct {
		in   []string
		want string
	}{
		{nil, ""},
		{[]string{"a"}, "a"},
		{[]string{"a", "b"}, "a and b"},
		{[]string{"a", "b", "c"}, "a, b and c"},
		{[]string{"a", "b", "c", "d", "e"}, "a, b, c and 2 more"},
	}
	for _, tt := range tests {
		if got := NamePaths(tt.in, 3); got != tt.want {
			t.Errorf("NamePaths(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
