// Package policies embeds launchgate's default policy, so the binary works
// with no configuration and no network.
package policies

import _ "embed"

// Default is policies/production-ready.yml: the five-part production-ready
// standard.
//
//go:embed production-ready.yml
var Default []byte
