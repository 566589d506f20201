package githubapi

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/launchgate/launchgate/internal/githubsim"
)

// TestErrorsSurface checks that GitHub's failures reach the caller as
// errors that say what was being read, keep go-github's types, and tell
// when to retry; none of them may look like an empty result.
func TestErrorsSurface(t *testing.T) {
	type call func(*Client, PullRequest) error
	policyCall := func(c *Client, pr PullRequest) error { _, err := c.Policy(context.Background(), pr); return err }
	treeCall := func(c *Client, pr PullRequest) error {
		_, err := c.HeadTree(context.Background(), pr, []string{"launch/**"})
		return err
	}
	filesCall := func(c *Client, pr PullRequest) error { _, err := c.ChangedFiles(context.Background(), pr); return err }
	publishCall := func(c *Client, pr PullRequest) error {
		_, _, err := c.PublishCheckRun(context.Background(), pr, readinessRun(pr.HeadSHA))
		return err
	}
	tests := []struct {
		name      string
		break_    func(e *env)
		call      call
		wantIn    []string // in the error message
		wantType  func(error) bool
		wantRetry bool
	}{
		{
			name:      "REST primary rate limit",
			break_:    func(e *env) { e.sim.SetRateLimit(e.inst, "core", 5000, 0) },
			call:      treeCall,
			wantIn:    []string{"listing the tree of acme/svc", "API rate limit exceeded"},
			wantType:  func(err error) bool { var e *github.RateLimitError; return errors.As(err, &e) },
			wantRetry: true,
		},
		{
			name:      "GraphQL rate limit",
			break_:    func(e *env) { e.sim.SetRateLimit(e.inst, "graphql", 5000, 0) },
			call:      policyCall,
			wantIn:    []string{"reading the policy and CODEOWNERS of acme/svc", "RATE_LIMITED"},
			wantType:  func(err error) bool { var e *GraphQLError; return errors.As(err, &e) && e.Type == "RATE_LIMITED" },
			wantRetry: true,
		},
		{
			name: "secondary rate limit answered 429",
			break_: func(e *env) {
				e.sim.InjectFaults(githubsim.Faults{SecondaryRateLimitEvery: 1, SecondaryRateLimitStatus: 429, RetryAfter: 7 * time.Second})
			},
			call:      filesCall,
			wantIn:    []string{"listing the files of acme/svc#1", "429"},
			wantType:  func(err error) bool { var e *github.ErrorResponse; return errors.As(err, &e) },
			wantRetry: true,
		},
		{
			name:   "server error on a check run",
			break_: func(e *env) { e.sim.InjectFaults(githubsim.Faults{ServerErrorRate: 1}) },
			call:   publishCall,
			wantIn: []string{`check run "Production readiness" on acme/svc@`, "500"},
			wantType: func(err error) bool {
				var e *github.ErrorResponse
				return errors.As(err, &e) && e.Response.StatusCode == http.StatusInternalServerError
			},
		},
		{
			name:     "server error on GraphQL",
			break_:   func(e *env) { e.sim.InjectFaults(githubsim.Faults{ServerErrorRate: 1}) },
			call:     policyCall,
			wantIn:   []string{"reading the policy and CODEOWNERS of acme/svc", "500"},
			wantType: func(err error) bool { var e *github.ErrorResponse; return errors.As(err, &e) },
		},
		{
			name:     "a repository the installation cannot see",
			break_:   func(e *env) {},
			call:     func(c *Client, pr PullRequest) error { pr.Owner = "elsewhere"; return policyCall(c, pr) },
			wantIn:   []string{"elsewhere/svc", "NOT_FOUND"},
			wantType: func(err error) bool { var e *GraphQLError; return errors.As(err, &e) && e.Type == "NOT_FOUND" },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, githubsim.Options{})
			e.sim.AddRepo("elsewhere", "svc", "main", map[string]string{"README.md": "r"})
			pr := e.repo("svc", map[string]string{"README.md": "r"}, kit)
			c := e.client(Options{})
			// The installation token first, so that faults hit the call.
			ic, err := c.installation(e.inst)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := ic.rest.Repositories.Get(context.Background(), "acme", "svc"); err != nil {
				t.Fatal(err)
			}
			tt.break_(e)
			err = tt.call(c, pr)
			if err == nil {
				t.Fatal("no error")
			}
			for _, s := range tt.wantIn {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
			if !tt.wantType(err) {
				t.Errorf("error %v (%T) is not of the expected type", err, errors.Unwrap(err))
			}
			wait, retry := RetryAfter(err, time.Now())
			if retry != tt.wantRetry || retry && wait <= 0 {
				t.Errorf("RetryAfter = %v, %t; want retry %t", wait, retry, tt.wantRetry)
			}
		})
	}
}
