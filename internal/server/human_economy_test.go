package server

import (
	"fmt"
	"testing"
)

// budgetHumanExtra is what the human half may add to an evaluation of a
// launch PR with two required teams and ten reviewers, on a running App:
// issue 4 allows the issue-3 launch budget plus at most 2.
const budgetHumanExtra = 2

// budgetHumanColdReplica: the same pull request re-run on a replica that
// has seen nothing (a new process): token, the pull request, policy, tree,
// blobs, reviews, one membership lookup per approver, newest first, until
// each team's first active member (3 here), the App's login, the
// conversation, the run listing. Measured; a change that spends more fails
// here.
const budgetHumanColdReplica = 12

// TestHumanEconomy measures an evaluation of a launch PR that two teams
// must approve and ten people reviewed: two outsiders, four members of
// each team. Run with -v to see the requests.
func TestHumanEconomy(t *testing.T) {
	h := newHumanHarness(t, nil)
	var order []string
	for i := 1; i <= 4; i++ {
		s, in := fmt.Sprintf("sec%d", i), fmt.Sprintf("inf%d", i)
		h.sim.AddTeam("acme", "security", s)
		h.sim.AddTeam("acme", "infra", in)
		order = append(order, s, in)
	}
	order = append([]string{"out1", "out2"}, order...)
	n, head := readyPR(t, h, "launch-orders")
	for _, r := range order[:9] {
		h.sim.SubmitReview("acme", "orders", n, r, "APPROVED")
	}
	h.settle()

	h.sim.ResetRequests()
	h.sim.SubmitReview("acme", "orders", n, order[9], "APPROVED")
	h.settle()
	warm := h.sim.Requests()
	t.Logf("the tenth review, on a running App: %d requests\n%s", len(warm), requestLog(warm))
	if budget := budgetLaunchCold + budgetHumanExtra; len(warm) > budget {
		t.Errorf("the tenth review cost %d requests, budget %d (issue 3's launch budget %d + %d)", len(warm), budget, budgetLaunchCold, budgetHumanExtra)
	}
	if got := countRequests(warm, "GET", "/memberships/"+order[9]); got > 2 {
		t.Errorf("%d membership lookups of the new reviewer, want at most one per team", got)
	}

	replica := newApp(t, h.sim)
	h.sim.SetWebhookURL(replica.url + HookPath)
	h.sim.ResetRequests()
	h.sim.RerequestCheckRun(h.run(head).GetID(), "octocat")
	replica.settle()
	cold := h.sim.Requests()
	t.Logf("the same pull request re-run on a new replica: %d requests\n%s", len(cold), requestLog(cold))
	if len(cold) > budgetHumanColdReplica {
		t.Errorf("a cold replica's evaluation cost %d requests, budget %d", len(cold), budgetHumanColdReplica)
	}
	if w := writes(cold); len(w) != 0 {
		t.Errorf("a cold replica's re-run of an unchanged pull request wrote %v", w)
	}
}
