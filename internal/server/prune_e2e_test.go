package server

import (
	"context"
	"fmt"
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
// the row. The open launch PR's row stays, and so does, until a later
// pass, the row of a pull request missing from the listing but evaluated
// less than pruneGrace before it.
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

// TestReconcilerPrunesAfterTwoPagedListings: a repository whose open pull
// requests take two pages is listed in two requests, which can miss a pull
// request; a row goes only when two such listings in a row lack its pull
// request.
func TestReconcilerPrunesAfterTwoPagedListings(t *testing.T) {
	const opened, gone = 101, 500 // more open pull requests than a page holds; a number never opened
	ctx := context.Background()
	st := openStore(t)
	h := newHarness(t, func(_ *Config, o *Options) { o.Store = st })
	h.repo(nil)
	for i := range opened {
		branch := fmt.Sprintf("docs-%d", i)
		h.sim.Push("acme", "orders", branch, map[string]string{branch + ".md": "x\n"})
		h.sim.OpenPR("acme", "orders", githubsim.PRSpec{Title: "Docs " + branch, Head: branch})
	}
	h.settle()
	for _, n := range []int{1, gone} {
		if err := st.UpsertOpenPR(ctx, store.OpenPR{Repo: "acme/orders", PR: n, Head: strings.Repeat("a", 40),
			Conclusion: report.ConclusionFailure, EvaluatedAt: testNow.Add(-2 * pruneGrace)}); err != nil {
			t.Fatal(err)
		}
	}
	for i, want := range []struct {
		pruned int
		left   []int
	}{
		{pruned: 0, left: []int{1, gone}}, // nothing to confirm the listing with
		{pruned: 1, left: []int{1}},
	} {
		pass := h.reconcile()
		if pass.PullRequests != opened || pass.Repairs != 0 || pass.Pruned != want.pruned {
			t.Errorf("pass %d: %+v; want %d pull requests examined, no repair, %d pruned", i+1, pass, opened, want.pruned)
		}
		if got := openNumbers(t, st); !slices.Equal(got, want.left) {
			t.Errorf("pass %d: open rows %v, want %v", i+1, got, want.left)
		}
	}
}

// TestPruneConfirmsPagedListings: after a paged listing, a row goes only
// if the previous paged listing lacked its pull request too, so a pull
// request one listing missed keeps its row; after a listing of one page,
// at once.
func TestPruneConfirmsPagedListings(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	h := newHarness(t, func(_ *Config, o *Options) { o.Store = st })
	for _, n := range []int{1, 2, 3} {
		if err := st.UpsertOpenPR(ctx, store.OpenPR{Repo: "acme/orders", PR: n, Head: strings.Repeat("a", 40),
			Conclusion: report.ConclusionFailure, EvaluatedAt: testNow}); err != nil {
			t.Fatal(err)
		}
	}
	listing := func(paged bool, numbers ...int) openListing {
		l := openListing{paged: paged}
		for _, n := range numbers {
			l.prs = append(l.prs, githubapi.PullRequest{Owner: "acme", Repo: "orders", Number: n})
		}
		return l
	}
	steps := []struct {
		name    string
		listing openListing
		pruned  int
		left    []int
	}{
		{name: "a first paged listing has nothing to confirm it", listing: listing(true, 1, 2, 3), pruned: 0, left: []int{1, 2, 3}},
		{name: "a paged listing that misses #2", listing: listing(true, 1, 3), pruned: 0, left: []int{1, 2, 3}},
		{name: "the next one lists #2 again", listing: listing(true, 1, 2, 3), pruned: 0, left: []int{1, 2, 3}},
		{name: "#3 closed", listing: listing(true, 1, 2), pruned: 0, left: []int{1, 2, 3}},
		{name: "#3 still closed", listing: listing(true, 1, 2), pruned: 1, left: []int{1, 2}},
		{name: "one page lacking #2", listing: listing(false, 1), pruned: 1, left: []int{1}},
	}
	r := h.srv.reconciler
	repo := githubapi.Repository{Owner: "acme", Name: "orders"}
	for _, step := range steps {
		var pass Stats
		r.pruneClosed(ctx, h.inst, repo, step.listing, testNow.Add(2*pruneGrace), &pass)
		if pass.Pruned != step.pruned {
			t.Errorf("%s: pruned %d, want %d", step.name, pass.Pruned, step.pruned)
		}
		if got := openNumbers(t, st); !slices.Equal(got, step.left) {
			t.Errorf("%s: open rows %v, want %v", step.name, got, step.left)
		}
	}
}
