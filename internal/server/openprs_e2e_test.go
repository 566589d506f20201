package server

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/launchgate/launchgate/internal/githubapi"
	"github.com/launchgate/launchgate/internal/githubsim"
	"github.com/launchgate/launchgate/internal/report"
	"github.com/launchgate/launchgate/internal/server/demo"
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

// openNumbers lists the numbers of acme's open rows in the store.
func openNumbers(t *testing.T, st *store.Store) []int {
	t.Helper()
	rows, err := st.OpenPRs(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	var numbers []int
	for _, r := range rows {
		numbers = append(numbers, r.PR)
	}
	return numbers
}

// openLaunchPR opens another launch PR of the demo's story on branch, with
// its events delivered, and returns its number.
func openLaunchPR(h *harness, branch string) int {
	s := demo.New(testNow)
	n, _ := h.openPR(branch, s.Kit(), githubsim.PRSpec{Title: s.Title, Labels: s.Labels})
	return n
}

// advance moves the App's clock by d.
func advance(clock *atomic.Pointer[time.Time], d time.Duration) {
	later := clock.Load().Add(d)
	clock.Store(&later)
}

// TestReconcilerPrunesClosedPullRequests: a launch PR closed while its
// events were lost keeps its open row, and so its place on the board,
// until a reconciler pass finds it no longer listed as open and removes
// the row. The open launch PR's row stays, and so does the row of a pull
// request missing from the listing but evaluated after it began (one
// opened since) until a later pass.
func TestReconcilerPrunesClosedPullRequests(t *testing.T) {
	// A pull request missing from the listing whose row was evaluated a
	// moment before it: opened since, by a replica whose clock lags.
	const openedSince = 999
	ctx := context.Background()
	st := openStore(t)
	h, open, _, clock := waiverHarness(t, func(_ *Config, o *Options) { o.Store = st })
	closed := openLaunchPR(h, "launch-billing")
	h.quiet(func() { h.sim.ClosePR("acme", "orders", closed, "octocat") })
	if got, want := openNumbers(t, st), []int{open, closed}; !slices.Equal(got, want) {
		t.Fatalf("open rows before reconciling = %v, want %v: the close must not have reached the App", got, want)
	}

	advance(clock, pruneGrace+time.Second)
	if err := st.UpsertOpenPR(ctx, store.OpenPR{Repo: "acme/orders", PR: openedSince, Head: strings.Repeat("c", 40),
		Conclusion: report.ConclusionFailure, EvaluatedAt: clock.Load().Add(-time.Second)}); err != nil {
		t.Fatal(err)
	}
	passes := []struct {
		name   string
		pruned int
		left   []int
	}{
		{name: "the closed PR's row goes", pruned: 1, left: []int{open, openedSince}},
		{name: "a row evaluated before the previous listing goes", pruned: 1, left: []int{open}},
		{name: "nothing left to remove", pruned: 0, left: []int{open}},
	}
	for i, p := range passes {
		if i > 0 {
			advance(clock, pruneGrace+time.Second)
		}
		pass := h.reconcile()
		if pass.Pruned != p.pruned || pass.Repairs != 0 {
			t.Errorf("pass %d (%s): %+v; want %d pruned, no repair", i+1, p.name, pass, p.pruned)
		}
		if got := openNumbers(t, st); !slices.Equal(got, p.left) {
			t.Errorf("pass %d (%s): open rows %v, want %v", i+1, p.name, got, p.left)
		}
	}
	if got := total(scrapeMetrics(t, h.internalURL), metricPruned); got != 2 {
		t.Errorf("%s = %v, want 2", metricPruned, got)
	}
}

// TestReconcilerPrunesOnlyAfterACompleteListing: while reconcile_max_prs
// cuts a repository's listing short, no open row of it is removed, neither
// of the open pull requests the listing did not reach nor of the closed
// one; the pass that lists the repository to its end removes the closed
// one's.
func TestReconcilerPrunesOnlyAfterACompleteListing(t *testing.T) {
	st := openStore(t)
	h, first, _, clock := waiverHarness(t, func(c *Config, o *Options) {
		o.Store = st
		c.Server.ReconcileMaxPRs = 1
	})
	closed := openLaunchPR(h, "launch-billing")
	newest := openLaunchPR(h, "launch-search")
	h.quiet(func() { h.sim.ClosePR("acme", "orders", closed, "octocat") })
	// Every row is old enough to go, so that only the listing keeps it.
	advance(clock, pruneGrace+time.Second)

	passes := []struct {
		truncated bool
		pruned    int
		left      []int
	}{
		{truncated: true, pruned: 0, left: []int{first, closed, newest}}, // lists the newest PR only
		{truncated: false, pruned: 1, left: []int{first, newest}},        // lists both open PRs
	}
	for i, p := range passes {
		pass := h.reconcile()
		if pass.PullRequests != 1 || pass.Truncated != p.truncated || pass.Pruned != p.pruned {
			t.Errorf("pass %d: %+v; want 1 pull request examined, truncated %v, %d pruned", i+1, pass, p.truncated, p.pruned)
		}
		if got := openNumbers(t, st); !slices.Equal(got, p.left) {
			t.Errorf("pass %d: open rows %v, want %v", i+1, got, p.left)
		}
	}
}

// TestReconcilerPruneStoreFailure: a store that fails to prune is logged
// and counted, and the pass goes on without error.
func TestReconcilerPruneStoreFailure(t *testing.T) {
	broken := openStore(t)
	broken.Close()
	h := newHarness(t, func(_ *Config, o *Options) { o.Store = broken })
	h.repo(nil)
	h.openPR("docs", map[string]string{"README.md": "orders\n"}, githubsim.PRSpec{Title: "Docs"})
	before := total(scrapeMetrics(t, h.internalURL), metricStoreFailures)
	if pass := h.reconcile(); pass.PullRequests != 1 || pass.Pruned != 0 { // reconcile fails the test on an error
		t.Errorf("pass: %+v; want the pull request examined, nothing pruned", pass)
	}
	if after := total(scrapeMetrics(t, h.internalURL), metricStoreFailures); after != before+1 {
		t.Errorf("%s went from %v to %v over the pass, want one more", metricStoreFailures, before, after)
	}
	if msg := "pull requests no longer open may still be listed as open in the store"; !strings.Contains(h.logs.String(), msg) {
		t.Errorf("no %q in the logs:\n%s", msg, h.logs.String())
	}
}
