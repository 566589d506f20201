package githubsim

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/go-github/v60/github"
)

func TestWebhookDeliveryHeadersAndSignature(t *testing.T) {
	f := newFixture(t)
	f.sim.Push("acme", "web", "feat", map[string]string{"x": "1"})
	f.sim.OpenPR("acme", "web", PRSpec{Title: "t", Head: "feat"})
	got := f.hooks.all()
	if len(got) != 3 { // push, check_suite requested, pull_request opened
		t.Fatalf("%d deliveries", len(got))
	}
	guids := map[string]bool{}
	for _, d := range got {
		if d.sigErr != nil {
			t.Errorf("%s: signature does not verify: %v", d.event, d.sigErr)
		}
		h := d.header
		if h.Get("Content-Type") != "application/json" || h.Get("User-Agent") != "GitHub-Hookshot/sim" ||
			h.Get("X-GitHub-Hook-Installation-Target-Type") != "integration" || h.Get("X-GitHub-Hook-Installation-Target-ID") != "42" ||
			h.Get("X-GitHub-Hook-ID") == "" || len(d.guid) != 36 {
			t.Errorf("%s headers: %v", d.event, h)
		}
		if guids[d.guid] {
			t.Errorf("GUID reused across events: %s", d.guid)
		}
		guids[d.guid] = true
		ev, err := github.ParseWebHook(d.event, d.body)
		if err != nil {
			t.Errorf("go-github cannot parse %s: %v", d.event, err)
		}
		if pr, ok := ev.(*github.PullRequestEvent); ok && pr.GetPullRequest().GetHead().GetRef() != "feat" {
			t.Errorf("pull_request payload: %+v", pr)
		}
	}

	// A wrong secret fails verification: the signature covers the raw body.
	f2 := newFixture(t, func(o *Options) { o.WebhookSecret = "other" })
	f2.sim.OpenPR("acme", "web", PRSpec{Title: "t", Head: "main"})
	if d := f2.hooks.all(); len(d) != 1 || d[0].sigErr == nil {
		t.Fatalf("delivery signed with another secret verified: %v", d)
	}

	// Only subscribed events are delivered; without a URL nothing is.
	f3 := newFixture(t, func(o *Options) { o.Events = []string{"pull_request"} })
	f3.sim.Push("acme", "web", "feat", map[string]string{"x": "1"})
	f3.sim.OpenPR("acme", "web", PRSpec{Title: "t", Head: "feat"})
	f3.sim.SetWebhookURL("")
	f3.sim.Label("acme", "web", 1, "a", "b")
	if d := f3.hooks.all(); len(d) != 1 || d[0].event != "pull_request" {
		t.Fatalf("deliveries with Events filter: %v", d)
	}
}

func TestDeliveriesListingAndRedelivery(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	app := f.appClient(t)
	f.hooks.setStatus(http.StatusInternalServerError)
	f.sim.Push("acme", "web", "feat", map[string]string{"x": "1"}) // push + check_suite
	f.hooks.setStatus(http.StatusOK)
	for i := range 3 {
		f.sim.AddComment("acme", "web", f.sim.OpenPR("acme", "web", PRSpec{Title: "t", Head: "feat"}), "u", string(rune('a'+i)))
	}
	// 2 + 3×(opened, created) = 8 deliveries; walk them two at a time.
	var all []*github.HookDelivery
	opt := &github.ListCursorOptions{PerPage: 2}
	for pages := 0; ; pages++ {
		page, resp, err := app.Apps.ListHookDeliveries(ctx, opt)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) > 2 || pages > 10 {
			t.Fatalf("page of %d, page count %d", len(page), pages)
		}
		all = append(all, page...)
		if resp.Cursor == "" {
			break
		}
		opt.Cursor = resp.Cursor
	}
	if len(all) != 8 {
		t.Fatalf("listed %d deliveries, want 8", len(all))
	}
	for i := 1; i < len(all); i++ {
		if all[i].GetID() >= all[i-1].GetID() {
			t.Fatalf("deliveries not newest first: %d then %d", all[i-1].GetID(), all[i].GetID())
		}
	}
	oldest := all[len(all)-1]
	if oldest.GetEvent() != "push" || oldest.GetStatus() != "Invalid HTTP Response: 500" || oldest.GetStatusCode() != 500 ||
		oldest.GetInstallationID() != f.inst || oldest.GetRepositoryID() != f.repo.ID {
		t.Fatalf("failed delivery = %+v", oldest)
	}
	if all[0].GetStatus() != "OK" || all[0].GetAction() != "created" {
		t.Fatalf("newest delivery = %+v", all[0])
	}

	// Redeliver the failed push: same GUID, a new delivery marked redelivery.
	if _, _, err := app.Apps.RedeliverHookDelivery(ctx, oldest.GetID()); err != nil {
		if _, accepted := err.(*github.AcceptedError); !accepted {
			t.Fatal(err)
		}
	}
	f.sim.WaitForDeliveries()
	pushes := f.hooks.ofEvent("push", "")
	if len(pushes) != 2 || pushes[0].guid != pushes[1].guid || pushes[0].guid != oldest.GetGUID() || string(pushes[0].body) != string(pushes[1].body) {
		t.Fatalf("redelivered push: %v", pushes)
	}
	latest, _, err := app.Apps.ListHookDeliveries(ctx, &github.ListCursorOptions{PerPage: 1})
	if err != nil || len(latest) != 1 || !latest[0].GetRedelivery() || latest[0].GetGUID() != oldest.GetGUID() || latest[0].GetStatus() != "OK" {
		t.Fatalf("redelivery record = %v, %v", latest, err)
	}
	one, _, err := app.Apps.GetHookDelivery(ctx, latest[0].GetID())
	if err != nil || one.Request == nil || one.Request.Headers["X-GitHub-Event"] != "push" {
		t.Fatalf("GetHookDelivery = %+v, %v", one, err)
	}
	if _, _, err := app.Apps.RedeliverHookDelivery(ctx, 999999); statusOf(err) != http.StatusNotFound {
		t.Fatalf("redeliver unknown: %v", err)
	}
	// Installation tokens cannot list deliveries.
	if _, _, err := f.instClient(t).Apps.ListHookDeliveries(ctx, nil); statusOf(err) != http.StatusUnauthorized {
		t.Fatalf("deliveries with installation token: %v", err)
	}
}

