package stress

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/launchgate/launchgate/internal/githubsim"
	"github.com/launchgate/launchgate/internal/server"
	"github.com/launchgate/launchgate/internal/version"
)

// DrillOptions configure a recovery drill.
type DrillOptions struct {
	// Binary is the launchgate binary run as `serve`; Dir holds its
	// configuration and logs.
	Binary, Dir string
	// Events webhooks over PRs pull requests make the burst the server is
	// killed in; it is killed once KillAfter of them were sent (default
	// half).
	Events, PRs, KillAfter int
	// FaultEvents webhooks over FaultPRs pull requests are played while
	// the simulator injects faults. FaultEvents 0 skips the fault phase.
	FaultEvents, FaultPRs int
	// Downtime is the least time between the SIGKILL and the second
	// server's start, as a restarting pod takes. Default 2 seconds.
	Downtime time.Duration
	// Repos the pull requests are spread over. Default 5.
	Repos int
	// Settle bounds each wait for every pull request's right run. Default
	// 3 minutes.
	Settle time.Duration
	// ReconcileInterval is the servers' reconcile_interval. Default
	// DefaultReconcileInterval.
	ReconcileInterval time.Duration
	Progress          io.Writer
	Seed              uint64
	Command           string
}

// Faults are the simulator faults of the drill's fault phase: one request
// in five fails with a 500, every request is slowed, and every 25th hits a
// secondary rate limit with Retry-After: 1.
var Faults = githubsim.Faults{
	ServerErrorRate: 0.2, Seed: 7, Latency: 50 * time.Millisecond,
	SecondaryRateLimitEvery: 25, RetryAfter: time.Second,
}

// DrillReport is what a recovery drill measured.
type DrillReport struct {
	Date    string `json:"date"`
	Command string `json:"command"`
	Version string `json:"version"`
	CPUs    int    `json:"cpus"`

	Workload string `json:"workload"`
	Driven   int    `json:"driven"`
	// KilledAfter webhooks of the burst the first server was killed with
	// SIGKILL; the rest of the burst was sent while no server ran.
	KilledAfter     int     `json:"killed_after"`
	DowntimeSeconds float64 `json:"downtime_seconds"`
	// FailedDeliveries are the deliveries GitHub recorded as failed
	// (refused while the server was down, or answered 503).
	FailedDeliveries int `json:"failed_deliveries"`
	// WrongAtRestart pull requests lacked their right run when the second
	// server started: the ones the reconciler had to repair.
	WrongAtRestart int `json:"wrong_at_restart"`
	// RecoverySeconds is from the second server's start (exec) until every
	// pull request had its right run; StartSeconds of it until /readyz.
	RecoverySeconds float64 `json:"recovery_seconds"`
	StartSeconds    float64 `json:"start_seconds"`
	Redeliveries    int     `json:"redeliveries"`
	// Requests the second server sent to GitHub while recovering.
	Requests int `json:"requests"`
	// Counters are the second server's launchgate_*_total counters once
	// recovered: reconciler repairs and redeliveries among them.
	Counters map[string]float64 `json:"counters"`
	Wrong    []string           `json:"wrong,omitempty"`

	Faults *FaultReport `json:"faults,omitempty"`

	PeakMemory Memory   `json:"peak_memory"`
	Problems   []string `json:"problems"`
	Seconds    float64  `json:"seconds"`
}

// FaultReport is the fault phase of a drill.
type FaultReport struct {
	Injected string  `json:"injected"`
	Workload string  `json:"workload"`
	Driven   int     `json:"driven"`
	Seconds  float64 `json:"seconds_to_correct"`
	// Requests the server sent, and how many the simulator failed.
	Requests       int      `json:"requests"`
	ServerErrors   int      `json:"server_errors"`
	SecondaryLimit int      `json:"secondary_limited"`
	Wrong          []string `json:"wrong,omitempty"`
}

