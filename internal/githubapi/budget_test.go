package githubapi

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/google/go-github/v60/github"

	"github.com/launchgate/launchgate/internal/githubsim"
	"github.com/launchgate/launchgate/internal/policy"
	"github.com/launchgate/launchgate/internal/readiness"
	"github.com/launchgate/launchgate/internal/report"
)

// evaluate is one evaluation as the App runs it: gather (policy, launch
// decision, head tree), evaluate (pure), publish. It uses only this
// package's API, so the requests it sends are the package's cost.
func evaluate(ctx context.Context, c *Client, pr PullRequest) (changed bool, err error) {
	p, err := c.Policy(ctx, pr)
	if err != nil {
		return false, err
	}
	if _, err := c.CodeOwners(ctx, pr); err != nil {
		return false, err
	}
	run := CheckRun{Name: "Production readiness", HeadSHA: pr.HeadSHA, Status: "completed", ID: RunID{PR: pr.Number}}
	launch, read, err := isLaunch(ctx, c, p, pr)
	if err != nil {
		return false, err
	}
	run.Read = read
	if !launch {
		run.Conclusion, run.Title, run.Summary = "success", "Not a launch PR", "Nothing to check."
		_, changed, err = c.PublishCheckRun(ctx, pr, run)
		return changed, err
	}
	var inputs []string
	for _, r := range p.Requirements {
		for _, ch := range r.Checks {
			inputs = append(inputs, ch.Checker.Inputs()...)
		}
	}
	fsys, err := c.HeadTree(ctx, pr, inputs)
	if err != nil {
		return false, err
	}
	rep := readiness.Evaluate(p, readiness.Snapshot{FS: fsys}, time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC))
	run.Conclusion, run.Title = "failure", report.Title(rep)
	if rep.Ready {
		run.Conclusion = "success"
	}
	var summary strings.Builder
	for _, r := range rep.Requirements {
		fmt.Fprintf(&summary, "- %s: %s\n", r.Title, r.Status)
		for _, ch := range r.Checks {
			for _, f := range ch.Findings {
				if f.Path != "" && f.Line > 0 {
					run.Annotations = append(run.Annotations, &github.CheckRunAnnotation{
						Path: github.String(f.Path), StartLine: github.Int(f.Line), EndLine: github.Int(f.Line),
						AnnotationLevel: github.String("failure"), Message: github.String(f.Message),
					})
				}
			}
		}
	}
	run.Summary = summary.String()
	_, changed, err = c.PublishCheckRun(ctx, pr, run)
	return changed, err
}

// isLaunch decides from the payload when it can, and lists files only for
// a path rule, with the App's run, as the server does.
func isLaunch(ctx context.Context, c *Client, p *policy.Policy, pr PullRequest) (bool, *RunRead, error) {
	for _, l := range pr.Labels {
		if slices.Contains(p.Launch.Labels, l) {
			return true, nil, nil
		}
	}
	for _, prefix := range p.Launch.TitlePrefixes {
		if strings.HasPrefix(pr.Title, prefix) {
			return true, nil, nil
		}
	}
	if len(p.Launch.Paths) == 0 {
		return false, nil, nil
	}
	files, read, err := c.FilesAndRun(ctx, pr, "Production readiness")
	if err != nil {
		return false, nil, err
	}
	for _, f := range files {
		for _, g := range p.Launch.Paths {
			if ok, _ := doublestar.Match(g, f); ok {
				return true, read, nil
			}
		}
	}
	return false, read, nil
}

// halfKit is a launch PR's first push: some of the launch kit.
var halfKit = map[string]string{
	"launch/deployment.md":          "# Deployment\n\n## Setup\n\nRun make deploy.\n",
	"launch/security-review.md":     "# Security review\n\nTODO\n",
	"Dockerfile":                    "FROM scratch\n",
	"deploy/production/values.yaml": "replicas: 1\n",
	"src/main.go":                   "package main\n",
}

