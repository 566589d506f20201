package githubapi

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/launchgate/launchgate/internal/githubsim"
)

// fakeClock is a Retrier's clock whose Sleep returns at once and moves the
// clock on, so that waits of minutes take no time and can be read back.
type fakeClock struct {
	mu    sync.Mutex
	t     time.Time
	slept []time.Duration
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Now()} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	c.slept = append(c.slept, d)
	return ctx.Err()
}

func (c *fakeClock) sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.slept)
}

// retrying is a Retrier on a fake clock, with what it reports.
type retrying struct {
	*Retrier
	clock *fakeClock
	mu    sync.Mutex
	why   []string       // OnRetry reasons
	left  map[string]int // OnRateLimit: "installation/resource" -> remaining
}

func newRetrying(opts RetryOptions) *retrying {
	r := &retrying{clock: newFakeClock(), left: map[string]int{}}
	opts.Now, opts.Sleep = r.clock.Now, r.clock.Sleep
	opts.Jitter = func(d time.Duration) time.Duration { return d } // the backoff's upper bound
	opts.OnRetry = func(reason string) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.why = append(r.why, reason)
	}
	opts.OnRateLimit = func(inst int64, res string, n int) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.left[res] = n
	}
	r.Retrier = NewRetrier(opts)
	return r
}

func (r *retrying) reasons() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.why)
}

// statuses lists the simulator's answers to requests whose path contains
// part, in order.
func statuses(sim *githubsim.Server, part string) []int {
	var out []int
	for _, r := range sim.Requests() {
		if strings.Contains(r.Path, part) {
			out = append(out, r.Status)
		}
	}
	return out
}

// TestRetriesSurviveSimulatorFaults reads a pull request (policy over
// GraphQL, changed files, head tree) and publishes its run while the
// simulator injects faults: every read succeeds and says what a fault-free
// read says, and the faults were really met and retried.
func TestRetriesSurviveSimulatorFaults(t *testing.T) {
	tests := []struct {
		name   string
		faults githubsim.Faults
		reason string // a retry reason that must have been reported
		wait   time.Duration
	}{
		{"30% server errors", githubsim.Faults{ServerErrorRate: 0.3, Seed: 3}, "server_error", 0},
		{"secondary limit, 403 with Retry-After", githubsim.Faults{SecondaryRateLimitEvery: 4, RetryAfter: 7 * time.Second}, "secondary_rate_limit", 7 * time.Second},
		{"secondary limit, 429", githubsim.Faults{SecondaryRateLimitEvery: 3, SecondaryRateLimitStatus: http.StatusTooManyRequests, RetryAfter: 2 * time.Second}, "secondary_rate_limit", 2 * time.Second},
		{"slow answers", githubsim.Faults{Latency: 20 * time.Millisecond}, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, githubsim.Options{})
			pr := e.repo("svc", map[string]string{"README.md": "r", "launch.yml": "x"}, kit)
			r := newRetrying(RetryOptions{})
			c := NewClient(r.ClientCreator(e.cc), Options{AppID: testAppID})
			e.sim.InjectFaults(tt.faults)
			ctx := context.Background()
			if _, err := c.Policy(ctx, pr); err != nil {
				t.Fatalf("policy: %v", err)
			}
			files, err := c.ChangedFiles(ctx, pr)
			if err != nil {
				t.Fatalf("changed files: %v", err)
			}
			fsys, err := c.HeadTree(ctx, pr, []string{"launch/**"})
			if err != nil {
				t.Fatalf("head tree: %v", err)
			}
			e.sim.InjectFaults(githubsim.Faults{})
			if len(files) != len(kit) {
				t.Errorf("%d changed files, want %d", len(files), len(kit))
			}
			for p, want := range kit {
				if got, err := fs.ReadFile(fsys, p); err != nil || string(got) != want {
					t.Errorf("%s = %q, %v; want %q", p, got, err, want)
				}
			}
			if tt.reason != "" && !slices.Contains(r.reasons(), tt.reason) {
				t.Errorf("no %s retry reported; reasons %v; statuses %v", tt.reason, r.reasons(), statuses(e.sim, "/"))
			}
			if tt.wait > 0 && !slices.Contains(r.clock.sleeps(), tt.wait) {
				t.Errorf("never waited the Retry-After of %s; waits %v", tt.wait, r.clock.sleeps())
			}
		})
	}
}

