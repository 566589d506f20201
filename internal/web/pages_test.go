package web

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/launchgate/launchgate/internal/githubapi"
	"github.com/launchgate/launchgate/internal/inspect"
	"github.com/launchgate/launchgate/internal/launchrecord"
	"github.com/launchgate/launchgate/internal/launchview"
	"github.com/launchgate/launchgate/internal/readiness"
	"github.com/launchgate/launchgate/internal/store"
	"github.com/launchgate/launchgate/templates"
)

const testWebURL = "https://github.example.com"

// testNow is the pages' clock in tests.
var testNow = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)

// testGate answers access from tables, as GitHub would for each user:
// names match in any letter case, and listed repositories are spelled as
// the tables spell them.
type testGate struct {
	members  map[string][]string // org: logins
	readable map[string][]string // login: "owner/name"
	teams    map[string][]string // login: team slugs
}

func (g testGate) MemberOf(_ context.Context, v *viewer, org string) (bool, error) {
	for o, logins := range g.members {
		if strings.EqualFold(o, org) && slices.Contains(logins, v.Login) {
			return true, nil
		}
	}
	return false, nil
}

func (g testGate) CanRead(_ context.Context, v *viewer, owner, repo string) (bool, error) {
	return slices.ContainsFunc(g.readable[v.Login], func(r string) bool { return strings.EqualFold(r, owner+"/"+repo) }), nil
}

func (g testGate) Readable(_ context.Context, v *viewer, org string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, r := range g.readable[v.Login] {
		if owner, _, _ := strings.Cut(r, "/"); strings.EqualFold(owner, org) {
			out[r] = true
		}
	}
	return out, nil
}

func (g testGate) Teams(_ context.Context, v *viewer, _ string) ([]string, error) {
	return g.teams[v.Login], nil
}

// fixedRequired is GitHub's answer on required checks, as the board reads
// it; requiredChecks, which asks GitHub, has its own test.
type fixedRequired []repoRequirement

func (f fixedRequired) unrequiredRepos(context.Context, string) ([]repoRequirement, error) {
	return f, nil
}

// The people of the tests: alice is a member of acme on its security team
// who may read orders, payments and Billing, not vault; carol is a member
// who may read none of them; mallory is no member.
var accessTables = testGate{
	members:  map[string][]string{"acme": {"alice", "bob", "carol"}},
	readable: map[string][]string{"alice": {"acme/orders", "acme/payments", "acme/Billing"}, "bob": {"acme/orders", "acme/payments", "acme/vault"}},
	teams:    map[string][]string{"alice": {"security"}, "bob": {"infra"}},
}

// fixture is a store filled through the store API, the pages reading it,
// and an HTTP server serving them through the route table
// (handler.routes), with a testGate as the gate. Each request is signed
// in as its login with a sealed session cookie.
type fixture struct {
	t      testing.TB
	st     *store.Store
	key    ed25519.PrivateKey
	h      *handler
	routes http.Handler // h.routes of the pages
	server *httptest.Server
}

func newFixture(t testing.TB, g testGate, required fixedRequired) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "launchgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return testNow }
	p, err := newPages(pagesOptions{
		Store: st, Rows: g, Required: required, WebURL: testWebURL + "/",
		RecordKey: pub, Now: clock, Log: zerolog.Nop(),
	})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, st: st, key: key}
	f.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { f.routes.ServeHTTP(w, r) }))
	t.Cleanup(f.server.Close)
	// Without GitHub: the handler serves the pages, not sign-in, sign-out
	// or bearer tokens (newEnv's handler does, with the simulator).
	if f.h, err = newSessionHandler(f.server.URL, []byte(testSessionKey), clock, zerolog.Nop()); err != nil {
		t.Fatal(err)
	}
	f.h.gate = g
	if f.h.metrics, err = newMetrics(prometheus.NewRegistry()); err != nil {
		t.Fatal(err)
	}
	f.routes = f.h.routes(p)
	return f
}

// signIn gives req login's session cookie, sealed as a sign-in seals it;
// no login, no cookie.
func (f *fixture) signIn(req *http.Request, login string) {
	f.t.Helper()
	if login == "" {
		return
	}
	sealed := seal(f.t, f.h.sessions, session{Login: login, Token: "gho_token_of_" + login, CSRF: "csrf-token", Issued: testNow})
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: sealed})
}

