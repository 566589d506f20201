package server

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/launchgate/launchgate/internal/githubsim"
	"github.com/launchgate/launchgate/internal/server/demo"
)

// payloadOf is the payload of the newest delivery of event whose action
// is action, as the simulator sent it.
func (h *harness) payloadOf(event, action string) map[string]any {
	h.t.Helper()
	ds := h.sim.Deliveries()
	for i := len(ds) - 1; i >= 0; i-- {
		d := ds[i]
		if d.GetEvent() != event || d.GetAction() != action {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(*d.GetRequest().RawPayload, &m); err != nil {
			h.t.Fatal(err)
		}
		return m
	}
	h.t.Fatalf("no %s.%s delivery", event, action)
	return nil
}

// postAll posts body as n deliveries of event, each with its own GUID,
// concurrency at a time, and returns how many were answered with each
// status.
func (h *harness) postAll(event string, body []byte, n, concurrency int) map[int]int {
	var mu sync.Mutex
	statuses := map[int]int{}
	next := make(chan int)
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			for i := range next {
				guid := fmt.Sprintf("%s-burst-%08d", h.t.Name(), i)
				resp := h.post(event, body, map[string]string{"X-GitHub-Delivery": guid})
				mu.Lock()
				statuses[resp.StatusCode]++
				mu.Unlock()
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return statuses
}

// TestReviewBurstIsCoalesced posts 300 deliveries of one review of a
// launch PR, 20 at a time: they take one place in the queue and cause at
// most three evaluations, the last of which sees the review.
func TestReviewBurstIsCoalesced(t *testing.T) {
	const burst, concurrency = 300, 20
	h := newHumanHarness(t, nil)
	n, head := readyPR(t, h, "launch-orders")
	h.settle()
	// GitHub answers a request in a few hundred milliseconds (GraphQL
	// more); the simulator at once. Without latency an evaluation (one
	// query when nothing changed) would be shorter than posting the burst,
	// under the race detector or on a busy machine, and nothing could
	// coalesce behind it.
	h.sim.InjectFaults(githubsim.Faults{Latency: 200 * time.Millisecond})
	// sam's approval reaches GitHub, its delivery is lost; the burst
	// delivers it 300 times.
	review := h.payloadOf("pull_request", "opened")
	h.sim.SetWebhookURL("")
	h.sim.SubmitReview("acme", "orders", n, "sam", "APPROVED")
	h.sim.SetWebhookURL(h.url + HookPath)
	review["action"] = "submitted"
	review["review"] = map[string]any{"id": 1, "state": "approved", "user": map[string]any{"login": "sam"}}
	body, err := json.Marshal(review)
	if err != nil {
		t.Fatal(err)
	}
	before := scrapeMetrics(t, h.internalURL)
	statuses := h.postAll("pull_request_review", body, burst, concurrency)
	if statuses[http.StatusOK] != burst {
		t.Fatalf("answers %v, want %d times 200", statuses, burst)
	}
	h.settle()
	after := scrapeMetrics(t, h.internalURL)
	evaluations := total(after, metricEvaluations) - total(before, metricEvaluations)
	if evaluations < 1 || evaluations > 3 {
		t.Errorf("%v evaluations for %d deliveries of one review, want 1 to 3", evaluations, burst)
	}
	if coalesced := total(after, metricCoalesced) - total(before, metricCoalesced); coalesced < burst-3 {
		t.Errorf("%v events coalesced, want at least %d", coalesced, burst-3)
	}
	wantLine(t, h.run(head), "approval-security", "(by sam on ")
}

// TestIgnoredEventsTakeNoPlace fills the queue, then posts events
// launchgate ignores: each is answered 200 with its reason and counted,
// none is refused or queued; an event that matters is still refused (503)
// while the queue is full.
func TestIgnoredEventsTakeNoPlace(t *testing.T) {
	h := newHarness(t, oneWorker(1))
	n, head, base := h.silentPR()
	release := h.hold("")
	defer release()
	// The one place left is taken by an event that matters.
	if resp := h.post("pull_request", h.titleEdit(t, n, head, base, "Docs"), nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("the first event answered %d", resp.StatusCode)
	}
	otherApp := fixture(t, "check_run.rerequested.json", map[string]any{"check_run.app.id": testAppID + 1,
		"installation.id": h.inst, "repository.name": "orders", "repository.owner.login": "acme"})
	ownEcho := fixture(t, "check_run.rerequested.json", map[string]any{"action": "completed", "check_run.app.id": testAppID,
		"check_run.name": CheckName, "installation.id": h.inst, "repository.name": "orders", "repository.owner.login": "acme"})
	issue := fixture(t, "issue_comment.edited.json", map[string]any{"installation": map[string]any{"id": h.inst}})
	tests := []struct {
		name, event, reason string
		body                []byte
	}{
		{name: "another App's check run", event: "check_run", reason: "another App's run", body: otherApp},
		{name: "this App's own run completed", event: "check_run", reason: "action not handled", body: ownEcho},
		{name: "a comment on an issue", event: "issue_comment", reason: "a comment on an issue, not a pull request", body: issue},
	}
	before := scrapeMetrics(t, h.internalURL)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			statuses := h.postAll(tt.event, tt.body, 20, 4)
			if statuses[http.StatusOK] != 20 {
				t.Errorf("answers %v with the queue full, want 20 times 200", statuses)
			}
			answer, err := io.ReadAll(h.post(tt.event, tt.body, nil).Body)
			if err != nil || !strings.Contains(string(answer), "ignored: "+tt.reason) {
				t.Errorf("answer %q (%v), want it to say %q", answer, err, "ignored: "+tt.reason)
			}
		})
	}
	after := scrapeMetrics(t, h.internalURL)
	for _, tt := range tests {
		labels := map[string]string{"event": tt.event, "reason": tt.reason}
		if got := sample(after, metricIgnored, labels) - sample(before, metricIgnored, labels); got != 21 {
			t.Errorf("%s %v: %v counted as ignored, want 21", metricIgnored, labels, got)
		}
	}
	if st := h.srv.queue.stats(); st.depth != 1 {
		t.Errorf("queue depth %d, want 1: ignored events must not be queued", st.depth)
	}
	// Another pull request's event needs a place of its own.
	h.sim.SetWebhookURL("")
	head2 := h.sim.Push("acme", "orders", "feature-2", map[string]string{"README.md": "y\n"})
	n2 := h.sim.OpenPR("acme", "orders", githubsim.PRSpec{Title: "Launch: orders", Head: "feature-2"})
	h.sim.SetWebhookURL(h.url + HookPath)
	if resp := h.post("pull_request", h.titleEdit(t, n2, head2, base, "Docs"), nil); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("an event that matters answered %d with the queue full, want 503", resp.StatusCode)
	}
}

