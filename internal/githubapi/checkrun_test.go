package githubapi

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-github/v60/github"
	"github.com/gregjones/httpcache"
	"github.com/palantir/go-githubapp/githubapp"

	"github.com/launchgate/launchgate/internal/checklimits"
	"github.com/launchgate/launchgate/internal/githubsim"
)

func annotations(n int, msg string) []*github.CheckRunAnnotation {
	out := make([]*github.CheckRunAnnotation, n)
	for i := range out {
		out[i] = &github.CheckRunAnnotation{
			Path: github.String(fmt.Sprintf("launch/f%03d.md", i)), StartLine: github.Int(i + 1), EndLine: github.Int(i + 1),
			AnnotationLevel: github.String("failure"), Message: github.String(msg),
		}
	}
	return out
}

func readinessRun(sha string) CheckRun {
	return CheckRun{
		Name: "Production readiness", HeadSHA: sha, Status: "completed", Conclusion: "failure",
		Title: "3 of 5 ready: security incomplete", Summary: "| requirement | status |", Text: "details",
		DetailsURL: "https://launchgate.example/acme/svc/pull/1",
		Actions:    []*github.CheckRunAction{{Label: "Re-check", Description: "Evaluate the pull request again", Identifier: "recheck"}},
	}
}

func TestPublishCheckRun(t *testing.T) {
	e := newEnv(t, githubsim.Options{})
	pr := e.repo("svc", map[string]string{"README.md": "r"}, kit)
	c := e.client(Options{})
	ctx := context.Background()
	runs := func() []*github.CheckRun { return e.sim.CheckRuns("acme", "svc", pr.HeadSHA) }
	publish := func(run CheckRun) (int64, bool, []string) {
		t.Helper()
		e.requests()
		id, changed, err := c.PublishCheckRun(ctx, pr, run)
		if err != nil {
			t.Fatal(err)
		}
		return id, changed, e.apiRequests()
	}

	run := readinessRun(pr.HeadSHA)
	run.Annotations = annotations(120, "section missing")
	id, changed, reqs := publish(run)
	t.Run("create with 120 annotations: 1 list, 1 create, 2 updates", func(t *testing.T) {
		want := []string{
			"GET /repos/acme/svc/commits/" + pr.HeadSHA + "/check-runs",
			"POST /repos/acme/svc/check-runs",
			fmt.Sprintf("PATCH /repos/acme/svc/check-runs/%d", id),
			fmt.Sprintf("PATCH /repos/acme/svc/check-runs/%d", id),
		}
		if !changed || strings.Join(reqs, "\n") != strings.Join(want, "\n") {
			t.Errorf("changed %t, requests:\n%s\nwant:\n%s", changed, strings.Join(reqs, "\n"), strings.Join(want, "\n"))
		}
		got := runs()
		if len(got) != 1 || got[0].GetID() != id || len(got[0].Output.Annotations) != 120 {
			t.Fatalf("runs = %d, annotations %d", len(got), len(got[0].Output.Annotations))
		}
		r := got[0]
		if r.GetConclusion() != "failure" || r.GetOutput().GetTitle() != run.Title || r.GetDetailsURL() != run.DetailsURL ||
			!strings.HasPrefix(r.GetExternalID(), "v1:") || len(e.sim.CheckRunActions(id)) != 1 {
			t.Errorf("run = %+v", r)
		}
		if a := r.Output.Annotations[119]; a.GetPath() != "launch/f119.md" || a.GetStartLine() != 120 {
			t.Errorf("last annotation = %s:%d", a.GetPath(), a.GetStartLine())
		}
	})

	t.Run("the same content again writes nothing, and the listing is a 304", func(t *testing.T) {
		// The first listing after our own writes has changed; the second is
		// the steady state.
		for i := range 2 {
			id2, changed, reqs := publish(run)
			if id2 != id || changed || len(reqs) != 1 {
				t.Errorf("publish %d: id %d changed %t requests %v", i, id2, changed, reqs)
			}
		}
		if st := c.Requests(); st.Counts[RequestKey{epListRuns, 304}] < 1 {
			t.Errorf("no 304 among %v", st.Counts)
		}
	})

	t.Run("new content, same annotations: one update without annotations", func(t *testing.T) {
		run.Conclusion, run.Title = "action_required", "5 of 5 checks pass - sign-offs missing"
		id2, changed, reqs := publish(run)
		if id2 != id || !changed || count(reqs, "PATCH") != 1 || len(reqs) != 2 {
			t.Errorf("id %d changed %t requests %v", id2, changed, reqs)
		}
		got := runs()
		if len(got) != 1 || got[0].GetConclusion() != "action_required" || len(got[0].Output.Annotations) != 120 {
			t.Errorf("runs = %d, conclusion %s, annotations %d (want 120, none duplicated)", len(got), got[0].GetConclusion(), len(got[0].Output.Annotations))
		}
	})

	t.Run("changed annotations: the same run gets only the new ones", func(t *testing.T) {
		// Two of the 120 stay, one is new: GitHub cannot remove annotations,
		// so the run keeps the old ones and gains the new one, and no second
		// run appears on the commit.
		run.Annotations = append(annotations(2, "section missing"), &github.CheckRunAnnotation{
			Path: github.String("launch/new.md"), StartLine: github.Int(1), EndLine: github.Int(1),
			AnnotationLevel: github.String("failure"), Message: github.String("new finding"),
		})
		id2, changed, reqs := publish(run)
		if id2 != id || !changed || count(reqs, "POST /repos/acme/svc/check-runs") != 0 ||
			count(reqs, fmt.Sprintf("GET /repos/acme/svc/check-runs/%d/annotations", id)) != 2 || count(reqs, "PATCH") != 1 {
			t.Errorf("id %d changed %t requests %v", id2, changed, reqs)
		}
		got := runs()
		if len(got) != 1 {
			t.Fatalf("runs = %d, want the one run updated in place", len(got))
		}
		n := len(got[0].Output.Annotations)
		if n != 121 {
			t.Errorf("annotations = %d, want the 120 posted before plus the new one", n)
		}
		if last := got[0].Output.Annotations[n-1]; last.GetMessage() != "new finding" {
			t.Errorf("last annotation = %q, want the new finding", last.GetMessage())
		}
		// Publishing the same again writes nothing.
		if id3, changed, _ := publish(run); id3 != id || changed {
			t.Errorf("again: id %d changed %t", id3, changed)
		}
	})
}

