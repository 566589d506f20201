package server

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/launchgate/launchgate/internal/githubapi"
	"github.com/launchgate/launchgate/internal/inspect"
	"github.com/launchgate/launchgate/internal/policy"
	"github.com/launchgate/launchgate/internal/readiness"
	"github.com/launchgate/launchgate/internal/report"
	"github.com/launchgate/launchgate/internal/server/demo"
)

// TestAutomaticHalfReused: a re-evaluation of an unchanged head reads no
// tree when the run it published keeps the automatic half, and decides
// exactly what running the checks again decides. Whatever does not hold
// (another day, version, policy or head, a block edited or cut short)
// reads the tree and runs the checks: fail closed.
func TestAutomaticHalfReused(t *testing.T) {
	tests := []struct {
		name string
		// spoil changes what the second evaluation sees.
		spoil func(e *evaluator, gh *fakeGitHub, pr *githubapi.PullRequest)
		// wantTreeRead: the second evaluation read the tree.
		wantTreeRead bool
	}{
		{name: "same head, policy, version and day", spoil: func(*evaluator, *fakeGitHub, *githubapi.PullRequest) {}},
		{name: "the next day", wantTreeRead: true, spoil: func(e *evaluator, _ *fakeGitHub, _ *githubapi.PullRequest) {
			e.now = func() time.Time { return testNow.Add(24 * time.Hour) }
		}},
		{name: "another launchgate version", wantTreeRead: true, spoil: func(e *evaluator, _ *fakeGitHub, _ *githubapi.PullRequest) {
			e.version = "v1.0.1"
		}},
		{name: "another policy", wantTreeRead: true, spoil: func(_ *evaluator, gh *fakeGitHub, _ *githubapi.PullRequest) {
			p := *gh.policy
			p.Digest = strings.Repeat("0", len(p.Digest))
			gh.policy = &p
		}},
		{name: "another head", wantTreeRead: true, spoil: func(_ *evaluator, _ *fakeGitHub, pr *githubapi.PullRequest) {
			pr.HeadSHA = strings.Repeat("c", 40)
		}},
		{name: "a block whose findings were edited", wantTreeRead: true, spoil: func(_ *evaluator, gh *fakeGitHub, _ *githubapi.PullRequest) {
			line, rest, _ := strings.Cut(gh.run.Text, "\n")
			encoded, mac, _ := strings.Cut(strings.TrimPrefix(line, automaticPrefix), " ")
			gh.run.Text = automaticPrefix + encoded[:len(encoded)-2] + "AA " + mac + "\n" + rest
		}},
		{name: "a block signed with another key", wantTreeRead: true, spoil: func(e *evaluator, _ *fakeGitHub, _ *githubapi.PullRequest) {
			e.key = []byte(strings.Repeat("k", 32))
		}},
		{name: "a block cut short", wantTreeRead: true, spoil: func(_ *evaluator, gh *fakeGitHub, _ *githubapi.PullRequest) {
			gh.run.Text = gh.run.Text[:len(automaticPrefix)+40]
		}},
		{name: "no block", wantTreeRead: true, spoil: func(_ *evaluator, gh *fakeGitHub, _ *githubapi.PullRequest) {
			_, gh.run.Text, _ = strings.Cut(gh.run.Text, "\n")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, gh := newFakeEvaluator(t)
			// A failing check, so that findings must be carried over.
			delete(gh.tree.(fstest.MapFS), "launch/monitoring.md")
			ctx := context.Background()
			if err := e.evaluate(ctx, launchPR, true, nil); err != nil {
				t.Fatal(err)
			}
			first := gh.runs[len(gh.runs)-1]
			if first.Conclusion == report.ConclusionSuccess {
				t.Fatalf("the first run is %s; a check should fail without launch/monitoring.md", first.Conclusion)
			}
			if !strings.HasPrefix(first.Text, automaticPrefix) {
				t.Fatalf("the run keeps no automatic half:\n%.300s", first.Text)
			}
			pr := launchPR
			tt.spoil(e, gh, &pr)
			reads := gh.treeReads
			// A tree read now fails: an evaluation that needs the tree
			// publishes a failure, one that reuses the run does not.
			gh.treeErr = errors.New("GET tree: 502")
			if err := e.evaluate(ctx, pr, true, nil); err != nil {
				t.Fatal(err)
			}
			second := gh.runs[len(gh.runs)-1]
			if read := gh.treeReads > reads; read != tt.wantTreeRead {
				t.Fatalf("tree read: %v, want %v", read, tt.wantTreeRead)
			}
			if tt.wantTreeRead {
				if second.ID.Outcome != githubapi.OutcomeEvaluationError {
					t.Errorf("the tree could not be read, yet the run is %s %q", second.Conclusion, second.Title)
				}
				return
			}
			if second.Conclusion != first.Conclusion || second.Title != first.Title || second.Text != first.Text || second.Summary != first.Summary {
				t.Errorf("reusing the automatic half changed the run: %s %q, first %s %q", second.Conclusion, second.Title, first.Conclusion, first.Title)
			}
		})
	}
}

