package signoff

import (
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/launchgate/launchgate/internal/approval"
)

var t0 = time.Date(2026, 11, 20, 14, 3, 0, 0, time.UTC)

func testItems() []Item {
	return []Item{
		{ID: "security-review-done", Requirement: "security", Title: "Security review",
			Text: "The security review was read.", Team: "security", Globs: []string{"launch/security-review.md"}},
		{ID: "alerts-fired", Requirement: "monitoring", Title: "Monitoring and alerting",
			Text: "Infra saw the alerts fire.", Team: "infra", Globs: []string{"launch/monitoring.md", "deploy/**"}},
		{ID: "recovery-repeats", Requirement: "recovery", Title: "Backup and recovery",
			Text: "Infra followed the recovery plan.", Team: "infra", Globs: []string{"launch/recovery.md"}},
	}
}

func headFS(changes map[string]string) fstest.MapFS {
	m := fstest.MapFS{
		"launch/security-review.md": {Data: []byte("# Security review\n")},
		"launch/monitoring.md":      {Data: []byte("# Monitoring\n")},
		"launch/recovery.md":        {Data: []byte("# Recovery\n")},
		"deploy/prod/app.yaml":      {Data: []byte("replicas: 2\n")},
		"src/main.go":               {Data: []byte("package main\n")},
	}
	for p, c := range changes {
		m[p] = &fstest.MapFile{Data: []byte(c)}
	}
	return m
}

func artifacts(t *testing.T, fsys fstest.MapFS) map[string]*Artifacts {
	t.Helper()
	arts := map[string]*Artifacts{}
	for _, it := range testItems() {
		a, err := Scan(fsys, it.Globs)
		if err != nil {
			t.Fatal(err)
		}
		arts[it.ID] = a
	}
	return arts
}

func testEnv(t *testing.T) Env {
	return Env{
		Repo: "acme/shop", PR: 7, Author: "carol", Items: testItems(),
		Members: approval.Members{
			"security": {"ann": true, "carol": true, "ivan": false},
			"infra":    {"ivan": true, "rita": false, "bob": false},
		},
		Artifacts: artifacts(t, headFS(nil)),
		Now:       t0, Key: testKey,
	}
}

func tick(body, id string) string {
	return strings.Replace(body, "- [ ] `"+id+"`", "- [x] `"+id+"`", 1)
}

func untick(body, id string) string {
	return strings.Replace(body, "- [x] `"+id+"`", "- [ ] `"+id+"`", 1)
}

func fresh(env Env) string { return State("", env).Body }

// signed returns a checklist in which each of user:item pairs ticked its
// item, one edit after another, as launchgate recorded them.
func signed(t *testing.T, env Env, pairs ...string) string {
	t.Helper()
	body := fresh(env)
	for _, p := range pairs {
		user, id, _ := strings.Cut(p, ":")
		res := Reconcile(ReconcileInput{Env: env, Edit: &Edit{From: body, To: tick(body, id), Sender: user}})
		if res.Signoffs[id].By != user {
			t.Fatalf("setup: %s's tick of %s was not recorded: %v", user, id, res.Voided)
		}
		body = res.Body
	}
	return body
}

// forged renders a checklist holding one record for an item, ticked.
func forged(env Env, s Signed) string {
	return Render(Checklist{Org: "acme", Items: env.Items, Entries: map[string]Entry{s.Item: {Ticked: true, Signed: &s}}})
}