func TestPublishCheckRunStartsWithoutAnnotations(t *testing.T) {
	e := newEnv(t, githubsim.Options{})
	pr := e.repo("svc", map[string]string{"README.md": "r"}, kit)
	c := e.client(Options{})
	ctx := context.Background()
	run := readinessRun(pr.HeadSHA)
	run.Status, run.Conclusion = "in_progress", ""
	id, _, err := c.PublishCheckRun(ctx, pr, run)
	if err != nil {
		t.Fatal(err)
	}
	// A run without annotations is updated in place when it gets some.
	run.Status, run.Conclusion, run.Annotations = "completed", "failure", annotations(3, "m")
	id2, changed, err := c.PublishCheckRun(ctx, pr, run)
	if err != nil || id2 != id || !changed {
		t.Fatalf("id %d→%d changed %t err %v", id, id2, changed, err)
	}
	got := e.sim.CheckRuns("acme", "svc", pr.HeadSHA)
	if len(got) != 1 || got[0].GetStatus() != "completed" || len(got[0].Output.Annotations) != 3 {
		t.Errorf("runs = %d status %s annotations %d", len(got), got[0].GetStatus(), len(got[0].Output.Annotations))
	}
}

// TestOtherAppsRunIgnored: another App's run with the same name on the same
// commit is not ours to update (GitHub would answer 403) nor a reason to
// skip creating ours.
func TestOtherAppsRunIgnored(t *testing.T) {
	e := newEnv(t, githubsim.Options{})
	pr := e.repo("svc", map[string]string{"README.md": "r"}, kit)
	const otherID = 777
	e.sim.AddApp(otherID, "imposter", &appKey().PublicKey)
	otherInst := e.sim.InstallApp(otherID, "acme")
	other, err := githubapp.NewClientCreator(e.sim.URL(), e.sim.GraphQLURL(), otherID, appKeyPEM()).NewInstallationClient(otherInst)
	if err != nil {
		t.Fatal(err)
	}
	run := readinessRun(pr.HeadSHA)
	theirs, _, err := other.Checks.CreateCheckRun(context.Background(), "acme", "svc", github.CreateCheckRunOptions{
		Name: run.Name, HeadSHA: pr.HeadSHA, Conclusion: github.String("success"),
		Output: &github.CheckRunOutput{Title: github.String("all good"), Summary: github.String("trust me")},
	})
	if err != nil {
		t.Fatal(err)
	}
	c := e.client(Options{})
	id, changed, err := c.PublishCheckRun(context.Background(), pr, run)
	if err != nil || !changed || id == theirs.GetID() {
		t.Fatalf("PublishCheckRun = %d, %t, %v (theirs %d)", id, changed, err, theirs.GetID())
	}
	var ours int
	for _, r := range e.sim.CheckRuns("acme", "svc", pr.HeadSHA) {
		switch r.GetApp().GetID() {
		case testAppID:
			ours++
		case otherID:
			if r.GetConclusion() != "success" || r.GetOutput().GetTitle() != "all good" {
				t.Errorf("the other App's run was changed: %+v", r)
			}
		}
	}
	if ours != 1 {
		t.Errorf("our runs = %d, want 1", ours)
	}
}

