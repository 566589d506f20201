package report

import (
	"fmt"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/launchgate/launchgate/internal/codeowners"
)

// maxCodeownersAnnotations caps the annotations on invalid CODEOWNERS
// lines; the details list every one.
const maxCodeownersAnnotations = 10

// CodeownersNotes is what an evaluation of a launch PR found about
// CODEOWNERS beside the requirements.
type CodeownersNotes struct {
	// File is the base branch's CODEOWNERS, nil when there is none; its
	// invalid lines are noted.
	File *codeowners.File
	// PartialFiles is set when GitHub listed only part of the changed
	// files, so that every team CODEOWNERS names was required.
	PartialFiles bool
}

// codeownersView is what codeowners-notes.tmpl sees.
type codeownersView struct {
	PartialFiles bool
	Path         string
	Invalid      []codeowners.InvalidLine
	// InvalidLines lists the invalid lines in one plain sentence.
	InvalidLines string
}

// AddCodeownersNotes adds n to a launch PR's check run: the CODEOWNERS
// lines GitHub and launchgate skip, as warnings on their lines and a note
// above the details, and a note when every CODEOWNERS team was required
// because GitHub listed only part of the changed files.
func AddCodeownersNotes(out *CheckRunOutput, n CodeownersNotes) error {
	v := codeownersView{PartialFiles: n.PartialFiles}
	if f := n.File; f != nil && len(f.Invalid) > 0 {
		v.Path, v.Invalid = f.Path, f.Invalid
		lines := make([]string, len(f.Invalid))
		for i, bad := range f.Invalid {
			lines[i] = fmt.Sprintf("line %d: %s", bad.Line, bad.Message)
			if i < maxCodeownersAnnotations {
				out.Annotations = append(out.Annotations, &github.CheckRunAnnotation{
					Path: github.String(f.Path), StartLine: github.Int(bad.Line), EndLine: github.Int(bad.Line),
					AnnotationLevel: github.String("warning"), Title: github.String("CODEOWNERS line skipped"),
					Message: github.String(fmt.Sprintf("GitHub and launchgate skip this line: %s", bad.Message)),
				})
			}
		}
		v.InvalidLines = strings.Join(lines, "; ")
	}
	if !v.PartialFiles && v.Invalid == nil {
		return nil
	}
	notes, err := render(checkRunTemplates, "codeowners-notes.tmpl", v)
	if err != nil {
		return err
	}
	out.Text = notes + "\n" + out.Text
	return nil
}
