package report

import (
	"fmt"
	"strings"
	"testing"

	"github.com/launchgate/launchgate/internal/codeowners"
)

func TestAddCodeownersNotes(t *testing.T) {
	invalid := func(n int) *codeowners.File {
		f := &codeowners.File{Path: ".github/CODEOWNERS"}
		for i := range n {
			f.Invalid = append(f.Invalid, codeowners.InvalidLine{Line: i + 3, Message: fmt.Sprintf("owner *bad%d* is not a login", i)})
		}
		return f
	}
	const details = "## Details\n"
	const partial = "> ⚠️ GitHub lists at most 3,000 changed files of a pull request, so launchgate cannot see which CODEOWNERS teams own the rest: every team CODEOWNERS names must approve."
	tests := []struct {
		name            string
		notes           CodeownersNotes
		wantText        string // "" when the text must stay as it was
		wantContains    []string
		wantAnnotations int
	}{
		{name: "nothing to note", notes: CodeownersNotes{File: invalid(0)}},
		{name: "no CODEOWNERS", notes: CodeownersNotes{}},
		{name: "partial file list", notes: CodeownersNotes{PartialFiles: true}, wantText: partial + "\n\n" + details},
		{
			name:         "invalid lines are escaped and annotated",
			notes:        CodeownersNotes{File: invalid(1)},
			wantContains: []string{`> ⚠️ \.github/CODEOWNERS on the base branch has 1 invalid line,`, `line 3: owner \*bad0\* is not a login.` + "\n\n" + details},
			// The message's asterisks must not become emphasis.
			wantAnnotations: 1,
		},
		{
			name:            "both notes, annotations capped",
			notes:           CodeownersNotes{File: invalid(12), PartialFiles: true},
			wantContains:    []string{partial + "\n>\n> ⚠️ \\.github/CODEOWNERS on the base branch has 12 invalid lines,", "line 14:"},
			wantAnnotations: maxCodeownersAnnotations,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := CheckRunOutput{Text: details}
			if err := AddCodeownersNotes(&out, tt.notes); err != nil {
				t.Fatal(err)
			}
			switch {
			case tt.wantText != "" && out.Text != tt.wantText:
				t.Errorf("text:\n%s\nwant:\n%s", out.Text, tt.wantText)
			case tt.wantText == "" && tt.wantContains == nil && out.Text != details:
				t.Errorf("text changed with nothing to note:\n%s", out.Text)
			}
			for _, want := range tt.wantContains {
				if !strings.Contains(out.Text, want) {
					t.Errorf("text lacks %q:\n%s", want, out.Text)
				}
			}
			if len(out.Annotations) != tt.wantAnnotations {
				t.Fatalf("%d annotations, want %d", len(out.Annotations), tt.wantAnnotations)
			}
			for _, a := range out.Annotations {
				if a.GetPath() != ".github/CODEOWNERS" || a.GetAnnotationLevel() != "warning" || a.GetStartLine() < 3 {
					t.Errorf("annotation %+v", a)
				}
			}
		})
	}
}
