package stress

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// Phase is what one phase of a run sent and what it cost.
type Phase struct {
	Name     string `json:"name"`
	Workload string `json:"workload"`
	// Rate is the paced rate of the scripts' webhooks per second; 0 means
	// as fast as the App acknowledges them.
	Rate float64 `json:"rate"`
	// Driven is the webhooks the scripts caused; Events every delivery the
	// App received, including the check_run echoes of its own runs,
	// redeliveries and duplicates.
	Driven int `json:"driven"`
	Events int `json:"events"`
	// Acked were answered 2xx; Refused were not (queue full, server down),
	// which GitHub records as failed deliveries.
	Acked   int `json:"acked"`
	Refused int `json:"refused"`
	// RefusedByEvent breaks Refused down by event and answer ("check_run
	// 503", "pull_request no answer").
	RefusedByEvent map[string]int `json:"refused_by_event,omitempty"`
	Redelivered    int            `json:"redelivered"`
	Duplicates     int            `json:"duplicates,omitempty"`
	// SendSeconds is how long sending took; SettleSeconds how long from the
	// start until every pull request had its right run.
	SendSeconds   float64 `json:"send_seconds"`
	SettleSeconds float64 `json:"settle_seconds"`
	// Offered is webhooks sent per second of sending; Throughput the
	// acknowledged ones (the rest were refused).
	Offered    float64 `json:"offered_events_per_second"`
	Throughput float64 `json:"throughput_events_per_second"`
	AckP50Ms   float64 `json:"ack_p50_ms"`
	AckP99Ms   float64 `json:"ack_p99_ms"`
	AckMaxMs   float64 `json:"ack_max_ms"`
	// Evaluations published a run or failed; EvalsPerSecond is over the
	// settle time.
	Evaluations    int     `json:"evaluations"`
	EvalsPerSecond float64 `json:"evaluations_per_second"`
	// Triggers are the webhooks that may need an evaluation: pull_request
	// and check_suite requested deliveries.
	Triggers int `json:"triggers"`
	// Requests is every GitHub API request the App sent (tokens, reads,
	// writes, the reconciler's).
	Requests int `json:"requests"`
	// NotModified of them were conditional requests answered 304, which
	// cost no rate limit.
	NotModified     int     `json:"not_modified"`
	RequestsPerEval float64 `json:"requests_per_evaluation"`
	// Counters are the App's launchgate_*_total counters' growth during
	// the phase: coalesced and deduplicated events, reconciler repairs...
	Counters map[string]float64 `json:"counters"`
	// Wrong lists pull requests without their right run at the end.
	Wrong []string `json:"wrong,omitempty"`
}

// Report is a load test run.
type Report struct {
	Date       string  `json:"date"`
	Command    string  `json:"command"`
	Version    string  `json:"version"`
	GoVersion  string  `json:"go_version"`
	CPUs       int     `json:"cpus"`
	Peak       string  `json:"expected_peak"`
	TargetRate float64 `json:"target_rate"`
	App        string  `json:"app"`
	Workers    int     `json:"workers"`
	QueueSize  int     `json:"queue_size"`
	// ReconcileSeconds is the App's reconcile_interval.
	ReconcileSeconds float64 `json:"reconcile_interval_seconds"`
	Phases           []Phase `json:"phases"`
	PeakMemory       Memory  `json:"peak_memory"`
	// RequestBudget is the most GitHub requests an evaluation may cost on
	// average.
	RequestBudget float64 `json:"request_budget_per_evaluation"`
	// Problems are the violated assertions; empty means the run passed.
	Problems []string `json:"problems"`
	Seconds  float64  `json:"seconds"`
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes the report for people.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "launchgate load test, %s (%s, %s, %d CPUs)\n", r.Date, r.Version, r.GoVersion, r.CPUs)
	fmt.Fprintf(&b, "command: %s\n", r.Command)
	fmt.Fprintf(&b, "expected peak: %s\n", r.Peak)
	fmt.Fprintf(&b, "App: %s, %d workers, queue of %d, reconciler every %.0f s\n", r.App, r.Workers, r.QueueSize, r.ReconcileSeconds)
	for _, p := range r.Phases {
		rate := "as fast as the App answers"
		if p.Rate > 0 {
			rate = fmt.Sprintf("paced at %.0f/s", p.Rate)
		}
		fmt.Fprintf(&b, "\n%s: %s\n", p.Name, p.Workload)
		fmt.Fprintf(&b, "  webhooks: %d driven (%s), %d delivered in all, %d acknowledged, %d refused, %d redelivered", p.Driven, rate, p.Events, p.Acked, p.Refused, p.Redelivered)
		if p.Duplicates > 0 {
			fmt.Fprintf(&b, ", %d duplicates", p.Duplicates)
		}
		for _, k := range slices.Sorted(maps.Keys(p.RefusedByEvent)) {
			fmt.Fprintf(&b, "\n    refused: %d %s", p.RefusedByEvent[k], k)
		}
		fmt.Fprintf(&b, "\n  throughput: %.0f events/s acknowledged of %.0f/s offered over %.1f s of sending; acknowledged in p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
			p.Throughput, p.Offered, p.SendSeconds, p.AckP50Ms, p.AckP99Ms, p.AckMaxMs)
		fmt.Fprintf(&b, "  evaluations: %d for %d triggering events (%.2f per trigger), %.1f/s; every PR right after %.1f s\n",
			p.Evaluations, p.Triggers, ratio(p.Evaluations, p.Triggers), p.EvalsPerSecond, p.SettleSeconds)
		fmt.Fprintf(&b, "  GitHub requests: %d (%d of them 304, free), %.2f per evaluation (budget %.0f)\n", p.Requests, p.NotModified, p.RequestsPerEval, r.RequestBudget)
		for _, name := range slices.Sorted(maps.Keys(p.Counters)) {
			if v := p.Counters[name]; v != 0 {
				fmt.Fprintf(&b, "  %s +%.0f\n", name, v)
			}
		}
		for _, wr := range p.Wrong {
			fmt.Fprintf(&b, "  WRONG %s\n", wr)
		}
	}
	fmt.Fprintf(&b, "\npeak memory: %s\n", r.PeakMemory)
	return writeResult(w, &b, r.Problems, r.Seconds)
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// writeResult ends a text report, the load test's and the drill's alike,
// with its verdict and problems, and writes it out.
func writeResult(w io.Writer, b *strings.Builder, problems []string, seconds float64) error {
	if len(problems) == 0 {
		fmt.Fprintf(b, "result: PASS in %.0f s\n", seconds)
	} else {
		fmt.Fprintf(b, "result: FAIL in %.0f s\n", seconds)
		for _, p := range problems {
			fmt.Fprintf(b, "  - %s\n", p)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
