package githubapi

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/launchgate/launchgate/internal/githubsim"
)

// Membership answers are reused for the TTL, "no" included, and dropped
// when an event says they changed.
func TestActiveMemberCache(t *testing.T) {
	e := newEnv(t, githubsim.Options{})
	e.sim.AddTeam("acme", "security", "sam")
	e.sim.AddTeam("acme", "infra", "ian")
	clk := githubsim.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	c := e.client(Options{MembershipTTL: time.Minute, Now: clk.Now})
	ctx := context.Background()
	e.requests()
	ask := func(team, user string, want bool, wantRequests int) {
		t.Helper()
		got, err := c.ActiveMember(ctx, e.inst, "acme", team, user)
		if err != nil {
			t.Fatal(err)
		}
		reqs := e.apiRequests()
		if got != want || len(reqs) != wantRequests {
			t.Errorf("%s in %s: %t with %d requests %v, want %t with %d", user, team, got, len(reqs), reqs, want, wantRequests)
		}
	}
	ask("security", "sam", true, 1)
	ask("Security", "SAM", true, 0) // slugs and logins are case-insensitive
	ask("security", "mallory", false, 1)
	ask("security", "mallory", false, 0)
	ask("infra", "sam", false, 1)

	e.sim.RemoveTeamMember("acme", "security", "sam")
	ask("security", "sam", true, 0) // within the TTL, and no event yet
	c.ForgetMembership("acme", "security", "sam")
	ask("security", "sam", false, 1)

	e.sim.AddTeam("acme", "security", "sam")
	clk.Add(time.Minute)
	ask("security", "sam", true, 1) // the TTL ran out
	ask("infra", "ian", true, 1)
	c.ForgetMembership("acme", "security", "")
	ask("security", "sam", true, 1)
	ask("infra", "ian", true, 0) // another team's answers stand
	c.ForgetMembership("ACME", "", "")
	ask("infra", "ian", true, 1)
	if other := c.Requests().Endpoint("GET (other)"); other != 0 {
		t.Errorf("membership lookups counted without their endpoint template: %v", c.Requests().Counts)
	}
}

// A MembershipTTL of 0 reuses no answer: every question asks GitHub, so a
// removal counts at once.
func TestActiveMemberNoReuse(t *testing.T) {
	e := newEnv(t, githubsim.Options{})
	e.sim.AddTeam("acme", "security", "sam")
	c := e.client(Options{MembershipTTL: 0})
	ctx := context.Background()
	e.requests()
	for _, step := range []struct {
		name   string
		remove bool
		want   bool
	}{
		{name: "first question", want: true},
		{name: "same question again", want: true},
		{name: "after a removal no event announced", remove: true, want: false},
	} {
		if step.remove {
			e.sim.RemoveTeamMember("acme", "security", "sam")
		}
		got, err := c.ActiveMember(ctx, e.inst, "acme", "security", "sam")
		if err != nil {
			t.Fatal(err)
		}
		if reqs := e.apiRequests(); got != step.want || len(reqs) != 1 {
			t.Errorf("%s: %t with %d requests %v, want %t with 1", step.name, got, len(reqs), reqs, step.want)
		}
	}
}

// The checklist is the App's own marked comment: found by listing once,
// then read by its ID; nobody else's comment is mistaken for it.
func TestMarkedComment(t *testing.T) {
	e := newEnv(t, githubsim.Options{})
	pr := e.repo("svc", map[string]string{"README.md": "r"}, map[string]string{"launch/x.md": "x"})
	c := e.client(Options{})
	ctx := context.Background()
	const marker = "<!-- launchgate:checklist -->"
	bot, err := c.AppLogin(ctx)
	if err != nil || bot != "launchgate[bot]" {
		t.Fatalf("AppLogin = %q, %v", bot, err)
	}
	if _, err := c.AppLogin(ctx); err != nil {
		t.Fatal(err)
	}
	e.requests()

	e.sim.AddComment("acme", "svc", pr.Number, "mallory", marker+"\n- [x] `forged`")
	cm, err := c.MarkedComment(ctx, pr, marker, bot)
	if err != nil || cm != nil {
		t.Fatalf("MarkedComment found %+v, %v; want none (only mallory's comment is marked)", cm, err)
	}
	if reqs := e.apiRequests(); !slices.Equal(reqs, []string{"GET /repos/acme/svc/issues/1/comments"}) {
		t.Errorf("requests %v (AppLogin must be read once)", reqs)
	}

	created, err := c.CreateComment(ctx, pr, marker, marker+"\nthe checklist")
	if err != nil || created.Author != bot || !strings.Contains(created.HTMLURL, "#issuecomment-") {
		t.Fatalf("CreateComment = %+v, %v", created, err)
	}
	e.requests()
	cm, err = c.MarkedComment(ctx, pr, marker, bot)
	if err != nil || cm == nil || cm.ID != created.ID {
		t.Fatalf("MarkedComment = %+v, %v; want the created comment", cm, err)
	}
	if reqs := e.apiRequests(); len(reqs) != 1 || !strings.HasPrefix(reqs[0], "GET /repos/acme/svc/issues/comments/") {
		t.Errorf("a remembered comment should be read by ID, got %v", reqs)
	}

	if _, err := c.EditComment(ctx, pr, created.ID, "no longer marked"); err != nil {
		t.Fatal(err)
	}
	cm, err = c.MarkedComment(ctx, pr, marker, bot)
	if err != nil || cm != nil {
		t.Errorf("an unmarked comment was returned: %+v, %v", cm, err)
	}
	if other := c.Requests().Endpoint("GET (other)") + c.Requests().Endpoint("POST (other)") + c.Requests().Endpoint("PATCH (other)"); other != 0 {
		t.Errorf("comment requests counted without their endpoint template: %v", c.Requests().Counts)
	}
}