// Drill is the recovery drill: `launchgate serve` in a child process is
// killed with SIGKILL in the middle of a burst, the rest of the burst
// fails to be delivered, a new server starts, and its reconciler must give
// every pull request its right run. Then, with the simulator failing one
// request in five, slowing all and rate-limiting some, another workload
// must still end right.
func Drill(ctx context.Context, opts DrillOptions) (*DrillReport, error) {
	if opts.Binary == "" || opts.Dir == "" {
		return nil, errors.New("stress: a drill needs a launchgate binary and a directory")
	}
	if opts.Repos <= 0 {
		opts.Repos = 5
	}
	if opts.KillAfter <= 0 {
		opts.KillAfter = opts.Events / 2
	}
	if opts.Settle <= 0 {
		opts.Settle = 3 * time.Minute
	}
	if opts.ReconcileInterval <= 0 {
		opts.ReconcileInterval = DefaultReconcileInterval
	}
	if opts.Downtime <= 0 {
		opts.Downtime = 2 * time.Second
	}
	if opts.Progress == nil {
		opts.Progress = io.Discard
	}
	started := time.Now()
	e, err := newEnv(opts.Repos, started)
	if err != nil {
		return nil, err
	}
	defer e.close()
	cfg, err := appConfig(e.sim, e.key, func(c *server.Config) { c.Server.ReconcileInterval = opts.ReconcileInterval })
	if err != nil {
		return nil, err
	}
	pc, err := newProcConfig(opts.Binary, opts.Dir, cfg)
	if err != nil {
		return nil, err
	}
	first, err := startProcess(ctx, pc, 1)
	if err != nil {
		return nil, fmt.Errorf("starting the first server: %w", err)
	}
	e.connect(first)
	rep := &DrillReport{Date: started.Format(time.DateOnly), Command: opts.Command, Version: version.String(), CPUs: runtime.NumCPU()}

	w, err := newWorkload(opts.Repos, opts.PRs, opts.Events/max(opts.PRs, 1), opts.Seed, started, 0)
	if err != nil {
		first.kill()
		return nil, err
	}
	rep.Workload = w.describe()
	for _, p := range w.prs {
		rep.Driven += p.events()
	}
	progressf(opts.Progress, "drill: burst of %d webhooks over %d pull requests; SIGKILL after %d", rep.Driven, len(w.prs), opts.KillAfter)
	played := make(chan error, 1)
	go func() { played <- e.drv.play(ctx, w.prs, 0) }()
	for e.drv.driven.Load() < int64(opts.KillAfter) {
		select {
		case err := <-played:
			first.kill()
			return nil, fmt.Errorf("the burst ended (%v) before %d webhooks were sent", err, opts.KillAfter)
		case <-time.After(time.Millisecond):
		}
	}
	first.kill()
	killedAt := time.Now()
	rep.KilledAfter = int(e.drv.driven.Load())
	progressf(opts.Progress, "drill: SIGKILL after %d webhooks; the rest of the burst fails to be delivered", rep.KilledAfter)
	if err := <-played; err != nil {
		return nil, err
	}
	time.Sleep(time.Until(killedAt.Add(opts.Downtime)))
	for _, d := range e.sim.Deliveries() {
		if d.GetStatusCode()/100 != 2 {
			rep.FailedDeliveries++
		}
	}
	rep.WrongAtRestart = len(wrongRuns(e.sim, w.prs))
	deliveriesBefore := len(e.sim.Deliveries())
	e.sim.ResetRequests()

	restart := time.Now()
	rep.DowntimeSeconds = restart.Sub(killedAt).Seconds()
	second, err := startProcess(ctx, pc, 2)
	if err != nil {
		return nil, fmt.Errorf("starting the second server: %w", err)
	}
	rep.StartSeconds = time.Since(restart).Seconds()
	e.connect(second)
	progressf(opts.Progress, "drill: second server ready in %.1f s; %d of %d pull requests lack their right run", rep.StartSeconds, rep.WrongAtRestart, len(w.prs))
	var recovered time.Time
	if recovered, rep.Wrong = waitCorrect(ctx, e.sim, second, w.prs, opts.Settle); !recovered.IsZero() {
		rep.RecoverySeconds = recovered.Sub(restart).Seconds()
	}
	rep.Requests = len(e.sim.Requests())
	for _, d := range e.sim.Deliveries()[deliveriesBefore:] {
		if d.GetRedelivery() {
			rep.Redeliveries++
		}
	}
	if m, err := scrape(ctx, second.internal()); err == nil {
		rep.Counters = counters(m)
	}
	if len(rep.Wrong) > 0 {
		rep.Problems = append(rep.Problems, fmt.Sprintf("after the restart %d pull requests never got their right run, first: %s", len(rep.Wrong), rep.Wrong[0]))
	} else {
		progressf(opts.Progress, "drill: recovered %.1f s after the restart", rep.RecoverySeconds)
	}

	if opts.FaultEvents > 0 && opts.FaultPRs > 0 {
		rep.Faults = e.faults(ctx, opts, second)
		if n := len(rep.Faults.Wrong); n > 0 {
			rep.Problems = append(rep.Problems, fmt.Sprintf("under faults %d pull requests never got their right run, first: %s", n, rep.Faults.Wrong[0]))
		}
	}
	rep.PeakMemory = second.memory()
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := second.stop(sctx); err != nil {
		rep.Problems = append(rep.Problems, "graceful stop: "+err.Error())
	}
	rep.Seconds = time.Since(started).Seconds()
	return rep, nil
}

