package server

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/launchgate/launchgate/internal/githubapi"
	"github.com/launchgate/launchgate/internal/githubsim"
	"github.com/launchgate/launchgate/internal/report"
	"github.com/launchgate/launchgate/internal/server/demo"
)

// waiverHarness is newHumanHarness with an App clock the test can move,
// and a launch PR whose security-review document is too thin: only its
// automatic check security-review fails. Team security (sam, and octocat,
// the author) may waive it by the default policy. tune tunes the App
// further.
func waiverHarness(t *testing.T, tune ...func(*Config, *Options)) (h *harness, n int, head string, clock *atomic.Pointer[time.Time]) {
	clock = &atomic.Pointer[time.Time]{}
	start := testNow
	clock.Store(&start)
	withClock := func(_ *Config, o *Options) { o.Now = func() time.Time { return *clock.Load() } }
	h = newHarness(t, append([]func(*Config, *Options){withClock}, tune...)...)
	h.repo(nil)
	h.sim.AddTeam("acme", "security", "sam", "octocat")
	h.sim.AddTeam("acme", "infra", "ian", "ivy")
	s := demo.New(testNow)
	files := s.Kit()
	files["launch/security-review.md"] = "# Security review\n"
	n, head = h.openPR("launch-orders", files, githubsim.PRSpec{Title: s.Title, Labels: s.Labels})
	h.settle()
	return h, n, head, clock
}

// comment is login commenting on #n; it returns the comment's id.
func (h *harness) comment(n int, login, body string) int64 {
	h.t.Helper()
	id := h.sim.AddComment("acme", "orders", n, login, body)
	h.settle()
	return id
}

// replies are the App's replies on #n, by the command comment they answer.
func (h *harness) replies(n int) map[int64][]string {
	out := map[int64][]string{}
	for _, cm := range h.sim.Comments("acme", "orders", n) {
		var id int64
		if cm.GetUser().GetLogin() == botLogin && fmtScan(cm.GetBody(), &id) {
			out[id] = append(out[id], plain(cm.GetBody()))
		}
	}
	return out
}

func fmtScan(body string, id *int64) bool {
	_, err := fmt.Sscanf(firstLine(body), "<!-- launchgate:reply %d -->", id)
	return err == nil
}

