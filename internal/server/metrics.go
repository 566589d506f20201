package server

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metric names, served on GET /metrics. The alert rules in
// deploy/base/prometheusrule.yaml use them; metrics_test.go checks that
// every name a rule uses is served.
const (
	metricWebhooks          = "launchgate_webhooks_total"
	metricIgnored           = "launchgate_webhooks_ignored_total"
	metricQueueDepth        = "launchgate_queue_depth"
	metricQueueCapacity     = "launchgate_queue_capacity"
	metricQueueBytes        = "launchgate_queue_bytes"
	metricQueueOldest       = "launchgate_queue_oldest_age_seconds"
	metricRunning           = "launchgate_evaluations_running"
	metricCoalesced         = "launchgate_events_coalesced_total"
	metricDeduplicated      = "launchgate_events_deduplicated_total"
	metricEvaluations       = "launchgate_evaluations_total"
	metricEvaluationSeconds = "launchgate_evaluation_duration_seconds"
	metricRequests          = "launchgate_github_requests_total"
	metricRetries           = "launchgate_github_retries_total"
	metricRateLimit         = "launchgate_github_rate_limit_remaining"
	metricRepairs           = "launchgate_reconciler_repairs_total"
	metricRedeliveries      = "launchgate_reconciler_redeliveries_total"
	metricPasses            = "launchgate_reconciler_passes_total"
	metricPruned            = "launchgate_reconciler_open_rows_pruned_total"
	metricReviewRequests    = "launchgate_review_requests_failed_total"
	metricLaunchRecords     = "launchgate_launch_records_total"
	metricStoreFailures     = "launchgate_store_failures_total"
)

// metrics are the App's Prometheus metrics, in a registry of the App's
// (Options.Registry, never the global default), so that tests can run
// several servers in one process.
type metrics struct {
	reg          *prometheus.Registry
	webhooks     *prometheus.CounterVec   // event, outcome: ok | rejected | error
	ignored      *prometheus.CounterVec   // event, reason (event.ignored's fixed phrases)
	evaluations  *prometheus.CounterVec   // conclusion, outcome: ok | error
	evalDuration *prometheus.HistogramVec // outcome
	requests     *prometheus.CounterVec   // endpoint, status
	retries      *prometheus.CounterVec   // reason
	rateLimit    *prometheus.GaugeVec     // installation, resource
	repairs      prometheus.Counter
	redeliveries prometheus.Counter
	passes       *prometheus.CounterVec // outcome: ok | error
	pruned       prometheus.Counter
	reviewFails  prometheus.Counter
	records      *prometheus.CounterVec // bypassed: true | false
	storeFails   prometheus.Counter
}

