package githubapi

// The judgement half of the Retrier: after each attempt, whether to retry,
// how long to wait (backoff, Retry-After, a rate limit's reset), and what
// GitHub's rate-limit headers say about the installation's budget. See
// https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api
// and https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
)

type retryKind int

const (
	never        retryKind = iota
	ifRepeatable           // GitHub may have acted on the request
	always                 // GitHub provably did not act on it
)

// verdict is what to do after an attempt.
type verdict struct {
	retry  retryKind
	reason string
	// wait before the next attempt; negative means backoff.
	wait time.Duration
	// limit is the error to return when wait does not fit in the request's
	// time.
	limit *RateLimitedError
}

// judge classifies an attempt's outcome.
func (r *Retrier) judge(ctx context.Context, key limitKey, resp *http.Response, err error) verdict {
	backoff := time.Duration(-1)
	if err != nil {
		if ctx.Err() != nil {
			return verdict{}
		}
		var tokenErr *ghinstallation.HTTPError
		var timeout *attemptTimeoutError
		switch {
		case errors.As(err, &tokenErr):
			// The installation token could not be fetched, so the request
			// itself was never sent. A 4xx for the token (a revoked
			// installation, a wrong key) will not change on retry.
			if s := tokenErr.Response; s != nil && s.StatusCode >= 400 && s.StatusCode < 500 && s.StatusCode != http.StatusTooManyRequests {
				return verdict{}
			}
			return verdict{retry: always, reason: "token", wait: backoff}
		case notConnected(err):
			return verdict{retry: always, reason: "connection", wait: backoff}
		case errors.As(err, &timeout):
			return verdict{retry: ifRepeatable, reason: "timeout", wait: backoff}
		default:
			return verdict{retry: ifRepeatable, reason: "connection", wait: backoff}
		}
	}
	now := r.opts.Now()
	switch code := resp.StatusCode; {
	case (code == http.StatusForbidden || code == http.StatusTooManyRequests) &&
		resp.Header.Get("Retry-After") == "" && resp.Header.Get("X-RateLimit-Remaining") == "0":
		// The primary limit ran out (observe recorded its reset, so the
		// installation's other requests wait for it in await too).
		until := resetOf(resp)
		if until.IsZero() {
			until = now.Add(secondaryDefaultWait)
		}
		return verdict{retry: always, reason: "primary_rate_limit", wait: max(until.Sub(now), 0),
			limit: &RateLimitedError{Installation: key.installation, Resource: key.resource, Until: until}}
	case code == http.StatusTooManyRequests || code == http.StatusForbidden && isSecondaryLimit(resp):
		wait := secondaryDefaultWait
		if d, ok := retryAfterHeader(resp, now); ok {
			wait = d
		}
		until := now.Add(wait)
		r.mu.Lock()
		st := r.stateLocked(key)
		if until.After(st.blockedUntil) {
			st.blockedUntil = until
		}
		r.mu.Unlock()
		return verdict{retry: always, reason: "secondary_rate_limit", wait: wait,
			limit: &RateLimitedError{Installation: key.installation, Resource: key.resource, Until: until, Secondary: true}}
	case code >= 500:
		wait := backoff
		if d, ok := retryAfterHeader(resp, now); ok {
			wait = d
		}
		return verdict{retry: ifRepeatable, reason: "server_error", wait: wait}
	}
	return verdict{}
}

// await waits until the installation may send: after a secondary limit,
// after the reset of an exhausted primary limit, and, while the primary
// limit is below Reserve, until the request's paced slot. It fails at once
// when that is after deadline.
func (r *Retrier) await(ctx context.Context, key limitKey, deadline time.Time) error {
	r.mu.Lock()
	now := r.opts.Now()
	st := r.stateLocked(key)
	at := now
	secondary := false
	if st.blockedUntil.After(at) {
		at, secondary = st.blockedUntil, true
	}
	if st.known && st.reset.After(now) {
		switch {
		case st.remaining <= 0:
			if st.reset.After(at) {
				at, secondary = st.reset, false
			}
		case st.remaining < r.opts.Reserve:
			slot := st.nextSlot
			if slot.After(at) {
				at, secondary = slot, false
			}
			if !at.After(deadline) {
				// Take the slot: the next request leaves one interval
				// later, so that the remaining requests last until the
				// reset.
				st.nextSlot = at.Add(st.reset.Sub(now) / time.Duration(st.remaining))
			}
		}
	}
	r.mu.Unlock()
	if at.After(deadline) {
		return &RateLimitedError{Installation: key.installation, Resource: key.resource, Until: at, Secondary: secondary}
	}
	if d := at.Sub(now); d > 0 {
		return r.opts.Sleep(ctx, d)
	}
	return nil
}

