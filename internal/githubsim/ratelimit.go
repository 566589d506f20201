package githubsim

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Primary rate limits, as documented in "Rate limits for the REST API"
// (https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api):
// an installation gets 5,000 requests an hour (configurable here; GitHub
// scales it with repositories and users), unauthenticated callers 60, and
// GraphQL has its own point budget of the same size. Every response carries
// x-ratelimit-limit/remaining/used/reset/resource; an exhausted budget answers
// 403 with x-ratelimit-remaining: 0 until the reset time.
const (
	anonymousRateLimit = 60
	rateWindow         = time.Hour
	docsRateLimits     = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
	docsSecondary      = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
)

// bucket is one primary rate-limit budget. Its hour window starts with the
// first request, as GitHub's does.
type bucket struct {
	limit int
	used  int
	reset time.Time
}

func newBucket(limit int) *bucket { return &bucket{limit: limit} }

func (b *bucket) roll(now time.Time) {
	if b.reset.IsZero() || !now.Before(b.reset) {
		b.used = 0
		b.reset = now.Add(rateWindow).Truncate(time.Second)
	}
}

// charge takes one request from the budget; false when it is exhausted.
func (b *bucket) charge(now time.Time) bool {
	b.roll(now)
	if b.used >= b.limit {
		return false
	}
	b.used++
	return true
}

func (b *bucket) remaining() int { return max(b.limit-b.used, 0) }

func (b *bucket) writeHeaders(h http.Header, resource string, now time.Time) {
	b.roll(now)
	h.Set("X-RateLimit-Limit", strconv.Itoa(b.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(b.remaining()))
	h.Set("X-RateLimit-Used", strconv.Itoa(b.used))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(b.reset.Unix(), 10))
	h.Set("X-RateLimit-Resource", resource)
}

func (s *Server) bucketFor(who caller, resource string) *bucket {
	switch {
	case who.inst != nil && resource == "graphql":
		return who.inst.graphql
	case who.inst != nil:
		return who.inst.core
	case who.user != nil:
		return s.userBucket(who.user.login)
	case who.app != nil:
		return who.app.bucket
	}
	return &s.anon
}

// userBucket is a user's budget: user access tokens share their user's
// limit, whichever App they belong to.
func (s *Server) userBucket(login string) *bucket {
	key := strings.ToLower(login)
	b := s.userBuckets[key]
	if b == nil {
		b = newBucket(s.opts.RateLimit)
		s.userBuckets[key] = b
	}
	return b
}

// rateLimited is GitHub's answer to a request over the primary limit: 403
// for REST; GraphQL answers 200 with a RATE_LIMITED error (community-observed
// shape, https://docs.github.com/graphql/overview/rate-limits-and-query-limits-for-the-graphql-api).
func (s *Server) rateLimited(c *call, who caller) reply {
	var msg string
	switch {
	case who.inst != nil:
		msg = fmt.Sprintf("API rate limit exceeded for installation ID %d.", who.inst.id)
	case who.user != nil:
		msg = fmt.Sprintf("API rate limit exceeded for user ID %d.", s.users[strings.ToLower(who.user.login)].GetID())
	case who.app != nil:
		msg = fmt.Sprintf("API rate limit exceeded for app ID %d.", who.app.id)
	default:
		msg = "API rate limit exceeded for 127.0.0.1. (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.)"
	}
	if c.res == "graphql" {
		return reply{http.StatusOK, map[string]any{"errors": []map[string]any{{"type": "RATE_LIMITED", "message": msg}}}}
	}
	return errReply(http.StatusForbidden, msg, docsRateLimits)
}

// SetRateLimit sets an installation's primary limit and what remains of it in
// the current hour, for resource "core" (REST) or "graphql".
func (s *Server) SetRateLimit(installationID int64, resource string, limit, remaining int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	inst := s.installs[installationID]
	if inst == nil {
		panic(fmt.Sprintf("githubsim: no installation %d", installationID))
	}
	b := inst.core
	if resource == "graphql" {
		b = inst.graphql
	}
	b.roll(s.now())
	b.limit = limit
	b.used = max(limit-remaining, 0)
}

// conditional implements conditional requests: every 200 GET carries an
// ETag, and a request whose If-None-Match matches it gets 304 Not Modified
// with no body, which "does not count against your primary rate limit"
// (https://docs.github.com/rest/using-the-rest-api/best-practices-for-using-the-rest-api).
func (s *Server) conditional(c *call, body []byte) (int, []byte) {
	sum := sha256.Sum256(body)
	etag := `W/"` + hex.EncodeToString(sum[:]) + `"`
	c.header.Set("ETag", etag)
	c.header.Set("Cache-Control", "private, max-age=60, s-maxage=60")
	c.header.Set("Vary", "Accept, Authorization, Cookie, X-GitHub-OTP")
	for _, v := range strings.Split(c.r.Header.Get("If-None-Match"), ",") {
		if strings.TrimPrefix(strings.TrimSpace(v), "W/") == strings.TrimPrefix(etag, "W/") {
			if c.bucket.used > 0 {
				c.bucket.used--
			}
			return http.StatusNotModified, nil
		}
	}
	return http.StatusOK, body
}
