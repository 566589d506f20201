package githubsim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"
)

func annotations(n int) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		out[i] = map[string]any{"path": "README.md", "start_line": i + 1, "end_line": i + 1, "annotation_level": "warning", "message": fmt.Sprint("m", i)}
	}
	return out
}

func TestCheckRunValidation(t *testing.T) {
	f := newFixture(t)
	auth := "token " + f.token(t, f.inst)
	head := f.repo.HeadSHA
	out := func(extra map[string]any) map[string]any {
		o := map[string]any{"title": "t", "summary": "s"}
		for k, v := range extra {
			o[k] = v
		}
		return o
	}
	ann := func(mod func(a map[string]any)) map[string]any {
		a := annotations(1)[0]
		mod(a)
		return out(map[string]any{"annotations": []map[string]any{a}})
	}
	action := func(label, desc, id string) []map[string]string {
		return []map[string]string{{"label": label, "description": desc, "identifier": id}}
	}
	cases := []struct {
		name   string
		body   map[string]any
		status int
		msg    string
	}{
		{"minimal", map[string]any{"name": "gate", "head_sha": head}, 201, ""},
		{"name missing", map[string]any{"head_sha": head}, 422, `"name" wasn't supplied.`},
		{"head_sha missing", map[string]any{"name": "gate"}, 422, `"head_sha" wasn't supplied.`},
		{"head_sha not a commit", map[string]any{"name": "gate", "head_sha": strings.Repeat("a", 40)}, 422, "No commit found for SHA"},
		{"name of wrong type", map[string]any{"name": 5, "head_sha": head}, 422, "is not a string"},
		{"bad status", map[string]any{"name": "g", "head_sha": head, "status": "done"}, 422, "'properties/status'"},
		{"stale is GitHub's only", map[string]any{"name": "g", "head_sha": head, "conclusion": "stale"}, 422, "'properties/conclusion'"},
		{"completed without conclusion", map[string]any{"name": "g", "head_sha": head, "status": "completed"}, 422, `"conclusion" wasn't supplied.`},
		{"conclusion completes", map[string]any{"name": "g", "head_sha": head, "status": "in_progress", "conclusion": "neutral"}, 201, ""},
		{"output without summary", map[string]any{"name": "g", "head_sha": head, "output": map[string]any{"title": "t"}}, 422, `"summary" wasn't supplied.`},
		{"summary at the limit", map[string]any{"name": "g", "head_sha": head, "output": out(map[string]any{"summary": strings.Repeat("é", 65535)})}, 201, ""},
		{"summary over the limit", map[string]any{"name": "g", "head_sha": head, "output": out(map[string]any{"summary": strings.Repeat("a", 65536)})}, 422, "Only 65535 characters are allowed; 65536 were supplied."},
		{"text over the limit", map[string]any{"name": "g", "head_sha": head, "output": out(map[string]any{"text": strings.Repeat("a", 70000)})}, 422, "70000 were supplied"},
		{"50 annotations", map[string]any{"name": "g", "head_sha": head, "output": out(map[string]any{"annotations": annotations(50)})}, 201, ""},
		{"51 annotations", map[string]any{"name": "g", "head_sha": head, "output": out(map[string]any{"annotations": annotations(51)})}, 422, "Only 50 annotations"},
		{"annotation without message", map[string]any{"name": "g", "head_sha": head, "output": ann(func(a map[string]any) { delete(a, "message") })}, 422, `"message" wasn't supplied.`},
		{"annotation bad level", map[string]any{"name": "g", "head_sha": head, "output": ann(func(a map[string]any) { a["annotation_level"] = "error" })}, 422, "annotation_level"},
		{"columns across lines", map[string]any{"name": "g", "head_sha": head, "output": ann(func(a map[string]any) { a["end_line"] = 5; a["start_column"] = 1 })}, 422, "start_column"},
		{"columns on one line", map[string]any{"name": "g", "head_sha": head, "output": ann(func(a map[string]any) { a["start_column"] = 1; a["end_column"] = 4 })}, 201, ""},
		{"annotation title 256", map[string]any{"name": "g", "head_sha": head, "output": ann(func(a map[string]any) { a["title"] = strings.Repeat("t", 256) })}, 422, "title is too long"},
		{"annotation message over 64 KB", map[string]any{"name": "g", "head_sha": head, "output": ann(func(a map[string]any) { a["message"] = strings.Repeat("m", 64<<10+1) })}, 422, "message is too long"},
		{"raw_details over 64 KB", map[string]any{"name": "g", "head_sha": head, "output": ann(func(a map[string]any) { a["raw_details"] = strings.Repeat("m", 64<<10+1) })}, 422, "raw_details is too long"},
		{"action label 20", map[string]any{"name": "g", "head_sha": head, "actions": action(strings.Repeat("l", 20), "d", "i")}, 201, ""},
		{"action label 21", map[string]any{"name": "g", "head_sha": head, "actions": action(strings.Repeat("l", 21), "d", "i")}, 422, "label"},
		{"action description 41", map[string]any{"name": "g", "head_sha": head, "actions": action("l", strings.Repeat("d", 41), "i")}, 422, "description"},
		{"action identifier 21", map[string]any{"name": "g", "head_sha": head, "actions": action("l", "d", strings.Repeat("i", 21))}, 422, "identifier"},
		{"four actions", map[string]any{"name": "g", "head_sha": head, "actions": append(append(append(action("a", "d", "1"), action("b", "d", "2")...), action("c", "d", "3")...), action("e", "d", "4")...)}, 422, "Only 3 actions"},
		{"details_url not a URL", map[string]any{"name": "g", "head_sha": head, "details_url": "launchgate/runs/1"}, 422, "Validation Failed"},
		{"started_at not a date", map[string]any{"name": "g", "head_sha": head, "started_at": "yesterday"}, 422, "ISO 8601"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := f.do(t, "POST", "/repos/acme/web/check-runs", auth, tc.body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %.300s", resp.StatusCode, tc.status, body)
			}
			if tc.msg != "" && !strings.Contains(errMessage(t, body), tc.msg) {
				t.Fatalf("body %.300s does not mention %q", body, tc.msg)
			}
			if tc.status == 422 && !strings.HasPrefix(errMessage(t, body), "Invalid request.") && errMessage(t, body) != "Validation Failed" && !strings.HasPrefix(errMessage(t, body), "No commit") {
				t.Errorf("422 body %s", body)
			}
		})
	}
	var run github.CheckRun
	_, body := f.do(t, "POST", "/repos/acme/web/check-runs", auth, map[string]any{"name": "g", "head_sha": head, "conclusion": "success"})
	_ = json.Unmarshal(body, &run)
	if run.GetStatus() != "completed" || run.CompletedAt == nil {
		t.Errorf("a conclusion must complete the run: %s", body)
	}
}

