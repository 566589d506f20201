package server

import (
	"fmt"
	"strings"
	"testing"

	"github.com/launchgate/launchgate/internal/githubsim"
)

// Request budgets, measured in the simulator: every request the App sends,
// the installation token included when one is fetched. A change that
// spends more fails here; README "API economy" quotes these figures.
const (
	// budgetLaunchCold: a launch PR as the first event of an installation:
	// token, base-branch policy, head tree, blobs, run listing, create.
	budgetLaunchCold = 6
	// budgetNonLaunch: a non-launch PR on a warm installation. The default
	// policy's launch/** path rule needs the changed files, read in one
	// GraphQL query with the App's run on the head commit, then the run is
	// written. (Before issue 10: 3, the files, the run listing, the write.)
	budgetNonLaunch = 2
	// budgetRerun: Re-run of an unchanged commit (the pull request is read
	// again; nothing is written).
	budgetRerun = 2
	// budgetPush: a push to a launch PR, which GitHub answers with two
	// events (pull_request.synchronize and check_suite.requested) for one
	// commit.
	budgetPush = 4
	// budgetUnrelatedLabel: a label that decides nothing.
	budgetUnrelatedLabel = 1

	// The human half of a launch PR's evaluation (issue 4), on top of the
	// figures above. budgetHumanCold: the first evaluation of a launch PR:
	// its reviews, the App's login (GET /app, once per process), the
	// conversation (no checklist yet), the review request to the missing
	// teams, the checklist comment. budgetHumanWarm: any later one: the
	// reviews, and the checklist comment read by its remembered ID.
	budgetHumanCold = 5
	budgetHumanWarm = 2

	// budgetLaunchWithChecklist: the first evaluation of a launch PR with
	// its checklist, the installation's first event: token, policy, tree,
	// blobs, one GraphQL query of the reviews, the App's run and the
	// checklist (it tells the App's login too), the conversation, the
	// checklist, the run (no listing: the query read it), the review
	// request. Issue 10 asks at most 10 (before: 11).
	budgetLaunchWithChecklist = 10
)

// requestLog summarises recorded requests for failure messages and logs.
func requestLog(reqs []githubsim.RecordedRequest) string {
	var b strings.Builder
	for _, r := range reqs {
		fmt.Fprintf(&b, "  %d %s %s", r.Status, r.Method, r.Path)
		if r.Query != "" {
			fmt.Fprintf(&b, "?%s", r.Query)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// TestAPIEconomy measures what each kind of event costs. Run with -v to see
// the requests.
func TestAPIEconomy(t *testing.T) {
	h := newHarness(t)
	s, _ := h.repo(nil)
	h.sim.AddTeam("acme", "security", "sam")
	h.sim.AddTeam("acme", "infra", "ian")
	measure := func(name string, act func()) []githubsim.RecordedRequest {
		h.settle()
		h.sim.ResetRequests()
		act()
		h.settle()
		reqs := h.sim.Requests()
		t.Logf("%s: %d requests\n%s", name, len(reqs), requestLog(reqs))
		return reqs
	}

	var n int
	var head string
	launch := measure("launch PR opened, first event of the installation", func() {
		n, head = h.openPR(s.Branch, s.Opened, githubsim.PRSpec{Title: s.Title, Labels: s.Labels})
	})
	var docs int
	var docsHead string
	nonLaunch := measure("non-launch PR opened", func() {
		docs, docsHead = h.openPR("docs", map[string]string{"docs/x.md": "b\n"}, githubsim.PRSpec{Title: "Docs"})
	})
	// A replica that has seen nothing finds the run in the same query and
	// updates it: never a second run on one commit.
	replica := newApp(t, h.sim)
	h.sim.SetWebhookURL(replica.url + HookPath)
	nonLaunchCold := measure("non-launch PR retitled, on a new replica", func() {
		h.sim.EditTitle("acme", "orders", docs, "octocat", "Docs, reworded")
		replica.settle()
	})
	h.sim.SetWebhookURL(h.url + HookPath)
	if runs := h.runs(docsHead); len(runs) != 1 || runs[0].GetConclusion() != "success" {
		t.Errorf("%d runs on the non-launch PR's head after a second replica evaluated it, want 1 (success)", len(runs))
	}
	rerun := measure("Re-run of the unchanged launch PR", func() {
		h.sim.RerequestCheckRun(h.run(head).GetID(), "octocat")
	})
	push := measure("push to the launch PR (synchronize + check_suite)", func() {
		h.sim.Push("acme", "orders", s.Branch, s.Pushes[0].Files)
	})
	labeled := measure("unrelated label on the launch PR", func() {
		h.sim.Label("acme", "orders", n, "octocat", "needs-review")
	})
	redelivered := measure("the same label event redelivered", func() {
		deliveries := h.sim.Deliveries()
		last := deliveries[len(deliveries)-1]
		for i := len(deliveries) - 1; i >= 0; i-- {
			if deliveries[i].GetEvent() == "pull_request" {
				last = deliveries[i]
				break
			}
		}
		h.post("pull_request", *last.GetRequest().RawPayload, nil)
	})

	for _, b := range []struct {
		name   string
		reqs   []githubsim.RecordedRequest
		budget int
	}{
		{"cold launch PR", launch, budgetLaunchWithChecklist},
		{"non-launch PR", nonLaunch, budgetNonLaunch},
		{"non-launch PR on a new replica", nonLaunchCold, 1 + budgetNonLaunch}, // + the installation token
		{"Re-run", rerun, budgetRerun + budgetHumanWarm},
		{"push", push, budgetPush + budgetHumanWarm},
		{"unrelated label", labeled, budgetUnrelatedLabel + budgetHumanWarm},
		{"redelivery", redelivered, 0},
	} {
		if len(b.reqs) > b.budget {
			t.Errorf("%s: %d requests, budget %d\n%s", b.name, len(b.reqs), b.budget, requestLog(b.reqs))
		}
	}
	if countBlobReads(launch) == 0 {
		t.Errorf("the first evaluation of a launch PR read no blob; countBlobReads does not see them:\n%s", requestLog(launch))
	}
	if len(rerun) >= len(launch) {
		t.Errorf("re-evaluating an unchanged tree cost %d requests, the first evaluation %d: caches are not used", len(rerun), len(launch))
	}
	for name, reqs := range map[string][]githubsim.RecordedRequest{"Re-run": rerun, "unrelated label": labeled} {
		if w := writes(reqs); len(w) != 0 {
			t.Errorf("%s of an unchanged commit wrote %v", name, w)
		}
	}
}
