package githubapi

import (
	"context"
	"slices"
	"testing"

	"github.com/launchgate/launchgate/internal/approval"
	"github.com/launchgate/launchgate/internal/githubsim"
)

// TestPullState reads reviews, the App's run and its marked comment in one
// query, on clients that have seen nothing, and checks them against what
// the REST API answers.
func TestPullState(t *testing.T) {
	const name, marker = "Production readiness", "<!-- checklist -->"
	e := newEnv(t, githubsim.Options{})
	ctx := context.Background()
	pr := e.repo("svc", map[string]string{"README.md": "r"}, map[string]string{"docs/a.md": "a"})
	e.sim.SubmitReview("acme", "svc", pr.Number, "ann", "APPROVED")
	dismissed := e.sim.SubmitReview("acme", "svc", pr.Number, "bob", "APPROVED")
	e.sim.DismissReview("acme", "svc", pr.Number, dismissed, "octocat")
	e.sim.SubmitReview("acme", "svc", pr.Number, "cid", "CHANGES_REQUESTED")
	e.sim.AddComment("acme", "svc", pr.Number, "mallory", marker+"\nnot the App's")

	writer := e.client(Options{})
	cm, err := writer.CreateComment(ctx, pr, marker, marker+"\nthe checklist")
	if err != nil {
		t.Fatal(err)
	}
	wantLogin, err := writer.AppLogin(ctx) // GET /app
	if err != nil {
		t.Fatal(err)
	}
	const page = "https://launchgate.example.com/acme/svc/pull/1"
	tests := []struct {
		name        string
		detailsURL  string // of the App's run; "" for no run
		comment     int64  // in the run's external_id
		wantComment bool
	}{
		{name: "no run: the comment is found the usual way"},
		{name: "the run links to the comment", detailsURL: cm.HTMLURL, wantComment: true},
		{name: "the run links elsewhere", detailsURL: "https://github.com/acme/svc/pull/1"},
		{name: "the run links to the details page and names the comment", detailsURL: page, comment: cm.ID, wantComment: true},
		{name: "the run names a comment that is not the marked one", detailsURL: cm.HTMLURL, comment: cm.ID + 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.detailsURL != "" {
				run := CheckRun{Name: name, HeadSHA: pr.HeadSHA, Status: "completed", Conclusion: "neutral", Title: "t", Summary: "s",
					Text: "text of " + tt.name, DetailsURL: tt.detailsURL, ID: RunID{PR: pr.Number, Comment: tt.comment}}
				if _, _, err := writer.PublishCheckRun(ctx, pr, run); err != nil {
					t.Fatal(err)
				}
			}
			c := e.client(Options{})
			st, err := c.PullState(ctx, pr, name, marker)
			if err != nil {
				t.Fatal(err)
			}
			rest, err := c.Reviews(ctx, pr)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.EqualFunc(st.Reviews, rest, func(a, b approval.Review) bool {
				return a.User == b.User && a.State == b.State && a.CommitID == b.CommitID && a.SubmittedAt.Equal(b.SubmittedAt)
			}) {
				t.Errorf("reviews %+v, REST says %+v", st.Reviews, rest)
			}
			runs := e.sim.CheckRuns("acme", "svc", pr.HeadSHA)
			switch {
			case st.Run == nil:
				t.Fatal("the run was not read")
			case st.Run.Exists != (len(runs) > 0):
				t.Errorf("run exists %v, GitHub has %d", st.Run.Exists, len(runs))
			case st.Run.Exists && (st.Run.ID != runs[0].GetID() || st.Run.Text != runs[0].GetOutput().GetText() || st.Run.DetailsURL != tt.detailsURL):
				t.Errorf("run read %d %q %q, GitHub has %d %q", st.Run.ID, st.Run.Text, st.Run.DetailsURL, runs[0].GetID(), runs[0].GetOutput().GetText())
			}
			if got := st.Comment != nil; got != tt.wantComment {
				t.Fatalf("comment found: %v, want %v", got, tt.wantComment)
			}
			if st.Comment != nil && (st.Comment.ID != cm.ID || st.Comment.Body != cm.Body || st.Comment.HTMLURL != cm.HTMLURL) {
				t.Errorf("comment %+v, want %+v", st.Comment, cm)
			}
			if !st.Run.Exists {
				return
			}
			e.requests()
			login, err := c.AppLogin(ctx)
			if asked := e.requests(); err != nil || login != wantLogin || len(asked) != 0 {
				t.Errorf("AppLogin after reading the run: %q (%v) with requests %q; want %q, known from the App's check suite", login, err, asked, wantLogin)
			}
		})
	}
}
