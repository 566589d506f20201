package server

import (
	"fmt"
	"html"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/launchgate/launchgate/internal/githubsim"
	"github.com/launchgate/launchgate/internal/report"
)

// TestLaunchPRLifecycle plays the demo's story through the real server:
// the half-written kit fails with annotations on its files, every push gets
// its own run, and the finished kit leaves only people's work.
func TestLaunchPRLifecycle(t *testing.T) {
	h := newHarness(t)
	s, _ := h.repo(nil)
	n, head := h.openPR(s.Branch, s.Opened, githubsim.PRSpec{Title: s.Title, Labels: s.Labels})

	run := h.run(head)
	if run.GetHeadSHA() != head || run.GetStatus() != "completed" || run.GetConclusion() != report.ConclusionFailure {
		t.Fatalf("run on the opened PR: head %s status %s conclusion %s", run.GetHeadSHA(), run.GetStatus(), run.GetConclusion())
	}
	if title := run.GetOutput().GetTitle(); !strings.Contains(title, " ready: ") {
		t.Errorf("title %q does not say where the PR stands", title)
	}
	// details_url points at the reviewer checklist, where people act.
	if cms := h.sim.Comments("acme", "orders", n); len(cms) != 1 || run.GetDetailsURL() != cms[0].GetHTMLURL() {
		t.Errorf("details_url = %q, want the checklist comment's URL; comments: %d", run.GetDetailsURL(), len(cms))
	}
	// The missing recovery doc and the kit templates are annotated on
	// their files; every annotation is a failure on a real line.
	annotated := map[string]bool{}
	for _, a := range run.GetOutput().Annotations {
		annotated[a.GetPath()] = true
		if a.GetPath() == "launch/recovery.md" && a.GetStartLine() != 1 {
			t.Errorf("the missing recovery doc is annotated on line %d, want 1", a.GetStartLine())
		}
		if a.GetAnnotationLevel() != "failure" || a.GetStartLine() < 1 || a.GetEndLine() != a.GetStartLine() {
			t.Errorf("annotation %s:%d-%d level %s", a.GetPath(), a.GetStartLine(), a.GetEndLine(), a.GetAnnotationLevel())
		}
	}
	for _, p := range []string{"launch/recovery.md", "launch/monitoring.md", "launch/scaling.md"} {
		if !annotated[p] {
			t.Errorf("no annotation on %s; annotated: %v", p, annotated)
		}
	}
	if ids := h.sim.CheckRunActions(run.GetID()); len(ids) != 1 || ids[0].Identifier != report.RecheckIdentifier {
		t.Errorf("actions = %v, want the Re-check action", ids)
	}
	text := run.GetOutput().GetText()
	if !strings.Contains(text, "https://github.com/acme/orders/blob/"+head+"/launch/monitoring.md#L") {
		t.Errorf("details do not link the files at the head commit:\n%s", text)
	}
	if !strings.Contains(text, "`sha256:") || !strings.Contains(text, "launchgate ") {
		t.Errorf("details lack the version and policy digest footer:\n%s", text)
	}

	var conclusions []string
	for _, p := range s.Pushes {
		sha := h.sim.Push("acme", "orders", s.Branch, p.Files)
		h.settle()
		conclusions = append(conclusions, h.run(sha).GetConclusion())
	}
	want := []string{"failure", "failure", "failure", "action_required"}
	if !slices.Equal(conclusions, want) {
		t.Errorf("conclusions after each push = %v, want %v", conclusions, want)
	}
	// The first commit's run is untouched by later pushes.
	if h.run(head).GetConclusion() != report.ConclusionFailure {
		t.Error("a later push changed the run of an earlier commit")
	}
}

