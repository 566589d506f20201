package server

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestDrainKeepsTakingDeliveries: while the load balancer notices that
// /readyz fails, deliveries still arrive and are evaluated.
func TestDrainKeepsTakingDeliveries(t *testing.T) {
	h := newHarness(t)
	n, head, base := h.silentPR()
	h.srv.Drain()
	if code, _ := get(t, h.internalURL+"/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz: %d while draining, want 503", code)
	}
	if resp := h.post("pull_request", h.openedFor(t, n, head, base), nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("a delivery while draining answered %d, want 200", resp.StatusCode)
	}
	h.settle()
	assertEvaluated(t, h.run(head))
}

// TestShutdownHandsBackAtTheDeadline stops a replica whose worker is stuck:
// at the deadline the running evaluation is cancelled, the queued one is
// not run, and Shutdown says so. The work is not lost: it is GitHub state
// that another replica's reconciler repairs.
func TestShutdownHandsBackAtTheDeadline(t *testing.T) {
	h := newHarness(t, oneWorker(4))
	n, head, base := h.silentPR()

	cancelled := make(chan struct{})
	started := make(chan struct{})
	stuck := &job{rank: rankFresh, ctx: context.Background(), run: func(ctx context.Context, _ carried) error {
		close(started)
		<-ctx.Done() // an evaluation waiting on GitHub
		close(cancelled)
		return ctx.Err()
	}}
	if err := h.srv.queue.submitWait(context.Background(), stuck, 1); err != nil {
		t.Fatal(err)
	}
	<-started
	if resp := h.post("pull_request", h.openedFor(t, n, head, base), nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("delivery answered %d", resp.StatusCode)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := h.srv.Shutdown(ctx)
	if err == nil || !strings.Contains(err.Error(), "1 evaluations running and 1 queued") {
		t.Fatalf("Shutdown: %v; want the running and queued evaluations handed back", err)
	}
	select {
	case <-cancelled:
	case <-time.After(10 * time.Second):
		t.Fatal("the running evaluation's context was not cancelled")
	}
	if resp := h.post("pull_request", h.openedFor(t, n, head, base), nil); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("a delivery after shutdown answered %d, want 503", resp.StatusCode)
	}
	h.srv.Wait()
	if runs := h.runs(head); len(runs) != 0 {
		t.Fatalf("%d runs: the queued evaluation ran after the deadline", len(runs))
	}

	// Another replica's reconciler finds the pull request without a run.
	other := newApp(t, h.sim)
	other.inst = h.inst
	if st := other.reconcile(); st.Repairs != 1 {
		t.Errorf("the other replica repaired %d pull requests, want 1", st.Repairs)
	}
	assertEvaluated(t, h.run(head))
}
