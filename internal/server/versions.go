package server

import (
	"github.com/blang/semver/v4"

	"github.com/launchgate/launchgate/internal/githubapi"
)

// Several launchgate versions run side by side during a rolling deploy, and
// two of them may evaluate the same commit. Their runs differ at least in
// the version they name, so if each rewrote the other's run they would
// take turns for as long as both run. Instead a run written by a newer
// version for the same policy is kept: an older replica writes nothing
// over it, a newer one replaces an older one's, and the commit converges
// on the newest version's run. A replica of the same version writes
// nothing when nothing changed (githubapi's content digest).

// keepNewer is CheckRun.Keep for the run mine this replica is about to
// publish: it keeps an existing run that a newer version wrote under the
// same policy.
func keepNewer(mine githubapi.RunID) func(existing githubapi.RunID) bool {
	return func(existing githubapi.RunID) bool {
		return existing.Policy == mine.Policy && compareVersions(existing.Version, mine.Version) > 0
	}
}

// compareVersions orders launchgate versions by semantic versioning
// ("v1.2.3", Go pseudo-versions as pre-releases). A version that is not
// one ("dev", a local build, none) sorts below every release; two such
// versions are equal.
func compareVersions(a, b string) int {
	va, errA := semver.ParseTolerant(a)
	vb, errB := semver.ParseTolerant(b)
	switch {
	case errA != nil && errB != nil:
		return 0
	case errA != nil:
		return -1
	case errB != nil:
		return 1
	}
	return va.Compare(vb)
}
