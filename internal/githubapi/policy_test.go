package githubapi

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/launchgate/launchgate/internal/githubsim"
	"github.com/launchgate/launchgate/internal/policy"
)

func policyWithLabel(label string) string {
	return "version: 1\nextends: default\nlaunch:\n  labels: [" + label + "]\n"
}

// replicasPolicy extends the default with its own replicas minimum, on
// line 8; the check is on line 6.
func replicasPolicy(min, enforced string) string {
	return "version: 1\nextends: default\nrequirements:\n  - id: scaling\n    checks:\n      - id: replicas\n        kind: replicas\n        min: " + min + "\n" + enforced
}

// orgFloor enforces 3 replicas.
var orgFloor = replicasPolicy("3", "        enforced: true\n")

// brokenPolicy has an unknown key on line 4.
const brokenPolicy = "version: 1\nextends: default\nlaunch:\n  lables: [launch]\n"

func TestPolicyLookupOrder(t *testing.T) {
	tests := []struct {
		name        string
		base        map[string]string // the repository at the base SHA
		head        map[string]string // what the pull request adds
		org         map[string]string // acme/.github; nil: no such repository
		wantLabel   string            // the policy's launch label; "" with wantErr
		wantSource  string            // prefix of the policy's Source
		wantErrLine int               // > 0: a policy.Errors with this line
		wantURL     string            // PolicyURL of the policy; {base} is the base SHA
	}{
		{
			name:       "repository policy at the base SHA wins over the org's",
			base:       map[string]string{PolicyPath: policyWithLabel("repo-launch")},
			org:        map[string]string{PolicyPath: policyWithLabel("org-launch")},
			wantLabel:  "repo-launch",
			wantSource: "acme/svc@",
			wantURL:    "https://github.com/acme/svc/blob/{base}/" + PolicyPath,
		},
		{
			name:       "the org's .github repository when the repository has none",
			base:       map[string]string{"README.md": "hi"},
			org:        map[string]string{PolicyPath: policyWithLabel("org-launch")},
			wantLabel:  "org-launch",
			wantSource: "acme/.github:" + PolicyPath,
			wantURL:    "https://github.com/acme/.github/blob/HEAD/" + PolicyPath,
		},
		{
			name:       "the embedded default when neither has one",
			base:       map[string]string{"README.md": "hi"},
			org:        map[string]string{"README.md": "org profile"},
			wantLabel:  "launch",
			wantSource: policy.DefaultSource,
		},
		{
			name:       "the embedded default when the org has no .github repository",
			base:       map[string]string{"README.md": "hi"},
			wantLabel:  "launch",
			wantSource: policy.DefaultSource,
		},
		{
			name:       "a policy the pull request adds is ignored",
			base:       map[string]string{"README.md": "hi"},
			head:       map[string]string{PolicyPath: policyWithLabel("weakened")},
			org:        map[string]string{PolicyPath: policyWithLabel("org-launch")},
			wantLabel:  "org-launch",
			wantSource: "acme/.github:",
			wantURL:    "https://github.com/acme/.github/blob/HEAD/" + PolicyPath,
		},
		{
			name:       "a policy the pull request changes is ignored",
			base:       map[string]string{PolicyPath: policyWithLabel("repo-launch")},
			head:       map[string]string{PolicyPath: brokenPolicy},
			wantLabel:  "repo-launch",
			wantSource: "acme/svc@",
			wantURL:    "https://github.com/acme/svc/blob/{base}/" + PolicyPath,
		},
		{
			name:        "a broken repository policy is an error, not a fall-through",
			base:        map[string]string{PolicyPath: brokenPolicy},
			org:         map[string]string{PolicyPath: policyWithLabel("org-launch")},
			wantSource:  "acme/svc@",
			wantErrLine: 4,
		},
		{
			name:        "a broken org policy is an error, not the default",
			base:        map[string]string{"README.md": "hi"},
			org:         map[string]string{PolicyPath: brokenPolicy},
			wantSource:  "acme/.github:",
			wantErrLine: 4,
		},
		{
			name:        "a repository policy below the org floor is an error",
			base:        map[string]string{PolicyPath: replicasPolicy("2", "")},
			org:         map[string]string{PolicyPath: orgFloor},
			wantSource:  "acme/svc@",
			wantErrLine: 6,
		},
		{
			name:       "a repository policy that keeps the org floor is used",
			base:       map[string]string{PolicyPath: replicasPolicy("4", "")},
			org:        map[string]string{PolicyPath: orgFloor},
			wantLabel:  "launch",
			wantSource: "acme/svc@",
			wantURL:    "https://github.com/acme/svc/blob/{base}/" + PolicyPath,
		},
		{
			name:        "a broken org policy is an error when the repository has a policy too",
			base:        map[string]string{PolicyPath: policyWithLabel("repo-launch")},
			org:         map[string]string{PolicyPath: brokenPolicy},
			wantSource:  "acme/.github:",
			wantErrLine: 4,
		},
		{
			name:        "a binary policy is a broken policy",
			base:        map[string]string{PolicyPath: "version: 1\x00"},
			wantSource:  "acme/svc@",
			wantErrLine: 0,
		},
		{
			name:        "an oversized policy is a broken policy, and is not fetched",
			base:        map[string]string{PolicyPath: "# " + strings.Repeat("x", policy.MaxSize)},
			wantSource:  "acme/svc@",
			wantErrLine: 0,
		},
		{
			name:        "a directory where the policy should be is a broken policy",
			base:        map[string]string{PolicyPath + "/x": "y"},
			wantSource:  "acme/svc@",
			wantErrLine: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, githubsim.Options{})
			if tt.org != nil {
				e.sim.AddRepo("acme", ".github", "main", tt.org)
			}
			head := tt.head
			if head == nil {
				head = map[string]string{"src/main.go": "package main"}
			}
			pr := e.repo("svc", tt.base, head)
			c := e.client(Options{})
			p, err := c.Policy(context.Background(), pr)
			if tt.wantLabel == "" {
				var perrs policy.Errors
				if !errors.As(err, &perrs) {
					t.Fatalf("Policy() = %v, %v; want policy.Errors", p, err)
				}
				if perrs[0].Line != tt.wantErrLine || !strings.HasPrefix(perrs[0].Source, tt.wantSource) {
					t.Errorf("error %q: line %d source %q, want line %d source %s…", perrs[0].Msg, perrs[0].Line, perrs[0].Source, tt.wantErrLine, tt.wantSource)
				}
				// Binary policies are read over REST to be sure; nothing else
				// is needed.
				if reqs := e.apiRequests(); count(reqs, "POST /graphql") != 1 || len(reqs) > 2 {
					t.Errorf("requests = %v", reqs)
				}
				return
			}
			if err != nil {
				t.Fatalf("Policy(): %v", err)
			}
			if got := strings.Join(p.Launch.Labels, ","); got != tt.wantLabel {
				t.Errorf("launch labels = %s, want %s", got, tt.wantLabel)
			}
			if !strings.HasPrefix(p.Source, tt.wantSource) {
				t.Errorf("source = %q, want prefix %q", p.Source, tt.wantSource)
			}
			if want, got := strings.ReplaceAll(tt.wantURL, "{base}", pr.BaseSHA), PolicyURL("https://github.com", pr, p.Source); got != want {
				t.Errorf("PolicyURL = %q, want %q", got, want)
			}
			if strings.HasPrefix(tt.wantSource, "acme/svc@") && p.Source != "acme/svc@"+pr.BaseSHA+":"+PolicyPath {
				t.Errorf("source = %q, want the file at the base SHA", p.Source)
			}
			// One GraphQL request answered everything.
			if reqs := e.apiRequests(); len(reqs) != 1 || reqs[0] != "POST /graphql" {
				t.Errorf("requests = %v, want one POST /graphql", reqs)
			}
		})
	}
}

