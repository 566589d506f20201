package demo

import (
	"testing"
	"testing/fstest"
	"time"

	"github.com/launchgate/launchgate/internal/policy"
	"github.com/launchgate/launchgate/internal/readiness"
	"github.com/launchgate/launchgate/internal/report"
)

// TestStoryFixesTheKitStepByStep evaluates each state of the demo's pull
// request with the default policy: every push must make progress, and the
// last must leave only people's sign-offs and approvals.
func TestStoryFixesTheKitStepByStep(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	s := New(now)
	pol, err := policy.Default()
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	apply := func(m map[string]string) {
		for k, v := range m {
			files[k] = v
		}
	}
	evaluate := func() *readiness.Report {
		fsys := fstest.MapFS{}
		for k, v := range files {
			fsys[k] = &fstest.MapFile{Data: []byte(v)}
		}
		return readiness.Evaluate(pol, readiness.Snapshot{FS: fsys}, now)
	}
	failing := func(rep *readiness.Report) int {
		n := 0
		for _, r := range rep.Requirements {
			for _, c := range r.Checks {
				if c.Status == readiness.Fail {
					n++
				}
			}
		}
		return n
	}
	apply(s.Main)
	apply(s.Opened)
	rep := evaluate()
	prev := failing(rep)
	t.Logf("opened: %s (%d failing checks)", report.Title(rep), prev)
	if report.Conclusion(rep) != report.ConclusionFailure {
		t.Fatalf("the half-written kit concludes %s", report.Conclusion(rep))
	}
	for i, p := range s.Pushes {
		apply(p.Files)
		rep = evaluate()
		n := failing(rep)
		t.Logf("push %d %q: %s (%d failing checks)", i+1, p.Message, report.Title(rep), n)
		if n >= prev {
			t.Errorf("push %d (%s) fixes nothing: %d failing checks, %d before", i+1, p.Message, n, prev)
		}
		prev = n
	}
	if got := report.Conclusion(rep); got != report.ConclusionActionRequired {
		var buf []string
		for _, r := range rep.Requirements {
			for _, c := range r.Checks {
				if c.Status == readiness.Fail {
					buf = append(buf, c.ID)
					for _, f := range c.Findings {
						t.Logf("  %s %s:%d %s", c.ID, f.Path, f.Line, f.Message)
					}
				}
			}
		}
		t.Fatalf("after the last push the conclusion is %s (failing: %v); want action_required", got, buf)
	}
}