func TestNonLaunchPRGetsSuccess(t *testing.T) {
	h := newHarness(t)
	h.repo(nil)
	_, head := h.openPR("typo", map[string]string{"README.md": "orders service\n"}, githubsim.PRSpec{Title: "Fix a typo", Labels: []string{"docs"}})
	run := h.run(head)
	if run.GetConclusion() != report.ConclusionSuccess || run.GetOutput().GetTitle() != "Not a launch PR — nothing to check" {
		t.Fatalf("run: %s %q", run.GetConclusion(), run.GetOutput().GetTitle())
	}
	if s := run.GetOutput().GetSummary(); !strings.Contains(s, "not a launch PR") {
		t.Errorf("summary does not say why:\n%s", s)
	}
}

func TestBrokenBasePolicyFailsWithItsLine(t *testing.T) {
	h := newHarness(t)
	h.repo(map[string]string{".github/launchgate.yml": "version: 1\nlaunch:\n  labels: [launch]\nrequirments: []\n"})
	_, head := h.openPR("feature", map[string]string{"README.md": "x\n"}, githubsim.PRSpec{Title: "Anything"})
	run := h.run(head)
	if run.GetConclusion() != report.ConclusionFailure || run.GetOutput().GetTitle() != "Policy cannot be read" {
		t.Fatalf("run: %s %q", run.GetConclusion(), run.GetOutput().GetTitle())
	}
	if s := run.GetOutput().GetSummary(); !strings.Contains(s, "line 4:") || !strings.Contains(s, "requirments") {
		t.Errorf("summary does not show the error and its line:\n%s", s)
	}
}

// A pull request cannot weaken its own gate: a policy it adds is ignored,
// whether it is laxer or broken.
func TestPolicyChangedOnlyOnTheHeadIsIgnored(t *testing.T) {
	lax := "version: 1\nlaunch:\n  labels: [launch]\nrequirements:\n  - id: nothing\n    title: Nothing\n    checks:\n      - id: readme\n        kind: files\n        description: a README\n        any: [\"README.md\"]\n"
	for name, head := range map[string]string{"lax": lax, "broken": "version: [\n"} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t)
			s, _ := h.repo(nil)
			files := map[string]string{".github/launchgate.yml": head, "README.md": "x\n"}
			for k, v := range s.Opened {
				files[k] = v
			}
			_, sha := h.openPR(s.Branch, files, githubsim.PRSpec{Title: s.Title, Labels: s.Labels})
			run := h.run(sha)
			if run.GetConclusion() != report.ConclusionFailure || !strings.Contains(run.GetOutput().GetTitle(), " ready: ") {
				t.Fatalf("run: %s %q; the default policy should have judged the half-written kit", run.GetConclusion(), run.GetOutput().GetTitle())
			}
			if strings.Contains(run.GetOutput().GetSummary(), "Nothing") {
				t.Error("the head's policy was used")
			}
		})
	}
}

func TestRedeliveryWritesNothing(t *testing.T) {
	h := newHarness(t)
	s, _ := h.repo(nil)
	h.openPR(s.Branch, s.Opened, githubsim.PRSpec{Title: s.Title, Labels: s.Labels})
	var opened []byte
	for _, d := range h.sim.Deliveries() {
		if d.GetEvent() == "pull_request" && d.GetAction() == "opened" {
			opened = *d.GetRequest().RawPayload
		}
	}
	if opened == nil {
		t.Fatal("no pull_request.opened delivery recorded")
	}
	h.sim.ResetRequests()
	if resp := h.post("pull_request", opened, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("redelivery answered %d", resp.StatusCode)
	}
	h.settle()
	if w := writes(h.sim.Requests()); len(w) != 0 {
		t.Errorf("redelivery wrote %v", w)
	}
	if n := len(h.sim.Requests()); n != 0 {
		t.Errorf("redelivery made %d requests; an identical event needs none", n)
	}
}

