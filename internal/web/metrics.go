package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// The pages' metrics, registered in the App's registry (Options.Metrics)
// and so served with the App's on its internal listener's GET /metrics.
// The alert LaunchgatePagesCannotAskGitHub in
// deploy/base/prometheusrule.yaml reads metricAccessChecks.
const (
	metricPageRequests = "launchgate_page_requests_total"
	metricSignIns      = "launchgate_signins_total"
	metricAccessChecks = "launchgate_access_checks_total"
	metricAccessCached = "launchgate_access_checks_cached_total"
)

// Pages, the page label: one per route of the route table, never a path,
// a login or a repository, so that the label's values stay few.
const (
	pageBoard     = "board"
	pageBoardJSON = "board_json"
	pagePull      = "pull"
	pageRecord    = "record"
	pageLogin     = "login"
	pageCallback  = "callback"
	pageLogout    = "logout"
	pageStatic    = "static"
	pageNotFound  = "not_found"
)

// How a sign-in ended, the outcome label of metricSignIns.
const (
	signedIn = "signed_in"
	// signInRefused: a state or PKCE verifier not this browser's, a sign-in
	// older than its cookie, a code GitHub refused, or a user who declined.
	signInRefused = "refused"
	// signInError: GitHub could not be reached or failed (5xx), or
	// launchgate could not seal the session.
	signInError = "error"
)

// The questions the gate asks GitHub with the viewer's token, the
// question label of metricAccessChecks.
const (
	questionMember   = "member"   // an active member of the organisation?
	questionRead     = "read"     // can they read the repository?
	questionReadable = "readable" // which of the installation's repositories can they read?
	questionTeams    = "teams"    // which of the organisation's teams are theirs?
	questionUser     = "user"     // whose bearer token is this?
)

// metrics counts what the pages answered and what GitHub told them.
type metrics struct {
	pages   *prometheus.CounterVec // page, code
	signIns *prometheus.CounterVec // outcome
	checks  *prometheus.CounterVec // question, outcome: yes | no | error
	cached  *prometheus.CounterVec // question
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	if reg == nil {
		return nil, errors.New("web: Options.Metrics, the registry the App's /metrics serves, is required")
	}
	m := &metrics{
		pages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricPageRequests,
			Help: "Requests to the pages by page (board, board_json, pull, record, login, callback, logout, static, not_found) and HTTP status code.",
		}, []string{"page", "code"}),
		signIns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricSignIns,
			Help: "Sign-ins through GitHub by outcome: signed_in; refused (state, code or PKCE verifier not accepted, or declined at GitHub); error (GitHub unreachable or failing).",
		}, []string{"outcome"}),
		checks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricAccessChecks,
			Help: "Questions the pages asked GitHub with a viewer's token (member, read, readable, teams, user), by GitHub's answer: yes, no (including a token GitHub no longer accepts), error. Cached answers are not counted here.",
		}, []string{"question", "outcome"}),
		cached: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricAccessCached,
			Help: "Questions about a viewer's access answered from the cache (web.access_ttl) without asking GitHub, by question.",
		}, []string{"question"}),
	}
	for _, c := range []prometheus.Collector{m.pages, m.signIns, m.checks, m.cached} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("web: registering the pages' metrics: %w", err)
		}
	}
	// The series alerts divide exist from the start, at 0, so that a rate
	// sees the first sign-in or the first error.
	for _, o := range []string{signedIn, signInRefused, signInError} {
		m.signIns.WithLabelValues(o)
	}
	for _, q := range []string{questionMember, questionRead, questionReadable, questionTeams, questionUser} {
		for _, o := range []string{"yes", "no", "error"} {
			m.checks.WithLabelValues(q, o)
		}
	}
	return m, nil
}

// counted serves a route of the route table and counts its answer under
// page, by status code.
func (m *metrics) counted(page string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		m.pages.WithLabelValues(page, strconv.Itoa(sw.code())).Inc()
	})
}

func (m *metrics) signIn(outcome string) { m.signIns.WithLabelValues(outcome).Inc() }

// accessChecked counts one answer to question: from the cache when GitHub
// was not asked, else GitHub's. grants says the answer lets the viewer see
// something. A token GitHub refuses is a no: GitHub answered, and the
// viewer is sent to sign in again.
func (m *metrics) accessChecked(question string, asked, grants bool, err error) {
	outcome := "no"
	switch {
	case !asked:
		m.cached.WithLabelValues(question).Inc()
		return
	case errors.Is(err, errTokenRejected):
	case err != nil:
		outcome = "error"
	case grants:
		outcome = "yes"
	}
	m.checks.WithLabelValues(question, outcome).Inc()
}

// statusWriter remembers the status code a handler answered with.
type statusWriter struct {
	http.ResponseWriter
	status int // 0 until the header is written
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// code is the status sent: 200 when the handler wrote nothing at all, as
// net/http answers then.
func (w *statusWriter) code() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}
