package githubsim

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// Faults makes the simulator misbehave the way GitHub sometimes does. The
// zero value injects nothing.
type Faults struct {
	// ServerErrorRate is the fraction (0..1) of API requests answered with a
	// 500. Which requests fail is drawn from a generator seeded with Seed, so
	// a sequential run fails the same requests every time.
	ServerErrorRate float64
	Seed            uint64
	// Latency is added to every API request before it is handled.
	Latency time.Duration
	// SecondaryRateLimitEvery makes every Nth API request (counted from the
	// InjectFaults call) hit a secondary rate limit.
	SecondaryRateLimitEvery int
	// SecondaryRateLimitStatus is 403 (default) or 429; GitHub documents both.
	SecondaryRateLimitStatus int
	// RetryAfter is sent as Retry-After on secondary-limit answers; default 60 s.
	RetryAfter time.Duration
}

type faultState struct {
	Faults
	rng   *rand.Rand
	count int
}

// InjectFaults replaces the active faults; InjectFaults(Faults{}) stops them.
func (s *Server) InjectFaults(f Faults) {
	if f.SecondaryRateLimitStatus == 0 {
		f.SecondaryRateLimitStatus = http.StatusForbidden
	}
	if f.RetryAfter <= 0 {
		f.RetryAfter = time.Minute
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = faultState{Faults: f, rng: rand.New(rand.NewPCG(f.Seed, f.Seed^0x9e3779b97f4a7c15))}
}

func (s *Server) injectedLatency() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults.Latency
}

// injectFault decides, under s.mu, whether this request fails. Neither
// failure is charged to the primary rate limit.
func (s *Server) injectFault(c *call) (reply, bool) {
	f := &s.faults
	if f.rng == nil {
		return reply{}, false
	}
	f.count++
	if n := f.SecondaryRateLimitEvery; n > 0 && f.count%n == 0 {
		// GitHub's secondary-limit answer: 403 or 429, Retry-After, and a
		// documentation_url ending in "secondary-rate-limits", which is what
		// go-github keys its AbuseRateLimitError on
		// (https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits).
		c.header.Set("Retry-After", strconv.Itoa(int(f.RetryAfter.Seconds())))
		msg := "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. " +
			fmt.Sprintf("If you reach out to GitHub Support for help, please include the request ID SIM:%d.", f.count)
		return errReply(f.SecondaryRateLimitStatus, msg, docsSecondary), true
	}
	if f.ServerErrorRate > 0 && f.rng.Float64() < f.ServerErrorRate {
		return reply{http.StatusInternalServerError, errorBody{Message: "Server Error", Status: "500"}}, true
	}
	return reply{}, false
}