// faults plays a workload while the simulator misbehaves.
func (e *env) faults(ctx context.Context, opts DrillOptions, a app) *FaultReport {
	w, err := newWorkload(opts.Repos, opts.FaultPRs, opts.FaultEvents/opts.FaultPRs, opts.Seed+1, e.now, opts.PRs)
	if err != nil {
		return &FaultReport{Wrong: []string{err.Error()}}
	}
	f := &FaultReport{
		Injected: fmt.Sprintf("%.0f%% of requests answered 500, %s added to each, every %dth a secondary rate limit (403, Retry-After %s)",
			Faults.ServerErrorRate*100, Faults.Latency, Faults.SecondaryRateLimitEvery, Faults.RetryAfter),
		Workload: w.describe(),
	}
	for _, p := range w.prs {
		f.Driven += p.events()
	}
	progressf(opts.Progress, "drill: %d webhooks over %d pull requests with faults: %s", f.Driven, len(w.prs), f.Injected)
	e.sim.ResetRequests()
	e.sim.InjectFaults(Faults)
	defer e.sim.InjectFaults(githubsim.Faults{})
	start := time.Now()
	_ = e.drv.play(ctx, w.prs, 0)
	var correct time.Time
	if correct, f.Wrong = waitCorrect(ctx, e.sim, a, w.prs, opts.Settle); !correct.IsZero() {
		f.Seconds = correct.Sub(start).Seconds()
	}
	for _, r := range e.sim.Requests() {
		f.Requests++
		switch r.Status {
		case 500:
			f.ServerErrors++
		case 403, 429:
			f.SecondaryLimit++
		}
	}
	if len(f.Wrong) == 0 {
		progressf(opts.Progress, "drill: under faults every pull request right after %.1f s (%d requests, %d answered 500, %d rate-limited)", f.Seconds, f.Requests, f.ServerErrors, f.SecondaryLimit)
	} else {
		progressf(opts.Progress, "drill: under faults %d pull requests without their right run", len(f.Wrong))
	}
	return f
}

// counters are the launchgate_*_total counters of a scrape.
func counters(m metrics) map[string]float64 {
	out := map[string]float64{}
	for name, v := range m {
		if strings.HasPrefix(name, "launchgate_") && strings.HasSuffix(name, "_total") {
			out[name] = v
		}
	}
	return out
}

// WriteJSON writes the report as indented JSON.
func (r *DrillReport) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes the drill report for people.
func (r *DrillReport) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "launchgate recovery drill, %s (%s, %d CPUs)\n", r.Date, r.Version, r.CPUs)
	fmt.Fprintf(&b, "command: %s\n", r.Command)
	fmt.Fprintf(&b, "burst: %d webhooks; %s\n", r.Driven, r.Workload)
	fmt.Fprintf(&b, "SIGKILL after %d webhooks; %d deliveries failed while the server was down (%.1f s)\n", r.KilledAfter, r.FailedDeliveries, r.DowntimeSeconds)
	fmt.Fprintf(&b, "at restart %d pull requests lacked their right run\n", r.WrongAtRestart)
	if len(r.Wrong) == 0 {
		fmt.Fprintf(&b, "recovered: every pull request right %.1f s after the restart (ready in %.1f s), %d redeliveries, %d GitHub requests\n",
			r.RecoverySeconds, r.StartSeconds, r.Redeliveries, r.Requests)
	}
	for _, name := range slices.Sorted(maps.Keys(r.Counters)) {
		fmt.Fprintf(&b, "  %s %.0f\n", name, r.Counters[name])
	}
	for _, wr := range r.Wrong {
		fmt.Fprintf(&b, "  WRONG %s\n", wr)
	}
	if f := r.Faults; f != nil {
		fmt.Fprintf(&b, "faults: %s\n  %d webhooks; %s\n", f.Injected, f.Driven, f.Workload)
		if len(f.Wrong) == 0 {
			fmt.Fprintf(&b, "  every pull request right after %.1f s\n", f.Seconds)
		}
		fmt.Fprintf(&b, "  %d requests, %d answered 500, %d rate-limited\n", f.Requests, f.ServerErrors, f.SecondaryLimit)
		for _, wr := range f.Wrong {
			fmt.Fprintf(&b, "  WRONG %s\n", wr)
		}
	}
	fmt.Fprintf(&b, "peak memory of the second server: %s\n", r.PeakMemory)
	return writeResult(w, &b, r.Problems, r.Seconds)
}
