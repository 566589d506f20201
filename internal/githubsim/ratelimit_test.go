package githubsim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"
)

func TestRateLimitHeadersAndExhaustion(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	gh := f.instClient(t)

	_, resp, err := gh.Repositories.Get(ctx, "acme", "web")
	if err != nil {
		t.Fatal(err)
	}
	h := resp.Header
	if h.Get("X-RateLimit-Limit") != "5000" || h.Get("X-RateLimit-Remaining") != "4999" || h.Get("X-RateLimit-Used") != "1" ||
		h.Get("X-RateLimit-Resource") != "core" || resp.Rate.Reset.Time.Unix() != f.clock.Now().Add(time.Hour).Unix() {
		t.Fatalf("headers: %v", h)
	}
	// Errors carry the headers too.
	_, resp, _ = gh.PullRequests.Get(ctx, "acme", "web", 9)
	if resp.StatusCode != 404 || resp.Header.Get("X-RateLimit-Remaining") != "4998" {
		t.Fatalf("404 headers: %d %v", resp.StatusCode, resp.Header)
	}

	f.sim.SetRateLimit(f.inst, "core", 5000, 1)
	if _, _, err := gh.Repositories.Get(ctx, "acme", "web"); err != nil {
		t.Fatalf("last request of the hour failed: %v", err)
	}
	_, resp, err = gh.Repositories.Get(ctx, "acme", "web")
	var rle *github.RateLimitError
	if !errors.As(err, &rle) || resp.StatusCode != http.StatusForbidden || rle.Rate.Remaining != 0 ||
		rle.Message != fmt.Sprintf("API rate limit exceeded for installation ID %d.", f.inst) {
		t.Fatalf("exhausted: %v", err)
	}
	// GraphQL has its own budget, untouched.
	if out := graphql(t, f, f.token(t, f.inst), `{ __typename }`, nil); out["data"] == nil {
		t.Fatalf("graphql blocked by the REST budget: %v", out)
	}
	f.sim.SetRateLimit(f.inst, "graphql", 5000, 0)
	resp2, body := f.do(t, "POST", "/graphql", "bearer "+f.token(t, f.inst), map[string]any{"query": "{ __typename }"})
	var out struct {
		Errors []struct{ Type string } `json:"errors"`
	}
	_ = json.Unmarshal(body, &out)
	if len(out.Errors) != 1 || out.Errors[0].Type != "RATE_LIMITED" || resp2.Header.Get("X-RateLimit-Resource") != "graphql" {
		t.Fatalf("graphql exhausted: %s %v", body, resp2.Header)
	}
	// Another installation is not affected; the window resets after the hour.
	other := f.sim.AddInstallation("globex")
	f.sim.AddRepo("globex", "api", "main", map[string]string{"a": "b"})
	if _, _, err := f.client(t, f.token(t, other)).Repositories.Get(ctx, "globex", "api"); err != nil {
		t.Fatalf("other installation: %v", err)
	}
	f.clock.Add(time.Hour)
	gh = f.instClient(t)
	if _, _, err := gh.Repositories.Get(ctx, "acme", "web"); err != nil {
		t.Fatalf("after reset: %v", err)
	}
}

func TestConditionalRequestsDoNotCount(t *testing.T) {
	f := newFixture(t)
	auth := "token " + f.token(t, f.inst)
	resp, body := f.do(t, "GET", "/repos/acme/web/contents/README.md", auth, nil)
	etag := resp.Header.Get("ETag")
	if resp.StatusCode != 200 || etag == "" {
		t.Fatalf("first GET: %d etag %q", resp.StatusCode, etag)
	}
	used, _ := strconv.Atoi(resp.Header.Get("X-RateLimit-Used"))
	for i := range 3 {
		resp, b := f.do(t, "GET", "/repos/acme/web/contents/README.md", auth, nil, "If-None-Match", etag)
		if resp.StatusCode != http.StatusNotModified || len(b) != 0 || resp.Header.Get("ETag") != etag {
			t.Fatalf("conditional GET %d: %d %q", i, resp.StatusCode, b)
		}
		if got, _ := strconv.Atoi(resp.Header.Get("X-RateLimit-Used")); got != used {
			t.Fatalf("304 counted against the limit: used %d → %d", used, got)
		}
	}
	// The same request yields the same ETag; a change yields a new one.
	if again, b := f.do(t, "GET", "/repos/acme/web/contents/README.md", auth, nil); again.Header.Get("ETag") != etag || string(b) != string(body) {
		t.Fatal("ETag not stable")
	}
	f.sim.Push("acme", "web", "main", map[string]string{"README.md": "changed\n"})
	if resp, _ := f.do(t, "GET", "/repos/acme/web/contents/README.md", auth, nil, "If-None-Match", etag); resp.StatusCode != 200 {
		t.Fatalf("stale ETag answered %d", resp.StatusCode)
	}
}

