package server

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/launchgate/launchgate/internal/githubapi"
	"github.com/launchgate/launchgate/internal/launchview"
	"github.com/launchgate/launchgate/internal/policy"
	"github.com/launchgate/launchgate/internal/readiness"
	"github.com/launchgate/launchgate/internal/server/demo"
	"github.com/launchgate/launchgate/internal/store"
)

// testPagesURL is where the tests' App says it serves its pages.
const testPagesURL = "https://launchgate.example.com"

// withPages gives the App a store and pages at testPagesURL.
func withPages(st *store.Store) func(*Config, *Options) {
	return func(_ *Config, o *Options) { o.Store, o.PagesURL = st, testPagesURL }
}

// storedPage is #n's details page as the store holds it.
func storedPage(t *testing.T, st *store.Store, n int) launchview.PR {
	t.Helper()
	stored, err := st.PRPage(context.Background(), "acme/orders", n)
	if err != nil {
		t.Fatal(err)
	}
	page, err := launchview.Unmarshal(stored.JSON)
	if err != nil {
		t.Fatal(err)
	}
	return page
}

// check is the check id of page's report, or nil.
func check(page launchview.PR, id string) *readiness.Check {
	if page.Report == nil {
		return nil
	}
	for _, req := range page.Report.Requirements {
		for i := range req.Checks {
			if req.Checks[i].ID == id {
				return &req.Checks[i]
			}
		}
	}
	return nil
}

// TestLaunchPRPageAndHistoryInTheStore: each published evaluation of a
// launch PR is its details page in the store, with every finding, and the
// board's columns in its open row; each evaluation that wrote the run is a
// line of its history; the run's Details link is the page; the page stays
// when the pull request closes.
func TestLaunchPRPageAndHistoryInTheStore(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	opened := time.Now().UTC().Truncate(time.Second)
	h, n, head, clock := waiverHarness(t, withPages(st))
	run := h.latestRun(head)
	if want := fmt.Sprintf("%s/acme/orders/pull/%d", testPagesURL, n); run.GetDetailsURL() != want {
		t.Errorf("the run's Details link is %s, want the page %s", run.GetDetailsURL(), want)
	}

	page := storedPage(t, st, n)
	s := demo.New(testNow)
	header := launchview.PR{
		Repo: "acme/orders", Number: n, Title: s.Title, Author: "octocat", HTMLURL: fmt.Sprintf("https://github.com/acme/orders/pull/%d", n),
		Base: s.DefaultBranch, Head: head, OpenedAt: page.OpenedAt, EvaluatedAt: testNow,
		Conclusion: run.GetConclusion(), Summary: run.GetOutput().GetTitle(), ChecklistURL: h.checklist(n).GetHTMLURL(),
		// The demo's repository has no policy file: no link.
		Policy: launchview.Policy{Source: policy.DefaultSource, Digest: page.Policy.Digest},
	}
	got := page
	got.Report, got.Voided = nil, nil
	if !reflect.DeepEqual(got, header) {
		t.Errorf("page header =\n%+v\nwant\n%+v", got, header)
	}
	if page.OpenedAt.Before(opened) || page.OpenedAt.After(time.Now()) || !strings.HasPrefix(page.Policy.Digest, "sha256:") {
		t.Errorf("page opened at %v (the PR opened after %v), policy digest %q", page.OpenedAt, opened, page.Policy.Digest)
	}
	if page.Report == nil {
		t.Fatal("the page has no report")
	}
	// Every finding the run annotates, and those it only lists, are on the
	// page.
	located := 0
	for _, req := range page.Report.Requirements {
		for _, c := range req.Checks {
			for _, f := range c.Findings {
				if f.Path != "" {
					located++
				}
			}
		}
	}
	if annotated := run.GetOutput().GetAnnotationsCount(); annotated == 0 || located < annotated {
		t.Errorf("the page has %d findings with a file, the run %d annotations", located, annotated)
	}
	if c := check(page, "security-review"); c == nil || c.Status != readiness.Fail || len(c.Findings) == 0 {
		t.Errorf("security-review on the page = %+v, want failing with its findings", c)
	}

	open := func() store.OpenPR {
		t.Helper()
		rows, err := st.OpenPRs(ctx, "acme")
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 {
			t.Fatalf("open launch PRs = %+v, want #%d", rows, n)
		}
		return rows[0]
	}
	row := open()
	if row.Title != s.Title || row.Author != "octocat" || !row.OpenedAt.Equal(page.OpenedAt) ||
		!slices.Equal(row.Failing, launchview.Failing(page.Report)) || !slices.Contains(row.Failing, "security") ||
		!slices.Equal(row.PendingTeams, launchview.PendingTeams(page.Report)) || !slices.Contains(row.PendingTeams, "security") ||
		row.WaiverEnds != "" {
		t.Errorf("open row = %+v, want the page's title, author, opening, failing requirements and pending teams", row)
	}
	history := func() []store.Evaluation {
		t.Helper()
		evs, err := st.Evaluations(ctx, "acme/orders", n, 0)
		if err != nil {
			t.Fatal(err)
		}
		return evs
	}
	first := store.Evaluation{Repo: "acme/orders", PR: n, Head: head, Conclusion: run.GetConclusion(), Outcome: string(githubapi.OutcomeEvaluated), At: testNow}
	if evs := history(); !reflect.DeepEqual(evs, []store.Evaluation{first}) {
		t.Errorf("history after the first evaluation = %+v, want %+v", evs, first)
	}

	later := testNow.Add(time.Hour)
	clock.Store(&later)
	until := time.Now().UTC().AddDate(0, 0, 30).Format(time.DateOnly)
	h.comment(n, "sam", "/launchgate waive security-review until "+until+": pentest booked")
	waived := h.latestRun(head)
	if waived.GetConclusion() == run.GetConclusion() {
		t.Fatalf("setup: the waiver left the conclusion %s", waived.GetConclusion())
	}
	page = storedPage(t, st, n)
	if c := check(page, "security-review"); c == nil || c.Status != readiness.Waived || c.Waiver == nil ||
		c.Waiver.By != "sam" || c.Waiver.Until != until || len(c.Findings) == 0 {
		t.Errorf("security-review on the page after the waiver = %+v, want waived by sam until %s, its findings kept", c, until)
	}
	if !page.EvaluatedAt.Equal(later) || page.Conclusion != waived.GetConclusion() || page.Summary != waived.GetOutput().GetTitle() {
		t.Errorf("page after the waiver: evaluated at %v, %s %q; want %v, %s %q", page.EvaluatedAt, page.Conclusion, page.Summary,
			later, waived.GetConclusion(), waived.GetOutput().GetTitle())
	}
	if row := open(); row.WaiverEnds != until || row.Conclusion != waived.GetConclusion() {
		t.Errorf("open row after the waiver = %+v, want the waiver's end %s and conclusion %s", row, until, waived.GetConclusion())
	}
	second := store.Evaluation{Repo: "acme/orders", PR: n, Head: head, Conclusion: waived.GetConclusion(), Outcome: string(githubapi.OutcomeEvaluated), At: later}
	if evs := history(); !reflect.DeepEqual(evs, []store.Evaluation{second, first}) {
		t.Errorf("history after the waiver = %+v, want %+v", evs, []store.Evaluation{second, first})
	}

	// A re-evaluation that changes nothing writes no run and no history.
	evenLater := later.Add(time.Hour)
	clock.Store(&evenLater)
	h.comment(n, "ivy", RecheckCommand)
	if evs := history(); len(evs) != 2 {
		t.Errorf("history after a re-check that changed nothing = %+v, want the 2 evaluations before", evs)
	}

	h.sim.ClosePR("acme", "orders", n, "octocat")
	h.settle()
	if rows, err := st.OpenPRs(ctx, "acme"); err != nil || len(rows) != 0 {
		t.Errorf("open launch PRs after the close = %+v, %v; want none", rows, err)
	}
	if closed := storedPage(t, st, n); closed.Conclusion != waived.GetConclusion() {
		t.Errorf("the page after the close says %s, want the last published %s", closed.Conclusion, waived.GetConclusion())
	}
}

