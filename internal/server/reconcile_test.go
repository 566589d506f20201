package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/launchgate/launchgate/internal/githubapi"
	"github.com/launchgate/launchgate/internal/githubsim"
	"github.com/launchgate/launchgate/internal/report"
)

// quiet runs f with the simulator's webhooks switched off: what f changes
// on GitHub reaches the App only through the reconciler.
func (h *harness) quiet(f func()) {
	h.sim.SetWebhookURL("")
	defer h.sim.SetWebhookURL(h.url + HookPath)
	f()
}

// reconcile runs a pass and waits until what it queued and redelivered is
// handled.
func (h *harness) reconcile() Stats {
	h.t.Helper()
	st, err := h.srv.Reconcile(context.Background())
	if err != nil {
		h.t.Fatalf("reconcile: %v", err)
	}
	h.settle()
	return st
}

// refuse makes the App answer 503 to the deliveries f causes, as a full
// queue does: its only worker is held and every place is taken.
func (h *harness) refuse(f func()) {
	h.t.Helper()
	release := h.hold("")
	defer h.settle()
	defer release()
	q := h.srv.queue
	q.mu.Lock()
	for q.enqueueLocked(&job{rank: rankFresh, ctx: context.Background(), run: func(context.Context, carried) error { return nil }}) == nil {
	}
	q.mu.Unlock()
	f()
}

// failedDeliveries lists the GUIDs of the deliveries that never succeeded,
// by event and action ("pull_request.labeled").
func failedDeliveries(h *harness) map[string]string {
	ok, failed := map[string]bool{}, map[string]string{}
	for _, d := range h.sim.Deliveries() {
		if d.GetStatus() == "OK" {
			ok[d.GetGUID()] = true
		} else {
			failed[d.GetGUID()] = d.GetEvent() + "." + d.GetAction()
		}
	}
	for g := range ok {
		delete(failed, g)
	}
	return failed
}

func hasValue(m map[string]string, v string) bool {
	for _, x := range m {
		if x == v {
			return true
		}
	}
	return false
}

// checkRunWrites counts the requests since the last reset that created or
// updated a check run.
func checkRunWrites(h *harness) int {
	n := 0
	for _, w := range writes(h.sim.Requests()) {
		if strings.Contains(w, "/check-runs") {
			n++
		}
	}
	return n
}

func TestReconcilerRepairsMissingAndOutdatedRuns(t *testing.T) {
	h := newHarness(t)
	s, _ := h.repo(nil)
	// A pull request whose events were all lost, and one that got them.
	var head string
	h.quiet(func() {
		head = h.sim.Push("acme", "orders", s.Branch, s.Opened)
		h.sim.OpenPR("acme", "orders", githubsim.PRSpec{Title: s.Title, Labels: s.Labels, Head: s.Branch})
	})
	_, docsHead := h.openPR("docs", map[string]string{"README.md": "orders\n"}, githubsim.PRSpec{Title: "Docs"})
	if n := len(h.runs(head)); n != 0 {
		t.Fatalf("%d runs before reconciling; the test needs none", n)
	}

	st := h.reconcile()
	if st.PullRequests != 2 || st.Repairs != 1 || st.ByReason["missing"] != 1 || st.Truncated {
		t.Errorf("pass 1: %+v; want 2 pull requests examined, 1 missing run repaired", st)
	}
	assertEvaluated(t, h.latestRun(head))

	// The head moves while events are lost: the run on the new head is
	// missing.
	var moved string
	h.quiet(func() { moved = h.sim.Push("acme", "orders", s.Branch, s.Pushes[0].Files) })
	st = h.reconcile()
	if st.Repairs != 1 || st.ByReason["missing"] != 1 {
		t.Errorf("pass 2: %+v; want the moved head repaired", st)
	}
	if r := h.latestRun(moved); r.GetConclusion() == "" {
		t.Errorf("no run on the moved head %s", moved)
	}

	// Nothing left to repair: a pass writes nothing.
	h.sim.ResetRequests()
	st = h.reconcile()
	if st.Repairs != 0 {
		t.Errorf("pass 3 repaired %d; nothing was missing", st.Repairs)
	}
	if n := checkRunWrites(h); n != 0 {
		t.Errorf("pass 3 wrote %d check runs", n)
	}
	if r := h.run(docsHead); r.GetConclusion() != report.ConclusionSuccess {
		t.Errorf("the docs PR's run is %s", r.GetConclusion())
	}
	if got := total(scrapeMetrics(t, h.internalURL), metricRepairs); got != 2 {
		t.Errorf("%s = %v, want 2", metricRepairs, got)
	}
}

