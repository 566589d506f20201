package stress

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// TestLoad is the short load test of `go test`: the real App in this
// process, the simulator delivering signed webhooks, 1,000 webhooks over
// 20 pull requests paced at 200 a second (four times the 10x target), a
// burst of 1,000 over 20 as fast as the App answers, and duplicates. Every
// pull request must end with the oracle's run on its latest head, within
// the request budget. `launchgate loadtest` is the full version.
func TestLoad(t *testing.T) {
	rep, err := Run(context.Background(), Options{
		Events: 1000, PRs: 20, Rate: 200, BurstEvents: 1000, BurstPRs: 20,
		Settle: time.Minute, Progress: testWriter{t}, Command: "go test -run TestLoad ./internal/stress",
	})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := rep.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	t.Log(b.String())
	for _, p := range rep.Problems {
		t.Error(p)
	}
	if len(rep.Phases) != 3 {
		t.Fatalf("%d phases, want steady, burst and duplicates", len(rep.Phases))
	}
	for _, p := range rep.Phases[:2] {
		if p.Acked == 0 || p.Evaluations == 0 || p.Requests == 0 {
			t.Errorf("%s: %d acknowledged, %d evaluations, %d requests: the phase measured nothing", p.Name, p.Acked, p.Evaluations, p.Requests)
		}
	}
	if steady := rep.Phases[0]; steady.Refused > 0 {
		t.Errorf("steady: %d deliveries refused below the App's capacity: %v", steady.Refused, steady.RefusedByEvent)
	}
}

// TestLostEventIsCaught shows that the oracle notices a lost event: a pull
// request labelled "launch" as its last event, whose label the App never
// hears of, still has its everyday run, and that is reported.
func TestLostEventIsCaught(t *testing.T) {
	now := time.Now()
	e, err := newEnv(1, now)
	if err != nil {
		t.Fatal(err)
	}
	defer e.close()
	cfg, err := appConfig(e.sim, e.key, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := startInProcess(cfg, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer a.stop(context.Background())
	e.connect(a)
	// Branch 3 of a workload is an everyday PR labelled at the end.
	w, err := newWorkload(1, 4, 30, 1, now, 0)
	if err != nil {
		t.Fatal(err)
	}
	pr := w.prs[3]
	if !pr.Flip || pr.steps[len(pr.steps)-1].kind != stepLabel {
		t.Fatalf("workload changed: PR 3 is not labelled launch at the end")
	}
	last := pr.steps[len(pr.steps)-1]
	pr.steps = pr.steps[:len(pr.steps)-1]
	ctx := context.Background()
	if err := e.drv.play(ctx, []*PR{pr}, 0); err != nil {
		t.Fatal(err)
	}
	waitIdle(ctx, a)
	if wrong := wrongRuns(e.sim, []*PR{pr}); len(wrong) != 1 || !strings.Contains(wrong[0], "Not a launch PR") {
		t.Fatalf("the unlabelled PR was not reported as wrong: %q", wrong)
	}
	// Once the App hears of the label, the run is right.
	pr.steps = []step{last}
	if err := e.drv.play(ctx, []*PR{pr}, 0); err != nil {
		t.Fatal(err)
	}
	if _, wrong := waitCorrect(ctx, e.sim, a, []*PR{pr}, 30*time.Second); len(wrong) != 0 {
		t.Fatalf("after the label: %q", wrong)
	}
}

// TestOracle checks the expectations the load test compares with.
func TestOracle(t *testing.T) {
	w, err := newWorkload(3, 60, 50, 1, time.Now(), 0)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, p := range w.prs {
		seen[p.want.conclusion] = true
		switch {
		case !p.Launch && (p.want.conclusion != "success" || !strings.HasPrefix(p.want.title, "Not a launch PR")):
			t.Errorf("%s: everyday PR expects %s %q", p.Name(), p.want.conclusion, p.want.title)
		case p.Launch && p.want.conclusion == "success":
			t.Errorf("%s: launch PR without sign-offs expects success", p.Name())
		}
	}
	for _, c := range []string{"success", "failure", "action_required"} {
		if !seen[c] {
			t.Errorf("no pull request of the workload expects %s: the mix does not test it", c)
		}
	}
}

// TestWorkload checks the scripts' shape: the ratio of launch PRs, the
// event counts, and the typical pull request launch/scaling.md derives
// the expected peak from.
func TestWorkload(t *testing.T) {
	tests := []struct {
		prs, eventsPerPR int
	}{
		{20, 50},
		{100, 100},
		{4, 30},
	}
	for _, tt := range tests {
		w, err := newWorkload(5, tt.prs, tt.eventsPerPR, 2, time.Now(), 0)
		if err != nil {
			t.Fatal(err)
		}
		launch := 0
		for _, p := range w.prs {
			if n := p.events(); n < tt.eventsPerPR-10 || n > tt.eventsPerPR+10 {
				t.Errorf("%d PRs x %d: %s has %d events", tt.prs, tt.eventsPerPR, p.Name(), n)
			}
			if p.steps[0].kind != stepOpen {
				t.Errorf("%s does not start by opening", p.Name())
			}
			if p.Launch && !p.Flip {
				launch++
			}
			last := p.steps[len(p.steps)-1].kind
			if p.Flip && last != stepLabel || !p.Flip && last != stepCI {
				t.Errorf("%s ends with step %d", p.Name(), last)
			}
		}
		if want := (tt.prs + launchEvery - 1) / launchEvery; launch != want {
			t.Errorf("%d PRs: %d launch PRs, want %d (1 in %d)", tt.prs, launch, want, launchEvery)
		}
	}
	// launch/scaling.md "Load characteristics" quotes these figures.
	if got := lifecycleEvents(); got != 59 {
		t.Errorf("a typical pull request makes %d webhooks; launch/scaling.md says 59", got)
	}
	if got := ExpectedPeak.EventsPerHour(); got != 17_700 {
		t.Errorf("expected peak %.0f events/h; launch/scaling.md says 17,700", got)
	}
}

func TestPercentile(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		var d []time.Duration
		for _, n := range ns {
			d = append(d, time.Duration(n)*time.Millisecond)
		}
		return d
	}
	tests := []struct {
		d    []time.Duration
		p    float64
		want time.Duration
	}{
		{nil, 50, 0},
		{ms(7), 99, 7 * time.Millisecond},
		{ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 99, 10 * time.Millisecond},
		{ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 90, 9 * time.Millisecond},
	}
	for _, tt := range tests {
		if got := percentile(sortedDurations(tt.d), tt.p); got != tt.want {
			t.Errorf("p%.0f of %v = %s, want %s", tt.p, tt.d, got, tt.want)
		}
	}
}