func TestPolicyCaching(t *testing.T) {
	e := newEnv(t, githubsim.Options{})
	e.sim.AddRepo("acme", ".github", "main", map[string]string{PolicyPath: policyWithLabel("org-v1")})
	pr := e.repo("svc", map[string]string{"README.md": "hi"}, map[string]string{"a.txt": "a"})
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	c := e.client(Options{OrgPolicyTTL: time.Minute, Now: func() time.Time { return now }})
	ctx := context.Background()
	label := func() string {
		t.Helper()
		p, err := c.Policy(ctx, pr)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(p.Launch.Labels, ",")
	}

	if got := label(); got != "org-v1" {
		t.Fatalf("label = %s", got)
	}
	e.requests()
	// Within the TTL: no request, even though the org policy changed.
	e.sim.Push("acme", ".github", "main", map[string]string{PolicyPath: policyWithLabel("org-v2")})
	if got := label(); got != "org-v1" {
		t.Errorf("within the TTL: label = %s, want the cached org-v1", got)
	}
	if reqs := e.apiRequests(); len(reqs) != 0 {
		t.Errorf("within the TTL: requests = %v, want none", reqs)
	}
	// After it: only the org part is read again.
	now = now.Add(time.Minute)
	if got := label(); got != "org-v2" {
		t.Errorf("after the TTL: label = %s, want org-v2", got)
	}
	reqs := e.sim.Requests()
	if len(reqs) != 1 || !strings.Contains(string(reqs[0].Body), "HEAD:"+PolicyPath) || strings.Contains(string(reqs[0].Body), pr.BaseSHA) {
		t.Errorf("after the TTL: requests = %v, want one GraphQL query for the org policy only", reqs)
	}
}

