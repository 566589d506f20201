package githubapi

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/palantir/go-githubapp/githubapp"
)

// RetryOptions configures a Retrier. The zero value is usable.
type RetryOptions struct {
	// MaxTime bounds one request: its attempts and every wait between them,
	// for backoff or for a rate limit. A request that would have to wait
	// longer fails at once. Default 90 seconds: more than the 60 seconds
	// GitHub usually asks for after a secondary rate limit, so that such a
	// limit is waited out rather than turned into a failure.
	MaxTime time.Duration
	// AttemptTimeout bounds one attempt, from sending the request to
	// reading the last byte of the answer. Default 20 seconds.
	AttemptTimeout time.Duration
	// MaxAttempts is the most attempts a request gets. Default 6.
	MaxAttempts int
	// BaseDelay and MaxDelay shape the backoff after a 5xx, a timeout or a
	// connection error: before retry n the request sleeps a random time in
	// [0, min(MaxDelay, BaseDelay·2ⁿ)) ("full jitter", so that replicas
	// that failed together do not retry together). Defaults 250 ms and 8 s.
	BaseDelay, MaxDelay time.Duration
	// Reserve is the primary rate limit below which requests are paced:
	// with r requests left and t until x-ratelimit-reset, requests of the
	// installation leave at most one every t/r, so that what remains lasts
	// until the reset instead of running out in a burst. Default 500.
	Reserve int
	// OnRateLimit, when set, is told the primary limit an answer reports:
	// the installation (0 for requests made as the App itself, with its
	// JWT), the resource ("core", "graphql", …) and what remains of it.
	OnRateLimit func(installation int64, resource string, remaining int)
	// OnRetry, when set, is told every retry and why: "server_error",
	// "timeout", "connection", "token", "secondary_rate_limit" or
	// "primary_rate_limit".
	OnRetry func(reason string)
	// Now and Sleep are the clock. Sleep must return ctx.Err() when ctx ends
	// first. Defaults: time.Now and a timer. Tests replace both.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// Jitter returns a random duration in [0, d). Default math/rand/v2.
	Jitter func(d time.Duration) time.Duration
}

const (
	defaultRetryMaxTime   = 90 * time.Second
	defaultAttemptTimeout = 20 * time.Second
	defaultMaxAttempts    = 6
	defaultBaseDelay      = 250 * time.Millisecond
	defaultMaxDelay       = 8 * time.Second
	defaultReserve        = 500
	// secondaryDefaultWait is the wait after a secondary rate limit that
	// names none: "wait for at least one minute before retrying"
	// (https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api).
	secondaryDefaultWait = time.Minute
	// maxErrorBody is how much of a 403 is read to tell a secondary rate
	// limit from a permission error. GitHub's error bodies are a few
	// hundred bytes.
	maxErrorBody = 64 << 10
)

// Retrier makes launchgate's GitHub requests survive GitHub's faults. It is
// an http.RoundTripper middleware, installed on every App and installation
// client through ClientCreator, and shared by all of them: rate limits
// belong to an installation, not to a request, so what one request learns
// (a secondary limit to wait out, a primary limit running low) holds back
// the installation's other requests too.
//
// What is retried, and why (GitHub's guidance:
// https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api,
// https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api):
//
//   - 5xx answers, timeouts and connection errors, for requests that are
//     safe to repeat: GET, HEAD, OPTIONS, PUT, DELETE, GraphQL queries, and
//     a check-run PATCH without annotations (it sets fields to values, so
//     sending it twice leaves the run as sending it once). A PATCH with
//     annotations is not repeated after GitHub may have applied it: GitHub
//     appends the annotations of every update, so a repeat would duplicate
//     them. Other POSTs (creating a check run, requesting reviewers,
//     redelivering a webhook) are not repeated either: a 5xx or a timeout
//     does not say whether GitHub acted, and a second check run, unlike a
//     failed request, is visible to people. The caller's error path and the
//     reconciler repair what a failed request left undone.
//   - Any request that provably did not reach GitHub: a connection that
//     was never established, an installation token that could not be
//     fetched, and answers that refuse a request without acting on it (a
//     secondary rate limit, 403 or 429; an exhausted primary limit).
//   - A secondary rate limit is waited out for its Retry-After (a minute
//     when none is given), and the whole installation waits with it. An
//     exhausted primary limit is waited out until x-ratelimit-reset when
//     that fits in MaxTime.
//
// Everything else, 404, 422 and other 4xx answers included, is returned at
// once: repeating a request GitHub refused as wrong gets the same answer.
//
// A request waits; it never spins. When the wait it needs is longer than
// its MaxTime (or its context's deadline), it fails at once, before
// sending anything, with a *RateLimitedError. A secondary limit that
// cannot be waited out is reported that way too rather than by GitHub's
// 403: go-github v60 remembers a secondary-limit 403 and refuses every
// later request of the same client locally until Retry-After has passed
// (Client.checkSecondaryRateLimitBeforeDo), which would make queued
// evaluations fail one after another in a tight loop; instead each one
// waits here for its turn.
type Retrier struct {
	opts RetryOptions

	mu     sync.Mutex
	limits map[limitKey]*limitState
}