func TestPublishCheckRunTruncatesOutput(t *testing.T) {
	e := newEnv(t, githubsim.Options{})
	pr := e.repo("svc", map[string]string{"README.md": "r"}, kit)
	c := e.client(Options{})
	run := readinessRun(pr.HeadSHA)
	// 65,536 characters of two bytes each, in lines: too long in bytes
	// and for GitHub.
	line := strings.Repeat("é", 99) + "\n"
	run.Summary = strings.Repeat(line, 655) + strings.Repeat("é", 36)
	run.Text = strings.Repeat("x", checklimits.OutputBytes) // exactly the limit: untouched
	if _, _, err := c.PublishCheckRun(context.Background(), pr, run); err != nil {
		t.Fatalf("the simulator rejected the output: %v", err)
	}
	got := e.sim.CheckRuns("acme", "svc", pr.HeadSHA)[0].GetOutput()
	summary := got.GetSummary()
	if len(summary) > checklimits.OutputBytes || !utf8.ValidString(summary) {
		t.Errorf("summary has %d bytes, valid UTF-8 %t", len(summary), utf8.ValidString(summary))
	}
	head, ok := strings.CutSuffix(summary, truncationNote)
	if !ok || !strings.HasSuffix(head, strings.Repeat("é", 99)) || !strings.HasPrefix(run.Summary, head) {
		t.Errorf("summary is not whole lines of the original and the note: …%q", summary[len(summary)-200:])
	}
	if got.GetText() != run.Text {
		t.Error("text at the limit was changed")
	}
}

func TestPublishCheckRunValidates(t *testing.T) {
	e := newEnv(t, githubsim.Options{})
	pr := e.repo("svc", map[string]string{"README.md": "r"}, kit)
	c := e.client(Options{})
	action := func(label, desc, id string) []*github.CheckRunAction {
		return []*github.CheckRunAction{{Label: label, Description: desc, Identifier: id}}
	}
	tests := []struct {
		name   string
		change func(*CheckRun)
		want   string
	}{
		{"four actions", func(r *CheckRun) { r.Actions = append(r.Actions, r.Actions[0], r.Actions[0], r.Actions[0]) }, "4 actions"},
		{"label of 21", func(r *CheckRun) { r.Actions = action(strings.Repeat("l", 21), "d", "i") }, "label has 21"},
		{"description of 41", func(r *CheckRun) { r.Actions = action("l", strings.Repeat("d", 41), "i") }, "description has 41"},
		{"identifier of 21", func(r *CheckRun) { r.Actions = action("l", "d", strings.Repeat("i", 21)) }, "identifier has 21"},
		{"empty label", func(r *CheckRun) { r.Actions = action("", "d", "i") }, "label has 0"},
		{"completed without conclusion", func(r *CheckRun) { r.Conclusion = "" }, "conclusion"},
		{"in progress with conclusion", func(r *CheckRun) { r.Status = "in_progress" }, "cannot have conclusion"},
		{"no summary", func(r *CheckRun) { r.Summary = "" }, "summary"},
		{"bad SHA", func(r *CheckRun) { r.HeadSHA = "main" }, "not a full"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := readinessRun(pr.HeadSHA)
			tt.change(&run)
			e.requests()
			_, _, err := c.PublishCheckRun(context.Background(), pr, run)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
			if reqs := e.apiRequests(); len(reqs) != 0 {
				t.Errorf("an invalid run sent %v", reqs)
			}
		})
	}
	// Multi-byte characters count as one: 20 of them is a valid label.
	run := readinessRun(pr.HeadSHA)
	run.Actions = action(strings.Repeat("é", 20), "d", "i")
	if _, _, err := c.PublishCheckRun(context.Background(), pr, run); err != nil {
		t.Errorf("a 20-character label of 40 bytes: %v", err)
	}
}

