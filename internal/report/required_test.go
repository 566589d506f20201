package report

import (
	"strings"
	"testing"
)

func TestAddRequiredNote(t *testing.T) {
	tests := []struct {
		name    string
		note    RequiredNote
		want    []string
		notWant []string
	}{
		{
			name: "not required",
			note: RequiredNote{Branch: "main", Check: "Production readiness", Why: "no ruleset or branch protection rule requires it"},
			want: []string{"does not require the `Production readiness` check", "no ruleset or branch protection rule requires it",
				"available-rules-for-rulesets#require-status-checks-to-pass-before-merging"},
			notWant: []string{"could not tell"},
		},
		{
			name:    "could not tell",
			note:    RequiredNote{Branch: "main", Check: "Production readiness", Unknown: true, Why: "403"},
			want:    []string{"could not tell whether branch `main` requires", "Rulesets"},
			notWant: []string{"does not require"},
		},
		{
			// In a code span GitHub shows HTML as text; a backtick would end
			// the span.
			name:    "branch names stay in a code span",
			note:    RequiredNote{Branch: "x`<img src=y>", Check: "Production readiness", Why: "w"},
			want:    []string{"branch `x'<img src=y>` does not"},
			notWant: []string{"x`<img"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := CheckRunOutput{Summary: "table"}
			if err := AddRequiredNote(&out, tt.note); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(out.Summary, "table\n\n") {
				t.Errorf("the note must follow the summary: %q", out.Summary)
			}
			for _, w := range tt.want {
				if !strings.Contains(out.Summary, w) {
					t.Errorf("summary lacks %q:\n%s", w, out.Summary)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(out.Summary, w) {
					t.Errorf("summary has %q:\n%s", w, out.Summary)
				}
			}
		})
	}
}