// observe records the primary limit an answer reports.
func (r *Retrier) observe(installation int64, key limitKey, resp *http.Response) {
	if resp == nil {
		return
	}
	remaining, err := strconv.Atoi(resp.Header.Get("X-RateLimit-Remaining"))
	if err != nil {
		return
	}
	if res := resp.Header.Get("X-RateLimit-Resource"); res != "" {
		key.resource = res
	}
	r.mu.Lock()
	st := r.stateLocked(key)
	st.known, st.remaining, st.reset = true, remaining, resetOf(resp)
	r.mu.Unlock()
	if r.opts.OnRateLimit != nil {
		r.opts.OnRateLimit(installation, key.resource, remaining)
	}
}

func (r *Retrier) stateLocked(key limitKey) *limitState {
	st := r.limits[key]
	if st == nil {
		st = &limitState{}
		r.limits[key] = st
	}
	return st
}

func resetOf(resp *http.Response) time.Time {
	s, err := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.Unix(s, 0)
}

// retryAfterHeader reads Retry-After: seconds, or an HTTP date.
func retryAfterHeader(resp *http.Response, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(resp.Header.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// isSecondaryLimit tells a 403 secondary rate limit from a permission
// error: GitHub sends Retry-After with the former, or a message and a
// documentation_url about secondary rate limits (go-github keys on the
// latter). The body is read and put back for the caller.
func isSecondaryLimit(resp *http.Response) bool {
	if resp.Header.Get("Retry-After") != "" {
		return true
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	var e struct {
		Message          string `json:"message"`
		DocumentationURL string `json:"documentation_url"`
	}
	if json.Unmarshal(body, &e) != nil {
		return false
	}
	return strings.Contains(e.DocumentationURL, "secondary-rate-limit") ||
		strings.Contains(strings.ToLower(e.Message), "secondary rate limit")
}

// notConnected reports an error raised before a connection existed (no
// address, refused, unreachable): the request never left.
func notConnected(err error) bool {
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return true
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// resourceOf is the rate-limit resource a request is charged to, as far as
// launchgate's requests go: GraphQL has its own budget, everything else is
// "core". The answer's x-ratelimit-resource corrects it.
func resourceOf(req *http.Request) string {
	if strings.HasSuffix(req.URL.Path, graphqlAPIPath) {
		return "graphql"
	}
	return "core"
}

// safeToRepeat reports whether sending req twice leaves GitHub as sending
// it once.
func safeToRepeat(req *http.Request) bool {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return true
	case http.MethodPost:
		if !strings.HasSuffix(req.URL.Path, graphqlAPIPath) {
			return false
		}
		var q struct {
			Query string `json:"query"`
		}
		return readJSONBody(req, &q) && !strings.HasPrefix(strings.TrimSpace(q.Query), "mutation")
	case http.MethodPatch:
		if !isCheckRunPath(req.URL.Path) {
			return false
		}
		var run struct {
			Output *struct {
				Annotations []json.RawMessage `json:"annotations"`
			} `json:"output"`
		}
		return readJSONBody(req, &run) && (run.Output == nil || len(run.Output.Annotations) == 0)
	}
	return false
}

// isCheckRunPath matches …/repos/{owner}/{repo}/check-runs/{id}.
func isCheckRunPath(p string) bool {
	parts := strings.Split(strings.Trim(p, "/"), "/")
	n := len(parts)
	return n >= 5 && parts[n-2] == "check-runs" && parts[n-5] == "repos"
}

// readJSONBody decodes a copy of req's body.
func readJSONBody(req *http.Request, v any) bool {
	if req.GetBody == nil {
		return false
	}
	body, err := req.GetBody()
	if err != nil {
		return false
	}
	defer body.Close()
	return json.NewDecoder(body).Decode(v) == nil
}