// TestInterruptedAnnotations cuts a three-request publish after its first
// request. The run then carries the pending marker, not the digest, so the
// next publish, by another replica, does not mistake it for complete.
func TestInterruptedAnnotations(t *testing.T) {
	e := newEnv(t, githubsim.Options{})
	pr := e.repo("svc", map[string]string{"README.md": "r"}, kit)
	c := e.client(Options{})
	ctx := context.Background()
	run := readinessRun(pr.HeadSHA)
	run.Annotations, run.ID = annotations(120, "m"), RunID{PR: 1, Version: "test"}
	// Get the installation token first: the faults count every request.
	ic, err := c.installation(e.inst)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := ic.rest.Repositories.Get(ctx, "acme", "svc"); err != nil {
		t.Fatal(err)
	}
	// list, create, then the first update hits a secondary rate limit.
	e.sim.InjectFaults(githubsim.Faults{SecondaryRateLimitEvery: 3, RetryAfter: 30 * time.Second})
	_, _, err = c.PublishCheckRun(ctx, pr, run)
	var abuse *github.AbuseRateLimitError
	if !errors.As(err, &abuse) || !strings.Contains(err.Error(), "request 2 of 3") || !strings.Contains(err.Error(), "acme/svc@"+pr.HeadSHA) {
		t.Fatalf("err = %v, want a secondary rate limit on request 2 of 3 with context", err)
	}
	if wait, ok := RetryAfter(err, time.Now()); !ok || wait != 30*time.Second {
		t.Errorf("RetryAfter = %v, %t", wait, ok)
	}
	e.sim.InjectFaults(githubsim.Faults{})
	runs := e.sim.CheckRuns("acme", "svc", pr.HeadSHA)
	if len(runs) != 1 || runs[0].GetExternalID() != "v1:pending:pr/1 v/test" {
		t.Fatalf("after the cut: %d runs, external_id %q", len(runs), runs[0].GetExternalID())
	}
	// go-github keeps this client from sending anything until Retry-After
	// has passed; another replica retries now.
	if _, _, err := c.PublishCheckRun(ctx, pr, run); err == nil || !strings.Contains(err.Error(), "not making remote request") {
		t.Errorf("the same client retried within Retry-After: %v", err)
	}
	id, changed, err := e.client(Options{}).PublishCheckRun(ctx, pr, run)
	if err != nil || !changed {
		t.Fatalf("retry: %v", err)
	}
	runs = e.sim.CheckRuns("acme", "svc", pr.HeadSHA)
	latest := runs[len(runs)-1]
	if latest.GetID() != id || len(latest.Output.Annotations) != 120 || !strings.HasPrefix(latest.GetExternalID(), "v1:") || strings.HasPrefix(latest.GetExternalID(), "v1:pending") {
		t.Errorf("latest run %d: %d annotations, external_id %q", latest.GetID(), len(latest.Output.Annotations), latest.GetExternalID())
	}
}

// TestClientCachingDoesNotDuplicate: with an HTTP cache in the
// ClientCreator that trusts GitHub's max-age (60 s), a listing served from
// memory missed the run just created, and every evaluation created another
// (measured: five runs after five evaluations). The listing asks caches
// not to answer it.
func TestClientCachingDoesNotDuplicate(t *testing.T) {
	e := newEnv(t, githubsim.Options{})
	e.cc = githubapp.NewClientCreator(e.sim.URL(), e.sim.GraphQLURL(), testAppID, appKeyPEM(),
		githubapp.WithClientCaching(false, func() httpcache.Cache { return httpcache.NewMemoryCache() }))
	pr := e.repo("svc", map[string]string{"README.md": "r"}, kit)
	c := e.client(Options{})
	run := readinessRun(pr.HeadSHA)
	for i := range 3 {
		run.Summary = fmt.Sprintf("evaluation %d", i)
		if _, _, err := c.PublishCheckRun(context.Background(), pr, run); err != nil {
			t.Fatal(err)
		}
	}
	runs := e.sim.CheckRuns("acme", "svc", pr.HeadSHA)
	if len(runs) != 1 || runs[0].GetOutput().GetSummary() != "evaluation 2" {
		t.Errorf("%d runs, want 1 with the last summary", len(runs))
	}
}