func newMetrics(q *queue, reg *prometheus.Registry) (*metrics, error) {
	m := &metrics{
		reg: reg,
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricWebhooks,
			Help: "Webhook deliveries by event and outcome: ok (2xx), rejected (4xx: bad signature, malformed, too large), error (5xx: queue full, shutting down).",
		}, []string{"event", "outcome"}),
		ignored: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricIgnored,
			Help: "Webhook deliveries answered 200 without being queued because they cannot change a check run, by event and reason (another App's run, action not handled, ...).",
		}, []string{"event", "reason"}),
		evaluations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricEvaluations,
			Help: "Evaluations by published conclusion and outcome: ok, or error when gathering or publishing failed.",
		}, []string{"conclusion", "outcome"}),
		evalDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: metricEvaluationSeconds,
			Help: "Time from gathering to the published check run, by outcome (ok, error).",
			// A warm non-launch PR takes milliseconds; a cold launch PR a
			// few requests; a rate-limited one waits up to minutes.
			Buckets: []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120},
		}, []string{"outcome"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricRequests,
			Help: "GitHub API requests of evaluations by endpoint template and final HTTP status (0: no response), after retries.",
		}, []string{"endpoint", "status"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricRetries,
			Help: "GitHub API requests sent again, by reason: server_error, timeout, connection, token, secondary_rate_limit, primary_rate_limit.",
		}, []string{"reason"}),
		rateLimit: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: metricRateLimit,
			Help: "Requests left in GitHub's primary rate limit, as last reported, by installation (app: the App's own JWT requests) and resource (core, graphql).",
		}, []string{"installation", "resource"}),
		repairs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: metricRepairs,
			Help: "Pull requests the reconciler queued for evaluation because their check run was missing, older than their head, incomplete or an evaluation error.",
		}),
		redeliveries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: metricRedeliveries,
			Help: "Failed webhook deliveries the reconciler asked GitHub to redeliver.",
		}),
		passes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricPasses,
			Help: "Reconciler passes by outcome: ok, or error when part of a pass failed.",
		}, []string{"outcome"}),
		pruned: prometheus.NewCounter(prometheus.CounterOpts{
			Name: metricPruned,
			Help: "Open launch PR rows the reconciler removed from the store because GitHub no longer lists their pull request as open (a closed event lost, or an evaluation that finished after the close).",
		}),
		records: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricLaunchRecords,
			Help: "Launch records written for merged launch PRs, by bypassed: true when the head's check run had not concluded success at the merge.",
		}, []string{"bypassed"}),
		storeFails: prometheus.NewCounter(prometheus.CounterOpts{
			Name: metricStoreFailures,
			Help: "Store writes that failed: launch records (rebuild them from their PR comments), waiver events, evaluation history rows, open launch PR rows and details pages (written again by the next evaluation), and the reconciler's removals of closed pull requests' open rows (tried again by its next pass).",
		}),
		reviewFails: prometheus.NewCounter(prometheus.CounterOpts{
			Name: metricReviewRequests,
			Help: "Review requests of missing teams that GitHub refused (a team without access to the repository, say); the evaluation went on.",
		}),
	}
	gauge := func(name, help string, f func(queueStats) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return f(q.stats()) })
	}
	for _, c := range []prometheus.Collector{m.webhooks, m.ignored, m.evaluations, m.evalDuration, m.requests, m.retries, m.rateLimit,
		m.repairs, m.redeliveries, m.passes, m.pruned, m.reviewFails, m.records, m.storeFails,
		gauge(metricQueueDepth, "Events accepted and waiting for a worker.", func(s queueStats) float64 { return float64(s.depth) }),
		gauge(metricQueueCapacity, "Events the queue holds before deliveries are refused (503).", func(s queueStats) float64 { return float64(s.capacity) }),
		gauge(metricQueueBytes, "Payload bytes of the waiting events (bounded by server.queue_max_bytes).", func(s queueStats) float64 { return float64(s.bytes) }),
		gauge(metricQueueOldest, "Age of the oldest waiting event; 0 when none waits.", func(s queueStats) float64 { return s.oldest.Seconds() }),
		gauge(metricRunning, "Evaluations running now.", func(s queueStats) float64 { return float64(s.running) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: metricCoalesced,
			Help: "Events merged into an evaluation of the same pull request that was already waiting."},
			func() float64 { return float64(q.coalesced.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: metricDeduplicated,
			Help: "Deliveries not evaluated because their X-GitHub-Delivery was accepted before."},
			func() float64 { return float64(q.deduplicated.Load()) }),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("server: registering the App's metrics: %w", err)
		}
	}
	// Both series exist from the start, at 0, so that an alert on the
	// rate of bypassed records sees the first one.
	for _, b := range []string{"true", "false"} {
		m.records.WithLabelValues(b)
	}
	return m, nil
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

// ignoredWebhook counts a delivery the gate answered without queueing. The
// event type is one the gate has a parser for, the reason one of the
// events' fixed phrases: neither is sender-controlled text.
func (m *metrics) ignoredWebhook(eventType, reason string) {
	m.ignored.WithLabelValues(eventType, reason).Inc()
}

// evaluated records an evaluation: its published conclusion, whether it
// failed, and how long it took.
func (m *metrics) evaluated(conclusion, outcome string, took time.Duration) {
	m.evaluations.WithLabelValues(conclusion, outcome).Inc()
	m.evalDuration.WithLabelValues(outcome).Observe(took.Seconds())
}

// reviewRequestFailed counts a review request that failed.
func (m *metrics) reviewRequestFailed() { m.reviewFails.Inc() }

func (m *metrics) launchRecord(bypassed bool) {
	m.records.WithLabelValues(strconv.FormatBool(bypassed)).Inc()
}

func (m *metrics) storeFailed() { m.storeFails.Inc() }

func (m *metrics) githubRequest(endpoint string, status int) {
	m.requests.WithLabelValues(endpoint, strconv.Itoa(status)).Inc()
}

func (m *metrics) githubRetry(reason string) { m.retries.WithLabelValues(reason).Inc() }

// rateLimitLeft records what remains of an installation's primary limit.
func (m *metrics) rateLimitLeft(installation int64, resource string, remaining int) {
	inst := "app"
	if installation != 0 {
		inst = strconv.FormatInt(installation, 10)
	}
	m.rateLimit.WithLabelValues(inst, resource).Set(float64(remaining))
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