// Re-run and Re-check evaluate again with the pull request's current
// state. Webhooks are switched off while the label changes, so that only
// the buttons can bring the change in.
func TestRerunAndRecheckReevaluate(t *testing.T) {
	h := newHarness(t)
	h.repo(nil)
	n, head := h.openPR("readme", map[string]string{"README.md": "orders\n"}, githubsim.PRSpec{Title: "Docs"})
	first := h.run(head)
	if first.GetConclusion() != report.ConclusionSuccess {
		t.Fatalf("a README change is not a launch PR; got %s", first.GetConclusion())
	}

	h.sim.SetWebhookURL("")
	h.sim.Label("acme", "orders", n, "octocat", "launch")
	h.sim.SetWebhookURL(h.url + HookPath)
	h.sim.RerequestCheckRun(first.GetID(), "octocat")
	h.settle()
	run := h.latestRun(head)
	if run.GetConclusion() != report.ConclusionFailure {
		t.Fatalf("after Re-run with the launch label: %s %q", run.GetConclusion(), run.GetOutput().GetTitle())
	}

	h.sim.SetWebhookURL("")
	h.sim.Unlabel("acme", "orders", n, "octocat", "launch")
	h.sim.SetWebhookURL(h.url + HookPath)
	h.sim.RequestCheckRunAction(run.GetID(), "octocat", report.RecheckIdentifier)
	h.settle()
	if run := h.latestRun(head); run.GetConclusion() != report.ConclusionSuccess {
		t.Fatalf("after Re-check without the label: %s %q", run.GetConclusion(), run.GetOutput().GetTitle())
	}

	// Re-run all checks (check_suite rerequested) evaluates too.
	h.sim.SetWebhookURL("")
	h.sim.Label("acme", "orders", n, "octocat", "launch")
	h.sim.SetWebhookURL(h.url + HookPath)
	h.sim.RequestCheckSuite("acme", "orders", head, "rerequested")
	h.settle()
	if run := h.latestRun(head); run.GetConclusion() != report.ConclusionFailure {
		t.Fatalf("after Re-run all checks with the label: %s %q", run.GetConclusion(), run.GetOutput().GetTitle())
	}
}

func TestForkPullRequest(t *testing.T) {
	h := newHarness(t)
	s, _ := h.repo(nil)
	// GitHub serves a fork PR's commits from the base repository
	// (refs/pull/N/head); the simulator keeps them in a branch there.
	n, head := h.openPR("fork-launch", s.Opened, githubsim.PRSpec{Title: s.Title, Labels: s.Labels, Author: "outsider", FromFork: true})
	run := h.run(head)
	if run.GetConclusion() != report.ConclusionFailure || len(run.GetOutput().Annotations) == 0 {
		t.Fatalf("fork PR run: %s with %d annotations", run.GetConclusion(), len(run.GetOutput().Annotations))
	}
	if len(run.PullRequests) != 0 {
		t.Fatalf("GitHub lists no fork PRs on a check run; the simulator listed %d", len(run.PullRequests))
	}
	// Re-run finds the PR through the run's external_id.
	h.sim.SetWebhookURL("")
	h.sim.Unlabel("acme", "orders", n, "outsider", "launch")
	h.sim.EditTitle("acme", "orders", n, "outsider", "Just docs")
	h.sim.SetWebhookURL(h.url + HookPath)
	h.sim.RerequestCheckRun(run.GetID(), "octocat")
	h.settle()
	// Still a launch PR by its launch/ paths, and still the same commit:
	// the re-run read the PR again and found the same outcome.
	if got := h.latestRun(head); got.GetConclusion() != report.ConclusionFailure {
		t.Errorf("after Re-run: %s", got.GetConclusion())
	}
	if !strings.Contains(h.logs.String(), "re-evaluation requested") {
		t.Error("the fork PR's Re-run was not taken")
	}
}