type limitKey struct {
	installation int64
	resource     string
}

// limitState is what the answers so far say about an installation's limit
// for one resource. The map holds one per installation and resource: a
// few hundred bytes per installation.
type limitState struct {
	known     bool
	remaining int
	reset     time.Time
	// blockedUntil is when a secondary rate limit ends.
	blockedUntil time.Time
	// nextSlot is the earliest time the next paced request may leave.
	nextSlot time.Time
}

// NewRetrier returns a Retrier; see RetryOptions for the defaults.
func NewRetrier(opts RetryOptions) *Retrier {
	if opts.MaxTime <= 0 {
		opts.MaxTime = defaultRetryMaxTime
	}
	if opts.AttemptTimeout <= 0 {
		opts.AttemptTimeout = defaultAttemptTimeout
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = defaultMaxAttempts
	}
	if opts.BaseDelay <= 0 {
		opts.BaseDelay = defaultBaseDelay
	}
	if opts.MaxDelay <= 0 {
		opts.MaxDelay = defaultMaxDelay
	}
	if opts.Reserve <= 0 {
		opts.Reserve = defaultReserve
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Sleep == nil {
		opts.Sleep = sleep
	}
	if opts.Jitter == nil {
		opts.Jitter = func(d time.Duration) time.Duration {
			if d <= 0 {
				return 0
			}
			return rand.N(d)
		}
	}
	return &Retrier{opts: opts, limits: map[limitKey]*limitState{}}
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// RateLimitedError is returned, with nothing sent, when a request would
// have to wait for a rate limit past its MaxTime or its context's
// deadline. RetryAfter(err) tells how long.
type RateLimitedError struct {
	Installation int64
	Resource     string
	// Until is when the limit allows requests again.
	Until time.Time
	// Secondary is true for a secondary rate limit, false for the primary
	// limit running out.
	Secondary bool
}

func (e *RateLimitedError) Error() string {
	kind := "primary"
	if e.Secondary {
		kind = "secondary"
	}
	who := fmt.Sprintf("installation %d", e.Installation)
	if e.Installation == 0 {
		who = "the App"
	}
	return fmt.Sprintf("GitHub %s rate limit (%s) of %s: no requests until %s; not sent", kind, e.Resource, who, e.Until.UTC().Format(time.RFC3339))
}

// ClientCreator returns cc with the Retrier installed on the REST clients
// it creates for the App (NewAppClient) and its installations
// (NewInstallationClient); a Client built on it, and the GraphQL requests
// it sends through the installation's http.Client, retry too. The
// clients' overall timeout is raised to MaxTime plus one attempt, so that
// it does not cut a retry short.
func (r *Retrier) ClientCreator(cc githubapp.ClientCreator) githubapp.ClientCreator {
	return retryingCreator{ClientCreator: cc, r: r}
}

type retryingCreator struct {
	githubapp.ClientCreator
	r *Retrier
}

func (c retryingCreator) NewAppClient() (*github.Client, error) {
	gh, err := c.ClientCreator.NewAppClient()
	if err != nil {
		return nil, err
	}
	return c.r.wrapClient(gh, 0), nil
}

func (c retryingCreator) NewInstallationClient(id int64) (*github.Client, error) {
	gh, err := c.ClientCreator.NewInstallationClient(id)
	if err != nil {
		return nil, err
	}
	return c.r.wrapClient(gh, id), nil
}

// wrapClient returns a client like gh whose transport retries. gh itself is
// left as it is: a caching ClientCreator may hand it to others.
func (r *Retrier) wrapClient(gh *github.Client, installation int64) *github.Client {
	hc := gh.Client() // a copy
	if hc.Transport == nil {
		hc.Transport = http.DefaultTransport
	}
	hc.Transport = r.Transport(hc.Transport, installation)
	if limit := r.opts.MaxTime + r.opts.AttemptTimeout; hc.Timeout != 0 && hc.Timeout < limit {
		hc.Timeout = limit
	}
	out := github.NewClient(hc)
	out.BaseURL, out.UploadURL, out.UserAgent = gh.BaseURL, gh.UploadURL, gh.UserAgent
	return out
}

// Transport returns next with retries, for the requests of one
// installation (0: the App itself).
func (r *Retrier) Transport(next http.RoundTripper, installation int64) http.RoundTripper {
	return &retryTransport{r: r, next: next, installation: installation}
}

type retryTransport struct {
	r            *Retrier
	next         http.RoundTripper
	installation int64
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := t.r
	ctx := req.Context()
	deadline := r.opts.Now().Add(r.opts.MaxTime)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	key := limitKey{t.installation, resourceOf(req)}
	replayable := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	repeatable := replayable && safeToRepeat(req)
	for attempt := 0; ; attempt++ {
		if err := r.await(ctx, key, deadline); err != nil {
			closeBody(req)
			return nil, err
		}
		areq, err := attemptRequest(req, attempt)
		if err != nil {
			return nil, err
		}
		resp, err := t.send(areq)
		r.observe(t.installation, key, resp)
		v := r.judge(ctx, key, resp, err)
		retry := v.retry == always || v.retry == ifRepeatable && repeatable
		if !retry || !replayable || attempt+1 >= r.opts.MaxAttempts {
			if v.limit != nil {
				// A rate limit is reported as such, never as GitHub's
				// 403, which go-github would remember (see Retrier).
				discard(resp)
				return nil, v.limit
			}
			return resp, err
		}
		wait := v.wait
		if wait < 0 {
			wait = r.opts.Jitter(min(r.opts.MaxDelay, r.opts.BaseDelay<<attempt))
		}
		if r.opts.Now().Add(wait).After(deadline) {
			if v.limit != nil {
				// A rate limit longer than the request may wait: say so
				// without handing go-github the 403 it would remember.
				discard(resp)
				return nil, v.limit
			}
			return resp, err
		}
		discard(resp)
		if r.opts.OnRetry != nil {
			r.opts.OnRetry(v.reason)
		}
		if err := r.opts.Sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// attemptRequest is req for attempt n: the first attempt sends req's body,
// later ones a fresh copy of it.
func attemptRequest(req *http.Request, n int) (*http.Request, error) {
	if n == 0 {
		return req, nil
	}
	out := req.Clone(req.Context())
	if req.Body != nil && req.Body != http.NoBody {
		body, err := req.GetBody()
		if err != nil {
			return nil, fmt.Errorf("replaying the request body: %w", err)
		}
		out.Body = body
	}
	return out, nil
}

// send makes one attempt under AttemptTimeout. The timeout covers reading
// the body too: its context is released when the caller closes the body.
func (t *retryTransport) send(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(req.Context(), t.r.opts.AttemptTimeout)
	resp, err := t.next.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		if ctx.Err() == context.DeadlineExceeded && req.Context().Err() == nil {
			return nil, &attemptTimeoutError{err}
		}
		return nil, err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

type attemptTimeoutError struct{ err error }

func (e *attemptTimeoutError) Error() string { return "attempt timed out: " + e.err.Error() }
func (e *attemptTimeoutError) Unwrap() error { return e.err }

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

func discard(resp *http.Response) {
	if resp == nil {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
	_ = resp.Body.Close()
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}
