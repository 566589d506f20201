package stress

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/rs/zerolog"

	"github.com/launchgate/launchgate/internal/githubsim"
	"github.com/launchgate/launchgate/internal/server"
	"github.com/launchgate/launchgate/internal/server/demo"
	"github.com/launchgate/launchgate/internal/version"
)

// RequestBudget is the most GitHub requests an evaluation may cost on
// average under load: the dearest single evaluation of README "API
// economy" (a launch PR as an installation's first event: 6). Caches,
// conditional requests and coalescing keep the average well below it; the
// reconciler's listings are included.
const RequestBudget = 6

// subscribed are the events launchgate's App subscribes to (app.yml) and
// the ones issue 4's checklist and approvals add. The simulator delivers
// only these, as GitHub does.
var subscribed = []string{"pull_request", "check_run", "check_suite", "pull_request_review", "issue_comment"}

// Options configure a load test run.
type Options struct {
	// Events webhooks over PRs pull requests, paced at Rate per second:
	// the steady phase. Events 0 skips it.
	Events, PRs int
	Rate        float64
	// BurstEvents webhooks over BurstPRs pull requests, as fast as the
	// App answers. BurstEvents 0 skips it.
	BurstEvents, BurstPRs int
	// Repos the pull requests are spread over. Default 10.
	Repos int
	// DuplicateEvery: after the burst, one in DuplicateEvery of the
	// pull_request deliveries among the last 2,000 acknowledged is sent
	// again with its GUID. Default 5; negative sends none.
	DuplicateEvery int
	// Workers and QueueSize of the App; 0 keeps its defaults.
	Workers, QueueSize int
	// ReconcileInterval is the App's reconcile_interval. Default
	// DefaultReconcileInterval.
	ReconcileInterval time.Duration
	// Binary, when set, is a launchgate binary run as `serve` in a child
	// process (Dir holds its configuration and logs); otherwise the App is
	// served in this process.
	Binary, Dir string
	// Settle bounds the wait for every pull request's right run after a
	// phase's last webhook. Default 2 minutes.
	Settle time.Duration
	// AppLog receives the in-process App's JSON logs. Default: discarded.
	AppLog io.Writer
	// Progress receives a line per phase. Default: discarded.
	Progress io.Writer
	// Seed makes the workload reproducible.
	Seed uint64
	// Command is recorded in the report.
	Command string
}

// DefaultReconcileInterval is the reconciler's interval in load tests and
// drills: short enough that deliveries refused in a burst are redelivered
// within the test. Deployments default to 10 minutes; a pass costs about
// one request per open pull request (most answered 304, free), so the
// short interval makes the figures pessimistic.
const DefaultReconcileInterval = 15 * time.Second

