package githubsim

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"
)

func TestPullFilesPagination(t *testing.T) {
	f := newFixture(t)
	files := map[string]string{}
	for i := range 3005 {
		files[fmt.Sprintf("f/%04d.txt", i)] = fmt.Sprintln(i)
	}
	f.sim.Push("acme", "web", "big", files)
	num := f.sim.OpenPR("acme", "web", PRSpec{Title: "big", Head: "big"})
	ctx := context.Background()
	gh := f.instClient(t)

	// Walk every page through the Link header: GitHub stops at 3,000 files.
	var got []*github.CommitFile
	pages := 0
	opt := &github.ListOptions{PerPage: 100}
	for {
		page, resp, err := gh.PullRequests.ListFiles(ctx, "acme", "web", num, opt)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		got = append(got, page...)
		if pages == 1 && resp.LastPage != 30 {
			t.Errorf("first page: last page %d, want 30", resp.LastPage)
		}
		if resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	if len(got) != 3000 || pages != 30 || got[0].GetFilename() != "f/0000.txt" || got[2999].GetFilename() != "f/2999.txt" {
		t.Fatalf("got %d files in %d pages", len(got), pages)
	}
	// per_page is capped at 100; the default is 30.
	page, _, err := gh.PullRequests.ListFiles(ctx, "acme", "web", num, &github.ListOptions{PerPage: 500})
	if err != nil || len(page) != 100 {
		t.Fatalf("per_page=500 gave %d, %v", len(page), err)
	}
	page, resp, err := gh.PullRequests.ListFiles(ctx, "acme", "web", num, nil)
	if err != nil || len(page) != 30 || resp.NextPage != 2 || resp.PrevPage != 0 {
		t.Fatalf("default page: %d files, next %d prev %d, %v", len(page), resp.NextPage, resp.PrevPage, err)
	}
	_, resp, _ = gh.PullRequests.ListFiles(ctx, "acme", "web", num, &github.ListOptions{Page: 3})
	if resp.PrevPage != 2 || resp.FirstPage != 1 || resp.NextPage != 4 {
		t.Errorf("middle page links: %s", resp.Header.Get("Link"))
	}
}

func TestPullRequestDiffAndSynchronize(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	gh := f.instClient(t)
	first := f.sim.Push("acme", "web", "feat", map[string]string{
		"deploy/app.yml": "replicas: 3\n", "README.md": "", "new.txt": "a\nb\n",
	})
	num := f.sim.OpenPR("acme", "web", PRSpec{Title: "Launch", Body: "- [ ] runbook", Head: "feat", Author: "dev", Labels: []string{"launch"}})
	// A later commit on the base branch is not part of the pull request's diff.
	f.sim.Push("acme", "web", "main", map[string]string{"unrelated.txt": "x"})

	files, _, err := gh.PullRequests.ListFiles(ctx, "acme", "web", num, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"README.md": "removed", "deploy/app.yml": "modified", "new.txt": "added"}
	if len(files) != len(want) {
		t.Fatalf("files = %v", files)
	}
	for _, fl := range files {
		if want[fl.GetFilename()] != fl.GetStatus() {
			t.Errorf("%s: status %s", fl.GetFilename(), fl.GetStatus())
		}
		if fl.GetFilename() == "deploy/app.yml" && (fl.GetAdditions() != 1 || fl.GetDeletions() != 1 ||
			fl.GetPatch() != "@@ -1,1 +1,1 @@\n-replicas: 2\n+replicas: 3") {
			t.Errorf("modified file: +%d -%d patch %q", fl.GetAdditions(), fl.GetDeletions(), fl.GetPatch())
		}
	}
	pr, _, err := gh.PullRequests.Get(ctx, "acme", "web", num)
	if err != nil || pr.GetHead().GetSHA() != first || pr.GetChangedFiles() != 3 || pr.GetCommits() != 1 ||
		pr.GetUser().GetLogin() != "dev" || pr.Labels[0].GetName() != "launch" || pr.GetHead().GetRef() != "feat" {
		t.Fatalf("pr = %+v, %v", pr, err)
	}

	second := f.sim.Push("acme", "web", "feat", map[string]string{"new.txt": "a\nb\nc\n"})
	syncs := f.hooks.ofEvent("pull_request", "synchronize")
	if len(syncs) != 1 || syncs[0].payload["before"] != first || syncs[0].payload["after"] != second ||
		syncs[0].payload["pull_request"].(map[string]any)["head"].(map[string]any)["sha"] != second {
		t.Fatalf("synchronize deliveries = %v", syncs)
	}
	if n := len(f.hooks.ofEvent("push", "")); n != 3 {
		t.Errorf("push deliveries: %d", n)
	}
	if n := len(f.hooks.ofEvent("check_suite", "requested")); n != 3 {
		t.Errorf("check_suite requested deliveries: %d", n)
	}
	pr, _, _ = gh.PullRequests.Get(ctx, "acme", "web", num)
	if pr.GetHead().GetSHA() != second || pr.GetCommits() != 2 {
		t.Errorf("after push: head %s commits %d", pr.GetHead().GetSHA(), pr.GetCommits())
	}

	list, _, err := gh.PullRequests.List(ctx, "acme", "web", &github.PullRequestListOptions{State: "open"})
	if err != nil || len(list) != 1 || list[0].GetNumber() != num {
		t.Fatalf("open pulls = %v, %v", list, err)
	}
	f.sim.ClosePR("acme", "web", num, "dev")
	if list, _, _ := gh.PullRequests.List(ctx, "acme", "web", nil); len(list) != 0 {
		t.Errorf("closed pull listed as open")
	}
	if _, _, err := gh.PullRequests.Get(ctx, "acme", "web", 99); statusOf(err) != http.StatusNotFound {
		t.Errorf("unknown pull: %v", err)
	}
}

func TestPullRequestEventsAndForks(t *testing.T) {
	f := newFixture(t)
	f.sim.Push("acme", "web", "patch", map[string]string{"x": "1"})
	num := f.sim.OpenPR("acme", "web", PRSpec{Title: "Fix", Head: "patch", Author: "mallory", FromFork: true, Draft: true})
	opened := f.hooks.ofEvent("pull_request", "opened")
	if len(opened) != 1 {
		t.Fatalf("opened deliveries: %d", len(opened))
	}
	p := opened[0].payload
	pr := p["pull_request"].(map[string]any)
	head := pr["head"].(map[string]any)
	if p["number"] != float64(num) || pr["draft"] != true || head["label"] != "mallory:patch" ||
		head["repo"].(map[string]any)["full_name"] != "mallory/web" || head["repo"].(map[string]any)["fork"] != true ||
		pr["base"].(map[string]any)["repo"].(map[string]any)["full_name"] != "acme/web" {
		t.Fatalf("fork pull request payload: %v", pr)
	}
	if p["installation"].(map[string]any)["id"] != float64(f.inst) || p["organization"].(map[string]any)["login"] != "acme" ||
		p["repository"].(map[string]any)["owner"].(map[string]any)["type"] != "Organization" || p["sender"].(map[string]any)["login"] != "mallory" {
		t.Fatalf("envelope: %v", p)
	}

	f.sim.Label("acme", "web", num, "lead", "launch")
	f.sim.Label("acme", "web", num, "lead", "launch") // already there: no event
	f.sim.Unlabel("acme", "web", num, "lead", "launch")
	f.sim.EditTitle("acme", "web", num, "mallory", "Fix it")
	f.sim.SetDraft("acme", "web", num, "mallory", false)
	labeled := f.hooks.ofEvent("pull_request", "labeled")
	if len(labeled) != 1 || labeled[0].payload["label"].(map[string]any)["name"] != "launch" || labeled[0].payload["sender"].(map[string]any)["login"] != "lead" {
		t.Fatalf("labeled = %v", labeled)
	}
	if len(f.hooks.ofEvent("pull_request", "unlabeled")) != 1 || len(f.hooks.ofEvent("pull_request", "ready_for_review")) != 1 {
		t.Fatal("unlabeled / ready_for_review not delivered")
	}
	edited := f.hooks.ofEvent("pull_request", "edited")
	if len(edited) != 1 || edited[0].payload["changes"].(map[string]any)["title"].(map[string]any)["from"] != "Fix" {
		t.Fatalf("edited = %v", edited)
	}

	// Reviews: REST says APPROVED, webhooks say approved.
	id := f.sim.SubmitReview("acme", "web", num, "lead", "APPROVED")
	sub := f.hooks.ofEvent("pull_request_review", "submitted")
	if len(sub) != 1 || sub[0].payload["review"].(map[string]any)["state"] != "approved" {
		t.Fatalf("submitted = %v", sub)
	}
	f.sim.SubmitReview("acme", "web", num, "ops", "CHANGES_REQUESTED")
	f.sim.DismissReview("acme", "web", num, id, "admin")
	reviews, _, err := f.instClient(t).PullRequests.ListReviews(context.Background(), "acme", "web", num, nil)
	if err != nil || len(reviews) != 2 || reviews[0].GetState() != "DISMISSED" || reviews[1].GetState() != "CHANGES_REQUESTED" {
		t.Fatalf("reviews = %v, %v", reviews, err)
	}
	if d := f.hooks.ofEvent("pull_request_review", "dismissed"); len(d) != 1 || d[0].payload["review"].(map[string]any)["state"] != "dismissed" {
		t.Fatalf("dismissed = %v", d)
	}
	// Check runs on a fork's head do not list the pull request, as on GitHub.
	run, _, err := f.instClient(t).Checks.CreateCheckRun(context.Background(), "acme", "web", github.CreateCheckRunOptions{Name: "g", HeadSHA: head["sha"].(string)})
	if err != nil || len(run.PullRequests) != 0 {
		t.Fatalf("fork run pull_requests = %v, %v", run.PullRequests, err)
	}
}

func TestTeamsAndReviewRequests(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	gh := f.instClient(t)
	f.sim.AddTeam("acme", "sre", "alice", "bob")
	f.sim.AddTeam("acme", "design")
	f.sim.RestrictTeam("acme", "design") // no repository access
	f.sim.Push("acme", "web", "feat", map[string]string{"x": "1"})
	num := f.sim.OpenPR("acme", "web", PRSpec{Title: "t", Head: "feat", Author: "carol"})

	m, _, err := gh.Teams.GetTeamMembershipBySlug(ctx, "acme", "sre", "alice")
	if err != nil || m.GetState() != "active" || m.GetRole() != "member" {
		t.Fatalf("membership = %v, %v", m, err)
	}
	f.sim.RemoveTeamMember("acme", "sre", "alice")
	for _, tc := range []struct{ team, user string }{{"sre", "alice"}, {"sre", "carol"}, {"nope", "bob"}} {
		if _, _, err := gh.Teams.GetTeamMembershipBySlug(ctx, "acme", tc.team, tc.user); statusOf(err) != http.StatusNotFound {
			t.Errorf("%s/%s: want 404, got %v", tc.team, tc.user, err)
		}
	}
	team, _, err := gh.Teams.GetTeamBySlug(ctx, "acme", "sre")
	if err != nil || team.GetSlug() != "sre" || team.GetMembersCount() != 1 {
		t.Fatalf("team = %v, %v", team, err)
	}

	pr, _, err := gh.PullRequests.RequestReviewers(ctx, "acme", "web", num, github.ReviewersRequest{TeamReviewers: []string{"sre"}})
	if err != nil || len(pr.RequestedTeams) != 1 || pr.RequestedTeams[0].GetSlug() != "sre" {
		t.Fatalf("request sre = %v, %v", pr, err)
	}
	for _, req := range []github.ReviewersRequest{{TeamReviewers: []string{"ghosts"}}, {TeamReviewers: []string{"design"}}, {Reviewers: []string{"carol"}}} {
		if _, _, err := gh.PullRequests.RequestReviewers(ctx, "acme", "web", num, req); statusOf(err) != http.StatusUnprocessableEntity {
			t.Errorf("%+v: want 422, got %v", req, err)
		}
	}
	f.sim.WaitForDeliveries()
	rr := f.hooks.ofEvent("pull_request", "review_requested")
	if len(rr) != 1 || rr[0].payload["requested_team"].(map[string]any)["slug"] != "sre" ||
		!strings.HasSuffix(rr[0].payload["sender"].(map[string]any)["login"].(string), "[bot]") {
		t.Fatalf("review_requested = %v", rr)
	}
}

func TestLineDiffHunks(t *testing.T) {
	lines := func(n int, edit map[int]string) string {
		var b strings.Builder
		for i := 1; i <= n; i++ {
			if v, ok := edit[i]; ok {
				if v != "" {
					b.WriteString(v + "\n")
				}
				continue
			}
			fmt.Fprintf(&b, "l%d\n", i)
		}
		return b.String()
	}
	cases := []struct {
		name     string
		old, new string
		add, del int
		patch    string
	}{
		{"added file", "", "a\nb\n", 2, 0, "@@ -0,0 +1,2 @@\n+a\n+b"},
		{"removed file", "a\n", "", 0, 1, "@@ -1,1 +0,0 @@\n-a"},
		{"two distant changes make two hunks", lines(20, nil), lines(20, map[int]string{2: "X", 18: ""}), 1, 2,
			"@@ -1,5 +1,5 @@\n l1\n-l2\n+X\n l3\n l4\n l5\n@@ -15,6 +15,5 @@\n l15\n l16\n l17\n-l18\n l19\n l20"},
		{"close changes share a hunk", lines(10, nil), lines(10, map[int]string{3: "A", 8: "B"}), 2, 2,
			"@@ -1,10 +1,10 @@\n l1\n l2\n-l3\n+A\n l4\n l5\n l6\n l7\n-l8\n+B\n l9\n l10"},
		{"binary", "a\x00", "b\x00", 0, 0, ""},
	}
	for _, tc := range cases {
		add, del, patch := lineDiff([]byte(tc.old), []byte(tc.new))
		if add != tc.add || del != tc.del || patch != tc.patch {
			t.Errorf("%s: +%d -%d\n%s\nwant +%d -%d\n%s", tc.name, add, del, patch, tc.add, tc.del, tc.patch)
		}
	}
}

// TestMergePR checks a merge as GitHub documents it: pull_request "closed"
// with merged true, merged_by, merged_at and merge_commit_sha, the base
// branch moved to a merge commit with both parents, and its push.
func TestMergePR(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	gh := f.instClient(t)
	head := f.sim.Push("acme", "web", "feat", map[string]string{"new.txt": "a\n"})
	num := f.sim.OpenPR("acme", "web", PRSpec{Title: "Launch", Head: "feat", Author: "dev"})
	open, _, err := gh.PullRequests.Get(ctx, "acme", "web", num)
	if err != nil {
		t.Fatal(err)
	}
	base := open.GetBase().GetSHA()
	merge := f.sim.MergePR("acme", "web", num, "lead")

	closed := f.hooks.ofEvent("pull_request", "closed")
	if len(closed) != 1 {
		t.Fatalf("closed deliveries: %d", len(closed))
	}
	pr := closed[0].payload["pull_request"].(map[string]any)
	if pr["merged"] != true || pr["state"] != "closed" || pr["merge_commit_sha"] != merge ||
		pr["merged_by"].(map[string]any)["login"] != "lead" || pr["merged_at"] == nil ||
		pr["head"].(map[string]any)["sha"] != head || pr["base"].(map[string]any)["sha"] != base {
		t.Errorf("closed payload of a merge: %v", pr)
	}
	pushes := f.hooks.ofEvent("push", "")
	if last := pushes[len(pushes)-1].payload; last["ref"] != "refs/heads/main" || last["after"] != merge || last["before"] != base {
		t.Errorf("the merge's push: ref %v before %v after %v", last["ref"], last["before"], last["after"])
	}
	cm, _, err := gh.Repositories.GetCommit(ctx, "acme", "web", merge, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(cm.Parents) != 2 || cm.Parents[0].GetSHA() != base || cm.Parents[1].GetSHA() != head {
		t.Errorf("merge commit parents = %v, want base and head", cm.Parents)
	}
	got, _, err := gh.PullRequests.Get(ctx, "acme", "web", num)
	if err != nil || !got.GetMerged() || got.GetMergedBy().GetLogin() != "lead" {
		t.Errorf("GET the merged pull request: merged %v by %q, %v", got.GetMerged(), got.GetMergedBy().GetLogin(), err)
	}
}