func TestWaivers(t *testing.T) {
	h, n, head, clock := waiverHarness(t)
	if got := h.latestRun(head).GetConclusion(); got != report.ConclusionFailure {
		t.Fatalf("setup: conclusion %s, want failure", got)
	}
	day := func(days int) string { return time.Now().UTC().AddDate(0, 0, days).Format(time.DateOnly) }

	refused := []struct {
		name, login, body, want string
	}{
		{name: "another team", login: "ian", body: "/launchgate waive security-review until " + day(30) + ": later", want: "only active members of team security may waive security-review"},
		{name: "the author", login: "octocat", body: "/launchgate waive security-review until " + day(30) + ": mine", want: "you opened this pull request"},
		{name: "past max_days", login: "sam", body: "/launchgate waive security-review until " + day(200) + ": long", want: "at most 90 days"},
		{name: "no reason", login: "sam", body: "/launchgate waive security-review until " + day(30) + ":", want: "needs a reason"},
		{name: "a non-waivable check", login: "sam", body: "/launchgate waive build until " + day(30) + ": x", want: "the policy does not let build be waived"},
		{name: "hostile text", login: "ian", body: "/launchgate waive <b>@all</b> until " + day(30) + ": x", want: "&lt;b&gt;@all&lt;/b&gt; is not an automatic check"},
	}
	ids := map[string]int64{}
	for _, r := range refused {
		ids[r.name] = h.comment(n, r.login, r.body)
	}
	replies := h.replies(n)
	for _, r := range refused {
		got := replies[ids[r.name]]
		if len(got) != 1 || !strings.Contains(got[0], r.want) {
			t.Errorf("%s: replies %q, want one containing %q", r.name, got, r.want)
		}
	}
	if got := h.latestRun(head).GetConclusion(); got != report.ConclusionFailure {
		t.Fatalf("refused waivers changed the conclusion to %s", got)
	}

	until := day(30)
	h.comment(n, "sam", "/launchgate waive security-review until "+until+": reviewed in person, document follows")
	run := h.latestRun(head)
	if run.GetConclusion() == report.ConclusionFailure {
		t.Fatalf("the waived check still fails:\n%s", run.GetOutput().GetText())
	}
	wantLine(t, run, "security-review", "waived by @sam until "+until+": reviewed in person, document follows")
	if body := plain(h.checklist(n).GetBody()); !strings.Contains(body, "#### Waivers") ||
		!strings.Contains(body, "`security-review` waived by `@sam` until "+until) {
		t.Errorf("the checklist does not show the waiver:\n%s", body)
	}

	// Re-evaluations do not judge or answer the commands again.
	h.comment(n, "ivy", RecheckCommand)
	if got := h.replies(n); len(got) != len(refused) {
		t.Errorf("a re-evaluation answered commands again: %d replies, want %d", len(got), len(refused))
	}

	t.Run("unwaive by another team is refused", func(t *testing.T) {
		id := h.comment(n, "ian", "/launchgate unwaive security-review")
		if got := h.replies(n)[id]; len(got) != 1 || !strings.Contains(got[0], "only @sam or an active member of team security") {
			t.Errorf("replies %q", got)
		}
		wantLine(t, h.latestRun(head), "security-review", "waived by @sam")
	})

	t.Run("expires, and the reconciler re-evaluates it", func(t *testing.T) {
		id, err := githubapi.ParseRunID(h.latestRun(head).GetExternalID())
		if err != nil || id.WaiverEnds != until {
			t.Fatalf("the run's external_id %+v (%v) does not name the waiver's end %s", id, err, until)
		}
		ends, _ := time.Parse(time.DateOnly, until)
		before := ends.Add(-time.Minute)
		clock.Store(&before)
		if st, err := h.srv.Reconcile(context.Background()); err != nil || st.ByReason["waiver expired"] != 0 {
			t.Fatalf("a pass before the waiver's end: %+v, %v", st, err)
		}
		later := ends.Add(time.Minute)
		clock.Store(&later)
		st, err := h.srv.Reconcile(context.Background())
		if err != nil || st.ByReason["waiver expired"] != 1 {
			t.Fatalf("a pass after the waiver's end: %+v, %v", st, err)
		}
		h.settle()
		run := h.latestRun(head)
		if run.GetConclusion() != report.ConclusionFailure {
			t.Errorf("conclusion after the waiver's date = %s, want failure", run.GetConclusion())
		}
		wantLine(t, run, "security-review", "expired on "+until)
		if id, _ := githubapi.ParseRunID(run.GetExternalID()); id.WaiverEnds != "" {
			t.Errorf("the re-evaluated run still names a waiver's end: %+v", id)
		}
		if st, err := h.srv.Reconcile(context.Background()); err != nil || st.ByReason["waiver expired"] != 0 {
			t.Errorf("the next pass re-evaluated the expired waiver again: %+v, %v", st, err)
		}
		now := testNow
		clock.Store(&now)
	})

	t.Run("a forged record is reset", func(t *testing.T) {
		h.editChecklist(n, "mallory", func(body string) string {
			return strings.Replace(body, `"until":"`+until+`"`, `"until":"`+day(60)+`"`, 1)
		})
		run := h.latestRun(head)
		if run.GetConclusion() != report.ConclusionFailure {
			t.Errorf("a forged waiver counted: conclusion %s", run.GetConclusion())
		}
		wantLine(t, run, "security-review", "does not verify")
		if body := h.checklist(n).GetBody(); strings.Contains(body, "waived by") {
			t.Errorf("the forged waiver is still in the checklist:\n%s", body)
		}
	})

	t.Run("unwaive by its author", func(t *testing.T) {
		h.comment(n, "sam", "/launchgate waive security-review until "+until+": again")
		wantLine(t, h.latestRun(head), "security-review", "waived by @sam")
		id := h.comment(n, "sam", "/launchgate unwaive security-review")
		if got := h.replies(n)[id]; len(got) != 0 {
			t.Errorf("an accepted unwaive got replies %q", got)
		}
		run := h.latestRun(head)
		wantLine(t, run, "security-review", "withdrew the waiver")
		if run.GetConclusion() != report.ConclusionFailure {
			t.Errorf("conclusion after unwaive = %s, want failure", run.GetConclusion())
		}
	})
}
