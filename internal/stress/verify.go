package stress

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/launchgate/launchgate/internal/githubsim"
	"github.com/launchgate/launchgate/internal/server"
)

// wrongRuns compares each pull request's Production readiness run on its
// latest head with the oracle's expectation, and returns one line for each
// pull request that does not have the run it must have.
func wrongRuns(sim *githubsim.Server, prs []*PR) []string {
	var wrong []string
	for _, p := range prs {
		if p.head == "" || p.number == 0 {
			wrong = append(wrong, p.Name()+": never opened")
			continue
		}
		// The newest run of this App is the one GitHub shows.
		var latest *github.CheckRun
		for _, r := range sim.CheckRuns(org, p.Repo, p.head) {
			if r.GetName() == server.CheckName && r.GetApp().GetID() == appID {
				latest = r
			}
		}
		switch {
		case latest == nil:
			wrong = append(wrong, fmt.Sprintf("%s: no %q run on head %.7s; want %s %q", p.Name(), server.CheckName, p.head, p.want.conclusion, p.want.title))
		case latest.GetStatus() != "completed" || latest.GetConclusion() != p.want.conclusion || latest.GetOutput().GetTitle() != p.want.title:
			wrong = append(wrong, fmt.Sprintf("%s: head %.7s has %s %s %q; want %s %q", p.Name(), p.head,
				latest.GetStatus(), latest.GetConclusion(), latest.GetOutput().GetTitle(), p.want.conclusion, p.want.title))
		}
	}
	return wrong
}

// waitCorrect polls until every pull request has its run, and then until
// the App is idle (nothing queued, no evaluation finishing) and they
// still all have it. It returns when they first all had it (zero if never
// within limit) and what is wrong at the end.
func waitCorrect(ctx context.Context, sim *githubsim.Server, a app, prs []*PR, limit time.Duration) (time.Time, []string) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for {
		wrong := wrongRuns(sim, prs)
		if len(wrong) == 0 {
			break
		}
		select {
		case <-ctx.Done():
			return time.Time{}, wrong
		case <-time.After(200 * time.Millisecond):
		}
	}
	at := time.Now()
	waitIdle(ctx, a)
	return at, wrongRuns(sim, prs)
}

// waitIdle waits until nothing waits in the App's queue, no evaluation
// runs, and its evaluation count stays put for half a second.
func waitIdle(ctx context.Context, a app) {
	last := -1.0
	for {
		m, err := scrape(ctx, a.internal())
		if err != nil {
			return
		}
		evals := m["launchgate_evaluations_total"]
		if m["launchgate_queue_depth"] == 0 && m["launchgate_evaluations_running"] == 0 && evals == last {
			return
		}
		last = evals
		select {
		case <-ctx.Done():
			return
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// latencies collects acknowledgement times.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.d = append(l.d, d)
}

// take returns the collected times and starts afresh.
func (l *latencies) take() []time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	d := l.d
	l.d = nil
	return d
}

// percentile is the p-th percentile (0..100) by the nearest-rank method.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p/100+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func sortedDurations(d []time.Duration) []time.Duration {
	d = slices.Clone(d)
	slices.Sort(d)
	return d
}
