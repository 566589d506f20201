package server

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"

	"github.com/launchgate/launchgate/internal/githubsim"
	"github.com/launchgate/launchgate/internal/report"
	"github.com/launchgate/launchgate/internal/server/demo"
	"github.com/launchgate/launchgate/internal/signoff"
)

// The end-to-end tests of the human half: approvals from teams and the
// reviewer checklist, through the simulator with signed webhooks. The
// organisation acme has the teams security (sam, and octocat, who opens
// the pull requests) and infra (ian, ivy); mallory is in neither.

const botLogin = "launchgate[bot]" // the simulator's App slug is "launchgate"

// readyPR opens a launch PR whose automatic checks all pass (the demo's
// finished kit), on a base with extra files, from branch.
func readyPR(t *testing.T, h *harness, branch string) (n int, head string) {
	t.Helper()
	s := demo.New(testNow)
	return h.openPR(branch, s.Kit(), githubsim.PRSpec{Title: s.Title, Labels: s.Labels})
}

func newHumanHarness(t *testing.T, base map[string]string, tune ...func(*Config, *Options)) *harness {
	h := newHarness(t, tune...)
	h.repo(base)
	h.sim.AddTeam("acme", "security", "sam", "octocat")
	h.sim.AddTeam("acme", "infra", "ian", "ivy")
	return h
}

// checklist returns the pull request's one checklist comment.
func (h *harness) checklist(n int) *github.IssueComment {
	h.t.Helper()
	var found []*github.IssueComment
	for _, cm := range h.sim.Comments("acme", "orders", n) {
		if cm.GetUser().GetLogin() == botLogin && firstLine(cm.GetBody()) == signoff.Marker {
			found = append(found, cm)
		}
	}
	if len(found) != 1 {
		h.t.Fatalf("#%d has %d checklist comments, want exactly 1", n, len(found))
	}
	return found[0]
}

// tick is login ticking items of #n's checklist in one edit.
func (h *harness) tick(n int, login string, items ...string) {
	h.t.Helper()
	cm := h.checklist(n)
	body := cm.GetBody()
	for _, it := range items {
		var ok bool
		if body, ok = demo.Tick(body, it); !ok {
			h.t.Fatalf("no unticked box for %s in #%d's checklist:\n%s", it, n, cm.GetBody())
		}
	}
	h.sim.EditComment("acme", "orders", cm.GetID(), login, body)
	h.settle()
}

// editChecklist is login replacing #n's checklist body with edit(body).
func (h *harness) editChecklist(n int, login string, edit func(string) string) {
	cm := h.checklist(n)
	h.sim.EditComment("acme", "orders", cm.GetID(), login, edit(cm.GetBody()))
	h.settle()
}

