package server

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/launchgate/launchgate/internal/githubapi"
	"github.com/launchgate/launchgate/internal/report"
	"github.com/launchgate/launchgate/internal/store"
)

// openStore opens a SQLite store in the test's directory.
func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "launchgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// waiveAndClose is the scenario the store tests share: sam waives the
// launch PR's failing check, then the pull request is merged or closed.
// It returns the run's conclusion before and after the waiver.
func waiveAndClose(t *testing.T, h *harness, n int, head string, merge bool, between func()) (before, after string) {
	t.Helper()
	before = h.latestRun(head).GetConclusion()
	until := time.Now().UTC().AddDate(0, 0, 30).Format(time.DateOnly)
	h.comment(n, "sam", "/launchgate waive security-review until "+until+": pentest booked")
	after = h.latestRun(head).GetConclusion()
	between()
	if merge {
		h.sim.MergePR("acme", "orders", n, "admin")
	} else {
		h.sim.ClosePR("acme", "orders", n, "octocat")
	}
	h.settle()
	return before, after
}

// TestOpenLaunchPRsAndWaiversInTheStore: each published evaluation of a
// launch PR is its open row, an accepted waiver is a waiver event, and a
// closed pull request, merged or not, leaves the open rows.
func TestOpenLaunchPRsAndWaiversInTheStore(t *testing.T) {
	tests := []struct {
		name  string
		merge bool
	}{
		{name: "merged", merge: true},
		{name: "closed without merging", merge: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			st := openStore(t)
			h, n, head, _ := waiverHarness(t, func(_ *Config, o *Options) { o.Store = st })
			open := func() []store.OpenPR {
				t.Helper()
				rows, err := st.OpenPRs(ctx, "acme")
				if err != nil {
					t.Fatal(err)
				}
				return rows
			}
			if rows := open(); len(rows) != 1 || rows[0].PR != n || rows[0].Head != head || rows[0].Conclusion != report.ConclusionFailure ||
				!rows[0].EvaluatedAt.Equal(testNow) {
				t.Fatalf("open launch PRs after the first evaluation = %+v, want #%d at %s, failure, evaluated at %v", rows, n, head, testNow)
			}
			before, after := waiveAndClose(t, h, n, head, tt.merge, func() {
				rows := open()
				if len(rows) != 1 || rows[0].Conclusion != h.latestRun(head).GetConclusion() {
					t.Errorf("open launch PRs after the waiver = %+v, want #%d with the run's conclusion %s", rows, n, h.latestRun(head).GetConclusion())
				}
			})
			if before == after {
				t.Fatalf("setup: the waiver left the conclusion %s", after)
			}
			events, err := st.WaiverEvents(ctx, "acme/orders", n)
			if err != nil {
				t.Fatal(err)
			}
			if len(events) != 1 || events[0].Action != "waive" || events[0].Actor != "sam" || events[0].Check != "security-review" ||
				events[0].Reason != "pentest booked" || events[0].ID == "" {
				t.Errorf("waiver events = %+v, want sam's waive of security-review", events)
			}
			if rows := open(); len(rows) != 0 {
				t.Errorf("open launch PRs after the close = %+v, want none", rows)
			}
		})
	}
}

// withoutState is a checklist without its signed state line, which holds
// the waiver's time: the simulator dates a comment by the wall clock, so
// two runs of one scenario may differ there by a second.
func withoutState(body string) string {
	var kept []string
	for _, line := range strings.Split(body, "\n") {
		if !strings.HasPrefix(line, "<!-- launchgate:state ") {
			kept = append(kept, line)
		}
	}
	return strings.Join(kept, "\n")
}

// TestFailingStoreLeavesTheRunAlone: with a store that fails every write,
// the runs and the checklist are those of an App without a store, and each
// failure is logged and counted.
func TestFailingStoreLeavesTheRunAlone(t *testing.T) {
	type outcome struct {
		before, after, title, summary, checklist string
	}
	run := func(t *testing.T, st *store.Store) (*harness, outcome) {
		h, n, head, _ := waiverHarness(t, func(_ *Config, o *Options) {
			if st != nil {
				o.Store = st
			}
		})
		var o outcome
		o.before, o.after = waiveAndClose(t, h, n, head, false, func() {
			r := h.latestRun(head)
			o.title, o.summary = r.GetOutput().GetTitle(), r.GetOutput().GetSummary()
			o.checklist = withoutState(h.checklist(n).GetBody())
		})
		return h, o
	}
	_, without := run(t, nil)
	broken := openStore(t)
	broken.Close()
	h, with := run(t, broken)
	if with != without {
		t.Errorf("with a failing store:\n%+v\nwithout a store:\n%+v", with, without)
	}
	if got := h.metric(metricStoreFailures); got == "0" {
		t.Errorf("%s = %s, want the failures counted", metricStoreFailures, got)
	}
	for _, msg := range []string{"not stored as an open launch PR", "waiver command recorded in the checklist but not stored", "still listed as open in the store",
		"its details page not stored", "not stored in the pull request's history"} {
		if !strings.Contains(h.logs.String(), msg) {
			t.Errorf("no %q in the logs:\n%s", msg, h.logs.String())
		}
	}
}

// TestNoLongerALaunchPRLeavesTheOpenRows: an evaluation that finds a pull
// request is not a launch PR (its label removed, say) removes the row an
// earlier evaluation kept; a failed evaluation leaves it.
func TestNoLongerALaunchPRLeavesTheOpenRows(t *testing.T) {
	tests := []struct {
		name    string
		outcome githubapi.RunOutcome
		kept    bool
	}{
		{name: "not a launch PR any more", outcome: githubapi.OutcomeNotLaunch, kept: false},
		{name: "an evaluation error", outcome: githubapi.OutcomeEvaluationError, kept: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			st := openStore(t)
			if err := st.UpsertOpenPR(ctx, store.OpenPR{Repo: "acme/orders", PR: 7, Head: strings.Repeat("a", 40), Conclusion: "failure", EvaluatedAt: testNow}); err != nil {
				t.Fatal(err)
			}
			e := &evaluator{store: st}
			pr := githubapi.PullRequest{Owner: "acme", Repo: "orders", Number: 7, HeadSHA: strings.Repeat("b", 40)}
			e.storeEvaluation(ctx, pr, plan{run: githubapi.CheckRun{ID: githubapi.RunID{PR: 7, Outcome: tt.outcome}}}, true, testNow.Add(time.Minute))
			rows, err := st.OpenPRs(ctx, "acme")
			if err != nil {
				t.Fatal(err)
			}
			if got := len(rows) == 1; got != tt.kept {
				t.Errorf("open rows after the evaluation = %+v, want kept %v", rows, tt.kept)
			}
		})
	}
}
