package server

import (
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are served on GET /metrics. The names are those the alert rules
// in deploy/base/prometheusrule.yaml use.
type metrics struct {
	reg         *prometheus.Registry
	webhooks    *prometheus.CounterVec // event, outcome: ok | rejected | error
	evaluations *prometheus.CounterVec // conclusion, outcome: ok | error
	requests    *prometheus.CounterVec // endpoint, status
}

func newMetrics(q *queue) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "launchgate_webhooks_total",
			Help: "Webhook deliveries by event and outcome: ok (2xx), rejected (4xx: bad signature, malformed, too large), error (5xx: queue full, shutting down).",
		}, []string{"event", "outcome"}),
		evaluations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "launchgate_evaluations_total",
			Help: "Evaluations by published conclusion and outcome: ok, or error when gathering or publishing failed.",
		}, []string{"conclusion", "outcome"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "launchgate_github_requests_total",
			Help: "GitHub API requests by endpoint template and HTTP status (0: no response).",
		}, []string{"endpoint", "status"}),
	}
	m.reg.MustRegister(m.webhooks, m.evaluations, m.requests,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "launchgate_queue_depth", Help: "Events waiting for a worker."},
			func() float64 { return float64(len(q.work)) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "launchgate_queue_capacity", Help: "Events the queue holds before deliveries are refused."},
			func() float64 { return float64(cap(q.work)) }),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// countWebhooks records each delivery's outcome by its status code.
func (m *metrics) countWebhooks(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		outcome := "ok"
		switch {
		case sw.status >= 500:
			outcome = "error"
		case sw.status >= 400:
			outcome = "rejected"
		}
		// The event header is untrusted until the signature is checked;
		// only GitHub's event names become label values.
		event := r.Header.Get("X-GitHub-Event")
		if !knownEvent(event) {
			event = "other"
		}
		m.webhooks.WithLabelValues(event, outcome).Inc()
	})
}

func (m *metrics) githubRequest(endpoint string, status int) {
	m.requests.WithLabelValues(endpoint, strconv.Itoa(status)).Inc()
}

// knownEvent bounds the event label: the events launchgate handles and the
// ones GitHub sends an App that subscribes to more.
func knownEvent(e string) bool {
	switch e {
	case "pull_request", "check_run", "check_suite", "ping", "installation", "installation_repositories",
		"pull_request_review", "issue_comment", "membership", "team", "push":
		return true
	}
	return false
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}
