package githubapi

import (
	"maps"
	"net/http"
	"strings"
	"sync"
)

// RequestKey is an endpoint template and the HTTP status GitHub answered (0
// when no response arrived: a transport error or a cancelled context).
type RequestKey struct {
	Endpoint string // "GET /repos/{owner}/{repo}/git/trees/{sha}"
	Status   int
}

// RequestStats counts the requests a Client sent to GitHub.
type RequestStats struct {
	Total  int
	Counts map[RequestKey]int
}

// Endpoint is the number of requests to an endpoint template, any status.
func (s RequestStats) Endpoint(endpoint string) int {
	n := 0
	for k, v := range s.Counts {
		if k.Endpoint == endpoint {
			n += v
		}
	}
	return n
}

// Status is the number of requests answered with status, any endpoint.
func (s RequestStats) Status(status int) int {
	n := 0
	for k, v := range s.Counts {
		if k.Status == status {
			n += v
		}
	}
	return n
}

// Endpoint templates of the requests this package makes, in GitHub's REST
// reference notation. Anything else (a request this package does not make)
// is counted as "<METHOD> (other)" so that a metrics label never carries an
// owner, a repository or a SHA.
const (
	epPullFiles    = "GET /repos/{owner}/{repo}/pulls/{pull_number}/files"
	epTree         = "GET /repos/{owner}/{repo}/git/trees/{sha}"
	epBlob         = "GET /repos/{owner}/{repo}/git/blobs/{sha}"
	epListRuns     = "GET /repos/{owner}/{repo}/commits/{ref}/check-runs"
	epCreateRun    = "POST /repos/{owner}/{repo}/check-runs"
	epUpdateRun    = "PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}"
	epAnnotations  = "GET /repos/{owner}/{repo}/check-runs/{check_run_id}/annotations"
	epGraphQL      = "POST /graphql"
	graphqlAPIPath = "/graphql"
)

var routes = append([]string{epPullFiles, epTree, epBlob, epListRuns, epCreateRun, epUpdateRun, epAnnotations, epGraphQL, epBranchRules, epClassicRequired}, humanRoutes...)

// meter counts requests in an http.RoundTripper. It wraps the transport of
// the installation clients the ClientCreator returns, outermost, which is
// where go-githubapp installs a ClientMiddleware: it sees every API request
// the client sends, but not the installation-token requests ghinstallation
// makes underneath (one per installation and hour).
type meter struct {
	hook func(endpoint string, status int)

	mu     sync.Mutex
	counts map[RequestKey]int
	total  int
}

// wrap meters a transport. restPrefix is the path of the REST root without
// its trailing "/" ("/api/v3" on GHES, "" on github.com); graphqlPath is the
// path of the GraphQL endpoint ("/api/graphql" on GHES, "/graphql" on
// github.com).
func (m *meter) wrap(next http.RoundTripper, restPrefix, graphqlPath string) http.RoundTripper {
	return roundTripperFunc(func(r *http.Request) (*http.Response, error) {
		resp, err := next.RoundTrip(r)
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		m.record(endpoint(r, restPrefix, graphqlPath), status)
		return resp, err
	})
}

func (m *meter) record(endpoint string, status int) {
	m.mu.Lock()
	m.counts[RequestKey{endpoint, status}]++
	m.total++
	m.mu.Unlock()
	if m.hook != nil {
		m.hook(endpoint, status)
	}
}

func (m *meter) stats() RequestStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	return RequestStats{Total: m.total, Counts: maps.Clone(m.counts)}
}

// endpoint maps a request to its endpoint template.
func endpoint(r *http.Request, restPrefix, graphqlPath string) string {
	p := r.URL.Path
	if p == graphqlPath {
		p = graphqlAPIPath
	} else {
		p = strings.TrimPrefix(p, restPrefix)
	}
	got := strings.Split(strings.Trim(p, "/"), "/")
	for _, route := range routes {
		method, tmpl, _ := strings.Cut(route, " ")
		if method == r.Method && matchTemplate(strings.Split(strings.Trim(tmpl, "/"), "/"), got) {
			return route
		}
	}
	return r.Method + " (other)"
}

func matchTemplate(tmpl, got []string) bool {
	if len(tmpl) != len(got) {
		return false
	}
	for i, t := range tmpl {
		if !strings.HasPrefix(t, "{") && t != got[i] {
			return false
		}
	}
	return true
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
