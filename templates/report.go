package templates

import "embed"

// Report holds the text/template files that render a readiness report:
// text.tmpl for terminals, markdown.tmpl for markdown (the check run's
// details and `launchgate check --format markdown`).
//
//go:embed report/*.tmpl
var Report embed.FS