func TestReconcile(t *testing.T) {
	ann := Record{Repo: "acme/shop", PR: 7, Item: "security-review-done", User: "ann", At: t0.Add(-time.Hour)}
	tests := []struct {
		name   string
		before func(t *testing.T, env Env) string // the body before the edit
		edit   func(body string) string           // nil: a plain re-evaluation (State)
		sender string
		byApp  bool
		later  func(t *testing.T, env *Env) // the world when the edit is judged
		// newer is the comment as fetched, if it changed since the edit
		newer func(to string) string

		wantSignoffs map[string]string // item → user
		wantVoided   map[string]string // item → substring
		wantTicked   []string
		wantChanged  bool
	}{
		{
			name:   "a member's tick is recorded",
			before: func(t *testing.T, env Env) string { return fresh(env) },
			edit:   func(b string) string { return tick(b, "security-review-done") },
			sender: "ann", wantSignoffs: map[string]string{"security-review-done": "ann"},
			wantTicked: []string{"security-review-done"}, wantChanged: true,
		},
		{
			name:   "login case does not matter for membership",
			before: func(t *testing.T, env Env) string { return fresh(env) },
			edit:   func(b string) string { return tick(b, "alerts-fired") },
			sender: "IVAN", wantSignoffs: map[string]string{"alerts-fired": "IVAN"},
			wantTicked: []string{"alerts-fired"}, wantChanged: true,
		},
		{
			name:   "several boxes ticked in one edit are each judged",
			before: func(t *testing.T, env Env) string { return fresh(env) },
			edit: func(b string) string {
				return tick(tick(tick(b, "alerts-fired"), "recovery-repeats"), "security-review-done")
			},
			sender:       "ivan",
			wantSignoffs: map[string]string{"alerts-fired": "ivan", "recovery-repeats": "ivan"},
			wantVoided:   map[string]string{"security-review-done": "@ivan ticked security-review-done, but only active members of team security may; the tick was undone."},
			wantTicked:   []string{"alerts-fired", "recovery-repeats"}, wantChanged: true,
		},
		{
			name:   "a tick by the PR author is undone, though they are a member",
			before: func(t *testing.T, env Env) string { return fresh(env) },
			edit:   func(b string) string { return tick(b, "security-review-done") },
			sender: "Carol", wantSignoffs: map[string]string{},
			wantVoided:  map[string]string{"security-review-done": "@Carol ticked security-review-done, but they opened this pull request"},
			wantChanged: true,
		},
		{
			name:   "a tick by a non-member is undone, naming the team",
			before: func(t *testing.T, env Env) string { return fresh(env) },
			edit:   func(b string) string { return tick(b, "alerts-fired") },
			sender: "mallory", wantSignoffs: map[string]string{},
			wantVoided:  map[string]string{"alerts-fired": "launchgate could not check that they are an active member of team infra"},
			wantChanged: true,
		},
		{
			name:   "a tick by a removed member is undone",
			before: func(t *testing.T, env Env) string { return fresh(env) },
			edit:   func(b string) string { return tick(b, "alerts-fired") },
			sender: "rita", wantSignoffs: map[string]string{},
			wantVoided:  map[string]string{"alerts-fired": "@rita ticked alerts-fired, but only active members of team infra may; the tick was undone."},
			wantChanged: true,
		},
		{
			name: "a sign-off by a member removed since is voided",
			before: func(t *testing.T, env Env) string {
				return signed(t, env, "ivan:alerts-fired", "ann:security-review-done")
			},
			later:        func(t *testing.T, env *Env) { env.Members["infra"]["ivan"] = false },
			wantSignoffs: map[string]string{"security-review-done": "ann"},
			wantVoided:   map[string]string{"alerts-fired": "signed off by @ivan on 2026-11-20, who is no longer an active member of team infra"},
			wantTicked:   []string{"security-review-done"}, wantChanged: true,
		},
		{
			name: "a forged record (wrong MAC) is reset",
			before: func(t *testing.T, env Env) string {
				r := ann
				return forged(env, Signed{Record: r, Sig: Sign([]byte(strings.Repeat("x", MinKeyLen)), r)})
			},
			wantSignoffs: map[string]string{},
			wantVoided:   map[string]string{"security-review-done": "its record's signature does not verify"},
			wantChanged:  true,
		},
		{
			name: "a record copied from another pull request is reset",
			before: func(t *testing.T, env Env) string {
				r := ann
				r.PR = 8
				r.Digest = env.Artifacts[r.Item].Digest
				return forged(env, Signed{Record: r, Sig: Sign(testKey, r)})
			},
			wantSignoffs: map[string]string{},
			wantVoided:   map[string]string{"security-review-done": "its record was copied from another pull request (acme/shop#8)"},
			wantChanged:  true,
		},
		{
			name: "a record copied from another repository is reset",
			before: func(t *testing.T, env Env) string {
				r := ann
				r.Repo = "acme/other"
				r.Digest = env.Artifacts[r.Item].Digest
				return forged(env, Signed{Record: r, Sig: Sign(testKey, r)})
			},
			wantSignoffs: map[string]string{},
			wantVoided:   map[string]string{"security-review-done": "copied from another pull request (acme/other#7)"},
			wantChanged:  true,
		},
		{
			name: "a record moved to another item is reset",
			before: func(t *testing.T, env Env) string {
				r := ann
				r.Digest = env.Artifacts[r.Item].Digest
				s := Signed{Record: r, Sig: Sign(testKey, r)}
				s.Item = "alerts-fired"
				return forged(env, s)
			},
			wantSignoffs: map[string]string{},
			wantVoided:   map[string]string{"alerts-fired": "signature does not verify"},
			wantChanged:  true,
		},
		{
			name: "an item with two records (a record pasted twice) is ambiguous and reset",
			before: func(t *testing.T, env Env) string {
				b := signed(t, env, "ann:security-review-done")
				i := strings.Index(b, `{"repo"`)
				j := i + strings.Index(b[i:], "}")
				return b[:j+1] + "," + b[i:]
			},
			wantSignoffs: map[string]string{},
			wantVoided:   map[string]string{"security-review-done": "has more than one record"},
			wantChanged:  true,
		},
		{
			name: "a box ticked while launchgate was down has no record and is reset",
			before: func(t *testing.T, env Env) string {
				return tick(fresh(env), "recovery-repeats")
			},
			wantSignoffs: map[string]string{},
			wantVoided:   map[string]string{"recovery-repeats": "launchgate holds no record of who ticked it"},
			wantChanged:  true,
		},
		{
			name:   "an untick by the signer removes the record",
			before: func(t *testing.T, env Env) string { return signed(t, env, "ann:security-review-done") },
			edit:   func(b string) string { return untick(b, "security-review-done") },
			sender: "ann", wantSignoffs: map[string]string{},
			wantVoided:  map[string]string{"security-review-done": "@ann unticked security-review-done, withdrawing the sign-off by @ann of 2026-11-20."},
			wantChanged: true,
		},
		{
			name: "an untick by anyone removes the record (fail closed)",
			before: func(t *testing.T, env Env) string {
				return signed(t, env, "ann:security-review-done", "ivan:alerts-fired")
			},
			edit:   func(b string) string { return untick(b, "security-review-done") },
			sender: "mallory", wantSignoffs: map[string]string{"alerts-fired": "ivan"},
			wantVoided: map[string]string{"security-review-done": "@mallory unticked security-review-done"},
			wantTicked: []string{"alerts-fired"}, wantChanged: true,
		},
		{
			name: "a digest change voids only the affected item",
			before: func(t *testing.T, env Env) string {
				return signed(t, env, "ann:security-review-done", "ivan:alerts-fired", "ivan:recovery-repeats")
			},
			later: func(t *testing.T, env *Env) {
				env.Artifacts = artifacts(t, headFS(map[string]string{"launch/monitoring.md": "# Monitoring\nnew alerts\n"}))
			},
			wantSignoffs: map[string]string{"security-review-done": "ann", "recovery-repeats": "ivan"},
			wantVoided: map[string]string{
				"alerts-fired": "signed off by @ivan on 2026-11-20; launch/monitoring.md changed since, so the sign-off was reset."},
			wantTicked: []string{"security-review-done", "recovery-repeats"}, wantChanged: true,
		},
		{
			name: "a push touching none of the attested files keeps every sign-off, and nothing is written",
			before: func(t *testing.T, env Env) string {
				return signed(t, env, "ann:security-review-done", "ivan:alerts-fired")
			},
			later: func(t *testing.T, env *Env) {
				env.Artifacts = artifacts(t, headFS(map[string]string{"src/main.go": "package main // v2\n"}))
				env.Now = t0.Add(24 * time.Hour)
			},
			wantSignoffs: map[string]string{"security-review-done": "ann", "alerts-fired": "ivan"},
			wantTicked:   []string{"security-review-done", "alerts-fired"},
		},
		{
			name:   "launchgate's own edit is attributed to nobody",
			before: func(t *testing.T, env Env) string { return fresh(env) },
			edit:   func(b string) string { return tick(b, "security-review-done") },
			sender: "launchgate[bot]", byApp: true, wantSignoffs: map[string]string{},
			wantVoided:  map[string]string{"security-review-done": "holds no record"},
			wantChanged: true,
		},
		{
			name:   "launchgate's own edit of a settled checklist writes nothing",
			before: func(t *testing.T, env Env) string { return signed(t, env, "ann:security-review-done") },
			edit:   func(b string) string { return b },
			sender: "launchgate[bot]", byApp: true,
			wantSignoffs: map[string]string{"security-review-done": "ann"},
			wantTicked:   []string{"security-review-done"},
		},
		{
			name:   "an edit whose previous body is not a checklist is attributed to nobody",
			before: func(t *testing.T, env Env) string { return "" },
			edit:   func(string) string { return tick(fresh(testEnv(t)), "security-review-done") },
			sender: "ann", wantSignoffs: map[string]string{},
			wantVoided:  map[string]string{"security-review-done": "holds no record"},
			wantChanged: true,
		},
		{
			name: "an unknown membership holds an existing sign-off without destroying it",
			before: func(t *testing.T, env Env) string {
				return signed(t, env, "ann:security-review-done")
			},
			later:        func(t *testing.T, env *Env) { delete(env.Members, "security") },
			wantSignoffs: map[string]string{},
			wantVoided:   map[string]string{"security-review-done": "could not check that they are still an active member of team security"},
			wantTicked:   []string{"security-review-done"},
		},
		{
			name:   "unreadable artifacts refuse a tick",
			before: func(t *testing.T, env Env) string { return fresh(env) },
			edit:   func(b string) string { return tick(b, "recovery-repeats") },
			sender: "ivan",
			later: func(t *testing.T, env *Env) {
				env.Artifacts["recovery-repeats"] = &Artifacts{Digest: "unreadable:x", Files: []Artifact{{Path: "launch/recovery.md", Problem: "fetch failed"}}}
			},
			wantSignoffs: map[string]string{},
			wantVoided:   map[string]string{"recovery-repeats": "could not read launch/recovery.md to record what it attests"},
			wantChanged:  true,
		},
		{
			name:   "unreadable artifacts hold an existing sign-off",
			before: func(t *testing.T, env Env) string { return signed(t, env, "ivan:recovery-repeats") },
			later: func(t *testing.T, env *Env) {
				delete(env.Artifacts, "recovery-repeats")
			},
			wantSignoffs: map[string]string{},
			wantVoided:   map[string]string{"recovery-repeats": "could not read the files it attests to check that it is unchanged"},
			wantTicked:   []string{"recovery-repeats"},
		},
		{
			name:         "no signing key: a tick cannot be recorded",
			before:       func(t *testing.T, env Env) string { return fresh(env) },
			edit:         func(b string) string { return tick(b, "security-review-done") },
			sender:       "ann",
			later:        func(t *testing.T, env *Env) { env.Key = nil },
			wantSignoffs: map[string]string{},
			wantVoided:   map[string]string{"security-review-done": "no signing key configured"},
			wantChanged:  true,
		},
		{
			name:   "a duplicated item line is ambiguous and counts as unticked",
			before: func(t *testing.T, env Env) string { return signed(t, env, "ann:security-review-done") },
			edit: func(b string) string {
				line := b[strings.Index(b, "- [x] `security-review-done`"):]
				line = line[:strings.Index(line, "\n")+1]
				return strings.Replace(b, line, line+line, 1)
			},
			sender: "mallory", wantSignoffs: map[string]string{},
			wantVoided:  map[string]string{"security-review-done": "@mallory unticked security-review-done"},
			wantChanged: true,
		},
		{
			name:         "queued events: the edit's tick lands on the newer body, another unrecorded tick waits",
			before:       func(t *testing.T, env Env) string { return fresh(env) },
			edit:         func(b string) string { return tick(b, "security-review-done") },
			sender:       "ann",
			newer:        func(to string) string { return tick(to, "alerts-fired") },
			wantSignoffs: map[string]string{"security-review-done": "ann"},
			wantVoided:   map[string]string{"alerts-fired": "waiting for launchgate to record who ticked it"},
			wantTicked:   []string{"security-review-done", "alerts-fired"}, wantChanged: true,
		},
		{
			name:         "queued events: a tick undone since is not resurrected",
			before:       func(t *testing.T, env Env) string { return fresh(env) },
			edit:         func(b string) string { return tick(b, "security-review-done") },
			sender:       "ann",
			newer:        func(to string) string { return untick(to, "security-review-done") },
			wantSignoffs: map[string]string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := testEnv(t)
			before := tt.before(t, env)
			if tt.later != nil {
				tt.later(t, &env)
			}
			in := ReconcileInput{Env: env, Body: before}
			if tt.edit != nil {
				to := tt.edit(before)
				in.Edit = &Edit{From: before, To: to, Sender: tt.sender, ByApp: tt.byApp}
				in.Body = ""
				if tt.newer != nil {
					in.Body = tt.newer(to)
				}
			}
			res := Reconcile(in)

			got := map[string]string{}
			for id, d := range res.Signoffs {
				got[id] = d.By
				if !d.At.Equal(t0) && !d.At.Equal(ann.At) && d.At.After(env.Now) {
					t.Errorf("sign-off %s at %v, after now", id, d.At)
				}
			}
			if !reflect.DeepEqual(got, tt.wantSignoffs) && !(len(got) == 0 && len(tt.wantSignoffs) == 0) {
				t.Errorf("Signoffs = %v, want %v", got, tt.wantSignoffs)
			}
			for id, want := range tt.wantVoided {
				if !strings.Contains(res.Voided[id], want) {
					t.Errorf("Voided[%s] = %q, want it to contain %q", id, res.Voided[id], want)
				}
			}
			for id := range res.Signoffs {
				if v, ok := res.Voided[id]; ok {
					t.Errorf("%s both signed off and voided (%q)", id, v)
				}
			}
			if res.Changed != tt.wantChanged {
				t.Errorf("Changed = %v, want %v", res.Changed, tt.wantChanged)
			}

			p, err := Parse(res.Body)
			if err != nil {
				t.Fatalf("the new body does not parse: %v\n%s", err, res.Body)
			}
			if ticked := sorted(slices.Collect(maps.Keys(p.Ticked))); !reflect.DeepEqual(ticked, sorted(tt.wantTicked)) {
				t.Errorf("ticked in the new body: %v, want %v", ticked, sorted(tt.wantTicked))
			}
			for _, n := range tt.wantVoided {
				if strings.Contains(n, "waiting for") || strings.Contains(n, "could not check that they are still") || strings.Contains(n, "to check that it is unchanged") {
					continue // transient: said in the check run, not written in the comment
				}
				if !strings.Contains(strings.ReplaceAll(res.Body, "\\", ""), strings.ReplaceAll(n, "@", "@\u200d")) {
					t.Errorf("the new body does not explain %q:\n%s", n, res.Body)
				}
			}

			// Judging the new body again in the same world changes nothing:
			// launchgate's own write must not trigger another. (Without a
			// key its notes cannot be signed and are dropped once more; the
			// server refuses to start without one, see CheckKey.)
			if tt.newer == nil && env.Key != nil {
				again := State(res.Body, env)
				if again.Changed {
					t.Errorf("State of the written body wants another write:\n%s\n---\n%s", res.Body, again.Body)
				}
				if !reflect.DeepEqual(again.Signoffs, res.Signoffs) || !reflect.DeepEqual(again.Voided, res.Voided) {
					t.Errorf("State of the written body = %v / %v, want %v / %v", again.Signoffs, again.Voided, res.Signoffs, res.Voided)
				}
				crlf := strings.ReplaceAll(res.Body, "\n", "  \r\n")
				if State(crlf, env).Changed {
					t.Error("CRLF line ends and trailing spaces alone make launchgate rewrite the comment")
				}
			}
		})
	}
}