// TestChecklistFoundWithPages: with the Details link on the page, the
// checklist comment is still found and edited, never posted again: by the
// replica that wrote it, and by a fresh one, which finds it from the run's
// external_id without listing the conversation.
func TestChecklistFoundWithPages(t *testing.T) {
	st := openStore(t)
	h, n, head, _ := waiverHarness(t, withPages(st))
	checklistID := h.checklist(n).GetID()
	until := time.Now().UTC().AddDate(0, 0, 30).Format(time.DateOnly)
	h.comment(n, "sam", "/launchgate waive security-review until "+until+": pentest booked")
	h.comment(n, "ivy", RecheckCommand)
	h.sim.SubmitReview("acme", "orders", n, "ian", "APPROVED")
	h.settle()
	if got := h.checklist(n).GetID(); got != checklistID {
		t.Fatalf("the checklist is comment %d, was %d", got, checklistID)
	}
	id, err := githubapi.ParseRunID(h.latestRun(head).GetExternalID())
	if err != nil || id.Comment != checklistID {
		t.Fatalf("the run's external_id %+v (%v) does not name the checklist %d", id, err, checklistID)
	}

	fresh := newApp(t, h.sim, withPages(st))
	fresh.inst = h.inst
	h.sim.SetWebhookURL(fresh.url + HookPath)
	h.sim.ResetRequests()
	cm := h.checklist(n)
	ticked, ok := demo.Tick(cm.GetBody(), "security-review-done")
	if !ok {
		t.Fatalf("no box for security-review-done in the checklist:\n%s", cm.GetBody())
	}
	h.sim.EditComment("acme", "orders", cm.GetID(), "sam", ticked)
	fresh.settle()

	listing := fmt.Sprintf("/repos/acme/orders/issues/%d/comments", n)
	for _, r := range h.sim.Requests() {
		if r.Method == http.MethodGet && r.Path == listing {
			t.Errorf("the fresh replica listed the conversation to find the checklist:\n%s", requestLog(h.sim.Requests()))
			break
		}
	}
	h.checklist(n) // exactly one
	if c := check(storedPage(t, st, n), "security-review-done"); c == nil || c.Status != readiness.Pass || c.By != "sam" {
		t.Errorf("security-review-done on the page after sam's tick = %+v, want signed off by sam", c)
	}
}

// TestPagesURLIsChecked: a pages URL a check run's Details link cannot
// take, or that would double a slash, is refused.
func TestPagesURLIsChecked(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{url: "", ok: true},
		{url: "https://launchgate.example.com", ok: true},
		{url: "http://127.0.0.1:8080/launchgate", ok: true},
		{url: "https://launchgate.example.com/"},
		{url: "launchgate.example.com"},
		{url: "ftp://launchgate.example.com"},
		{url: "https://launchgate.example.com?x=1"},
		{url: "https:///pages"},
	}
	for _, tt := range tests {
		err := checkPagesURL(tt.url)
		if (err == nil) != tt.ok {
			t.Errorf("checkPagesURL(%q) = %v, want ok %v", tt.url, err, tt.ok)
		}
	}
}
