package server

import (
	"context"
	"crypto/rsa"
	"maps"
	"math/big"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"

	"github.com/launchgate/launchgate/internal/githubsim"
)

// scrapeMetrics reads the App's /metrics as Prometheus would.
func scrapeMetrics(t *testing.T, base string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return fams
}

// total sums a family's samples (a histogram's observation counts).
func total(fams map[string]*dto.MetricFamily, name string) float64 {
	return sample(fams, name, nil)
}

// sample sums the samples of a family whose labels include labels.
func sample(fams map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	var sum float64
	for _, m := range fams[name].GetMetric() {
		match := true
		for k, v := range labels {
			if !slices.ContainsFunc(m.GetLabel(), func(l *dto.LabelPair) bool { return l.GetName() == k && l.GetValue() == v }) {
				match = false
			}
		}
		if !match {
			continue
		}
		switch {
		case m.Counter != nil:
			sum += m.Counter.GetValue()
		case m.Gauge != nil:
			sum += m.Gauge.GetValue()
		case m.Histogram != nil:
			sum += float64(m.Histogram.GetSampleCount())
		}
	}
	return sum
}

// labelNames lists the label names a family's samples carry.
func labelNames(f *dto.MetricFamily) []string {
	var out []string
	for _, m := range f.GetMetric() {
		for _, l := range m.GetLabel() {
			if !slices.Contains(out, l.GetName()) {
				out = append(out, l.GetName())
			}
		}
	}
	return out
}

var (
	metricName  = regexp.MustCompile(`\blaunchgate_[a-z_]+`)
	selectorRef = regexp.MustCompile(`(launchgate_[a-z_]+)\{([^}]*)\}`)
	matcherName = regexp.MustCompile(`([a-zA-Z_]+)\s*(?:=~|!~|!=|=)`)
)