// TestWhatIsRetried sends single requests through a Retrier while every
// request fails, and counts the attempts GitHub saw.
func TestWhatIsRetried(t *testing.T) {
	e := newEnv(t, githubsim.Options{})
	pr := e.repo("svc", map[string]string{"README.md": "r"}, kit)
	r := newRetrying(RetryOptions{MaxAttempts: 4})
	gh, err := r.ClientCreator(e.cc).NewInstallationClient(e.inst)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// Fetch the installation token first: the faults below would fail it.
	if _, _, err := gh.Repositories.Get(ctx, "acme", "svc"); err != nil {
		t.Fatal(err)
	}
	annotated := github.UpdateCheckRunOptions{Name: "x", Output: &github.CheckRunOutput{
		Title: github.String("t"), Summary: github.String("s"),
		Annotations: []*github.CheckRunAnnotation{{Path: github.String("a"), StartLine: github.Int(1), EndLine: github.Int(1), AnnotationLevel: github.String("notice"), Message: github.String("m")}},
	}}
	tests := []struct {
		name     string
		faults   githubsim.Faults
		call     func() error
		path     string
		attempts int
	}{
		{"GET on 500", githubsim.Faults{ServerErrorRate: 1}, func() error {
			_, _, err := gh.PullRequests.Get(ctx, "acme", "svc", pr.Number)
			return err
		}, "/pulls/", 4},
		{"check-run POST on 500: GitHub may have created it", githubsim.Faults{ServerErrorRate: 1}, func() error {
			_, _, err := gh.Checks.CreateCheckRun(ctx, "acme", "svc", github.CreateCheckRunOptions{Name: "x", HeadSHA: pr.HeadSHA})
			return err
		}, "/check-runs", 1},
		{"check-run PATCH without annotations on 500: idempotent", githubsim.Faults{ServerErrorRate: 1}, func() error {
			_, _, err := gh.Checks.UpdateCheckRun(ctx, "acme", "svc", 1, github.UpdateCheckRunOptions{Name: "x", Status: github.String("completed"), Conclusion: github.String("success")})
			return err
		}, "/check-runs/1", 4},
		{"check-run PATCH with annotations on 500: they would be appended twice", githubsim.Faults{ServerErrorRate: 1}, func() error {
			_, _, err := gh.Checks.UpdateCheckRun(ctx, "acme", "svc", 1, annotated)
			return err
		}, "/check-runs/1", 1},
		{"check-run POST on a secondary limit: GitHub refused it", githubsim.Faults{SecondaryRateLimitEvery: 1, RetryAfter: time.Second}, func() error {
			_, _, err := gh.Checks.CreateCheckRun(ctx, "acme", "svc", github.CreateCheckRunOptions{Name: "x", HeadSHA: pr.HeadSHA})
			return err
		}, "/check-runs", 4},
		{"404 is permanent", githubsim.Faults{}, func() error {
			_, _, err := gh.PullRequests.Get(ctx, "acme", "svc", 999)
			return err
		}, "/pulls/999", 1},
		{"422 is permanent", githubsim.Faults{}, func() error {
			_, _, err := gh.Checks.CreateCheckRun(ctx, "acme", "svc", github.CreateCheckRunOptions{Name: "x", HeadSHA: "not-a-sha"})
			return err
		}, "/check-runs", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.sim.ResetRequests()
			e.sim.InjectFaults(tt.faults)
			err := tt.call()
			e.sim.InjectFaults(githubsim.Faults{})
			if err == nil {
				t.Fatal("the call succeeded; every attempt should have failed")
			}
			if got := statuses(e.sim, tt.path); len(got) != tt.attempts {
				t.Errorf("GitHub saw %d attempts (%v), want %d", len(got), got, tt.attempts)
			}
		})
	}
}