func TestCheckRunLifecycle(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	gh := f.instClient(t)
	sha := f.sim.Push("acme", "web", "launch", map[string]string{"svc.yml": "a: 1\n"})
	num := f.sim.OpenPR("acme", "web", PRSpec{Title: "launch svc", Head: "launch"})

	run, _, err := gh.Checks.CreateCheckRun(ctx, "acme", "web", github.CreateCheckRunOptions{
		Name: "launchgate", HeadSHA: sha, Status: github.String("in_progress"),
		Output: &github.CheckRunOutput{Title: github.String("checking"), Summary: github.String("…"), Annotations: toAnnotations(annotations(50))},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(run.PullRequests) != 1 || run.PullRequests[0].GetNumber() != num {
		t.Errorf("pull_requests = %v, want #%d", run.PullRequests, num)
	}
	if run.GetApp().GetID() != testAppID || run.GetOutput().GetAnnotationsCount() != 50 {
		t.Errorf("run = %+v", run)
	}
	// Annotations append across updates.
	run, _, err = gh.Checks.UpdateCheckRun(ctx, "acme", "web", run.GetID(), github.UpdateCheckRunOptions{
		Name: "launchgate", Conclusion: github.String("failure"),
		Output:  &github.CheckRunOutput{Title: github.String("blocked"), Summary: github.String("2 problems"), Annotations: toAnnotations(annotations(50))},
		Actions: []*github.CheckRunAction{{Label: "Override", Description: "Launch anyway", Identifier: "override"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if run.GetStatus() != "completed" || run.GetConclusion() != "failure" || run.GetOutput().GetAnnotationsCount() != 100 {
		t.Fatalf("after update: status=%s conclusion=%s annotations=%d", run.GetStatus(), run.GetConclusion(), run.GetOutput().GetAnnotationsCount())
	}
	var all []*github.CheckRunAnnotation
	opt := &github.ListOptions{PerPage: 100}
	for {
		page, resp, err := gh.Checks.ListCheckRunAnnotations(ctx, "acme", "web", run.GetID(), opt)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
		if resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	if len(all) != 100 {
		t.Fatalf("listed %d annotations, want 100", len(all))
	}
	if runs := f.sim.CheckRuns("acme", "web", sha); len(runs) != 1 || len(runs[0].GetOutput().Annotations) != 100 || runs[0].GetOutput().GetTitle() != "blocked" {
		t.Fatalf("CheckRuns = %v", runs)
	}

	// filter=latest keeps the newest run per name; check_name filters.
	if _, _, err := gh.Checks.CreateCheckRun(ctx, "acme", "web", github.CreateCheckRunOptions{Name: "launchgate", HeadSHA: sha}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := gh.Checks.CreateCheckRun(ctx, "acme", "web", github.CreateCheckRunOptions{Name: "other", HeadSHA: sha}); err != nil {
		t.Fatal(err)
	}
	res, _, err := gh.Checks.ListCheckRunsForRef(ctx, "acme", "web", "launch", &github.ListCheckRunsOptions{CheckName: github.String("launchgate")})
	if err != nil || res.GetTotal() != 1 || res.CheckRuns[0].GetStatus() != "queued" {
		t.Fatalf("latest launchgate runs = %v, %v", res, err)
	}
	res, _, err = gh.Checks.ListCheckRunsForRef(ctx, "acme", "web", sha, &github.ListCheckRunsOptions{Filter: github.String("all")})
	if err != nil || res.GetTotal() != 3 {
		t.Fatalf("all runs = %v, %v", res.GetTotal(), err)
	}

	// Only the creating App may update the run.
	other := testKeys()[1]
	f.sim.AddApp(77, "intruder", &other.PublicKey)
	otherInst := f.sim.InstallApp(77, "acme")
	otherApp := f.client(t, f.jwt(t, other, 77, -time.Minute, 5*time.Minute))
	tok, _, err := otherApp.Apps.CreateInstallationToken(ctx, otherInst, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = f.client(t, tok.GetToken()).Checks.UpdateCheckRun(ctx, "acme", "web", run.GetID(), github.UpdateCheckRunOptions{Name: "launchgate", Conclusion: github.String("success")})
	if statusOf(err) != http.StatusForbidden || !strings.Contains(err.Error(), fmt.Sprintf("Invalid app_id `%d`", testAppID)) {
		t.Fatalf("update by another app: %v", err)
	}
	if got := f.sim.CheckRuns("acme", "web", sha)[0].GetConclusion(); got != "failure" {
		t.Fatalf("run changed by another app: %s", got)
	}

	// created and completed webhooks reach the App, asynchronously.
	f.sim.WaitForDeliveries()
	if n := len(f.hooks.ofEvent("check_run", "completed")); n != 1 {
		t.Errorf("check_run completed deliveries: %d", n)
	}
	if n := len(f.hooks.ofEvent("check_run", "created")); n != 3 {
		t.Errorf("check_run created deliveries: %d", n)
	}
	// UI buttons.
	f.sim.RequestCheckRunAction(run.GetID(), "alice", "override")
	ra := f.hooks.ofEvent("check_run", "requested_action")
	if len(ra) != 1 || ra[0].payload["requested_action"].(map[string]any)["identifier"] != "override" ||
		ra[0].payload["sender"].(map[string]any)["login"] != "alice" {
		t.Fatalf("requested_action deliveries = %v", ra)
	}
	f.sim.RerequestCheckRun(run.GetID(), "bob")
	if n := len(f.hooks.ofEvent("check_run", "rerequested")); n != 1 {
		t.Errorf("rerequested deliveries: %d", n)
	}
}

func toAnnotations(in []map[string]any) []*github.CheckRunAnnotation {
	b, _ := json.Marshal(in)
	var out []*github.CheckRunAnnotation
	_ = json.Unmarshal(b, &out)
	return out
}