// TestReconcilerRecoversFailedDeliveries: deliveries the App refused with
// 503 (queue full) are recorded by GitHub as failed, and the reconciler
// recovers them: events about one pull request by evaluating its current
// state (their payloads are old state, redelivered in any order), others
// by redelivery, which happens once.
func TestReconcilerRecoversFailedDeliveries(t *testing.T) {
	h := newHarness(t, oneWorker(8))
	h.repo(nil)
	n, head := h.openPR("docs", map[string]string{"README.md": "orders\n"}, githubsim.PRSpec{Title: "Docs"})
	if r := h.run(head); r.GetConclusion() != report.ConclusionSuccess {
		t.Fatalf("the PR starts as %s; want a non-launch success", r.GetConclusion())
	}

	// The queue is full while the PR is renamed, labelled a launch PR and
	// reviewed: GitHub's deliveries fail. Redelivered newest first (the
	// listing's order), the rename's payload, without the label, would
	// come last and win.
	h.refuse(func() {
		h.sim.EditTitle("acme", "orders", n, "octocat", "Docs, reworded")
		h.sim.Label("acme", "orders", n, "octocat", "launch")
		h.sim.SubmitReview("acme", "orders", n, "sam", "COMMENTED")
	})
	failed := failedDeliveries(h)
	for _, want := range []string{"pull_request.edited", "pull_request.labeled", "pull_request_review.submitted"} {
		if !hasValue(failed, want) {
			t.Fatalf("failed deliveries %v; want %s among them", failed, want)
		}
	}
	if r := h.run(head); r.GetConclusion() != report.ConclusionSuccess {
		t.Fatalf("run changed to %s before the reconciler ran", r.GetConclusion())
	}

	st := h.reconcile()
	if st.Failed != len(failed) || st.ByReason["failed delivery"] != 1 || st.ByReason["missing"] != 0 {
		t.Errorf("pass 1: %+v; want %d failed deliveries, the pull request's evaluated once", st, len(failed))
	}
	if st.Redeliveries == 0 || st.Redeliveries >= len(failed) {
		t.Errorf("pass 1 redelivered %d of %d; want the review (and any check-run echo), not the pull_request events", st.Redeliveries, len(failed))
	}
	assertEvaluated(t, h.latestRun(head)) // a launch PR now: the label's state won
	if title := h.latestRun(head).GetOutput().GetTitle(); strings.Contains(title, "Not a launch PR") {
		t.Errorf("run %q: an old payload's state won", title)
	}

	st = h.reconcile()
	if st.Redeliveries != 0 || st.Repairs != 0 {
		t.Errorf("pass 2: %+v; every failed delivery was recovered and must not be again", st)
	}
	if got := total(scrapeMetrics(t, h.internalURL), metricRedeliveries); got == 0 {
		t.Errorf("%s = 0", metricRedeliveries)
	}
}

// TestReconcilerRetriesAnErrorRun: a run that reports an evaluation error
// is evaluated again by the next passes, up to maxRetries per commit;
// an error that persists is not retried forever.
func TestReconcilerRetriesAnErrorRun(t *testing.T) {
	h := newHarness(t)
	s, _ := h.repo(nil)
	// GraphQL's limit runs out: reading the policy fails, and the run says
	// so (it is published over REST).
	h.sim.SetRateLimit(h.inst, "graphql", 5000, 0)
	_, head := h.openPR(s.Branch, s.Opened, githubsim.PRSpec{Title: s.Title, Labels: s.Labels})
	if id, err := githubapi.ParseRunID(h.run(head).GetExternalID()); err != nil || id.Outcome != githubapi.OutcomeEvaluationError {
		t.Fatalf("run %+v, %v; the test needs an evaluation error", id, err)
	}
	wants := make([]int, maxRetries+2)
	for i := range maxRetries {
		wants[i] = 1
	}
	for pass, want := range wants {
		st := h.reconcile()
		if st.Repairs != want || st.ByReason["error"] != want {
			t.Errorf("pass %d: %+v; want %d error repairs", pass+1, st, want)
		}
	}
}

