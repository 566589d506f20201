package server

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/launchgate/launchgate/internal/report"
	"github.com/launchgate/launchgate/internal/signoff"
)

// oneWorker makes the App evaluate with a single worker and a queue of
// size events.
func oneWorker(size int) func(*Config, *Options) {
	return func(c *Config, _ *Options) { c.Server.Workers, c.Server.QueueSize = 1, size }
}

// hold occupies the App's only worker with a job for key ("" for none)
// until release is called: while it runs, the events posted queue up
// behind it. It is the test's only job of its own; every event is a real
// signed delivery.
func (h *harness) hold(key string) (release func()) {
	h.t.Helper()
	started, done := make(chan struct{}), make(chan struct{})
	j := &job{key: key, rank: rankFresh, event: "test", ctx: context.Background(), run: func(context.Context, carried) error {
		close(started)
		<-done
		return nil
	}}
	if err := h.srv.queue.submitWait(context.Background(), j, 1); err != nil {
		h.t.Fatal(err)
	}
	<-started
	return sync1(func() { close(done) })
}

// sync1 wraps f so that calling it twice (a test's release, then its
// cleanup) is harmless.
func sync1(f func()) func() {
	called := false
	return func() {
		if !called {
			called = true
			f()
		}
	}
}

// titleEdit is a signed-ready pull_request.edited payload that renames
// pull request n.
func (h *harness) titleEdit(t *testing.T, n int, head, base, title string) []byte {
	return fixture(t, "pull_request.opened.json", map[string]any{
		"action": "edited", "changes": map[string]any{"title": map[string]any{"from": "before"}},
		"number": n, "pull_request.number": n, "pull_request.state": "open", "pull_request.title": title,
		"pull_request.head.sha": head, "pull_request.base.sha": base, "pull_request.base.ref": "main",
		"pull_request.labels": []any{},
		"repository.name":     "orders", "repository.owner.login": "acme", "installation.id": h.inst,
	})
}

// TestBurstForOnePullRequestIsCoalesced posts a burst of title edits of one
// pull request, each a different state, while an evaluation of it is queued
// or running: they cause one more evaluation, of the last title.
func TestBurstForOnePullRequestIsCoalesced(t *testing.T) {
	const burst = 50
	for _, running := range []bool{false, true} {
		t.Run(fmt.Sprintf("while one is running=%v", running), func(t *testing.T) {
			h := newHarness(t, oneWorker(10))
			n, head, base := h.silentPR()
			key := ""
			if running {
				key = prKey("acme", "orders", n) // the worker is busy with this pull request
			}
			release := h.hold(key)
			defer release()
			before := scrapeMetrics(t, h.internalURL)
			for i := range burst {
				title := fmt.Sprintf("Docs %d", i)
				if i == burst-1 {
					title = "Launch: orders" // the last state is a launch PR
				}
				if resp := h.post("pull_request", h.titleEdit(t, n, head, base, title), nil); resp.StatusCode != http.StatusOK {
					t.Fatalf("event %d answered %d", i, resp.StatusCode)
				}
			}
			if st := h.srv.queue.stats(); st.depth != 1 {
				t.Errorf("queue depth %d after the burst, want 1 (one waiting evaluation)", st.depth)
			}
			release()
			h.settle()
			after := scrapeMetrics(t, h.internalURL)
			if got := total(after, metricEvaluations) - total(before, metricEvaluations); got != 1 {
				t.Errorf("%v evaluations for a burst of %d, want 1", got, burst)
			}
			if got := total(after, metricCoalesced) - total(before, metricCoalesced); got != burst-1 {
				t.Errorf("%v events coalesced, want %d", got, burst-1)
			}
			run := h.run(head)
			if run.GetConclusion() != report.ConclusionFailure || !strings.Contains(run.GetOutput().GetTitle(), " ready: ") {
				t.Errorf("run %s %q: the last event's state (a launch PR) did not win", run.GetConclusion(), run.GetOutput().GetTitle())
			}
		})
	}
}