// get requests path as login and returns the status and body.
func (f *fixture) get(login, path string) (int, string) {
	f.t.Helper()
	status, _, body := f.fetch(login, path)
	return status, body
}

// noRedirects is a client that returns a redirect rather than following
// it, so that tests see where it leads.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// fetch requests path as login and returns the status, the Location
// header and the body.
func (f *fixture) fetch(login, path string) (status int, location, body string) {
	f.t.Helper()
	req, err := http.NewRequest(http.MethodGet, f.server.URL+path, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	f.signIn(req, login)
	resp, err := noRedirects.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

// launchPR describes an open launch PR to store.
type launchPR struct {
	repo     string
	number   int
	title    string
	openedAt time.Time
	report   *readiness.Report
	voided   map[string]string
	policy   launchview.Policy
	// checklist is the checklist comment's URL.
	checklist string
}

func (l launchPR) head() string { return fmt.Sprintf("%040x", l.number) }

// addOpen stores a launch PR as the server does after an evaluation: the
// open row, the page JSON, and an evaluations row.
func (f *fixture) addOpen(l launchPR) {
	f.t.Helper()
	ctx := context.Background()
	conclusion := "success"
	if !l.report.Ready {
		conclusion = "failure"
	}
	page, err := launchview.Marshal(launchview.PR{
		Repo: l.repo, Number: l.number, Title: l.title, Author: "dana", HTMLURL: testWebURL + "/" + l.repo + "/pull/" + strconv.Itoa(l.number),
		Base: "main", Head: l.head(), OpenedAt: l.openedAt, EvaluatedAt: testNow.Add(-time.Hour),
		Conclusion: conclusion, Summary: "launch readiness", ChecklistURL: l.checklist, Policy: l.policy,
		Report: l.report, Voided: l.voided,
	})
	if err != nil {
		f.t.Fatal(err)
	}
	if err := f.st.PutPRPage(ctx, l.repo, l.number, l.head(), testNow.Add(-time.Hour), page); err != nil {
		f.t.Fatal(err)
	}
	if err := f.st.UpsertOpenPR(ctx, store.OpenPR{
		Repo: l.repo, PR: l.number, Head: l.head(), Conclusion: conclusion, EvaluatedAt: testNow.Add(-time.Hour),
		Title: l.title, Author: "dana", OpenedAt: l.openedAt, Failing: launchview.Failing(l.report),
		PendingTeams: launchview.PendingTeams(l.report), WaiverEnds: waiverEnds(l.report),
	}); err != nil {
		f.t.Fatal(err)
	}
	for i, c := range []string{"failure", conclusion} {
		if err := f.st.PutEvaluation(ctx, store.Evaluation{
			Repo: l.repo, PR: l.number, Head: fmt.Sprintf("%040x", 1000*l.number+i), Conclusion: c, Outcome: "evaluated",
			At: testNow.Add(time.Duration(i-3) * time.Hour),
		}); err != nil {
			f.t.Fatal(err)
		}
	}
}

// waiverEnds is the earliest end of a counting waiver, as the server
// stores it.
func waiverEnds(r *readiness.Report) string {
	ends := ""
	for _, req := range r.Requirements {
		for _, c := range req.Checks {
			if c.Waiver != nil && !c.Waiver.Expired && (ends == "" || c.Waiver.Until < ends) {
				ends = c.Waiver.Until
			}
		}
	}
	return ends
}

// addRecord signs and stores the record of a merged launch, and returns
// its line.
func (f *fixture) addRecord(repo string, pr int, bypassed bool) []byte {
	f.t.Helper()
	conclusion := "success"
	if bypassed {
		conclusion = "failure"
	}
	at := testNow.Add(-time.Duration(pr) * time.Hour)
	_, line, err := launchrecord.Sign(f.key, launchrecord.Record{
		Repo: repo, PR: pr, Title: "Launch " + repo, Author: "dana", Merge: strings.Repeat("b", 40), MergedBy: "erin", MergedAt: at,
		Head: strings.Repeat("c", 40), Conclusion: conclusion, Bypassed: bypassed, PolicySource: "default", PolicyDigest: "sha256:00",
		Requirements: []launchrecord.Requirement{{ID: "security", Status: "pass", Checks: []launchrecord.Check{{ID: "threat-model", Kind: "document", Status: "pass"}}}},
	})
	if err != nil {
		f.t.Fatal(err)
	}
	f.putRecordLine(repo, pr, at, line)
	return line
}

func (f *fixture) putRecordLine(repo string, pr int, at time.Time, line []byte) {
	f.t.Helper()
	if err := f.st.PutRecord(context.Background(), store.Record{ID: fmt.Sprintf("%s#%d", repo, pr), Repo: repo, PR: pr, MergedAt: at, Line: line}); err != nil {
		f.t.Fatal(err)
	}
}

// securityReport is a report failing the security requirement: a finding
// in a file whose name needs escaping in a URL, a pending sign-off of team
// security, a voided approval of security, a counting approval of infra
// and a waiver ending in five days.
func securityReport() *readiness.Report {
	approvedAt := testNow.Add(-2 * time.Hour)
	return &readiness.Report{Requirements: []readiness.Requirement{
		{ID: "security", Title: "Security", Status: readiness.Fail, Checks: []readiness.Check{
			{ID: "threat-model", Kind: "document", Status: readiness.Fail, Findings: []inspect.Finding{
				{Path: "launch/security review.md", Line: 7, Message: "the threat model section is empty", Fix: "describe the threats"},
			}},
			{ID: "pentest", Kind: readiness.KindSignoff, Team: "security", Description: "Penetration test done", Status: readiness.Pending,
				Findings: []inspect.Finding{{Message: "waiting for a member of team security to tick this item"}}},
			{ID: "approval-security", Kind: readiness.KindApproval, Team: "security", Status: readiness.Pending,
				Findings: []inspect.Finding{{Message: "waiting for an approving review by a member of team security"}}},
		}},
		{ID: "monitoring", Title: "Monitoring", Status: readiness.Pass, Checks: []readiness.Check{
			{ID: "alerts", Kind: "alerts", Status: readiness.Waived, Findings: []inspect.Finding{{Path: "deploy/alerts.yaml", Line: 3, Message: "no alert on errors"}},
				Waiver: &readiness.Waiver{By: "frank", At: testNow.Add(-24 * time.Hour), Until: testNow.AddDate(0, 0, 5).Format(time.DateOnly), Reason: "alerts ship next week", Was: readiness.Fail}},
			{ID: "approval-infra", Kind: readiness.KindApproval, Team: "infra", Status: readiness.Pass, By: "carol", At: &approvedAt},
		}},
	}}
}

// infraReport fails deployment and recovery, and scaling waits for team
// infra's approval only (so it is not failing).
func infraReport() *readiness.Report {
	return &readiness.Report{Requirements: []readiness.Requirement{
		{ID: "deployment", Title: "Deployment", Status: readiness.Fail, Checks: []readiness.Check{
			{ID: "environments", Kind: "environments", Status: readiness.Fail, Findings: []inspect.Finding{{Path: "deploy/", Message: "no configuration for production"}}},
		}},
		{ID: "scaling", Title: "Scaling", Status: readiness.Pending, Checks: []readiness.Check{
			{ID: "replicas", Kind: "replicas", Status: readiness.Pass, Findings: []inspect.Finding{}},
			{ID: "approval-infra", Kind: readiness.KindApproval, Team: "infra", Status: readiness.Pending,
				Findings: []inspect.Finding{{Message: "waiting for an approving review by a member of team infra"}}},
		}},
		{ID: "recovery", Title: "Recovery", Status: readiness.Fail, Checks: []readiness.Check{
			{ID: "drill", Kind: "drill", Status: readiness.Fail, Findings: []inspect.Finding{{Path: "launch/recovery.md", Line: 1, Message: "no drill"}}},
		}},
	}}
}

// fillOrg stores acme's launches: orders#12 failing and waiting for
// security (titled with markup), payments#3 waiting for infra, vault#1 in
// a repository alice may not read; records of orders#10 (bypassed),
// payments#2 and vault#5 (bypassed).
func (f *fixture) fillOrg() {
	f.addOpen(launchPR{
		repo: "acme/orders", number: 12, title: `Launch <script>alert("x")</script> orders`, openedAt: testNow.Add(-72 * time.Hour),
		report: securityReport(), voided: map[string]string{"security": "approved by @ann before launch/security review.md changed"},
		policy:    launchview.Policy{Source: "acme/orders@main:.github/launchgate.yml", Digest: "sha256:abc", URL: testWebURL + "/acme/orders/blob/main/.github/launchgate.yml"},
		checklist: testWebURL + "/acme/orders/pull/12#issuecomment-99",
	})
	f.addOpen(launchPR{repo: "acme/payments", number: 3, title: "Launch payments", openedAt: testNow.Add(-5 * time.Hour), report: infraReport(),
		policy: launchview.Policy{Source: "default", Digest: "sha256:def", URL: "https://evil.example/acme/payments"}})
	f.addOpen(launchPR{repo: "acme/vault", number: 1, title: "Launch vault", openedAt: testNow.Add(-200 * time.Hour), report: securityReport()})
	f.addRecord("acme/orders", 10, true)
	f.addRecord("acme/payments", 2, false)
	f.addRecord("acme/vault", 5, true)
}

func TestNewPagesRefusesAWebURLThatIsNotHTTP(t *testing.T) {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"", "javascript:alert(1)", "github.com", "ftp://github.com"} {
		_, err := newPages(pagesOptions{Store: &store.Store{}, Rows: accessTables, Required: fixedRequired{}, RecordKey: pub, Now: time.Now, WebURL: u})
		if err == nil {
			t.Errorf("newPages accepted the web URL %q", u)
		}
	}
}

// unrequired is what the test GitHub answers on required checks.
var unrequired = fixedRequired{
	{Repo: "acme/payments", Branch: "main", State: githubapi.NotRequired, Why: "no ruleset or branch protection rule requires it"},
	{Repo: "acme/vault", Branch: "trunk", State: githubapi.NotRequired, Why: "no ruleset or branch protection rule requires it"},
}

// inlineCode matches what the Content-Security-Policy would block: inline
// scripts and styles, event handler attributes, and external assets.
var inlineCode = regexp.MustCompile(`(?i)<script|<style|\sstyle=|\son[a-z]+=|javascript:|https?://|@import`)

// TestTemplatesNeedNoInlineCode: the Content-Security-Policy allows no
// inline script or style, so a template that had one would break.
func TestTemplatesNeedNoInlineCode(t *testing.T) {
	names, err := fs.Glob(templates.Web, "web/*")
	if err != nil || len(names) < 6 {
		t.Fatalf("templates.Web holds %v (%v)", names, err)
	}
	for _, name := range names {
		b, err := fs.ReadFile(templates.Web, name)
		if err != nil {
			t.Fatal(err)
		}
		if m := inlineCode.FindString(string(b)); m != "" {
			t.Errorf("%s holds %q", name, m)
		}
	}
}

// pageCase is one request to the pages and what its answer must hold.
type pageCase struct {
	name, login, path string
	wantStatus        int
	// wantLocation is where a redirect leads; "" for any other answer.
	wantLocation  string
	want, wantNot []string
	// inOrder must appear in this order.
	inOrder []string
}

// run requests each case as its login. missing is the path of a page that
// does not exist: a 404 must be the same page, so that it reveals nothing.
func (f *fixture) run(t *testing.T, missing string, cases []pageCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			status, location, body := f.fetch(tt.login, tt.path)
			if status != tt.wantStatus {
				t.Fatalf("status %d, want %d:\n%s", status, tt.wantStatus, body)
			}
			if location != tt.wantLocation {
				t.Errorf("Location %q, want %q", location, tt.wantLocation)
			}
			if _, absent := f.get(tt.login, missing); status == http.StatusNotFound && body != absent {
				t.Errorf("a 404 differs from the one for %s, so it reveals what exists:\n%s", missing, body)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %s:\n%s", w, body)
				}
			}
			for _, w := range tt.wantNot {
				if strings.Contains(body, w) {
					t.Errorf("page has %s:\n%s", w, body)
				}
			}
			at := 0
			for _, w := range tt.inOrder {
				i := strings.Index(body[at:], w)
				if i < 0 {
					t.Fatalf("page lacks %s after offset %d, or has it out of order:\n%s", w, at, body)
				}
				at += i + len(w)
			}
		})
	}
}
