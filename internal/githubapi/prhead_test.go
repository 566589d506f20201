package githubapi

import (
	"context"
	"slices"
	"strconv"
	"testing"

	"github.com/launchgate/launchgate/internal/githubsim"
)

// TestFilesAndRun reads a pull request's files and this App's run in one
// query, on a client that has seen nothing each time (a new replica), and
// publishes with what it read: never a second run on one commit, never a
// listing.
func TestFilesAndRun(t *testing.T) {
	const name = "Production readiness"
	e := newEnv(t, githubsim.Options{})
	ctx := context.Background()
	pr := e.repo("svc", map[string]string{"README.md": "r"}, map[string]string{"docs/a.md": "a", "docs/b.md": "b"})
	big := e.repo("big", map[string]string{"README.md": "r"}, files(150, "docs", "doc %d\n"))
	publish := func(c *Client, read *RunRead, title string) {
		t.Helper()
		run := CheckRun{Name: name, HeadSHA: pr.HeadSHA, Status: "completed", Conclusion: "success", Title: title, Summary: "s",
			ID: RunID{PR: pr.Number}, Read: read}
		if _, _, err := c.PublishCheckRun(ctx, pr, run); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name       string
		pr         PullRequest
		before     func()
		wantFiles  int
		wantExists bool
		wantREST   bool // the files were listed over REST
	}{
		{name: "no run yet", pr: pr, wantFiles: 2},
		{name: "the run published", pr: pr, wantFiles: 2, wantExists: true,
			before: func() { publish(e.client(Options{}), &RunRead{}, "first") }},
		{name: "more files than a page are listed over REST", pr: big, wantFiles: 150, wantREST: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.before != nil {
				tt.before()
			}
			e.requests()
			got, read, err := e.client(Options{}).FilesAndRun(ctx, tt.pr, name)
			if err != nil {
				t.Fatal(err)
			}
			reqs := e.requests()
			if len(got) != tt.wantFiles || !slices.IsSorted(got) {
				t.Errorf("%d files (sorted %v), want %d", len(got), slices.IsSorted(got), tt.wantFiles)
			}
			if rest := count(reqs, "GET /repos/acme/") > 0; rest != tt.wantREST {
				t.Errorf("requests %q: files listed over REST %v, want %v", reqs, rest, tt.wantREST)
			}
			runs := e.sim.CheckRuns("acme", tt.pr.Repo, tt.pr.HeadSHA)
			switch {
			case read == nil:
				t.Fatalf("the run was not read")
			case read.Exists != tt.wantExists:
				t.Errorf("run exists %v, want %v", read.Exists, tt.wantExists)
			case read.Exists && (len(runs) != 1 || read.ID != runs[0].GetID() || read.ExternalID != runs[0].GetExternalID()):
				t.Errorf("read run %d %q, GitHub has %d runs", read.ID, read.ExternalID, len(runs))
			}
		})
	}
	// Publishing new content over the run read updates it in one request.
	c := e.client(Options{})
	_, read, err := c.FilesAndRun(ctx, pr, name)
	if err != nil {
		t.Fatal(err)
	}
	e.requests()
	publish(c, read, "second")
	reqs := e.requests()
	if runs := e.sim.CheckRuns("acme", "svc", pr.HeadSHA); len(runs) != 1 || runs[0].GetOutput().GetTitle() != "second" {
		t.Errorf("%d runs after publishing over the run read, want 1 titled %q", len(runs), "second")
	}
	if slices.ContainsFunc(reqs, func(r string) bool { return r != "PATCH /repos/acme/svc/check-runs/"+strconv.FormatInt(read.ID, 10) }) {
		t.Errorf("publishing over the run read sent %q, want the update alone", reqs)
	}
}