// TestCoalescingRanks: a waiting evaluation is replaced by a later event
// of the same or a higher rank and absorbs one of a lower rank, so an
// event that may do nothing (check_suite.requested) never displaces one
// that carries a change. Whichever wins, the merged evaluation keeps what
// both asked for: a forced evaluation, and both checklist edits in order,
// their bodies counted against the byte bound.
func TestCoalescingRanks(t *testing.T) {
	tests := []struct {
		name          string
		first, second rank
		want          rank
	}{
		{name: "state replaced by newer state", first: rankState, second: rankState, want: rankState},
		{name: "hint replaced by state", first: rankHint, second: rankState, want: rankState},
		{name: "state absorbs hint", first: rankState, second: rankHint, want: rankState},
		{name: "state replaced by fresh", first: rankState, second: rankFresh, want: rankFresh},
		{name: "fresh absorbs state", first: rankFresh, second: rankState, want: rankFresh},
	}
	edit := func(sender string) checklistEdit {
		return checklistEdit{commentID: 1, Edit: signoff.Edit{From: "before", To: "after", Sender: sender}}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := newQueue(queueOptions{workers: 0, size: 10, maxBytes: 1 << 20, dedupeSize: 10})
			a := &job{key: "o/r#1", rank: tt.first, bytes: 100, carry: carried{force: true, edits: []checklistEdit{edit("alice")}}}
			b := &job{key: "o/r#1", rank: tt.second, bytes: 100, carry: carried{edits: []checklistEdit{edit("carol")}}}
			q.mu.Lock()
			defer q.mu.Unlock()
			for _, j := range []*job{a, b} {
				if err := q.enqueueLocked(j); err != nil {
					t.Fatal(err)
				}
			}
			if q.queued != 1 || len(q.ready) != 1 {
				t.Fatalf("%d queued, want 1", q.queued)
			}
			w := q.ready[0].job
			if w.rank != tt.want {
				t.Errorf("waiting job has rank %d, want %d", w.rank, tt.want)
			}
			var senders []string
			for _, e := range w.carry.edits {
				senders = append(senders, e.Sender)
			}
			if !w.carry.force || !slices.Equal(senders, []string{"alice", "carol"}) {
				t.Errorf("merged job carries force %v, edits by %q; want force and the edits of alice then carol", w.carry.force, senders)
			}
			if want := int64(100) + int64(len("before")+len("after")+len("alice")); q.bytes != want || w.bytes != want {
				t.Errorf("queue holds %d bytes, job %d; want %d (a payload and the edit carried from the other)", q.bytes, w.bytes, want)
			}
		})
	}
}

// TestDuplicateDeliveryIsNotEvaluatedAgain posts one delivery twice with
// the same X-GitHub-Delivery, as a redelivery does.
func TestDuplicateDeliveryIsNotEvaluatedAgain(t *testing.T) {
	h := newHarness(t)
	n, head, base := h.silentPR()
	body := h.openedFor(t, n, head, base)
	guid := map[string]string{"X-GitHub-Delivery": "0b6f1c60-0000-4000-8000-000000000001"}
	for i := range 2 {
		if resp := h.post("pull_request", body, guid); resp.StatusCode != http.StatusOK {
			t.Fatalf("delivery %d answered %d", i+1, resp.StatusCode)
		}
		h.settle()
	}
	m := scrapeMetrics(t, h.internalURL)
	if got := total(m, metricDeduplicated); got != 1 {
		t.Errorf("%v deliveries deduplicated, want 1", got)
	}
	if got := total(m, metricEvaluations); got != 1 {
		t.Errorf("%v evaluations, want 1", got)
	}
	assertEvaluated(t, h.run(head))
}

// TestFullQueueAnswers503 fills the queue and checks that a delivery is
// then refused with 503, counted as an error, and not remembered: the same
// delivery is taken once there is room.
func TestFullQueueAnswers503(t *testing.T) {
	h := newHarness(t, oneWorker(4))
	n, head, base := h.silentPR()
	body := h.openedFor(t, n, head, base)
	guid := map[string]string{"X-GitHub-Delivery": "0b6f1c60-0000-4000-8000-000000000002"}
	h.refuse(func() {
		if resp := h.post("pull_request", body, guid); resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("delivery to a full queue answered %d, want 503", resp.StatusCode)
		}
	})
	if n := len(h.runs(head)); n != 0 {
		t.Fatalf("%d runs written for a refused delivery", n)
	}
	if resp := h.post("pull_request", body, guid); resp.StatusCode != http.StatusOK {
		t.Fatalf("the refused delivery, sent again, answered %d", resp.StatusCode)
	}
	h.settle()
	assertEvaluated(t, h.run(head))
	metrics := scrapeMetrics(t, h.internalURL)
	if got := sample(metrics, metricWebhooks, map[string]string{"event": "pull_request", "outcome": "error"}); got != 1 {
		t.Errorf("webhooks{outcome=error} = %v, want 1", got)
	}
	if got := total(metrics, metricDeduplicated); got != 0 {
		t.Errorf("the refused delivery was remembered: %v deduplicated", got)
	}
}

// TestQueueBytesBound: a delivery that would take the queued payloads over
// queue_max_bytes is refused although places are free.
func TestQueueBytesBound(t *testing.T) {
	q := newQueue(queueOptions{workers: 0, size: 100, maxBytes: 1000, dedupeSize: 10})
	q.mu.Lock()
	defer q.mu.Unlock()
	if err := q.enqueueLocked(&job{bytes: 600}); err != nil {
		t.Fatal(err)
	}
	if err := q.enqueueLocked(&job{bytes: 600}); err != errQueueFull {
		t.Errorf("second 600-byte job: %v, want errQueueFull", err)
	}
	if err := q.enqueueLocked(&job{bytes: 400}); err != nil {
		t.Errorf("a job that fits: %v", err)
	}
}
