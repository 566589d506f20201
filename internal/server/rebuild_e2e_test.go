package server

import (
	"context"
	"database/sql"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/launchgate/launchgate/internal/githubapi"
	"github.com/launchgate/launchgate/internal/report"
	"github.com/launchgate/launchgate/internal/store"
)

// storedState is a launch PR's open rows in acme/orders and its page's
// JSON, as st holds them.
func storedState(t *testing.T, st *store.Store, n int) ([]store.OpenPR, string) {
	t.Helper()
	ctx := context.Background()
	rows, err := st.OpenPRsOfRepo(ctx, "acme/orders")
	if err != nil {
		t.Fatal(err)
	}
	page, err := st.PRPage(ctx, "acme/orders", n)
	if err != nil {
		return rows, ""
	}
	return rows, string(page.JSON)
}

// TestReconcilerRebuildsTheStore: a launch PR whose run is up to date but
// whose open row the store lacks, or holds for another head or
// conclusion, is evaluated again by a pass, which writes nothing to
// GitHub and stores the open row and the page as the first evaluation did;
// a store in sync costs no repair.
func TestReconcilerRebuildsTheStore(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		// lose changes the store the first evaluation wrote, given its
		// open row.
		lose func(st *store.Store, row store.OpenPR) error
		// newReplica has the pass made by another replica whose store
		// starts empty (launch/recovery.md "Restore").
		newReplica bool
		reason     string // the repair's; "" for none
	}{
		{name: "a store in sync", reason: ""},
		{name: "the open row removed", reason: "store row missing", lose: func(st *store.Store, row store.OpenPR) error {
			return st.RemoveOpenPR(ctx, row.Repo, row.PR)
		}},
		{name: "the row of another head", reason: "store row outdated", lose: func(st *store.Store, row store.OpenPR) error {
			row.Head = strings.Repeat("a", 40)
			return st.UpsertOpenPR(ctx, row)
		}},
		{name: "the row of another conclusion", reason: "store row outdated", lose: func(st *store.Store, row store.OpenPR) error {
			row.Conclusion = report.ConclusionSuccess
			return st.UpsertOpenPR(ctx, row)
		}},
		{name: "an empty store on a new replica", reason: "store row missing", newReplica: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := openStore(t)
			h, n, head, _ := waiverHarness(t, withPages(st))
			wantRows, wantPage := storedState(t, st, n)
			if len(wantRows) != 1 || wantRows[0].Head != head || wantPage == "" {
				t.Fatalf("setup: open rows %+v, page %q; want #%d's row at %s and its page", wantRows, wantPage, n, head)
			}
			replica, replicaStore := h, st
			if tt.newReplica {
				replicaStore = openStore(t)
				replica = newApp(t, h.sim, withPages(replicaStore))
				replica.inst = h.inst
			}
			if tt.lose != nil {
				if err := tt.lose(st, wantRows[0]); err != nil {
					t.Fatal(err)
				}
			}
			runs := len(h.runs(head))
			h.sim.ResetRequests()

			pass := replica.reconcile()
			want := 0
			if tt.reason != "" {
				want = 1
			}
			if pass.PullRequests != 1 || pass.Repairs != want || pass.ByReason[tt.reason] != want {
				t.Errorf("pass: %+v; want #%d examined, %d repair for %q", pass, n, want, tt.reason)
			}
			if w := writes(h.sim.Requests()); len(w) != 0 || len(h.runs(head)) != runs {
				t.Errorf("the pass wrote to GitHub: %v; %d runs on the head, was %d", w, len(h.runs(head)), runs)
			}
			if rows, page := storedState(t, replicaStore, n); !reflect.DeepEqual(rows, wantRows) || page != wantPage {
				t.Errorf("after the pass, open rows %+v and page\n%s\nwant %+v and\n%s", rows, page, wantRows, wantPage)
			}
			if got := total(scrapeMetrics(t, replica.internalURL), metricRepairs); got != float64(want) {
				t.Errorf("%s = %v, want %d", metricRepairs, got, want)
			}
			if again := replica.reconcile(); again.Repairs != 0 {
				t.Errorf("the next pass: %+v; want no repair, the store being in sync", again)
			}
		})
	}
}

