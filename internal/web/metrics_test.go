package web

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/launchgate/launchgate/internal/githubsim"
)

// counts reads the registry as GET /metrics serves it: every series of
// the pages' families, keyed as series names them.
func counts(t *testing.T, reg prometheus.Gatherer) map[string]float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range fams {
		if !slices.Contains([]string{metricPageRequests, metricSignIns, metricAccessChecks, metricAccessCached}, f.GetName()) {
			continue
		}
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() { // sorted by name
				labels = append(labels, l.GetName(), l.GetValue())
			}
			out[series(f.GetName(), labels...)] = m.GetCounter().GetValue()
		}
	}
	return out
}

// series names one series: labels are name, value pairs in the order of
// their names.
func series(name string, labels ...string) string {
	var pairs []string
	for i := 0; i+1 < len(labels); i += 2 {
		pairs = append(pairs, fmt.Sprintf("%s=%q", labels[i], labels[i+1]))
	}
	return name + "{" + strings.Join(pairs, ",") + "}"
}

func pageSeries(page string, code int) string {
	return series(metricPageRequests, "code", fmt.Sprint(code), "page", page)
}

func checkSeries(question, outcome string) string {
	return series(metricAccessChecks, "outcome", outcome, "question", question)
}

func cachedSeries(question string) string { return series(metricAccessCached, "question", question) }

func signInSeries(outcome string) string { return series(metricSignIns, "outcome", outcome) }

// TestPagesMetrics walks a visit through the pages, GitHub failing
// included, and reads after each step what the App's registry counted:
// exactly the series the step names went up by one, every other stayed.
func TestPagesMetrics(t *testing.T) {
	e := newEnv(t)
	alice, carol, mallory, anonymous := newBrowser(t), newBrowser(t), newBrowser(t), newBrowser(t)
	carol.signIn(e, "carol")
	mallory.signIn(e, "mallory")
	ask := func(login string) context.Context { return withToken(context.Background(), e.sim.UserToken(login)) }
	failing := func(do func()) func() {
		return func() {
			e.sim.InjectFaults(githubsim.Faults{ServerErrorRate: 1})
			defer e.sim.InjectFaults(githubsim.Faults{})
			do()
		}
	}
	// expect fails the step unless the request was answered with status.
	expect := func(got page, status int) {
		t.Helper()
		if got.StatusCode != status {
			t.Fatalf("answered %d, want %d: %.300s", got.StatusCode, status, got.body)
		}
	}
	steps := []struct {
		name string
		do   func()
		// counted are the series the step adds one to.
		counted []string
	}{
		{
			name:    "a sign-in",
			do:      func() { alice.signIn(e, "alice") },
			counted: []string{pageSeries(pageLogin, 302), pageSeries(pageCallback, 303), signInSeries(signedIn)},
		},
		{
			name:    "a member's board, asked of GitHub",
			do:      func() { expect(alice.get(e.url+"/orgs/acme"), 200) },
			counted: []string{pageSeries(pageBoard, 200), checkSeries(questionMember, "yes")},
		},
		{
			name:    "the same board again, from the cache",
			do:      func() { expect(alice.get(e.url+"/orgs/acme"), 200) },
			counted: []string{pageSeries(pageBoard, 200), cachedSeries(questionMember)},
		},
		{
			name:    "a stranger's board",
			do:      func() { expect(mallory.get(e.url+"/orgs/acme"), 404) },
			counted: []string{pageSeries(pageBoard, 404), checkSeries(questionMember, "no")},
		},
		{
			name:    "nobody signed in: sent to sign in, GitHub not asked",
			do:      func() { expect(anonymous.get(e.url+"/orgs/acme"), 303) },
			counted: []string{pageSeries(pageBoard, 303)},
		},
		{
			name:    "a pull request the collaborator reads",
			do:      func() { expect(carol.get(e.url+"/acme/api/pull/12"), 200) },
			counted: []string{pageSeries(pagePull, 200), checkSeries(questionRead, "yes")},
		},
		{
			name:    "a pull request the collaborator cannot read",
			do:      func() { expect(carol.get(e.url+"/acme/web/pull/3"), 404) },
			counted: []string{pageSeries(pagePull, 404), checkSeries(questionRead, "no")},
		},
		{
			name:    "a record of the same repository: the cached answer",
			do:      func() { expect(carol.get(e.url+"/orgs/acme/records/api-12"), 200) },
			counted: []string{pageSeries(pageRecord, 200), cachedSeries(questionRead)},
		},
		{
			name: "the JSON with a member's bearer token",
			do: func() {
				expect(anonymous.get(e.url+"/api/orgs/acme/launches", "Authorization", "Bearer "+e.sim.UserToken("sam")), 200)
			},
			counted: []string{pageSeries(pageBoardJSON, 200), checkSeries(questionUser, "yes"), checkSeries(questionMember, "yes")},
		},
		{
			name: "a bearer token GitHub does not know",
			do: func() {
				expect(anonymous.get(e.url+"/api/orgs/acme/launches", "Authorization", "Bearer ghu_forged"), 401)
			},
			counted: []string{pageSeries(pageBoardJSON, 401), checkSeries(questionUser, "no")},
		},
		{
			name:    "the stylesheet",
			do:      func() { expect(anonymous.get(e.url+stylesheetPath), 200) },
			counted: []string{pageSeries(pageStatic, 200)},
		},
		{
			name:    "a path of no page",
			do:      func() { expect(alice.get(e.url+"/nothing/here"), 404) },
			counted: []string{pageSeries(pageNotFound, 404)},
		},
		{
			name:    "a sign-out without a session",
			do:      func() { expect(anonymous.post(e.url+logoutPath, nil), 200) },
			counted: []string{pageSeries(pageLogout, 200)},
		},
		{
			name: "a sign-in answer with a forged state",
			do: func() {
				b := newBrowser(t)
				back := b.authorize(e, "alice", "/")
				q := back.Query()
				q.Set("state", "forged")
				back.RawQuery = q.Encode()
				expect(b.get(back.String()), 400)
			},
			counted: []string{pageSeries(pageLogin, 302), pageSeries(pageCallback, 400), signInSeries(signInRefused)},
		},
		{
			name: "a sign-in declined at GitHub",
			do: func() {
				b := newBrowser(t)
				back := b.authorize(e, "alice", "/")
				q := back.Query()
				q.Del("code")
				q.Set("error", "access_denied")
				back.RawQuery = q.Encode()
				expect(b.get(back.String()), 403)
			},
			counted: []string{pageSeries(pageLogin, 302), pageSeries(pageCallback, 403), signInSeries(signInRefused)},
		},
		{
			name: "a sign-in while GitHub fails",
			do: func() {
				b := newBrowser(t)
				back := b.authorize(e, "alice", "/")
				failing(func() { expect(b.get(back.String()), 502) })()
			},
			counted: []string{pageSeries(pageLogin, 302), pageSeries(pageCallback, 502), signInSeries(signInError)},
		},
		{
			name: "a board while GitHub fails, its cached answer expired",
			do: failing(func() {
				e.clock.Add(time.Minute)
				expect(alice.get(e.url+"/orgs/acme"), 502)
			}),
			counted: []string{pageSeries(pageBoard, 502), checkSeries(questionMember, "error")},
		},
		{
			name: "the board's rows: repositories and teams",
			do: func() {
				for _, login := range []string{"alice", "mallory"} {
					if _, err := e.h.gate.Readable(ask(login), &viewer{Login: login}, "acme"); err != nil {
						t.Fatal(err)
					}
				}
				for _, login := range []string{"sam", "alice"} {
					if _, err := e.h.gate.Teams(ask(login), &viewer{Login: login}, "acme"); err != nil {
						t.Fatal(err)
					}
				}
			},
			counted: []string{checkSeries(questionReadable, "yes"), checkSeries(questionReadable, "no"),
				checkSeries(questionTeams, "yes"), checkSeries(questionTeams, "no")},
		},
		{
			name: "the board's rows while GitHub fails",
			do: failing(func() {
				if _, err := e.h.gate.Teams(ask("sam"), &viewer{Login: "sam"}, "acme"); err == nil {
					t.Fatal("teams answered while GitHub fails")
				}
			}),
			counted: []string{checkSeries(questionTeams, "error")},
		},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			before := counts(t, e.metrics)
			step.do()
			after := counts(t, e.metrics)
			got := map[string]float64{}
			for k, v := range after {
				if d := v - before[k]; d != 0 {
					got[k] = d
				}
			}
			want := map[string]float64{}
			for _, k := range step.counted {
				want[k]++
			}
			if !maps.Equal(got, want) {
				t.Errorf("counted %v, want %v", got, want)
			}
		})
	}
	t.Run("every outcome an alert divides is served from the start", func(t *testing.T) {
		fresh := counts(t, newEnv(t).metrics)
		for _, q := range []string{questionMember, questionRead, questionReadable, questionTeams, questionUser} {
			for _, o := range []string{"yes", "no", "error"} {
				if v, ok := fresh[checkSeries(q, o)]; !ok || v != 0 {
					t.Errorf("%s: %v, %v; want served at 0", checkSeries(q, o), v, ok)
				}
			}
		}
		for _, o := range []string{signedIn, signInRefused, signInError} {
			if v, ok := fresh[signInSeries(o)]; !ok || v != 0 {
				t.Errorf("%s: %v, %v; want served at 0", signInSeries(o), v, ok)
			}
		}
	})
}