func sorted(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return slices.Sorted(slices.Values(s))
}

// Two ticks in quick succession: launchgate handles the first event after
// the second edit. Neither tick may be lost.
func TestReconcileQueuedEvents(t *testing.T) {
	env := testEnv(t)
	b0 := fresh(env)
	b1 := tick(b0, "security-review-done") // ann
	b2 := tick(b1, "alerts-fired")         // ivan, before launchgate wrote anything

	r1 := Reconcile(ReconcileInput{Env: env, Body: b2, Edit: &Edit{From: b0, To: b1, Sender: "ann"}})
	if !r1.Changed {
		t.Fatal("first event wrote nothing")
	}
	// The second event carries the bodies GitHub saw; the comment now is
	// launchgate's write of the first.
	r2 := Reconcile(ReconcileInput{Env: env, Body: r1.Body, Edit: &Edit{From: b1, To: b2, Sender: "ivan"}})
	if r2.Signoffs["security-review-done"].By != "ann" || r2.Signoffs["alerts-fired"].By != "ivan" {
		t.Fatalf("after both events: %v, voided %v", r2.Signoffs, r2.Voided)
	}
	// launchgate's own write arrives as a third event.
	r3 := Reconcile(ReconcileInput{Env: env, Edit: &Edit{From: r1.Body, To: r2.Body, Sender: "launchgate[bot]", ByApp: true}})
	if r3.Changed || len(r3.Signoffs) != 2 {
		t.Fatalf("launchgate's own edit: changed=%v signoffs=%v", r3.Changed, r3.Signoffs)
	}
}