// TestAttemptTimeout: an answer slower than AttemptTimeout is a timeout; a
// GET is sent again, a check-run POST is not (GitHub may have acted).
func TestAttemptTimeout(t *testing.T) {
	e := newEnv(t, githubsim.Options{})
	pr := e.repo("svc", map[string]string{"README.md": "r"}, kit)
	r := newRetrying(RetryOptions{MaxAttempts: 3, AttemptTimeout: 50 * time.Millisecond})
	gh, err := r.ClientCreator(e.cc).NewInstallationClient(e.inst)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, _, err := gh.Repositories.Get(ctx, "acme", "svc"); err != nil {
		t.Fatal(err)
	}
	// The warm-up fetched the installation token; on a loaded machine that
	// may itself have needed a retry, which is not what this test counts.
	r.mu.Lock()
	r.why = nil
	r.mu.Unlock()
	e.sim.InjectFaults(githubsim.Faults{Latency: 200 * time.Millisecond})
	defer e.sim.InjectFaults(githubsim.Faults{})
	if _, _, err := gh.PullRequests.Get(ctx, "acme", "svc", pr.Number); err == nil {
		t.Fatal("GET succeeded although every answer is late")
	}
	if got := r.reasons(); !slices.Equal(got, []string{"timeout", "timeout"}) {
		t.Errorf("GET retries %v, want two timeouts", got)
	}
	if _, _, err := gh.Checks.CreateCheckRun(ctx, "acme", "svc", github.CreateCheckRunOptions{Name: "x", HeadSHA: pr.HeadSHA}); err == nil {
		t.Fatal("POST succeeded although every answer is late")
	}
	if got := r.reasons(); len(got) != 2 {
		t.Errorf("the POST was retried: reasons %v", got)
	}
}

// TestConnectionRefusedIsRetried: a request that never reached GitHub is
// sent again, whatever its method.
func TestConnectionRefusedIsRetried(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	r := newRetrying(RetryOptions{MaxAttempts: 3})
	hc := &http.Client{Transport: r.Transport(http.DefaultTransport, 1)}
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/repos/o/r/check-runs", bytes.NewReader([]byte(`{"name":"x"}`)))
	if _, err := hc.Do(req); err == nil {
		t.Fatal("request to a closed port succeeded")
	}
	if got := r.reasons(); !slices.Equal(got, []string{"connection", "connection"}) {
		t.Errorf("retries %v, want two for the refused connection", got)
	}
}

// TestPrimaryLimitPacing: below Reserve, an installation's requests are
// spaced so that what remains lasts until the reset; an exhausted limit
// fails at once, with nothing sent, until the reset.
func TestPrimaryLimitPacing(t *testing.T) {
	e := newEnv(t, githubsim.Options{})
	pr := e.repo("svc", map[string]string{"README.md": "r"}, kit)
	r := newRetrying(RetryOptions{Reserve: 500, MaxTime: 10 * time.Minute})
	gh, err := r.ClientCreator(e.cc).NewInstallationClient(e.inst)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	e.sim.SetRateLimit(e.inst, "core", 5000, 100)
	for range 4 {
		if _, _, err := gh.PullRequests.Get(ctx, "acme", "svc", pr.Number); err != nil {
			t.Fatal(err)
		}
	}
	// The first answer says 99 are left for up to an hour: from then on
	// requests leave at most one every 3600s/99 ≈ 36s (the second at once,
	// the third and fourth 36s apart).
	sleeps := r.clock.sleeps()
	if len(sleeps) != 2 || sleeps[0] < 30*time.Second || sleeps[0] > 37*time.Second {
		t.Errorf("waits %v; want two of about 36s", sleeps)
	}
	if r.left["core"] >= 100 || r.left["core"] < 90 {
		t.Errorf("remaining limit reported as %d", r.left["core"])
	}

	e.sim.SetRateLimit(e.inst, "core", 5000, 0)
	e.sim.ResetRequests()
	for i := range 2 {
		_, _, err := gh.PullRequests.Get(ctx, "acme", "svc", pr.Number)
		var limited *RateLimitedError
		if !errors.As(err, &limited) || limited.Secondary || limited.Installation != e.inst {
			t.Fatalf("request %d: %v; want a primary RateLimitedError", i+1, err)
		}
		if wait, ok := RetryAfter(err, r.clock.Now()); !ok || wait < 50*time.Minute {
			t.Errorf("RetryAfter = %s, %v; want the reset, about an hour away", wait, ok)
		}
	}
	if got := statuses(e.sim, "/pulls/"); !slices.Equal(got, []int{http.StatusForbidden}) {
		t.Errorf("GitHub saw %v; want one 403, then nothing until the reset", got)
	}
}

