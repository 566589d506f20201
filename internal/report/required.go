package report

// RequiredNote is what an evaluation found out about whether a launch PR's
// base branch requires the check: advice for repository admins, since a
// check that is not required gates nothing.
type RequiredNote struct {
	Branch, Check string
	// Unknown is set when launchgate could not tell (the App may not read
	// classic branch protection); otherwise the branch does not require it.
	Unknown bool
	// Why says how launchgate knows, or why it could not tell.
	Why string
}

// AddRequiredNote appends n to a launch PR run's summary.
func AddRequiredNote(out *CheckRunOutput, n RequiredNote) error {
	note, err := render(checkRunTemplates, "required-note.tmpl", n)
	if err != nil {
		return err
	}
	out.Summary += "\n\n" + note
	return nil
}
