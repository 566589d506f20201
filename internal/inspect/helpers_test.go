package inspect

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/bmatcuk/doublestar/v4"
	"gopkg.in/yaml.v3"

	"github.com/launchgate/launchgate/policies"
)

// matchesAnyGlob reports whether name matches one of globs, as the
// checks' Inputs are matched against the files they read.
func matchesAnyGlob(globs []string, name string) bool {
	return slices.ContainsFunc(globs, func(g string) bool {
		ok, _ := doublestar.Match(g, name)
		return ok
	})
}

// expectedFinding matches a Finding by path, line and fragments of its
// message and fix, read as "message\nfix: fix".
type expectedFinding struct {
	path string
	line int
	msg  []string
}

func expectFindings(t *testing.T, got []Finding, want []expectedFinding) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d findings, want %d:\n%s", len(got), len(want), dumpFindings(got))
	}
	for i, w := range want {
		g := got[i]
		if g.Path != w.path || g.Line != w.line {
			t.Errorf("finding %d at %s:%d, want %s:%d (%s)", i, g.Path, g.Line, w.path, w.line, g.Message)
		}
		// A fragment may span both lines as the report shows them, so a
		// test can pin that a text is the fix, not the message.
		text := g.Message
		if g.Fix != "" {
			text += "\nfix: " + g.Fix
		}
		for _, frag := range w.msg {
			if !strings.Contains(text, frag) {
				t.Errorf("finding %d %q does not contain %q", i, text, frag)
			}
		}
	}
}

func dumpFindings(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "  %s:%d: %s\n", f.Path, f.Line, f.Message)
	}
	return b.String()
}

// validateCase is a row of a Validate table.
type validateCase struct {
	name  string
	check Checker
	err   string // a part of the error Validate must return; "" when the check is valid
}

// runValidateCases runs each case's Validate as a subtest: it must fail
// exactly when err is set, with err in its message, and leave the check
// as it was (the policy keeps the check it validated).
func runValidateCases(t *testing.T, cases []validateCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := fmt.Sprintf("%#v", tc.check)
			err := tc.check.Validate()
			if after := fmt.Sprintf("%#v", tc.check); after != before {
				t.Errorf("Validate changed the check:\nbefore %s\nafter  %s", before, after)
			}
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Fatalf("Validate() = %v, want an error containing %q", err, tc.err)
			}
		})
	}
}

// checkValid runs c on repo once Validate has accepted it, with the
// default policy's layouts when it reads them, as the policy loader would.
func checkValid(t *testing.T, c Checker, repo *Repo) []Finding {
	t.Helper()
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if lr, ok := c.(LayoutReader); ok {
		c = lr.WithLayouts(defaultLayouts)
	}
	return c.Check(repo)
}

// defaultLayouts are the default policy's layouts.
var defaultLayouts = func() []string {
	var p struct {
		Layouts []string `yaml:"layouts"`
	}
	if err := yaml.Unmarshal(policies.Default, &p); err != nil || len(p.Layouts) == 0 {
		panic(fmt.Sprintf("the default policy has no layouts (%v)", err))
	}
	return p.Layouts
}()