// TestStatusWriter: the code counted is the one the client received.
func TestStatusWriter(t *testing.T) {
	cases := []struct {
		name  string
		serve func(http.ResponseWriter)
		want  int
	}{
		{name: "nothing written", serve: func(http.ResponseWriter) {}, want: 200},
		{name: "a body alone", serve: func(w http.ResponseWriter) { _, _ = w.Write([]byte("x")) }, want: 200},
		{name: "a status", serve: func(w http.ResponseWriter) { w.WriteHeader(404) }, want: 404},
		{name: "a second status, ignored by net/http", serve: func(w http.ResponseWriter) { w.WriteHeader(502); w.WriteHeader(200) }, want: 502},
		{name: "a body, then a status too late", serve: func(w http.ResponseWriter) { _, _ = w.Write([]byte("x")); w.WriteHeader(500) }, want: 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			m, err := newMetrics(reg)
			if err != nil {
				t.Fatal(err)
			}
			h := m.counted(pageBoard, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { tc.serve(w) }))
			rec := httptestRecorder(h, "GET", "/orgs/acme")
			if rec.Code != tc.want {
				t.Fatalf("the client received %d, want %d", rec.Code, tc.want)
			}
			if got := counts(t, reg)[pageSeries(pageBoard, tc.want)]; got != 1 {
				t.Errorf("%s = %v, want 1", pageSeries(pageBoard, tc.want), got)
			}
		})
	}
}