// The org policy is the floor of a repository's policy, so it is read
// again after its TTL even when the repository has a policy of its own.
func TestOrgFloorIsRefreshed(t *testing.T) {
	e := newEnv(t, githubsim.Options{})
	e.sim.AddRepo("acme", ".github", "main", map[string]string{PolicyPath: policyWithLabel("org")})
	pr := e.repo("svc", map[string]string{PolicyPath: replicasPolicy("2", "")}, map[string]string{"a.txt": "a"})
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	c := e.client(Options{OrgPolicyTTL: time.Minute, Now: func() time.Time { return now }})
	ctx := context.Background()
	if _, err := c.Policy(ctx, pr); err != nil {
		t.Fatalf("no floor yet: %v", err)
	}
	e.sim.Push("acme", ".github", "main", map[string]string{PolicyPath: orgFloor})
	now = now.Add(time.Minute)
	e.requests()
	_, err := c.Policy(ctx, pr)
	var perrs policy.Errors
	if !errors.As(err, &perrs) || !strings.Contains(perrs[0].Msg, "min 2 replicas is lower than the organisation's 3") {
		t.Fatalf("after the TTL: Policy() = %v, want the raised floor refused", err)
	}
	reqs := e.sim.Requests()
	if len(reqs) != 1 || !strings.Contains(string(reqs[0].Body), "HEAD:"+PolicyPath) || strings.Contains(string(reqs[0].Body), pr.BaseSHA) {
		t.Errorf("after the TTL: requests = %v, want one GraphQL query for the org policy only", reqs)
	}
}

func TestCodeOwnersLookupOrder(t *testing.T) {
	tests := []struct {
		name     string
		files    map[string]string
		wantPath string // "" for none
	}{
		{"github directory first", map[string]string{".github/CODEOWNERS": "* @acme/a", "CODEOWNERS": "* @acme/b", "docs/CODEOWNERS": "* @acme/c"}, ".github/CODEOWNERS"},
		{"then the root", map[string]string{"CODEOWNERS": "* @acme/b", "docs/CODEOWNERS": "* @acme/c"}, "CODEOWNERS"},
		{"then docs", map[string]string{"docs/CODEOWNERS": "* @acme/c"}, "docs/CODEOWNERS"},
		{"a directory named CODEOWNERS does not count", map[string]string{"CODEOWNERS/x": "y", "docs/CODEOWNERS": "* @acme/c"}, "docs/CODEOWNERS"},
		{"none", map[string]string{"README.md": "hi"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, githubsim.Options{})
			// The pull request's own CODEOWNERS must not count.
			pr := e.repo("svc", tt.files, map[string]string{".github/CODEOWNERS": "* @acme/intruder"})
			c := e.client(Options{})
			ctx := context.Background()
			if _, err := c.Policy(ctx, pr); err != nil {
				t.Fatal(err)
			}
			f, err := c.CodeOwners(ctx, pr)
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantPath == "" {
				if f != nil {
					t.Errorf("CodeOwners() = %s, want none", f.Path)
				}
			} else if f == nil || f.Path != tt.wantPath {
				t.Errorf("CodeOwners() = %+v, want %s", f, tt.wantPath)
			} else if teams := f.Teams("x.go", "acme"); len(teams) != 1 || teams[0] == "intruder" {
				t.Errorf("owners of x.go = %v, want the base branch's", teams)
			}
			// Policy and CODEOWNERS came in one request.
			if reqs := e.apiRequests(); len(reqs) != 1 {
				t.Errorf("requests = %v, want one", reqs)
			}
		})
	}
}

// TestPolicyURLNamesOnlyWhatPolicyRead: a source Policy did not write for
// this pull request (another base commit, another owner's) links nowhere,
// and names are escaped in the link.
func TestPolicyURLNamesOnlyWhatPolicyRead(t *testing.T) {
	base := strings.Repeat("b", 40)
	pr := PullRequest{Owner: "acme", Repo: "my svc", BaseSHA: base}
	tests := []struct {
		name, source, want string
	}{
		{name: "the repository's file, escaped", source: "acme/my svc@" + base + ":" + PolicyPath,
			want: "https://github.com/acme/my%20svc/blob/" + base + "/" + PolicyPath},
		{name: "another base commit", source: "acme/my svc@" + strings.Repeat("c", 40) + ":" + PolicyPath},
		{name: "another owner's .github", source: "other/.github:" + PolicyPath + " (default branch)"},
		{name: "the embedded default", source: policy.DefaultSource},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := PolicyURL("https://github.com", pr, tt.source); got != tt.want {
				t.Errorf("PolicyURL(%q) = %q, want %q", tt.source, got, tt.want)
			}
		})
	}
}