func TestForgedNoteIsDropped(t *testing.T) {
	env := testEnv(t)
	body := Render(Checklist{Org: "acme", Items: env.Items, Entries: map[string]Entry{
		"alerts-fired": {Note: &Note{Text: "signed off by @ivan; all good", Sig: "forged"}},
	}})
	res := State(body, env)
	if _, ok := res.Voided["alerts-fired"]; ok || !res.Changed || strings.Contains(res.Body, "all good") {
		t.Fatalf("a forged note survived: voided %v, changed %v", res.Voided, res.Changed)
	}
	// launchgate's own notes verify and stay.
	n := "@bob ticked alerts-fired, but only active members of team infra may; the tick was undone."
	body = Render(Checklist{Org: "acme", Items: env.Items, Entries: map[string]Entry{
		"alerts-fired": {Note: &Note{Text: n, Sig: noteMAC(testKey, env.Repo, env.PR, "alerts-fired", n)}},
	}})
	if res := State(body, env); res.Voided["alerts-fired"] != n || res.Changed {
		t.Fatalf("launchgate's note was not kept: %v, changed %v", res.Voided, res.Changed)
	}
}

func TestLookups(t *testing.T) {
	env := testEnv(t)
	body := signed(t, env, "ann:security-review-done")
	to := tick(tick(body, "alerts-fired"), "recovery-repeats")
	got := Lookups(ReconcileInput{Env: env, Edit: &Edit{From: body, To: to, Sender: "ivan"}})
	want := map[string][]string{"security": {"ann"}, "infra": {"ivan"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Lookups = %v, want %v", got, want)
	}
	// The author's tick and a forged record need nobody's membership.
	forgedBody := forged(env, Signed{Record: Record{Repo: env.Repo, PR: 7, Item: "alerts-fired", User: "ivan", At: t0}, Sig: "x"})
	got = Lookups(ReconcileInput{Env: env, Edit: &Edit{From: fresh(env), To: tick(fresh(env), "security-review-done"), Sender: "carol"}, Body: forgedBody})
	if len(got) != 0 {
		t.Fatalf("Lookups = %v, want none", got)
	}
}

func TestRequestedIsRemembered(t *testing.T) {
	env := testEnv(t)
	env.Requested = []string{"security", "infra"}
	body := fresh(env)
	env.Requested = nil
	res := State(body, env)
	p, err := Parse(res.Body)
	if err != nil || res.Changed || !reflect.DeepEqual(p.Requested, []string{"infra", "security"}) {
		t.Fatalf("Requested = %v (changed %v, %v)", p.Requested, res.Changed, err)
	}
	env.Requested = []string{"platform"}
	p, _ = Parse(State(res.Body, env).Body)
	if !reflect.DeepEqual(p.Requested, []string{"infra", "platform", "security"}) {
		t.Fatalf("Requested = %v", p.Requested)
	}
}

// Notes name paths from the PR, which may be long; a note must read back
// as written, or launchgate would rewrite the comment once more.
func TestLongNoteIsClipped(t *testing.T) {
	env := testEnv(t)
	long := strings.Repeat("é", 700) + ".md"
	env.Artifacts["recovery-repeats"] = &Artifacts{Files: []Artifact{
		{Path: "launch/" + long, Problem: "x"}, {Path: "launch/b" + long, Problem: "x"}, {Path: "launch/c" + long, Problem: "x"}}}
	body := fresh(env)
	res := Reconcile(ReconcileInput{Env: env, Edit: &Edit{From: body, To: tick(body, "recovery-repeats"), Sender: "ivan"}})
	n := res.Voided["recovery-repeats"]
	if len(n) > maxNoteLen || !strings.HasSuffix(n, "…") || !strings.HasPrefix(n, "@ivan ticked recovery-repeats") {
		t.Fatalf("note of %d bytes: %q", len(n), n)
	}
	if again := State(res.Body, env); again.Changed || again.Voided["recovery-repeats"] != n {
		t.Fatalf("the clipped note did not read back: changed %v, %q", again.Changed, again.Voided["recovery-repeats"])
	}
}
