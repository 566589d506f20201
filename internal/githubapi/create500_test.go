package githubapi

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/palantir/go-githubapp/githubapp"

	"github.com/launchgate/launchgate/internal/githubsim"
)

// TestPublishAfterServerErrorOnCreate covers a 500 on the create, whether
// or not GitHub made the run before failing: the commit still ends with
// exactly one complete run, without waiting for the reconciler.
func TestPublishAfterServerErrorOnCreate(t *testing.T) {
	for _, tt := range []struct {
		name    string
		created bool // GitHub made the run, then answered 500
	}{
		{"run not created", false},
		{"run created, answer lost", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, githubsim.Options{})
			pr := e.repo("svc", map[string]string{"README.md": "r"}, kit)
			var failed atomic.Bool
			failFirstCreate := func(next http.RoundTripper) http.RoundTripper {
				return roundTripperFunc(func(r *http.Request) (*http.Response, error) {
					if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/check-runs") || !failed.CompareAndSwap(false, true) {
						return next.RoundTrip(r)
					}
					if tt.created {
						resp, err := next.RoundTrip(r)
						if err != nil {
							return nil, err
						}
						resp.Body.Close()
					}
					return &http.Response{StatusCode: http.StatusInternalServerError, Status: "500 Internal Server Error",
						Header: http.Header{"Content-Type": {"application/json"}}, Request: r,
						Body: io.NopCloser(strings.NewReader(`{"message":"Server Error"}`))}, nil
				})
			}
			cc := githubapp.NewClientCreator(e.sim.URL(), e.sim.GraphQLURL(), testAppID, appKeyPEM(),
				githubapp.WithClientMiddleware(failFirstCreate))
			c := NewClient(cc, Options{AppID: testAppID})
			run := readinessRun(pr.HeadSHA)
			run.Annotations = annotations(3, "missing")
			if _, _, err := c.PublishCheckRun(context.Background(), pr, run); err != nil {
				t.Fatalf("publish after a 500 on create: %v", err)
			}
			if !failed.Load() {
				t.Fatal("the create never failed: the test exercised nothing")
			}
			runs := e.sim.CheckRuns("acme", "svc", pr.HeadSHA)
			if len(runs) != 1 {
				t.Fatalf("runs on the commit = %d, want exactly 1", len(runs))
			}
			if got := runs[0]; got.GetConclusion() != "failure" || len(got.Output.Annotations) != 3 ||
				!strings.HasPrefix(got.GetExternalID(), "v1:") || strings.Contains(got.GetExternalID(), pendingDigest) {
				t.Errorf("run = conclusion %s, %d annotations, external_id %s", got.GetConclusion(), len(got.Output.Annotations), got.GetExternalID())
			}
		})
	}
}
