// Package version holds the launchgate version stamped at build time.
package version

import "runtime/debug"

// stamped is set by the linker:
//
//	go build -ldflags "-X github.com/launchgate/launchgate/internal/version.stamped=v1.2.3"
var stamped string

// String is the version of this binary: the stamped one, else the module
// version `go install` recorded, else "dev".
func String() string {
	if stamped != "" {
		return stamped
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