func TestFaultInjection(t *testing.T) {
	// Same seed, same sequence of failures.
	pattern := func() string {
		f := newFixture(t)
		auth := "token " + f.token(t, f.inst)
		f.sim.InjectFaults(Faults{ServerErrorRate: 0.5, Seed: 7})
		var out []byte
		for range 40 {
			resp, body := f.do(t, "GET", "/repos/acme/web", auth, nil)
			switch resp.StatusCode {
			case 500:
				if errMessage(t, body) != "Server Error" {
					t.Fatalf("5xx body %s", body)
				}
				out = append(out, 'x')
			case 200:
				out = append(out, '.')
			default:
				t.Fatalf("status %d", resp.StatusCode)
			}
		}
		return string(out)
	}
	a, b := pattern(), pattern()
	if a != b {
		t.Fatalf("not deterministic:\n%s\n%s", a, b)
	}
	if n := len(a) - len(bytesWithout(a, 'x')); n < 10 || n > 30 {
		t.Fatalf("%d of 40 failed at rate 0.5: %s", n, a)
	}

	f := newFixture(t)
	gh := f.instClient(t)
	f.sim.InjectFaults(Faults{SecondaryRateLimitEvery: 3, RetryAfter: 30 * time.Second, Latency: 20 * time.Millisecond})
	ctx := context.Background()
	start := time.Now()
	for i := 1; i <= 3; i++ {
		_, resp, err := gh.Repositories.Get(ctx, "acme", "web")
		if i < 3 && err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if i == 3 {
			var abuse *github.AbuseRateLimitError
			if !errors.As(err, &abuse) || abuse.GetRetryAfter() != 30*time.Second || resp.StatusCode != 403 || resp.Header.Get("X-RateLimit-Remaining") == "0" {
				t.Fatalf("secondary limit: %v", err)
			}
		}
	}
	if time.Since(start) < 60*time.Millisecond {
		t.Errorf("latency not injected")
	}
	auth := "token " + f.token(t, f.inst)
	f.sim.InjectFaults(Faults{SecondaryRateLimitEvery: 1, SecondaryRateLimitStatus: 429})
	resp, _ := f.do(t, "GET", "/repos/acme/web", auth, nil)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "60" {
		t.Fatalf("429 variant: %d %v", resp.StatusCode, resp.Header)
	}
	f.sim.InjectFaults(Faults{})
	reqs := f.sim.Requests()
	last := reqs[len(reqs)-1]
	if last.Status != 429 || last.Method != "GET" || last.Path != "/repos/acme/web" {
		t.Fatalf("recorded %+v", last)
	}
}

func bytesWithout(s string, c byte) string {
	var out []byte
	for i := range len(s) {
		if s[i] != c {
			out = append(out, s[i])
		}
	}
	return string(out)
}

func TestRequestsRecorded(t *testing.T) {
	f := newFixture(t)
	gh := f.instClient(t)
	f.sim.ResetRequests()
	_, _, _ = gh.Checks.CreateCheckRun(context.Background(), "acme", "web", github.CreateCheckRunOptions{Name: "g", HeadSHA: f.repo.HeadSHA})
	graphql(t, f, f.token(t, f.inst), `{ __typename }`, nil)
	reqs := f.sim.Requests()
	var paths []string
	for _, r := range reqs {
		paths = append(paths, r.Method+" "+r.Path)
	}
	want := []string{"POST /repos/acme/web/check-runs", "POST /app/installations/" + strconv.FormatInt(f.inst, 10) + "/access_tokens", "POST /graphql"}
	if fmt.Sprint(paths) != fmt.Sprint(want) {
		t.Fatalf("paths %v, want %v", paths, want)
	}
	var body map[string]any
	if err := json.Unmarshal(reqs[0].Body, &body); err != nil || body["name"] != "g" || reqs[0].Status != 201 {
		t.Fatalf("recorded body %s status %d", reqs[0].Body, reqs[0].Status)
	}
	if line, err := json.Marshal(reqs[0]); err != nil || !json.Valid(line) {
		t.Fatalf("not JSON-lines friendly: %v", err)
	}
}

// TestConcurrentUse runs pushes, webhook handling that calls back into the
// API, and API reads at once; run with -race.
func TestConcurrentUse(t *testing.T) {
	f := newFixture(t)
	tok := f.token(t, f.inst)
	gh := f.client(t, tok)
	// The App answers every pull_request webhook by posting a check run,
	// calling the simulator while a delivery is in flight.
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev github.PullRequestEvent
		if r.Header.Get("X-GitHub-Event") == "pull_request" && json.NewDecoder(r.Body).Decode(&ev) == nil {
			_, _, err := gh.Checks.CreateCheckRun(r.Context(), "acme", "web", github.CreateCheckRunOptions{
				Name: "launchgate", HeadSHA: ev.GetPullRequest().GetHead().GetSHA(), Conclusion: github.String("success"),
			})
			if err != nil {
				w.WriteHeader(500)
				return
			}
		}
		w.WriteHeader(202)
	})
	srv := newServer(t, app)
	f.sim.SetWebhookURL(srv)

	const workers, perWorker = 8, 10
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				branch := fmt.Sprintf("b%d-%d", w, i)
				f.sim.Push("acme", "web", branch, map[string]string{branch + ".txt": branch})
				n := f.sim.OpenPR("acme", "web", PRSpec{Title: branch, Head: branch})
				if _, _, err := gh.PullRequests.Get(context.Background(), "acme", "web", n); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	f.sim.WaitForDeliveries()
	var failed int
	for _, d := range f.sim.Deliveries() {
		if d.GetStatus() != "OK" {
			failed++
		}
	}
	if n := len(f.sim.Deliveries()); failed != 0 || n != workers*perWorker*5 { // push, check_suite, opened, check_run created+completed
		t.Fatalf("%d deliveries, %d failed", n, failed)
	}
}