func (o *Options) defaults() {
	if o.Repos <= 0 {
		o.Repos = 10
	}
	if o.ReconcileInterval <= 0 {
		o.ReconcileInterval = DefaultReconcileInterval
	}
	if o.DuplicateEvery == 0 {
		o.DuplicateEvery = 5
	}
	if o.Settle <= 0 {
		o.Settle = 2 * time.Minute
	}
	if o.AppLog == nil {
		o.AppLog = io.Discard
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
}

// env is the simulated organisation with its repositories, the driver
// and the App under test.
type env struct {
	sim  *githubsim.Server
	key  *rsa.PrivateKey
	drv  *driver
	acks *latencies
	now  time.Time
	app  app
}

func newEnv(repos int, now time.Time) (*env, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	sim, err := githubsim.Start(githubsim.Options{
		AppID: appID, PrivateKey: key, WebhookSecret: webhookSecret, Events: subscribed,
		// The load test measures launchgate, not GitHub's quota: the
		// report's requests per evaluation say what the quota allows.
		RateLimit: 1 << 30,
	})
	if err != nil {
		return nil, err
	}
	e := &env{sim: sim, key: key, now: now, acks: &latencies{}}
	e.drv = &driver{sim: sim, inst: sim.AddInstallation(org), repoID: map[string]int64{}, mainSHA: map[string]string{}}
	story := demo.New(now)
	for i := range repos {
		name := fmt.Sprintf("svc-%02d", i)
		r := sim.AddRepo(org, name, "main", story.Main)
		e.drv.repoID[name], e.drv.mainSHA[name] = r.ID, r.HeadSHA
	}
	return e, nil
}

// connect points the simulator's webhook and the driver at the App.
func (e *env) connect(a app) {
	e.app = a
	e.sim.SetWebhookURL(hookURL(a.base()))
	e.drv.hook = newPoster(hookURL(a.base()), webhookSecret, e.acks)
}

func (e *env) close() {
	e.sim.SetWebhookURL("")
	_ = e.sim.Close()
}

// Run is the load test: the steady phase at Rate, the burst, the
// duplicates, each checked against the oracle. The returned report's
// Problems list what failed; an error means the run could not be made.
func Run(ctx context.Context, opts Options) (*Report, error) {
	opts.defaults()
	started := time.Now()
	now := started
	e, err := newEnv(opts.Repos, now)
	if err != nil {
		return nil, err
	}
	defer e.close()
	cfg, err := appConfig(e.sim, e.key, func(c *server.Config) {
		c.Server.Workers, c.Server.QueueSize, c.Server.ReconcileInterval = opts.Workers, opts.QueueSize, opts.ReconcileInterval
	})
	if err != nil {
		return nil, err
	}
	rep := &Report{
		Date: now.Format(time.DateOnly), Command: opts.Command, Version: version.String(),
		GoVersion: runtime.Version(), CPUs: runtime.NumCPU(), Peak: ExpectedPeak.String(),
		TargetRate: ExpectedPeak.TargetRate(), Workers: cfg.Server.Workers, QueueSize: cfg.Server.QueueSize,
		ReconcileSeconds: cfg.Server.ReconcileInterval.Seconds(),
		RequestBudget:    RequestBudget,
	}
	var a app
	if opts.Binary == "" {
		rep.App = "in process (server.New on 127.0.0.1)"
		a, err = startInProcess(cfg, zerolog.New(opts.AppLog))
	} else {
		rep.App = "launchgate serve, a child process"
		var pc procConfig
		if pc, err = newProcConfig(opts.Binary, opts.Dir, cfg); err == nil {
			a, err = startProcess(ctx, pc, 1)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("starting the App: %w", err)
	}
	e.connect(a)
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := a.stop(sctx); err != nil {
			rep.Problems = append(rep.Problems, "stopping the App: "+err.Error())
		}
	}()

	first := 0
	if opts.Events > 0 && opts.PRs > 0 {
		w, err := newWorkload(opts.Repos, opts.PRs, opts.Events/opts.PRs, opts.Seed, now, first)
		if err != nil {
			return nil, err
		}
		first += opts.PRs
		rep.add(e.phase(ctx, "steady", w, opts.Rate, opts.Settle, opts.Progress))
	}
	if opts.BurstEvents > 0 && opts.BurstPRs > 0 {
		w, err := newWorkload(opts.Repos, opts.BurstPRs, opts.BurstEvents/opts.BurstPRs, opts.Seed+1, now, first)
		if err != nil {
			return nil, err
		}
		p := e.phase(ctx, "burst", w, 0, opts.Settle, opts.Progress)
		rep.add(p)
		// Coalescing: while a pull request's evaluation is queued or
		// running, more events for it cost at most one more evaluation.
		if p.Evaluations > p.Triggers/2 {
			rep.Problems = append(rep.Problems, fmt.Sprintf("burst: %d evaluations for %d triggering events; coalescing should save at least half", p.Evaluations, p.Triggers))
		}
		if opts.DuplicateEvery > 0 {
			d := e.duplicates(ctx, w, opts.DuplicateEvery, opts.Progress)
			rep.add(d)
			if d.Evaluations > 0 {
				rep.Problems = append(rep.Problems, fmt.Sprintf("duplicates: %d deliveries sent again cost %d evaluations; a delivery already handled must cost none", d.Duplicates, d.Evaluations))
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rep.PeakMemory = a.memory()
	rep.Seconds = time.Since(started).Seconds()
	return rep, nil
}

// add records a phase and the assertions every phase must hold.
func (r *Report) add(p Phase) {
	r.Phases = append(r.Phases, p)
	if len(p.Wrong) > 0 {
		r.Problems = append(r.Problems, fmt.Sprintf("%s: %d pull requests without their right run (an event lost, or a stale one evaluated last), first: %s", p.Name, len(p.Wrong), p.Wrong[0]))
	}
	if p.Driven > 0 && p.RequestsPerEval > RequestBudget {
		r.Problems = append(r.Problems, fmt.Sprintf("%s: %.2f GitHub requests per evaluation, over the budget of %d", p.Name, p.RequestsPerEval, RequestBudget))
	}
}

// phase plays a workload and measures it.
func (e *env) phase(ctx context.Context, name string, w *workload, rate float64, settle time.Duration, progress io.Writer) Phase {
	p := Phase{Name: name, Workload: w.describe(), Rate: rate}
	for _, pr := range w.prs {
		p.Driven += pr.events()
	}
	progressf(progress, "%s: %d webhooks over %d pull requests", name, p.Driven, len(w.prs))
	m := e.mark(ctx)
	_ = e.drv.play(ctx, w.prs, rate)
	p.SendSeconds = time.Since(m.at).Seconds()
	progressf(progress, "%s: sent in %.1f s; waiting for every pull request's run", name, p.SendSeconds)
	var at time.Time
	if at, p.Wrong = waitCorrect(ctx, e.sim, e.app, w.prs, settle); !at.IsZero() {
		p.SettleSeconds = at.Sub(m.at).Seconds()
	}
	e.measure(ctx, m, &p)
	return p
}

// duplicateWindow is how far back duplicates are taken from: the last
// 2,000 acknowledged deliveries, 40 seconds at ten times the expected
// peak. GitHub's duplicates and two replicas' redeliveries of one failed
// delivery come within seconds to minutes.
const duplicateWindow = 2000

// duplicates sends again every every-th pull_request delivery among the
// last duplicateWindow acknowledged ones: none may change a run or cost an
// evaluation.
func (e *env) duplicates(ctx context.Context, w *workload, every int, progress io.Writer) Phase {
	p := Phase{Name: "duplicates", Workload: fmt.Sprintf("one in %d pull_request deliveries of the last %d acknowledged sent again with its X-GitHub-Delivery", every, duplicateWindow)}
	m := e.mark(ctx)
	var acked []*github.HookDelivery
	for _, d := range e.sim.Deliveries() {
		if d.GetStatusCode()/100 == 2 {
			acked = append(acked, d)
		}
	}
	p.Duplicates = e.drv.replay(ctx, acked[max(len(acked)-duplicateWindow, 0):], every)
	p.SendSeconds = time.Since(m.at).Seconds()
	progressf(progress, "duplicates: %d sent again in %.1f s", p.Duplicates, p.SendSeconds)
	// The runs were right before: they must stay so.
	waitIdle(ctx, e.app)
	p.SettleSeconds = time.Since(m.at).Seconds()
	p.Wrong = wrongRuns(e.sim, w.prs)
	e.measure(ctx, m, &p)
	return p
}

// mark is where a phase starts in the simulator's records and the App's
// counters.
type mark struct {
	at         time.Time
	deliveries int
	metrics    metrics
	sent       int64
	refused    map[string]int
}

func (e *env) mark(ctx context.Context) mark {
	e.sim.ResetRequests()
	e.acks.take()
	m, _ := scrape(ctx, e.app.internal())
	return mark{
		at: time.Now(), deliveries: len(e.sim.Deliveries()), metrics: m,
		sent: e.drv.hook.sent.Load(), refused: e.drv.hook.refusals(),
	}
}

// measure fills in a phase's figures from the simulator's deliveries and
// requests since m, the driver's own posts and the App's counters.
func (e *env) measure(ctx context.Context, m mark, p *Phase) {
	sendEnd := m.at.Add(time.Duration(p.SendSeconds * float64(time.Second)))
	acks := e.acks.take()
	p.Events, p.Acked = int(e.drv.hook.sent.Load()-m.sent), len(acks)
	p.RefusedByEvent = map[string]int{}
	for k, n := range e.drv.hook.refusals() {
		if n -= m.refused[k]; n > 0 {
			p.Refused += n
			p.RefusedByEvent[k] += n
		}
	}
	duringSend, offered := len(acks), p.Events
	for _, d := range e.sim.Deliveries()[m.deliveries:] {
		p.Events++
		if !d.DeliveredAt.After(sendEnd) {
			offered++
		}
		if d.GetRedelivery() {
			p.Redelivered++
		}
		switch d.GetEvent() {
		case "pull_request", "check_suite", "pull_request_review", "issue_comment":
			p.Triggers++
		}
		if d.GetStatusCode()/100 != 2 {
			p.Refused++
			p.RefusedByEvent[refusalKey(d.GetEvent(), d.GetStatusCode())]++
			continue
		}
		p.Acked++
		if d.Duration != nil {
			acks = append(acks, time.Duration(*d.Duration*float64(time.Second)))
		}
		if !d.DeliveredAt.After(sendEnd) {
			duringSend++
		}
	}
	sorted := sortedDurations(acks)
	p.AckP50Ms, p.AckP99Ms = ms(percentile(sorted, 50)), ms(percentile(sorted, 99))
	if len(sorted) > 0 {
		p.AckMaxMs = ms(sorted[len(sorted)-1])
	}
	if p.SendSeconds > 0 {
		p.Throughput = float64(duringSend) / p.SendSeconds
		p.Offered = float64(offered) / p.SendSeconds
	}
	for _, r := range e.sim.Requests() {
		p.Requests++
		if r.Status == http.StatusNotModified {
			p.NotModified++
		}
	}
	after, err := scrape(ctx, e.app.internal())
	if err != nil {
		return
	}
	p.Evaluations = int(m.metrics.delta(after, "launchgate_evaluations_total"))
	if p.SettleSeconds > 0 {
		p.EvalsPerSecond = float64(p.Evaluations) / p.SettleSeconds
	}
	p.RequestsPerEval = ratio(p.Requests, p.Evaluations)
	p.Counters = map[string]float64{}
	for name := range after {
		if strings.HasPrefix(name, "launchgate_") && strings.HasSuffix(name, "_total") {
			p.Counters[name] = m.metrics.delta(after, name)
		}
	}
}

// progressf writes a progress line.
func progressf(w io.Writer, format string, args ...any) {
	fmt.Fprintf(w, time.Now().Format("15:04:05 ")+format+"\n", args...)
}