// TestReconcilerBoundsAPass: a pass examines at most reconcile_max_prs pull
// requests, and the next pass goes on from there, inside a repository too.
func TestReconcilerBoundsAPass(t *testing.T) {
	h := newHarness(t, func(c *Config, _ *Options) { c.Server.ReconcileMaxPRs = 2 })
	h.repo(nil)
	h.quiet(func() {
		for _, b := range []string{"a", "b", "c"} {
			h.sim.Push("acme", "orders", b, map[string]string{b + ".md": b + "\n"})
			h.sim.OpenPR("acme", "orders", githubsim.PRSpec{Title: "Docs " + b, Head: b})
		}
	})
	for i, want := range []struct {
		examined, repairs int
		truncated         bool
	}{{2, 2, true}, {1, 1, false}, {2, 0, true}, {1, 0, false}} {
		st := h.reconcile()
		if st.PullRequests != want.examined || st.Repairs != want.repairs || st.Truncated != want.truncated {
			t.Errorf("pass %d: %+v; want %d examined, %d repaired, truncated %v", i+1, st, want.examined, want.repairs, want.truncated)
		}
	}
}

// TestReconcilersOnTwoReplicas runs the reconciler of two replicas of one
// App, one after the other: the second finds no run to repair and no
// delivery to redeliver. It may evaluate a pull request whose failed
// delivery the first recovered (each replica recovers a delivery once), and
// then writes nothing.
func TestReconcilersOnTwoReplicas(t *testing.T) {
	h := newHarness(t, oneWorker(8))
	other := newApp(t, h.sim)
	other.inst = h.inst
	h.repo(nil)
	n, head := h.openPR("docs", map[string]string{"README.md": "orders\n"}, githubsim.PRSpec{Title: "Docs"})
	var lostHead string
	h.quiet(func() {
		lostHead = h.sim.Push("acme", "orders", "lost", map[string]string{"lost.md": "x\n"})
		h.sim.OpenPR("acme", "orders", githubsim.PRSpec{Title: "Lost", Head: "lost"})
	})
	h.refuse(func() {
		h.sim.Label("acme", "orders", n, "octocat", "launch")
		h.sim.SubmitReview("acme", "orders", n, "sam", "COMMENTED")
	})

	first := h.reconcile()
	other.settle()
	h.sim.ResetRequests()
	second := other.reconcile()
	if n := checkRunWrites(h); n != 0 {
		t.Errorf("the second replica's pass wrote %d check runs: %v", n, writes(h.sim.Requests()))
	}
	if first.ByReason["missing"] != 1 || first.ByReason["failed delivery"] != 1 || first.Redeliveries == 0 {
		t.Errorf("first replica: %+v; want the lost PR repaired, the labelled one evaluated, the review redelivered", first)
	}
	if second.Redeliveries != 0 || second.ByReason["missing"] != 0 {
		t.Errorf("second replica: %+v; want no repair and no redelivery", second)
	}
	assertEvaluated(t, h.latestRun(head))
	if r := h.latestRun(lostHead); r.GetConclusion() != report.ConclusionSuccess {
		t.Errorf("the lost PR's run is %q", r.GetConclusion())
	}
}

// TestReconcilerPassCost measures what a pass costs when nothing needs
// repair: the listings, one request per repository and per open pull
// request, where each repository's listing of open pull requests and each
// check-run lookup is a conditional request answered 304, which costs no
// rate limit. README "Reconciler" quotes the formula.
func TestReconcilerPassCost(t *testing.T) {
	const repos, perRepo = 3, 4
	h := newHarness(t)
	for r := range repos {
		name := fmt.Sprintf("svc%d", r)
		h.sim.AddRepo("acme", name, "main", map[string]string{"README.md": "svc\n"})
		for p := range perRepo {
			branch := fmt.Sprintf("b%d", p)
			h.sim.Push("acme", name, branch, map[string]string{branch + ".md": "x\n"})
			h.sim.OpenPR("acme", name, githubsim.PRSpec{Title: "Docs " + branch, Head: branch})
		}
	}
	h.settle()
	h.reconcile() // warms the listings' ETags
	h.sim.ResetRequests()
	st := h.reconcile()
	reqs := h.sim.Requests()
	t.Logf("pass over %d pull requests in %d repositories: %d requests\n%s", st.PullRequests, st.Repositories, len(reqs), requestLog(reqs))
	if st.PullRequests != repos*perRepo || st.Repairs != 0 {
		t.Fatalf("pass: %+v", st)
	}
	notModified := 0
	for _, r := range reqs {
		if r.Status == http.StatusNotModified {
			notModified++
		}
	}
	// GET /app/installations, GET /installation/repositories, one pull
	// request listing per repository, one check-run lookup per pull
	// request, GET /app/hook/deliveries; the listings of pull requests and
	// the lookups are answered 304.
	if want := 1 + 1 + repos + repos*perRepo + 1; len(reqs) > want {
		t.Errorf("%d requests, want at most %d", len(reqs), want)
	}
	if want := repos + repos*perRepo; notModified != want {
		t.Errorf("%d requests answered 304, want %d (every pull request listing and check-run lookup)", notModified, want)
	}
}