// TestReconcilerStoreReadFailure: a store whose open rows cannot be read
// has no launch PR re-evaluated; the failure is logged and counted, and
// the pass goes on without error.
func TestReconcilerStoreReadFailure(t *testing.T) {
	broken := openStore(t)
	broken.Close()
	h, _, _, _ := waiverHarness(t, func(_ *Config, o *Options) { o.Store = broken })
	before := total(scrapeMetrics(t, h.internalURL), metricStoreFailures)
	if pass := h.reconcile(); pass.PullRequests != 1 || pass.Repairs != 0 { // reconcile fails the test on an error
		t.Errorf("pass: %+v; want the launch PR examined, no repair", pass)
	}
	// Two failures: pruning the rows of closed pull requests, and reading
	// the open ones.
	if after := total(scrapeMetrics(t, h.internalURL), metricStoreFailures); after != before+2 {
		t.Errorf("%s went from %v to %v over the pass, want two more", metricStoreFailures, before, after)
	}
	if msg := "the store's open rows cannot be read"; !strings.Contains(h.logs.String(), msg) {
		t.Errorf("no %q in the logs:\n%s", msg, h.logs.String())
	}
}

// TestReconcilerBoundsStoreRepairs: a store that can be read but refuses
// to keep open rows has a launch PR's commit re-evaluated by at most
// maxRetries passes, not by every pass.
func TestReconcilerBoundsStoreRepairs(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "launchgate.db")
	st, err := store.Open(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h, n, _, _ := waiverHarness(t, func(_ *Config, o *Options) { o.Store = st })
	if err := st.RemoveOpenPR(ctx, "acme/orders", n); err != nil {
		t.Fatal(err)
	}
	// Another connection to the file: the store's own keeps no way in.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `CREATE TRIGGER refuse_open_rows BEFORE INSERT ON open_prs
		BEGIN SELECT RAISE(ABORT, 'open rows refused'); END`); err != nil {
		t.Fatal(err)
	}
	for pass := range maxRetries + 2 {
		want := 0
		if pass < maxRetries {
			want = 1
		}
		st := h.reconcile()
		if st.Repairs != want || st.ByReason["store row missing"] != want {
			t.Errorf("pass %d: %+v; want %d repair of the missing row", pass+1, st, want)
		}
	}
	if msg := "not stored as an open launch PR"; !strings.Contains(h.logs.String(), msg) {
		t.Errorf("no %q in the logs: the store took the row after all\n%s", msg, h.logs.String())
	}
}

// TestStoreLacks: a launch PR's up-to-date run is compared with its
// repository's latest open row of it, whatever the letter case the row's
// repository was stored under.
func TestStoreLacks(t *testing.T) {
	ctx := context.Background()
	head, older := strings.Repeat("b", 40), strings.Repeat("a", 40)
	row := func(repo string, pr int, head, conclusion string, minutes int) store.OpenPR {
		return store.OpenPR{Repo: repo, PR: pr, Head: head, Conclusion: conclusion, EvaluatedAt: testNow.Add(time.Duration(minutes) * time.Minute)}
	}
	tests := []struct {
		name string
		rows []store.OpenPR
		want string
	}{
		{name: "the run's row", rows: []store.OpenPR{row("acme/orders", 7, head, report.ConclusionFailure, 0)}, want: ""},
		{name: "no row", rows: []store.OpenPR{row("acme/orders", 8, head, report.ConclusionFailure, 0)}, want: "store row missing"},
		{name: "a row of another repository only", rows: []store.OpenPR{row("acme/orders-api", 7, head, report.ConclusionFailure, 0)}, want: "store row missing"},
		{name: "a row of an older head", rows: []store.OpenPR{row("acme/orders", 7, older, report.ConclusionFailure, 0)}, want: "store row outdated"},
		{name: "a row of another conclusion", rows: []store.OpenPR{row("acme/orders", 7, head, report.ConclusionSuccess, 0)}, want: "store row outdated"},
		{name: "the run's row under another spelling, written last", want: "", rows: []store.OpenPR{
			row("acme/orders", 7, older, report.ConclusionFailure, 0), row("Acme/Orders", 7, head, report.ConclusionFailure, 1)}},
		{name: "an older head's row under another spelling, written last", want: "store row outdated", rows: []store.OpenPR{
			row("acme/orders", 7, head, report.ConclusionFailure, 0), row("Acme/Orders", 7, older, report.ConclusionFailure, 1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := openStore(t)
			for _, r := range tt.rows {
				if err := st.UpsertOpenPR(ctx, r); err != nil {
					t.Fatal(err)
				}
			}
			r := &reconciler{ev: &evaluator{store: st}}
			pr := githubapi.PullRequest{Owner: "acme", Repo: "orders", Number: 7, HeadSHA: head}
			run := &github.CheckRun{Conclusion: github.String(report.ConclusionFailure)}
			rows := &storedRows{repo: githubapi.Repository{Owner: "acme", Name: "orders"}}
			if got := r.storeLacks(ctx, rows, pr, run); got != tt.want {
				t.Errorf("storeLacks = %q, want %q", got, tt.want)
			}
		})
	}
}
