package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestBoard(t *testing.T) {
	f := newFixture(t, accessTables, unrequired)
	f.fillOrg()
	tests := []pageCase{
		{
			name: "open launches the viewer may read, with their state", login: "alice", path: "/orgs/acme", wantStatus: http.StatusOK,
			want: []string{
				`<a href="/acme/orders/pull/12"><span class="visually-hidden">Details of </span>acme/orders#12 Launch &lt;script&gt;`,
				`<td>security</td>`, `<td>security <strong class="mine">yours</strong></td>`, `<time datetime="2026-12-04T12:00:00Z">3 days</time>`,
				`acme/payments#3 Launch payments`, `<td>infra</td>`, `5 hours`,
				`<td>deployment, recovery</td>`,
				`2 open launch pull requests, 2 failing a requirement, 1 waiting for your teams.`,
				`<form class="logout" method="post" action="/logout">
<input type="hidden" name="csrf_token" value="csrf-token">`,
			},
			wantNot: []string{"acme/vault", "<script>"},
		},
		{
			name: "waivers ending within 14 days", login: "alice", path: "/orgs/acme", wantStatus: http.StatusOK,
			want: []string{`<th scope="row"><code>alerts</code></th>`, `<time datetime="2026-12-12">2026-12-12</time>`, `alerts ship next week`},
		},
		{
			name: "recent merges with their records, bypassed ones marked", login: "alice", path: "/orgs/acme", wantStatus: http.StatusOK,
			want: []string{
				`<strong class="bypassed">bypassed</strong> (failure)</td>
<td><a href="/orgs/acme/records/orders-10">Launch record of acme/orders#10</a>`,
				`<td>passed</td>
<td><a href="/orgs/acme/records/payments-2">Launch record of acme/payments#2</a>`,
				`1 bypassed the gate`,
			},
		},
		{
			name: "repositories that do not require the check", login: "alice", path: "/orgs/acme", wantStatus: http.StatusOK,
			want: []string{`<tr><th scope="row">acme/payments</th><td><code>main</code></td><td>not required</td>`},
		},
		{
			name: "waiting for my teams keeps only the viewer's teams' PRs", login: "alice", path: "/orgs/acme?mine=1", wantStatus: http.StatusOK,
			want:    []string{`acme/orders#12`, `<input type="checkbox" id="mine" name="mine" value="1" checked>`, `(security)</label>`},
			wantNot: []string{`acme/payments#3 Launch payments`},
		},
		{
			name: "another member's teams", login: "bob", path: "/orgs/acme?mine=1", wantStatus: http.StatusOK,
			want:    []string{`acme/payments#3 Launch payments`},
			wantNot: []string{`acme/orders#12 Launch`, `acme/vault#1 Launch`},
		},
		{
			name: "sorted by age, oldest first", login: "bob", path: "/orgs/acme?sort=age", wantStatus: http.StatusOK,
			inOrder: []string{`acme/vault#1 Launch`, `acme/orders#12 Launch`, `acme/payments#3 Launch`},
		},
		{
			name: "sorted by repository", login: "bob", path: "/orgs/acme?sort=repo", wantStatus: http.StatusOK,
			want:    []string{`<option value="repo" selected>`},
			inOrder: []string{`acme/orders#12 Launch`, `acme/payments#3 Launch`, `acme/vault#1 Launch`},
		},
		{
			name: "sorted by failing requirements, then age", login: "bob", path: "/orgs/acme?sort=failing", wantStatus: http.StatusOK,
			inOrder: []string{`acme/payments#3 Launch`, `acme/vault#1 Launch`, `acme/orders#12 Launch`},
		},
		{name: "a non-member gets a 404", login: "mallory", path: "/orgs/acme", wantStatus: http.StatusNotFound, wantNot: []string{"acme/orders"}},
		{name: "nobody signed in is sent to sign in", path: "/orgs/acme?mine=1", wantStatus: http.StatusSeeOther, wantLocation: "/login?next=%2Forgs%2Facme%3Fmine%3D1"},
		{
			name: "another letter case moves to the stored spelling, query kept", login: "alice", path: "/orgs/ACME?mine=1&sort=repo",
			wantStatus: http.StatusMovedPermanently, wantLocation: "/orgs/acme?mine=1&sort=repo",
		},
		{name: "another case is the same 404 for a non-member", login: "mallory", path: "/orgs/Acme", wantStatus: http.StatusNotFound},
		{
			// The spelling of rows she may not read is not hers to learn.
			name: "a member who may read none of the rows stays where she asked", login: "carol", path: "/orgs/ACME", wantStatus: http.StatusOK,
			want: []string{`<a href="/api/orgs/ACME/launches">`}, wantNot: []string{"acme/"},
		},
	}
	f.run(t, "/orgs/nosuchorg", tests)
}

