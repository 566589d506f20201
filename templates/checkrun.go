package templates

import "embed"

// CheckRun holds the text/template files that render the "Production
// readiness" check run: its summary and details for a launch PR (with the
// notes on what CODEOWNERS could not settle), and the short runs for a PR
// that is not a launch PR, a policy that cannot be read and an evaluation
// that could not finish.
//
//go:embed checkrun/*.tmpl
var CheckRun embed.FS
