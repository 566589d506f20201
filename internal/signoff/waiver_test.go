package signoff

import (
	"slices"
	"strings"
	"testing"

	"github.com/launchgate/launchgate/internal/policy"
)

func TestParseCommand(t *testing.T) {
	tests := []struct {
		body    string
		ok      bool
		want    Command
		problem string
	}{
		{body: "/launchgate waive replicas until 2027-03-01: batch job, one replica by design\nmore text", ok: true,
			want: Command{Check: "replicas", Until: "2027-03-01", Reason: "batch job, one replica by design"}},
		{body: "  /launchgate unwaive replicas  ", ok: true, want: Command{Unwaive: true, Check: "replicas"}},
		{body: "/launchgate waive replicas until 2027-03-01:", ok: true, problem: "needs a reason"},
		{body: "/launchgate waive replicas until 2027-03-01:   ", ok: true, problem: "needs a reason"},
		{body: "/launchgate waive replicas for a while", ok: true, problem: "could not be read"},
		{body: "/launchgate unwaive", ok: true, problem: "unwaive CHECK-ID"},
		{body: "/launchgate recheck", ok: false},
		{body: "please /launchgate waive replicas until 2027-03-01: x", ok: false},
		{body: "/launchgate waiver replicas until 2027-03-01: x", ok: false},
	}
	for _, tt := range tests {
		got, ok := ParseCommand(tt.body)
		if ok != tt.ok {
			t.Errorf("ParseCommand(%q) ok = %v, want %v", tt.body, ok, tt.ok)
			continue
		}
		if tt.problem != "" {
			if !strings.Contains(got.Problem, tt.problem) {
				t.Errorf("ParseCommand(%q).Problem = %q, want it to contain %q", tt.body, got.Problem, tt.problem)
			}
			continue
		}
		if got != tt.want {
			t.Errorf("ParseCommand(%q) = %+v, want %+v", tt.body, got, tt.want)
		}
	}
}

// waiverEnv is testEnv with a policy rule: replicas may be waived by infra
// or sre for at most 30 days, probes not at all.
func waiverEnv(t *testing.T, fsys map[string]string) Env {
	env := testEnv(t)
	env.WaiverRules = map[string]policy.WaiverRule{
		"replicas": {Requirement: "scaling", Check: "replicas", Waivable: true, Teams: []string{"sre", "infra"}, MaxDays: 30},
		"probes":   {Requirement: "monitoring", Check: "probes"},
	}
	env.Members["sre"] = map[string]bool{"sam": true, "ann": false, "rita": false, "ivan": false}
	env.Members["infra"]["ann"] = false
	a, err := Scan(headFS(fsys), []string{"deploy/**"})
	if err != nil {
		t.Fatal(err)
	}
	env.Artifacts[WaiverKey("replicas")] = a
	return env
}

func waive(id int64, sender, line string) Command {
	c, _ := ParseCommand(line)
	c.CommentID, c.Sender, c.At = id, sender, t0
	return c
}