// plain undoes report.Escape's markdown escapes, for matching.
func plain(s string) string {
	return strings.NewReplacer("\u200d", "", `\`, "").Replace(s)
}

// humanLine returns the check run's detail lines about a human item (its
// line and its findings).
func humanLine(run *github.CheckRun, id string) string {
	lines := strings.Split(plain(run.GetOutput().GetText()), "\n")
	for i, l := range lines {
		if strings.Contains(l, "**"+id+"**") {
			out := l
			for _, f := range lines[i+1:] {
				if !strings.HasPrefix(f, "  - ") {
					break
				}
				out += "\n" + f
			}
			return out
		}
	}
	return ""
}

func wantLine(t *testing.T, run *github.CheckRun, id string, want ...string) {
	t.Helper()
	line := humanLine(run, id)
	for _, w := range want {
		if !strings.Contains(line, w) {
			t.Errorf("%s: %q lacks %q", id, line, w)
		}
	}
}

// note returns launchgate's note on an item in the checklist, or "".
func note(cm *github.IssueComment, item string) string {
	lines := strings.Split(plain(cm.GetBody()), "\n")
	for i, l := range lines {
		if strings.Contains(l, "`"+item+"`") && i+1 < len(lines) && strings.HasPrefix(lines[i+1], "  - ⚠️") {
			return lines[i+1]
		}
	}
	return ""
}

func ticked(cm *github.IssueComment, item string) bool {
	return strings.Contains(cm.GetBody(), "- [x] `"+item+"`")
}

// readsOfReviews counts the requests that read a pull request's reviews:
// the GraphQL query that reads them with the run and the checklist, or the
// REST listing.
func readsOfReviews(reqs []githubsim.RecordedRequest) int {
	n := countRequests(reqs, http.MethodGet, "/reviews")
	for _, r := range reqs {
		if r.Path == "/graphql" && strings.Contains(string(r.Body), "reviews(first: 100)") {
			n++
		}
	}
	return n
}

func countRequests(reqs []githubsim.RecordedRequest, method, suffix string) int {
	n := 0
	for _, r := range reqs {
		if r.Method == method && strings.HasSuffix(r.Path, suffix) {
			n++
		}
	}
	return n
}

// TestApprovalsAndChecklist plays a launch PR's human half: approvals that
// do not count (an outsider's, the author's, a dismissed one), ticks that
// are undone (by the author, by the wrong team), then the valid ones, and
// success. The checklist stays one comment, and each team is asked once.
func TestApprovalsAndChecklist(t *testing.T) {
	h := newHumanHarness(t, nil)
	h.sim.ResetRequests()
	n, head := readyPR(t, h, "launch-orders")

	run := h.run(head)
	cm := h.checklist(n)
	if run.GetConclusion() != report.ConclusionActionRequired || run.GetDetailsURL() != cm.GetHTMLURL() {
		t.Fatalf("run: %s, details_url %q; want action_required pointing at the checklist %q", run.GetConclusion(), run.GetDetailsURL(), cm.GetHTMLURL())
	}
	for _, want := range []string{"`security-review-done`", "(team `@acme/security`)", "`alerts-fired`", "(team `@acme/infra`)", "- [ ] `recovery-repeats`"} {
		if !strings.Contains(cm.GetBody(), want) {
			t.Errorf("checklist lacks %s:\n%s", want, cm.GetBody())
		}
	}
	wantLine(t, run, "security-review-done", "waiting for a member of team security to tick")
	wantLine(t, run, "approval-infra", "waiting for an approving review by a member of team infra")

	h.sim.SubmitReview("acme", "orders", n, "mallory", "APPROVED")
	h.sim.SubmitReview("acme", "orders", n, "octocat", "APPROVED")
	h.settle()
	run = h.run(head)
	wantLine(t, run, "approval-security", "@mallory approved but is not an active member of team security", "@octocat approved their own pull request")
	wantLine(t, run, "approval-infra", "@mallory approved but is not an active member of team infra")

	sam := h.sim.SubmitReview("acme", "orders", n, "sam", "APPROVED")
	h.settle()
	wantLine(t, h.run(head), "approval-security", "(by sam on ")
	h.sim.DismissReview("acme", "orders", n, sam, "octocat")
	h.settle()
	if line := humanLine(h.run(head), "approval-security"); !strings.Contains(line, "waiting for an approving review") || strings.Contains(line, "by sam") {
		t.Errorf("a dismissed approval still counts: %q", line)
	}
	h.sim.SubmitReview("acme", "orders", n, "sam", "APPROVED")
	h.sim.SubmitReview("acme", "orders", n, "ian", "APPROVED")
	h.settle()
	run = h.run(head)
	wantLine(t, run, "approval-security", "(by sam on ")
	wantLine(t, run, "approval-infra", "(by ian on ")

	// The author is a member of security, and still may not sign off.
	h.tick(n, "octocat", "security-review-done")
	cm = h.checklist(n)
	if ticked(cm, "security-review-done") || !strings.Contains(note(cm, "security-review-done"), "@octocat ticked security-review-done, but they opened this pull request") {
		t.Errorf("the author's tick stands, or is not explained:\n%s", cm.GetBody())
	}
	h.tick(n, "ian", "security-review-done")
	cm = h.checklist(n)
	if ticked(cm, "security-review-done") || !strings.Contains(note(cm, "security-review-done"), "only active members of team security may") {
		t.Errorf("a tick by the wrong team stands, or is not explained:\n%s", cm.GetBody())
	}
	wantLine(t, h.run(head), "security-review-done", "@ian ticked security-review-done, but only active members of team security may")

	h.tick(n, "sam", "security-review-done")
	h.tick(n, "ivy", "alerts-fired", "load-test-results", "recovery-repeats")
	cm = h.checklist(n)
	for _, it := range []string{"security-review-done", "alerts-fired", "load-test-results", "recovery-repeats"} {
		if !ticked(cm, it) || note(cm, it) != "" {
			t.Errorf("%s: valid tick not recorded:\n%s", it, cm.GetBody())
		}
	}
	if !strings.Contains(cm.GetBody(), "signed off by `@sam`") || !strings.Contains(cm.GetBody(), "signed off by `@ivy`") {
		t.Errorf("checklist does not say who signed off:\n%s", cm.GetBody())
	}
	run = h.run(head)
	if run.GetConclusion() != report.ConclusionSuccess {
		t.Fatalf("conclusion %s after every approval and sign-off:\n%s", run.GetConclusion(), run.GetOutput().GetText())
	}
	wantLine(t, run, "alerts-fired", "(by ivy on ")

	reqs := h.sim.Requests()
	if got := countRequests(reqs, http.MethodPost, "/pulls/1/requested_reviewers"); got != 1 {
		t.Errorf("%d review requests, want 1 (each missing team asked once)", got)
	}
	if got := countRequests(reqs, http.MethodPost, "/issues/1/comments"); got != 1 {
		t.Errorf("%d comments created, want the one checklist", got)
	}
	h.checklist(n) // still exactly one
}

// A push voids the approvals and sign-offs of the files it changes, and
// keeps the others.
func TestApprovalsAndSignoffsAcrossPushes(t *testing.T) {
	h := newHumanHarness(t, nil)
	n, _ := readyPR(t, h, "launch-orders")
	h.sim.SubmitReview("acme", "orders", n, "sam", "APPROVED")
	h.sim.SubmitReview("acme", "orders", n, "ian", "APPROVED")
	h.settle()
	h.tick(n, "sam", "security-review-done")
	h.tick(n, "ian", "alerts-fired")

	kit := demo.New(testNow).Kit()
	head := h.sim.Push("acme", "orders", "launch-orders", map[string]string{
		"launch/monitoring.md": kit["launch/monitoring.md"] + "\nThe on-call rota is in PagerDuty.\n",
	})
	h.settle()
	run := h.run(head)
	wantLine(t, run, "approval-security", "(by sam on ")
	wantLine(t, run, "approval-infra", "waiting for an approving review", "approved by @ian at", "launch/monitoring.md changed since")
	wantLine(t, run, "security-review-done", "(by sam on ")
	cm := h.checklist(n)
	if ticked(cm, "alerts-fired") || !strings.Contains(note(cm, "alerts-fired"), "launch/monitoring.md changed") {
		t.Errorf("the monitoring sign-off survived a change of launch/monitoring.md:\n%s", cm.GetBody())
	}
	if !ticked(cm, "security-review-done") {
		t.Errorf("the security sign-off was voided by a change it does not attest:\n%s", cm.GetBody())
	}

	// A push that touches nothing any team guards keeps every approval.
	h.sim.SubmitReview("acme", "orders", n, "ian", "APPROVED")
	h.settle()
	head = h.sim.Push("acme", "orders", "launch-orders", map[string]string{"NOTES.txt": "launch notes\n"})
	h.settle()
	run = h.run(head)
	wantLine(t, run, "approval-security", "(by sam on ")
	wantLine(t, run, "approval-infra", "(by ian on ")
}

// Records that launchgate did not sign for this item of this pull request
// do not count: edited by hand, copied from another pull request, or a box
// ticked while the App was not listening.
func TestChecklistRejectsForgedAndCopiedRecords(t *testing.T) {
	h := newHumanHarness(t, nil)
	n1, _ := readyPR(t, h, "launch-orders")
	n2, head2 := readyPR(t, h, "launch-orders-2")
	h.tick(n1, "sam", "security-review-done")

	// Forged: mallory changes the record's signer; the box stays ticked.
	h.editChecklist(n1, "mallory", func(b string) string { return strings.Replace(b, `"user":"sam"`, `"user":"ivy"`, 1) })
	cm := h.checklist(n1)
	if ticked(cm, "security-review-done") || !strings.Contains(note(cm, "security-review-done"), "signature does not verify") {
		t.Errorf("a forged record stands:\n%s", cm.GetBody())
	}

	// While the App is down, #1's ticked checklist is pasted into #2 and
	// ian ticks a box there; nobody can tell who did what.
	h.tick(n1, "sam", "security-review-done")
	from := h.checklist(n1).GetBody()
	h.sim.SetWebhookURL("http://127.0.0.1:1/unreachable")
	h.editChecklist(n2, "mallory", func(string) string { b, _ := demo.Tick(from, "alerts-fired"); return b })
	h.sim.SetWebhookURL(h.url + HookPath)
	h.sim.AddComment("acme", "orders", n2, "ivy", RecheckCommand)
	h.settle()
	cm = h.checklist(n2)
	if ticked(cm, "security-review-done") || !strings.Contains(note(cm, "security-review-done"), "copied from another pull request (acme/orders#1)") {
		t.Errorf("a record copied from #1 stands on #2:\n%s", cm.GetBody())
	}
	if ticked(cm, "alerts-fired") || !strings.Contains(note(cm, "alerts-fired"), "holds no record of who ticked it") {
		t.Errorf("a box ticked while launchgate was down stands:\n%s", cm.GetBody())
	}
	if c := h.run(head2).GetConclusion(); c != report.ConclusionActionRequired {
		t.Errorf("#2 concludes %s", c)
	}
	if !ticked(h.checklist(n1), "security-review-done") {
		t.Error("#1's own sign-off was lost")
	}
}

// Someone removed from a team stops counting, for ticks and approvals,
// as soon as GitHub says so (membership "removed").
func TestRemovedTeamMember(t *testing.T) {
	h := newHumanHarness(t, nil)
	n, head := readyPR(t, h, "launch-orders")
	h.sim.SubmitReview("acme", "orders", n, "ian", "APPROVED")
	h.settle()
	h.tick(n, "ian", "alerts-fired")
	wantLine(t, h.run(head), "approval-infra", "(by ian on ")

	h.sim.RemoveTeamMember("acme", "infra", "ian")
	// The simulator does not deliver membership events; GitHub would.
	body := fixture(t, "membership.removed.json", map[string]any{
		"member.login": "ian", "team.slug": "infra", "team.name": "infra", "organization.login": "acme", "installation.id": h.inst,
	})
	if resp := h.post("membership", body, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("membership delivery answered %d", resp.StatusCode)
	}
	h.settle()
	cm := h.checklist(n)
	if ticked(cm, "alerts-fired") || !strings.Contains(note(cm, "alerts-fired"), "no longer an active member of team infra") {
		t.Errorf("the sign-off of a removed member stands:\n%s", cm.GetBody())
	}
	wantLine(t, h.run(head), "approval-infra", "@ian approved but is not an active member of team infra")
}

// "/launchgate recheck" re-evaluates; any other comment, and the App's own
// comments and edits, cost no request.
func TestCommentsAndOwnEdits(t *testing.T) {
	h := newHumanHarness(t, nil)
	n, _ := readyPR(t, h, "launch-orders")
	h.tick(n, "sam", "security-review-done")

	var own []*github.HookDelivery
	for _, d := range h.sim.Deliveries() {
		var p struct {
			Sender struct{ Login string } `json:"sender"`
		}
		_ = json.Unmarshal(*d.GetRequest().RawPayload, &p)
		if d.GetEvent() == "issue_comment" && p.Sender.Login == botLogin {
			own = append(own, d)
		}
	}
	if len(own) < 2 {
		t.Fatalf("%d issue_comment deliveries caused by the App, want its create and its edit", len(own))
	}
	for name, act := range map[string]func(){
		"a comment":                  func() { h.sim.AddComment("acme", "orders", n, "ivy", "Looks good to me") },
		"a near miss of the command": func() { h.sim.AddComment("acme", "orders", n, "ivy", "please /launchgate recheck") },
		"the App's own writes, redelivered": func() {
			for _, d := range own {
				h.post("issue_comment", *d.GetRequest().RawPayload, nil)
			}
		},
	} {
		h.settle()
		h.sim.ResetRequests()
		act()
		h.settle()
		if reqs := h.sim.Requests(); len(reqs) != 0 {
			t.Errorf("%s cost %d requests:\n%s", name, len(reqs), requestLog(reqs))
		}
	}
	h.sim.ResetRequests()
	h.sim.AddComment("acme", "orders", n, "ivy", RecheckCommand+"\nThe alerts were fixed.")
	h.settle()
	if reqs := h.sim.Requests(); readsOfReviews(reqs) != 1 {
		t.Errorf("the recheck command did not re-evaluate:\n%s", requestLog(reqs))
	}
	if !ticked(h.checklist(n), "security-review-done") {
		t.Error("a re-evaluation lost a valid sign-off")
	}
}

// Another replica, with none of this one's caches, finds the checklist
// rather than writing a second one.
func TestChecklistNeverDuplicated(t *testing.T) {
	h := newHumanHarness(t, nil)
	n, head := readyPR(t, h, "launch-orders")
	h.tick(n, "sam", "security-review-done")
	for range 2 {
		h.sim.RerequestCheckRun(h.run(head).GetID(), "octocat")
		h.settle()
	}
	replica := newApp(t, h.sim)
	h.sim.SetWebhookURL(replica.url + HookPath)
	h.sim.AddComment("acme", "orders", n, "ivy", RecheckCommand)
	replica.settle()
	cm := h.checklist(n)
	if !ticked(cm, "security-review-done") {
		t.Errorf("the replica lost the sign-off:\n%s", cm.GetBody())
	}
}

// CODEOWNERS teams of changed launch files must approve too; invalid
// lines are skipped and shown.
func TestCodeownersTeamsAndInvalidLines(t *testing.T) {
	co := "# owners\nlaunch/monitoring.md @acme/sre\n*.[ch] @acme/c\n/deploy/ @acme/platform @ann\n"
	h := newHumanHarness(t, map[string]string{".github/CODEOWNERS": co})
	h.sim.AddTeam("acme", "sre", "sid")
	n, head := readyPR(t, h, "launch-orders")
	run := h.run(head)
	wantLine(t, run, "approval-sre", "waiting for an approving review by a member of team sre")
	wantLine(t, run, "approval-platform", "waiting for an approving review by a member of team platform")
	if text := plain(run.GetOutput().GetText()); !strings.Contains(text, ".github/CODEOWNERS on the base branch has 1 invalid line") || !strings.Contains(text, "line 3:") {
		t.Errorf("the invalid CODEOWNERS line is not shown:\n%.600s", text)
	}
	var warned bool
	for _, a := range run.GetOutput().Annotations {
		if a.GetPath() == ".github/CODEOWNERS" && a.GetStartLine() == 3 && a.GetAnnotationLevel() == "warning" {
			warned = true
		}
	}
	if !warned {
		t.Errorf("no warning annotation on .github/CODEOWNERS line 3: %v", run.GetOutput().Annotations)
	}
	// platform does not exist, so asking it fails; the others are asked.
	reqs := h.sim.Requests()
	var asked []string
	for _, r := range reqs {
		if r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/requested_reviewers") && r.Status == http.StatusCreated {
			var b struct {
				TeamReviewers []string `json:"team_reviewers"`
			}
			_ = json.Unmarshal(r.Body, &b)
			asked = append(asked, b.TeamReviewers...)
		}
	}
	slices.Sort(asked)
	if !slices.Equal(asked, []string{"infra", "security", "sre"}) {
		t.Errorf("teams asked for review: %v, want infra, security, sre", asked)
	}
	h.sim.SubmitReview("acme", "orders", n, "sid", "APPROVED")
	h.settle()
	wantLine(t, h.run(head), "approval-sre", "(by sid on ")
}

// A push to the default branch that changes the policy re-evaluates the
// open pull requests into it; one that changes neither policy nor
// CODEOWNERS costs nothing.
func TestPolicyPushReevaluatesOpenPRs(t *testing.T) {
	h := newHumanHarness(t, nil)
	_, head := readyPR(t, h, "launch-orders")
	if c := h.run(head).GetConclusion(); c != report.ConclusionActionRequired {
		t.Fatalf("conclusion %s before the policy change", c)
	}
	h.sim.ResetRequests()
	h.sim.Push("acme", "orders", "main", map[string]string{"README.md": "orders\n"})
	h.settle()
	if reqs := h.sim.Requests(); len(reqs) != 0 {
		t.Errorf("a push that changes no gate file cost %d requests:\n%s", len(reqs), requestLog(reqs))
	}
	lax := "version: 1\nlaunch:\n  labels: [launch]\nrequirements:\n  - id: docs\n    title: Docs\n    checks:\n      - id: deployment\n        kind: files\n        description: a deployment doc\n        any: [\"launch/deployment.md\"]\n"
	h.sim.Push("acme", "orders", "main", map[string]string{".github/launchgate.yml": lax})
	h.settle()
	if c := h.run(head).GetConclusion(); c != report.ConclusionSuccess {
		t.Errorf("conclusion %s after the base policy dropped every human item", c)
	}
}

// GitHub's own example payloads of the new events are accepted or
// refused as they should be, before anything is queued.
func TestHumanEventFixtures(t *testing.T) {
	h := newHarness(t)
	for _, tt := range []struct {
		event, file string
		want        int
	}{
		{"pull_request_review", "pull_request_review.submitted.json", http.StatusOK},
		{"pull_request_review", "pull_request_review.dismissed.json", http.StatusOK},
		{"issue_comment", "issue_comment.created.json", http.StatusOK},
		{"issue_comment", "issue_comment.edited.json", http.StatusBadRequest}, // no installation: not an App delivery
		{"membership", "membership.removed.json", http.StatusOK},
		{"membership", "membership.added.json", http.StatusBadRequest},
		{"team", "team.deleted.json", http.StatusOK},
		{"team", "team.edited.json", http.StatusOK},
		{"push", "push.json", http.StatusOK},
	} {
		if got := h.post(tt.event, fixture(t, tt.file, nil), nil).StatusCode; got != tt.want {
			t.Errorf("%s: %d, want %d", tt.file, got, tt.want)
		}
	}
	h.srv.Wait()
}