// TestSecondaryLimitLongerThanMaxTime: a secondary limit longer than a
// request may wait fails it with a RateLimitedError, holds back the
// installation's next requests without sending them, and, unlike go-github's
// own memory of a secondary-limit 403, lets requests through once it has
// passed.
func TestSecondaryLimitLongerThanMaxTime(t *testing.T) {
	e := newEnv(t, githubsim.Options{})
	pr := e.repo("svc", map[string]string{"README.md": "r"}, kit)
	r := newRetrying(RetryOptions{MaxTime: 30 * time.Second})
	gh, err := r.ClientCreator(e.cc).NewInstallationClient(e.inst)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, _, err := gh.Repositories.Get(ctx, "acme", "svc"); err != nil {
		t.Fatal(err)
	}
	e.sim.ResetRequests()
	e.sim.InjectFaults(githubsim.Faults{SecondaryRateLimitEvery: 1, RetryAfter: 2 * time.Minute})
	for i := range 2 {
		_, _, err := gh.PullRequests.Get(ctx, "acme", "svc", pr.Number)
		var limited *RateLimitedError
		if !errors.As(err, &limited) || !limited.Secondary {
			t.Fatalf("request %d: %v; want a secondary RateLimitedError", i+1, err)
		}
	}
	if n := len(statuses(e.sim, "/pulls/")); n != 1 {
		t.Errorf("GitHub saw %d requests; the second must wait, not be sent", n)
	}
	e.sim.InjectFaults(githubsim.Faults{})
	_ = r.clock.Sleep(ctx, 2*time.Minute+time.Second)
	if _, _, err := gh.PullRequests.Get(ctx, "acme", "svc", pr.Number); err != nil {
		t.Fatalf("after the Retry-After: %v", err)
	}
}

func TestSafeToRepeat(t *testing.T) {
	req := func(method, path, body string) *http.Request {
		r, err := http.NewRequest(method, "https://api.github.com"+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if body == "" {
			r.Body, r.GetBody = http.NoBody, nil
		}
		return r
	}
	tests := []struct {
		r    *http.Request
		want bool
	}{
		{req("GET", "/repos/o/r/pulls/1", ""), true},
		{req("DELETE", "/repos/o/r/labels/x", ""), true},
		{req("POST", "/repos/o/r/check-runs", `{"name":"x"}`), false},
		{req("POST", "/graphql", `{"query":"query { viewer { login } }"}`), true},
		{req("POST", "/graphql", `{"query":"{ viewer { login } }"}`), true},
		{req("POST", "/api/graphql", `{"query":" mutation { addComment }"}`), false},
		{req("PATCH", "/repos/o/r/check-runs/7", `{"status":"completed","output":{"title":"t","summary":"s"}}`), true},
		{req("PATCH", "/api/v3/repos/o/r/check-runs/7", `{"output":{"title":"t","summary":"s","annotations":[{"path":"a"}]}}`), false},
		{req("PATCH", "/repos/o/r/issues/comments/7", `{"body":"b"}`), false},
		{req("POST", "/app/hook/deliveries/1/attempts", ""), false},
	}
	for _, tt := range tests {
		if got := safeToRepeat(tt.r); got != tt.want {
			t.Errorf("%s %s: %v, want %v", tt.r.Method, tt.r.URL.Path, got, tt.want)
		}
	}
}