func TestWaiverCommands(t *testing.T) {
	tests := []struct {
		name      string
		cmd       Command
		wantCount bool
		wantReply string
	}{
		{name: "a member of an allowed team", cmd: waive(1, "ivan", "/launchgate waive replicas until 2026-12-01: batch job"), wantCount: true},
		{name: "a member of the second allowed team", cmd: waive(1, "sam", "/launchgate waive replicas until 2026-12-20: batch job"), wantCount: true},
		{name: "the author", cmd: waive(1, "carol", "/launchgate waive replicas until 2026-12-01: mine"), wantReply: "you opened this pull request"},
		{name: "another team's member", cmd: waive(1, "ann", "/launchgate waive replicas until 2026-12-01: x"), wantReply: "only active members of teams sre, infra may waive replicas"},
		{name: "an inactive member", cmd: waive(1, "rita", "/launchgate waive replicas until 2026-12-01: x"), wantReply: "only active members"},
		{name: "unknown membership", cmd: waive(1, "zed", "/launchgate waive replicas until 2026-12-01: x"), wantReply: "could not check"},
		{name: "past max_days", cmd: waive(1, "ivan", "/launchgate waive replicas until 2026-12-21: x"), wantReply: `at most 30 days, until 2026\-12\-20`},
		{name: "today", cmd: waive(1, "ivan", "/launchgate waive replicas until 2026-11-20: x"), wantReply: "must end after the day it is given"},
		{name: "not a date", cmd: waive(1, "ivan", "/launchgate waive replicas until tomorrow: x"), wantReply: "is not a date"},
		{name: "no reason", cmd: waive(1, "ivan", "/launchgate waive replicas until 2026-12-01:"), wantReply: "needs a reason"},
		{name: "a non-waivable check", cmd: waive(1, "ivan", "/launchgate waive probes until 2026-12-01: x"), wantReply: "does not let probes be waived"},
		{name: "an unknown check", cmd: waive(1, "ivan", "/launchgate waive nosuch until 2026-12-01: x"), wantReply: "not an automatic check"},
		{name: "hostile reason is escaped", cmd: waive(1, "carol", "/launchgate waive replicas until 2026-12-01: <b>@all</b>"), wantReply: "you opened"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := waiverEnv(t, nil)
			res := Reconcile(ReconcileInput{Env: env, Body: fresh(env), Commands: []Command{tt.cmd}})
			_, counts := res.Waivers["replicas"]
			if counts != tt.wantCount {
				t.Fatalf("waiver counts = %v, want %v (replies %+v)", counts, tt.wantCount, res.Replies)
			}
			if tt.wantReply == "" {
				if len(res.Replies) != 0 {
					t.Errorf("an accepted waiver got a reply: %+v", res.Replies)
				}
				w := res.Waivers["replicas"]
				if w.By != tt.cmd.Sender || w.Until != tt.cmd.Until || w.Reason != "batch job" || !res.NextExpiry.Equal(w.Ends()) {
					t.Errorf("waiver = %+v, next expiry %v", w, res.NextExpiry)
				}
				if !strings.Contains(res.Body, "`replicas` waived by `@"+tt.cmd.Sender+"` until "+tt.cmd.Until+": batch job") {
					t.Errorf("the checklist does not show the waiver:\n%s", res.Body)
				}
				return
			}
			if len(res.Replies) != 1 || res.Replies[0].CommentID != 1 || !strings.Contains(res.Replies[0].Body, tt.wantReply) {
				t.Fatalf("replies = %+v, want one to comment 1 containing %q", res.Replies, tt.wantReply)
			}
			if !strings.HasPrefix(res.Replies[0].Body, ReplyMarker(1)+"\n") || strings.Contains(res.Replies[0].Body, "<b>") {
				t.Errorf("reply lacks its marker or is not escaped: %q", res.Replies[0].Body)
			}
		})
	}
}

// TestWaiverCommandsInOrder: commands coalesced into one evaluation are
// judged in order, each with its own sender.
func TestWaiverCommandsInOrder(t *testing.T) {
	env := waiverEnv(t, nil)
	res := Reconcile(ReconcileInput{Env: env, Body: fresh(env), Commands: []Command{
		waive(1, "ivan", "/launchgate waive replicas until 2026-12-01: first"),
		waive(2, "ann", "/launchgate unwaive replicas"),
		waive(3, "sam", "/launchgate unwaive replicas"),
		waive(4, "sam", "/launchgate waive replicas until 2026-12-10: second"),
	}})
	if w := res.Waivers["replicas"]; w.By != "sam" || w.Reason != "second" {
		t.Errorf("waiver = %+v, want sam's second", w)
	}
	if len(res.Replies) != 1 || res.Replies[0].CommentID != 2 {
		t.Errorf("replies = %+v, want one, to ann's unwaive", res.Replies)
	}
	var accepted []int64
	for _, c := range res.Accepted {
		accepted = append(accepted, c.CommentID)
	}
	if !slices.Equal(accepted, []int64{1, 3, 4}) {
		t.Errorf("accepted commands = %v, want 1, 3, 4 (ann's unwaive was refused)", accepted)
	}
	parsed, err := Parse(res.Body)
	if err != nil || !slices.Equal(parsed.Answered, []int64{1, 2, 3, 4}) {
		t.Errorf("answered = %v (%v), want all four commands", parsed.Answered, err)
	}
}