// ChangedSince compares trees by blob SHA; a commit GitHub cannot find is
// unknown, not unchanged.
func TestChangedSince(t *testing.T) {
	e := newEnv(t, githubsim.Options{})
	pr := e.repo("svc", map[string]string{"README.md": "r"}, map[string]string{"launch/a.md": "a", "launch/b.md": "b"})
	reviewed := pr.HeadSHA
	pr.HeadSHA = e.sim.Push("acme", "svc", "feature", map[string]string{"launch/a.md": "a2", "launch/b.md": "", "launch/c.md": "c"})
	c := e.client(Options{})
	ctx := context.Background()
	e.requests()
	paths, known, err := c.ChangedSince(ctx, pr, reviewed)
	if err != nil || !known || !slices.Equal(paths, []string{"launch/a.md", "launch/b.md", "launch/c.md"}) {
		t.Fatalf("ChangedSince = %v, %t, %v", paths, known, err)
	}
	if n := len(e.apiRequests()); n != 2 {
		t.Errorf("%d requests, want the two trees", n)
	}
	if _, _, err := c.ChangedSince(ctx, pr, reviewed); err != nil {
		t.Fatal(err)
	}
	if reqs := e.apiRequests(); len(reqs) != 0 {
		t.Errorf("a second comparison sent %v", reqs)
	}
	if paths, known, err := c.ChangedSince(ctx, pr, pr.HeadSHA); err != nil || !known || len(paths) != 0 {
		t.Errorf("the head against itself: %v, %t, %v", paths, known, err)
	}
	for _, gone := range []string{strings.Repeat("ab", 20), "", "not-a-sha"} {
		if _, known, err := c.ChangedSince(ctx, pr, gone); err != nil || known {
			t.Errorf("ChangedSince(%q) = known %t, %v; want unknown", gone, known, err)
		}
	}
}

// A team that cannot be asked does not keep the others from being asked.
func TestRequestTeamReviews(t *testing.T) {
	e := newEnv(t, githubsim.Options{})
	e.sim.AddTeam("acme", "security", "sam")
	e.sim.AddTeam("acme", "infra", "ian")
	e.sim.RestrictTeam("acme", "infra") // no access to any repository
	pr := e.repo("svc", map[string]string{"README.md": "r"}, map[string]string{"launch/x.md": "x"})
	c := e.client(Options{})
	e.requests()
	err := c.RequestTeamReviews(context.Background(), pr, []string{"security", "infra"})
	if err == nil || !strings.Contains(err.Error(), "[infra]") || strings.Contains(err.Error(), "[security]") {
		t.Errorf("error %v, want one naming infra only", err)
	}
	if reqs := e.apiRequests(); len(reqs) != 3 {
		t.Errorf("requests %v: want both teams, then each alone", reqs)
	}
	got, err := c.PullRequest(context.Background(), e.inst, "acme", "svc", pr.Number)
	if err != nil || got.HeadSHA != pr.HeadSHA {
		t.Fatalf("PullRequest = %+v, %v", got, err)
	}
	e.sim.ClosePR("acme", "svc", pr.Number, "octocat")
	if _, err := c.PullRequest(context.Background(), e.inst, "acme", "svc", pr.Number); !errors.Is(err, ErrClosed) {
		t.Errorf("closed pull request: %v, want ErrClosed", err)
	}
	if err := c.RequestTeamReviews(context.Background(), pr, nil); err != nil {
		t.Errorf("asking nobody: %v", err)
	}
}