func TestCommentEditsAndSenders(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	gh := f.instClient(t)
	f.sim.Push("acme", "web", "feat", map[string]string{"x": "1"})
	num := f.sim.OpenPR("acme", "web", PRSpec{Title: "t", Head: "feat"})

	c, _, err := gh.Issues.CreateComment(ctx, "acme", "web", num, &github.IssueComment{Body: github.String("- [ ] runbook")})
	if err != nil || c.GetUser().GetLogin() != "launchgate[bot]" || c.GetUser().GetType() != "Bot" {
		t.Fatalf("comment = %+v, %v", c, err)
	}
	// A person ticks the box: edited, with the old body and the person as sender.
	f.sim.EditComment("acme", "web", c.GetID(), "alice", "- [x] runbook")
	edited := f.hooks.ofEvent("issue_comment", "edited")
	if len(edited) != 1 || edited[0].payload["sender"].(map[string]any)["login"] != "alice" ||
		edited[0].payload["changes"].(map[string]any)["body"].(map[string]any)["from"] != "- [ ] runbook" ||
		edited[0].payload["issue"].(map[string]any)["pull_request"] == nil {
		t.Fatalf("edited = %v", edited)
	}
	// The App's own edit is delivered too, with its bot as sender.
	if _, _, err := gh.Issues.EditComment(ctx, "acme", "web", c.GetID(), &github.IssueComment{Body: github.String("- [x] runbook ✅")}); err != nil {
		t.Fatal(err)
	}
	f.sim.WaitForDeliveries()
	edited = f.hooks.ofEvent("issue_comment", "edited")
	if len(edited) != 2 || edited[1].payload["sender"].(map[string]any)["login"] != "launchgate[bot]" ||
		edited[1].payload["sender"].(map[string]any)["type"] != "Bot" {
		t.Fatalf("App edit = %v", edited)
	}
	if got := f.sim.Comments("acme", "web", num); len(got) != 1 || got[0].GetBody() != "- [x] runbook ✅" {
		t.Fatalf("Comments = %v", got)
	}
	list, _, err := gh.Issues.ListComments(ctx, "acme", "web", num, nil)
	if err != nil || len(list) != 1 {
		t.Fatalf("ListComments = %v, %v", list, err)
	}
	got, _, err := gh.Issues.GetComment(ctx, "acme", "web", c.GetID())
	if err != nil || got.GetBody() != "- [x] runbook ✅" {
		t.Fatalf("GetComment = %v, %v", got, err)
	}
	long := make([]rune, maxCommentChars+1)
	for i := range long {
		long[i] = 'a'
	}
	if _, _, err := gh.Issues.CreateComment(ctx, "acme", "web", num, &github.IssueComment{Body: github.String(string(long))}); statusOf(err) != http.StatusUnprocessableEntity {
		t.Fatalf("over-long comment: %v", err)
	}
	if _, _, err := gh.Issues.CreateComment(ctx, "acme", "web", 404, &github.IssueComment{Body: github.String("x")}); statusOf(err) != http.StatusNotFound {
		t.Fatalf("comment on unknown pull: %v", err)
	}
}