// TestRecordedOutcomesNeedEveryCheck: a block that lacks a check of the
// policy, repeats one, or records one inconsistently is not replayed.
func TestRecordedOutcomesNeedEveryCheck(t *testing.T) {
	pol, err := policy.Default()
	if err != nil {
		t.Fatal(err)
	}
	var all []automaticCheck
	for _, r := range pol.Requirements {
		for _, c := range r.Checks {
			all = append(all, automaticCheck{Requirement: r.ID, ID: c.ID, Status: readiness.Pass})
		}
	}
	failWithout := slices.Clone(all)
	failWithout[0].Status = readiness.Fail
	pendingWithout := slices.Clone(all)
	pendingWithout[0].Status = readiness.Pending
	unknown := slices.Clone(all)
	unknown[0].Status = "neutral"
	// A waiver is applied at each evaluation, never recorded: a block
	// that says waived is not launchgate's.
	waived := slices.Clone(all)
	waived[0].Status, waived[0].Findings = readiness.Waived, []inspect.Finding{{Message: "x"}}
	passWith := slices.Clone(all)
	passWith[0].Findings = []inspect.Finding{{Message: "x"}}
	tests := []struct {
		name   string
		checks []automaticCheck
		replay bool
	}{
		{name: "every check", checks: all, replay: true},
		{name: "one missing", checks: all[1:], replay: false},
		{name: "one repeated", checks: append(slices.Clone(all), all[0]), replay: false},
		{name: "a failure without findings", checks: failWithout, replay: false},
		{name: "a pending check without findings", checks: pendingWithout, replay: false},
		{name: "an unknown status", checks: unknown, replay: false},
		{name: "a waived status", checks: waived, replay: false},
		{name: "a pass with findings", checks: passWith, replay: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &automatic{Checks: tt.checks}
			if got := a.outcomes(pol) != nil; got != tt.replay {
				t.Errorf("replayed = %v, want %v", got, tt.replay)
			}
		})
	}
}

// TestReplayedReportEqualsFresh: at every step of the demo's launch kit,
// from half written to finished, the report rebuilt from the automatic
// half equals the one running every check gives, status for status and
// finding for finding, without a file to read.
func TestReplayedReportEqualsFresh(t *testing.T) {
	pol, err := policy.Default()
	if err != nil {
		t.Fatal(err)
	}
	story := demo.New(testNow)
	tree := fstest.MapFS{}
	apply := func(files map[string]string) {
		for path, data := range files {
			tree[path] = &fstest.MapFile{Data: []byte(data)}
		}
	}
	// The first step is the repository before anything of the kit: the
	// environments check fails, so replicas and probes are pending on it.
	steps := []map[string]string{{}, story.Main, story.Opened}
	for _, p := range story.Pushes {
		steps = append(steps, p.Files)
	}
	e := &evaluator{version: "v1.0.0", key: []byte(testSignoffKey)}
	sawPending := false
	for i, files := range steps {
		apply(files)
		fresh := readiness.Evaluate(pol, readiness.Snapshot{FS: tree}, testNow)
		for _, checks := range readiness.AutomaticOf(pol, fresh) {
			sawPending = sawPending || slices.ContainsFunc(checks, func(c readiness.Check) bool { return c.Status == readiness.Pending })
		}
		// Through the block, as a replica that never saw the tree reads it.
		block := e.automaticBlock(e.automaticOf(launchPR, pol, fresh, nil, testNow))
		a := e.recallAutomatic(&githubapi.RunRead{Exists: true, Text: block + "the report"}, launchPR, pol, testNow)
		if a == nil {
			t.Fatalf("step %d: the block (%d bytes) is not recalled", i, len(block))
		}
		got := readiness.Evaluate(pol, readiness.Snapshot{FS: fstest.MapFS{}, Automatic: a.outcomes(pol)}, testNow)
		if !reflect.DeepEqual(got, fresh) {
			t.Errorf("step %d: the replayed report differs from the fresh one:\n got %+v\nwant %+v", i, got, fresh)
		}
	}
	if !sawPending {
		t.Error("no step had an automatic check pending on another: the steps do not cover that outcome")
	}
}