func TestWaiverLifecycle(t *testing.T) {
	env := waiverEnv(t, nil)
	given := Reconcile(ReconcileInput{Env: env, Body: fresh(env),
		Commands: []Command{waive(1, "ivan", "/launchgate waive replicas until 2026-12-01: batch job")}})
	if _, ok := given.Waivers["replicas"]; !ok {
		t.Fatalf("setup: waiver refused: %+v", given.Replies)
	}
	body := given.Body

	t.Run("kept on re-evaluation, command not judged twice", func(t *testing.T) {
		res := Reconcile(ReconcileInput{Env: env, Body: body,
			Commands: []Command{waive(1, "ivan", "/launchgate waive replicas until 2026-12-01: batch job")}})
		if _, ok := res.Waivers["replicas"]; !ok || res.Changed || len(res.Replies) != 0 {
			t.Errorf("waivers %v, changed %v, replies %+v", res.Waivers, res.Changed, res.Replies)
		}
	})
	t.Run("voided when the check's inputs change", func(t *testing.T) {
		changed := waiverEnv(t, map[string]string{"deploy/prod/app.yaml": "replicas: 1\n"})
		res := State(body, changed)
		if _, ok := res.Waivers["replicas"]; ok || !strings.Contains(res.WaiverVoided["replicas"], "deploy/prod/app.yaml changed since it was given") {
			t.Errorf("waivers %v, voided %q", res.Waivers, res.WaiverVoided["replicas"])
		}
		if !strings.Contains(res.Body, "⚠️") || strings.Contains(res.Body, "waived by") {
			t.Errorf("the checklist does not show the voiding:\n%s", res.Body)
		}
	})
	t.Run("voided when the signer leaves the teams", func(t *testing.T) {
		left := waiverEnv(t, nil)
		left.Members["infra"]["ivan"] = false
		if res := State(body, left); len(res.Waivers) != 0 || !strings.Contains(res.WaiverVoided["replicas"], "no longer an active member") {
			t.Errorf("waivers %v, voided %v", res.Waivers, res.WaiverVoided)
		}
	})
	t.Run("a forged record is removed", func(t *testing.T) {
		forged := strings.Replace(body, `"until":"2026-12-01"`, `"until":"2026-12-20"`, 1)
		if forged == body {
			t.Fatal("setup: no until in the state")
		}
		if res := State(forged, env); len(res.Waivers) != 0 || !strings.Contains(res.WaiverVoided["replicas"], "does not verify") {
			t.Errorf("waivers %v, voided %v", res.Waivers, res.WaiverVoided)
		}
	})
	t.Run("a record copied to another pull request is removed", func(t *testing.T) {
		other := env
		other.PR = 8
		if res := State(body, other); len(res.Waivers) != 0 || !strings.Contains(res.WaiverVoided["replicas"], "copied from another pull request") {
			t.Errorf("waivers %v, voided %v", res.Waivers, res.WaiverVoided)
		}
	})
	t.Run("unwaive by someone else is refused", func(t *testing.T) {
		res := Reconcile(ReconcileInput{Env: env, Body: body, Commands: []Command{waive(2, "ann", "/launchgate unwaive replicas")}})
		if _, ok := res.Waivers["replicas"]; !ok || len(res.Replies) != 1 || !strings.Contains(res.Replies[0].Body, "it stands") {
			t.Errorf("waivers %v, replies %+v", res.Waivers, res.Replies)
		}
	})
	for _, who := range []string{"ivan", "sam"} {
		t.Run("unwaive by "+who, func(t *testing.T) {
			res := Reconcile(ReconcileInput{Env: env, Body: body, Commands: []Command{waive(2, who, "/launchgate unwaive replicas")}})
			if len(res.Waivers) != 0 || len(res.Replies) != 0 || !strings.Contains(res.WaiverVoided["replicas"], "withdrew the waiver") {
				t.Errorf("waivers %v, replies %+v, voided %v", res.Waivers, res.Replies, res.WaiverVoided)
			}
		})
	}
}
