package inspect

import (
	"slices"

	"github.com/bmatcuk/doublestar/v4"
)

// matchesAnyGlob reports whether name matches one of globs, as the
// checks' Inputs are matched against the files they read.
func matchesAnyGlob(globs []string, name string) bool {
	return slices.ContainsFunc(globs, func(g string) bool {
		ok, _ := doublestar.Match(g, name)
		return ok
	})
}