func TestBoardJSON(t *testing.T) {
	f := newFixture(t, accessTables, unrequired)
	f.fillOrg()
	tests := []struct {
		name, login, path string
		wantStatus        int
		wantOrg           string
		wantOpen          []string // repo#number in order
		wantCounts        launchCounts
	}{
		{
			name: "the board's lists and counts", login: "alice", path: "/api/orgs/acme/launches", wantStatus: http.StatusOK, wantOrg: "acme",
			wantOpen:   []string{"acme/orders#12", "acme/payments#3"},
			wantCounts: launchCounts{Open: 2, Failing: 2, WaitingForMyTeams: 1, ExpiringWaivers: 1, RecentMerges: 2, Bypassed: 1, UnrequiredRepos: 1},
		},
		{
			name: "mine and sort", login: "bob", path: "/api/orgs/acme/launches?mine=1&sort=repo", wantStatus: http.StatusOK, wantOrg: "acme",
			wantOpen:   []string{"acme/payments#3"},
			wantCounts: launchCounts{Open: 3, Failing: 3, WaitingForMyTeams: 1, ExpiringWaivers: 2, RecentMerges: 3, Bypassed: 2, UnrequiredRepos: 2},
		},
		{
			name: "another letter case answers, with the stored spelling", login: "alice", path: "/api/orgs/ACME/launches", wantStatus: http.StatusOK, wantOrg: "acme",
			wantOpen:   []string{"acme/orders#12", "acme/payments#3"},
			wantCounts: launchCounts{Open: 2, Failing: 2, WaitingForMyTeams: 1, ExpiringWaivers: 1, RecentMerges: 2, Bypassed: 1, UnrequiredRepos: 1},
		},
		{name: "a non-member gets a 404", login: "mallory", path: "/api/orgs/acme/launches", wantStatus: http.StatusNotFound},
		{name: "another case is the same 404 for a non-member", login: "mallory", path: "/api/orgs/Acme/launches", wantStatus: http.StatusNotFound},
	}
	_, missing := f.get("mallory", "/api/orgs/nosuchorg/launches")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := f.get(tt.login, tt.path)
			if status != tt.wantStatus {
				t.Fatalf("status %d, want %d:\n%s", status, tt.wantStatus, body)
			}
			if status != http.StatusOK {
				if body != missing {
					t.Errorf("the 404 differs from a missing organisation's, so it reveals what exists:\n%s", body)
				}
				return
			}
			var l launches
			if err := json.Unmarshal([]byte(body), &l); err != nil {
				t.Fatalf("not the launches JSON: %v\n%s", err, body)
			}
			if l.Org != tt.wantOrg {
				t.Errorf("org = %q, want %q", l.Org, tt.wantOrg)
			}
			var open []string
			for _, o := range l.Open {
				open = append(open, fmt.Sprintf("%s#%d", o.Repo, o.Number))
			}
			if fmt.Sprint(open) != fmt.Sprint(tt.wantOpen) {
				t.Errorf("open = %v, want %v", open, tt.wantOpen)
			}
			if l.Counts != tt.wantCounts {
				t.Errorf("counts = %+v, want %+v", l.Counts, tt.wantCounts)
			}
			for _, field := range []string{`"details_path": "/acme/payments/pull/3"`, `"pending_teams": [`, `"age_seconds": 18000`, `"record_path": "/orgs/acme/records/payments-2"`} {
				if !strings.Contains(body, field) {
					t.Errorf("JSON lacks %s:\n%s", field, body)
				}
			}
		})
	}
}

// manyLaunches stores n open launch PRs of acme, every one readable by
// alice and waiting for security.
func manyLaunches(t testing.TB, n int) *fixture {
	repos := make([]string, 0, 20)
	for i := range 20 {
		repos = append(repos, fmt.Sprintf("acme/service-%02d", i))
	}
	f := newFixture(t, testGate{
		members: map[string][]string{"acme": {"alice"}}, readable: map[string][]string{"alice": repos},
		teams: map[string][]string{"alice": {"security"}},
	}, unrequired)
	for i := range n {
		f.addOpen(launchPR{
			repo: repos[i%len(repos)], number: i + 1, title: fmt.Sprintf("Launch service %d", i),
			openedAt: testNow.Add(-time.Duration(i) * time.Hour), report: securityReport(),
		})
	}
	for i := range 20 {
		f.addRecord(repos[i], 1000+i, i%3 == 0)
	}
	return f
}

// TestBoardWeight: the board of 200 open launch PRs stays under 200 KB.
func TestBoardWeight(t *testing.T) {
	f := manyLaunches(t, 200)
	status, body := f.get("alice", "/orgs/acme")
	if status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	if got := strings.Count(body, `<div class="subtle">by dana</div>`); got != 200 {
		t.Fatalf("the board lists %d open PRs, want 200", got)
	}
	if len(body) >= 200_000 {
		t.Errorf("the board of 200 open launch PRs weighs %d bytes, want under 200 KB", len(body))
	}
	t.Logf("the board of 200 open launch PRs weighs %d bytes", len(body))
}

// BenchmarkBoard serves the board of 200 open launch PRs, store reads
// included, as `go test -run '^$' -bench Board -benchmem ./internal/web/`.
// It goes through the handler path in memory (the route table opening the
// session cookie and asking the test gate, whose answers cost next to
// nothing, then the page), without a network connection: what it measures
// is the page.
func BenchmarkBoard(b *testing.B) {
	f := manyLaunches(b, 200)
	req := httptest.NewRequest(http.MethodGet, "/orgs/acme", nil)
	f.signIn(req, "alice")
	for b.Loop() {
		w := httptest.NewRecorder()
		f.routes.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	}
}

func TestOrgSpelling(t *testing.T) {
	tests := []struct {
		name, asked string
		repos       []string
		want        string
	}{
		{name: "the stored spelling", asked: "ACME", repos: []string{"Acme/orders", "Acme/vault"}, want: "Acme"},
		{name: "asked itself when a row spells it so", asked: "acme", repos: []string{"Acme/orders", "acme/vault"}, want: "acme"},
		{name: "the first row's among other spellings, so that every URL leads to one", asked: "ACME", repos: []string{"Acme/orders", "acme/vault"}, want: "Acme"},
		{name: "asked when no row is shown", asked: "ACME", want: "ACME"},
		{name: "never another organisation's", asked: "acme", repos: []string{"acmecorp/orders"}, want: "acme"},
	}
	for _, tt := range tests {
		if got := orgSpelling(tt.asked, tt.repos); got != tt.want {
			t.Errorf("%s: orgSpelling(%q, %q) = %q, want %q", tt.name, tt.asked, tt.repos, got, tt.want)
		}
	}
}