// TestChecklistEditsCoalesced: three people edit the checklist while an
// evaluation of the pull request runs; their edits wait in one place and
// one evaluation judges them, in order, each by its sender: two sign-offs
// recorded for the two members who ticked, the outsider's tick reset.
func TestChecklistEditsCoalesced(t *testing.T) {
	h := newHumanHarness(t, nil)
	n, _ := readyPR(t, h, "launch-orders")
	h.settle()
	release := h.hold(prKey("acme", "orders", n))
	defer release()
	cm := h.checklist(n)
	body := cm.GetBody()
	for _, edit := range []struct{ login, item string }{
		{login: "sam", item: "security-review-done"},
		{login: "mallory", item: "load-test-results"},
		{login: "ivy", item: "alerts-fired"},
	} {
		var ok bool
		if body, ok = demo.Tick(body, edit.item); !ok {
			t.Fatalf("no box for %s", edit.item)
		}
		h.sim.EditComment("acme", "orders", cm.GetID(), edit.login, body)
	}
	h.sim.WaitForDeliveries()
	before := scrapeMetrics(t, h.internalURL)
	release()
	h.settle()
	after := scrapeMetrics(t, h.internalURL)
	if got := total(after, metricEvaluations) - total(before, metricEvaluations); got != 1 {
		t.Errorf("%v evaluations for three coalesced edits, want 1", got)
	}
	cm = h.checklist(n)
	for _, want := range []string{"signed off by `@sam`", "signed off by `@ivy`"} {
		if !strings.Contains(cm.GetBody(), want) {
			t.Errorf("checklist lacks %q:\n%s", want, cm.GetBody())
		}
	}
	if ticked(cm, "load-test-results") || !strings.Contains(note(cm, "load-test-results"), "@mallory ticked load-test-results, but only active members of team infra may") {
		t.Errorf("the outsider's tick stands, or is not explained:\n%s", cm.GetBody())
	}
}