// TestLogs checks that every line the handlers and the evaluator write
// about a pull request names the delivery, event, installation, repository
// and pull request, and that no line carries a secret.
func TestLogs(t *testing.T) {
	h := newHarness(t)
	s, _ := h.repo(nil)
	_, head := h.openPR(s.Branch, s.Opened, githubsim.PRSpec{Title: s.Title, Labels: s.Labels})
	h.sim.RerequestCheckRun(h.run(head).GetID(), "octocat")
	h.settle()

	evaluations := 0
	for _, line := range h.logs.lines(t) {
		if line["message"] == "evaluated" {
			evaluations++
		}
		if _, aboutPR := line["github_pr_num"]; !aboutPR && line["message"] != "evaluated" {
			continue
		}
		for _, key := range []string{"github_delivery_id", "github_event_type", "github_installation_id", "github_repository_owner", "github_repository_name", "github_pr_num"} {
			if v, ok := line[key]; !ok || v == "" {
				t.Errorf("log line lacks %s: %v", key, line)
			}
		}
	}
	if evaluations < 2 {
		t.Errorf("%d evaluation lines; want the opened PR's and the Re-run's", evaluations)
	}
	logs := h.logs.String()
	for _, secret := range []string{testSecret, "PRIVATE KEY", strings.Split(pkcs1PEM(), "\n")[1], "ghs_", "Bearer "} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs carry a secret (%.12q…)", secret)
		}
	}
}

// TestShutdownFinishesQueuedEvaluations stops the server right after a
// delivery was accepted: the evaluation still completes.
func TestShutdownFinishesQueuedEvaluations(t *testing.T) {
	h := newHarness(t)
	n, head, base := h.silentPR()
	if resp := h.post("pull_request", h.openedFor(t, n, head, base), nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if err := h.srv.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	assertEvaluated(t, h.run(head))
	if resp := h.post("pull_request", h.openedFor(t, n, head, base), nil); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("a delivery after shutdown answered %d, want 503", resp.StatusCode)
	}
}

// A repository's policy is checked against the organisation floor: one
// that lowers an enforced item fails closed, naming its line and the
// organisation policy's; one that tightens it is evaluated as usual.
func TestRepositoryPolicyBelowTheOrganisationFloor(t *testing.T) {
	const org = "version: 1\nextends: default\nrequirements:\n  - id: scaling\n    checks:\n      - id: replicas\n        kind: replicas\n        min: 3\n        enforced: true\n"
	repoPolicy := func(min int) string {
		return fmt.Sprintf("version: 1\nextends: default\nrequirements:\n  - id: scaling\n    checks:\n      - id: replicas\n        kind: replicas\n        min: %d\n", min)
	}
	tests := []struct {
		name      string
		min       int
		wantFloor bool
	}{
		{name: "lowers", min: 2, wantFloor: true},
		{name: "tightens", min: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.sim.AddRepo("acme", ".github", "main", map[string]string{".github/launchgate.yml": org})
			s, base := h.repo(map[string]string{".github/launchgate.yml": repoPolicy(tt.min)})
			_, head := h.openPR(s.Branch, s.Opened, githubsim.PRSpec{Title: s.Title, Labels: s.Labels})
			run := h.run(head)
			title, summary := run.GetOutput().GetTitle(), run.GetOutput().GetSummary()
			if !tt.wantFloor {
				if title == "Policy cannot be read" || !strings.Contains(title, " ready: ") {
					t.Fatalf("run: %s %q; a tighter policy should be evaluated\n%s", run.GetConclusion(), title, summary)
				}
				return
			}
			if run.GetConclusion() != report.ConclusionFailure || title != "Policy cannot be read" {
				t.Fatalf("run: %s %q", run.GetConclusion(), title)
			}
			text := html.UnescapeString(plain(summary))
			want := `line 6: check "replicas" of requirement "scaling": min 2 replicas is lower than the organisation's 3; ` +
				"the organisation policy enforces it at acme/.github:.github/launchgate.yml (default branch):6"
			if !strings.Contains(text, want) || !strings.Contains(text, "acme/orders@"+base+":.github/launchgate.yml") {
				t.Errorf("summary does not name both lines:\n%s", summary)
			}
		})
	}
}