// TestMetricsMatchAlertRules reads the alert rules of deploy/ and checks
// that every metric they use is served, with the labels they select on,
// once the App has evaluated a pull request. A renamed metric would leave
// an alert that can never fire.
func TestMetricsMatchAlertRules(t *testing.T) {
	h := newHarness(t, withWebPages(t))
	s, _ := h.repo(nil)
	h.openPR(s.Branch, s.Opened, githubsim.PRSpec{Title: s.Title, Labels: s.Labels})
	if _, err := h.srv.Reconcile(t.Context()); err != nil {
		t.Fatal(err)
	}
	fams := scrapeMetrics(t, h.internalURL)

	data, err := os.ReadFile("../../deploy/base/prometheusrule.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var rule struct {
		Spec struct {
			Groups []struct {
				Rules []struct {
					Alert string `yaml:"alert"`
					Expr  string `yaml:"expr"`
				} `yaml:"rules"`
			} `yaml:"groups"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal(data, &rule); err != nil {
		t.Fatal(err)
	}
	used := 0
	for _, g := range rule.Spec.Groups {
		for _, r := range g.Rules {
			for _, name := range metricName.FindAllString(r.Expr, -1) {
				used++
				if fams[name] == nil {
					t.Errorf("alert %s uses %s, which /metrics does not serve", r.Alert, name)
				}
			}
			for _, sel := range selectorRef.FindAllStringSubmatch(r.Expr, -1) {
				have := labelNames(fams[sel[1]])
				for _, m := range matcherName.FindAllStringSubmatch(sel[2], -1) {
					if !slices.Contains(have, m[1]) {
						t.Errorf("alert %s selects %s by label %q; its labels are %v", r.Alert, sel[1], m[1], have)
					}
				}
			}
		}
	}
	if used == 0 {
		t.Fatal("no launchgate_ metric in the alert rules; the test read nothing")
	}
	// What issue 5 asks /metrics to show, whether or not a rule uses it.
	for name, labels := range map[string][]string{
		metricWebhooks: {"event", "outcome"}, metricQueueDepth: nil, metricQueueCapacity: nil, metricQueueOldest: nil,
		metricCoalesced: nil, metricDeduplicated: nil, metricEvaluationSeconds: {"outcome"}, metricEvaluations: {"outcome"},
		metricRequests: {"endpoint", "status"}, metricRateLimit: {"installation"}, metricRepairs: nil, metricRedeliveries: nil,
	} {
		f := fams[name]
		if f == nil {
			t.Errorf("/metrics lacks %s", name)
			continue
		}
		for _, l := range labels {
			if !slices.Contains(labelNames(f), l) {
				t.Errorf("%s has labels %v, want %q among them", name, labelNames(f), l)
			}
		}
	}
	if got := sample(fams, metricRateLimit, map[string]string{"installation": strconv.FormatInt(h.inst, 10), "resource": "core"}); got <= 4900 || got >= 5000 {
		// The simulator grants 5,000 an hour; an evaluation and a pass
		// take a few dozen.
		t.Errorf("rate limit remaining for installation %d = %v", h.inst, got)
	}
	if got := sample(fams, metricEvaluationSeconds, map[string]string{"outcome": "ok"}); got != 1 {
		t.Errorf("%v evaluations timed, want 1", got)
	}
}

// withWebPages serves the pages, as a configuration with a web: section
// does (FromConfig).
func withWebPages(t *testing.T) func(*Config, *Options) {
	return func(cfg *Config, o *Options) {
		cfg.Server.PublicURL = testPagesURL
		cfg.Web = WebConfig{ClientID: "Iv1.servertest", ClientSecret: "servertest-client-secret", SessionKey: testSessionKey, AccessTTL: time.Minute}
		o.Store = openStore(t)
		if err := o.servePages(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPagesCountedOnTheAppsMetrics: the pages count in the App's registry,
// so the internal listener's one /metrics serves their answers and the
// App's own metrics together.
func TestPagesCountedOnTheAppsMetrics(t *testing.T) {
	h := newHarness(t, withWebPages(t))
	noRedirects := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, path := range []string{"/orgs/acme", "/orgs/acme", "/nothing/here"} {
		resp, err := noRedirects.Get(h.url + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	fams := scrapeMetrics(t, h.internalURL)
	cases := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{name: "launchgate_page_requests_total", labels: map[string]string{"page": "board", "code": "303"}, want: 2},
		{name: "launchgate_page_requests_total", labels: map[string]string{"page": "not_found", "code": "404"}, want: 1},
		// Served at 0 before the first sign-in or question: an alert's
		// rate sees the first error.
		{name: "launchgate_access_checks_total", labels: map[string]string{"question": "member", "outcome": "error"}, want: 0},
		{name: "launchgate_signins_total", labels: map[string]string{"outcome": "error"}, want: 0},
	}
	for _, tc := range cases {
		if fams[tc.name] == nil {
			t.Errorf("/metrics lacks %s", tc.name)
			continue
		}
		if got := sample(fams, tc.name, tc.labels); got != tc.want {
			t.Errorf("%s%v = %v, want %v", tc.name, tc.labels, got, tc.want)
		}
	}
	if fams[metricQueueDepth] == nil || fams["go_goroutines"] == nil {
		t.Errorf("with the pages, /metrics lost the App's own metrics: %v", slices.Sorted(maps.Keys(fams)))
	}
}

// TestReadiness walks /readyz through its states.
func TestReadiness(t *testing.T) {
	h := newHarness(t, oneWorker(10))
	ready := func(want int, says string) {
		t.Helper()
		code, body := get(t, h.internalURL+"/readyz")
		if code != want || !strings.Contains(body, says) {
			t.Errorf("/readyz: %d %q, want %d %q", code, strings.TrimSpace(body), want, says)
		}
	}
	ready(http.StatusOK, "ok")

	release := h.hold("")
	for i := range 10 {
		j := &job{key: prKey("acme", "orders", i+1), rank: rankFresh, ctx: context.Background(), run: func(context.Context, carried) error { return nil }}
		if err := h.srv.queue.submitWait(t.Context(), j, 1); err != nil {
			t.Fatal(err)
		}
	}
	ready(http.StatusServiceUnavailable, "queue saturated: 10 of 10 events")
	release()
	h.srv.Wait()
	ready(http.StatusOK, "ok")

	good := h.srv.key
	h.srv.key = &rsa.PrivateKey{PublicKey: rsa.PublicKey{N: big.NewInt(15), E: 3}, D: big.NewInt(3)}
	ready(http.StatusServiceUnavailable, "private key cannot sign")
	h.srv.key = good
	ready(http.StatusOK, "ok")

	h.srv.Drain()
	ready(http.StatusServiceUnavailable, "shutting down")
	if code, _ := get(t, h.internalURL+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz: %d while draining; liveness must hold until exit", code)
	}
}