// TestRequestBudget measures what evaluations cost, counted by the
// simulator (every request it answered, the installation token included),
// and fails when a scenario costs more than its budget. Budgets are the
// measured cost: a change that adds a request must say why here.
func TestRequestBudget(t *testing.T) {
	e := newEnv(t, githubsim.Options{})
	e.sim.AddRepo("acme", ".github", "main", map[string]string{"profile/README.md": "acme"})
	base := e.sim.AddRepo("acme", "svc", "main", map[string]string{
		"README.md": "# svc\n", ".github/CODEOWNERS": "launch/ @acme/infra\n",
	})
	launchHead := e.sim.Push("acme", "svc", "launch", halfKit)
	launchN := e.sim.OpenPR("acme", "svc", githubsim.PRSpec{Title: "Launch: svc", Head: "launch", Labels: []string{"launch"}})
	launchPR := PullRequest{InstallationID: e.inst, Owner: "acme", Repo: "svc", Number: launchN,
		Title: "Launch: svc", Labels: []string{"launch"}, HeadSHA: launchHead, BaseSHA: base.HeadSHA, BaseRef: "main"}
	otherHead := e.sim.Push("acme", "svc", "typo", map[string]string{"README.md": "# svc!\n"})
	otherN := e.sim.OpenPR("acme", "svc", githubsim.PRSpec{Title: "Fix a typo", Head: "typo"})
	otherPR := PullRequest{InstallationID: e.inst, Owner: "acme", Repo: "svc", Number: otherN,
		Title: "Fix a typo", HeadSHA: otherHead, BaseSHA: base.HeadSHA, BaseRef: "main"}

	var hooked int
	c := e.client(Options{OnRequest: func(endpoint string, status int) { hooked++ }})
	ctx := context.Background()
	e.requests()

	steps := []struct {
		name        string
		before      func()
		pr          *PullRequest
		budget      int  // requests the simulator answered
		wantChanged bool // a write happened
		wantCharged int  // requests charged to the primary rate limit (not 304s, not the token)
	}{
		{
			// token, GraphQL (policy, org policy, CODEOWNERS), tree, GraphQL
			// (the inputs), list, create.
			name: "launch PR, first evaluation", pr: &launchPR, budget: 6, wantChanged: true, wantCharged: 5,
		},
		{
			name: "the same launch PR again", pr: &launchPR, budget: 1, wantChanged: false, wantCharged: 1,
		},
		{
			// The first listing after our own write differs; from now on,
			// 304s.
			name: "and again", pr: &launchPR, budget: 1, wantChanged: false, wantCharged: 0,
		},
		{
			// tree, GraphQL for the changed inputs only, list (the
			// empty-listing ETag: 304), create.
			name: "a push completes the kit", pr: &launchPR, budget: 4, wantChanged: true, wantCharged: 3,
			before: func() {
				launchPR.HeadSHA = e.sim.Push("acme", "svc", "launch", map[string]string{
					"launch/security-review.md": "# Security review\n\n## Attack surface\n\nOne port.\n",
				})
				e.requests()
			},
		},
		{
			// The policy is cached (same base SHA); the default policy's path
			// rule needs the file list, read in one GraphQL query with the
			// run; create. (Before issue 10: files, list (304), create.)
			name: "a non-launch PR, first evaluation", pr: &otherPR, budget: 2, wantChanged: true, wantCharged: 2,
		},
		{
			name: "the non-launch PR again", pr: &otherPR, budget: 1, wantChanged: false, wantCharged: 1,
		},
	}
	for _, st := range steps {
		if st.before != nil {
			st.before()
		}
		changed, err := evaluate(ctx, c, *st.pr)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		reqs := e.sim.Requests()
		e.sim.ResetRequests()
		charged := 0
		var lines []string
		for _, r := range reqs {
			lines = append(lines, fmt.Sprintf("%s %s %d", r.Method, r.Path, r.Status))
			if r.Status != 304 && !strings.HasSuffix(r.Path, "/access_tokens") {
				charged++
			}
		}
		t.Logf("%s: %d requests, %d charged:\n\t%s", st.name, len(reqs), charged, strings.Join(lines, "\n\t"))
		if len(reqs) > st.budget {
			t.Errorf("%s: %d requests, budget %d", st.name, len(reqs), st.budget)
		}
		if charged > st.wantCharged {
			t.Errorf("%s: %d requests charged to the rate limit, budget %d", st.name, charged, st.wantCharged)
		}
		if changed != st.wantChanged {
			t.Errorf("%s: changed = %t, want %t", st.name, changed, st.wantChanged)
		}
	}
	// The meter saw what the simulator saw, minus the token request that
	// ghinstallation sends beneath it.
	stats := c.Requests()
	if stats.Total != hooked {
		t.Errorf("meter total %d, hook calls %d", stats.Total, hooked)
	}
	if got := stats.Endpoint(epTree); got != 2 {
		t.Errorf("tree requests = %d, want 2: %v", got, stats.Counts)
	}
	if other := stats.Endpoint("GET (other)") + stats.Endpoint("POST (other)") + stats.Endpoint("PATCH (other)"); other != 0 {
		t.Errorf("requests without an endpoint template: %v", stats.Counts)
	}
	runs := e.sim.CheckRuns("acme", "svc", launchPR.HeadSHA)
	if len(runs) != 1 {
		t.Errorf("runs on the launch head = %d, want 1", len(runs))
	}
}

// BenchmarkEvaluation measures an evaluation of a launch PR whose run is
// published already, by a cold Client (a restarted or another replica: empty
// caches, a new installation token) and by a warm one, against the simulator
// over loopback HTTP, and reports requests per evaluation.
func BenchmarkEvaluation(b *testing.B) {
	e := newEnv(b, githubsim.Options{})
	head := maps.Clone(halfKit)
	maps.Copy(head, files(200, "launch/notes", "note %d\n"))
	pr := e.repo("svc", map[string]string{"README.md": "r"}, head)
	pr.Labels = []string{"launch"}
	ctx := context.Background()
	b.Run("cold", func(b *testing.B) {
		e.requests()
		for b.Loop() {
			if _, err := evaluate(ctx, e.client(Options{}), pr); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(e.requests()))/float64(b.N), "requests/op")
	})
	b.Run("warm", func(b *testing.B) {
		c := e.client(Options{})
		if _, err := evaluate(ctx, c, pr); err != nil {
			b.Fatal(err)
		}
		e.requests()
		for b.Loop() {
			if _, err := evaluate(ctx, c, pr); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(e.requests()))/float64(b.N), "requests/op")
	})
}
