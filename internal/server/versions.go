package server

import (
	"strings"

	"github.com/blang/semver/v4"
)

// Several launchgate versions run side by side during a rolling deploy, and
// two of them may evaluate the same commit. Their runs differ at least in
// the version they name, so if each rewrote the other's run they would
// take turns for as long as both run. Instead a run written by a newer
// version for the same policy is kept: an older replica writes nothing
// over it, a newer one replaces an older one's, and the commit converges
// on the newest version's run. A replica of the same version writes
// nothing when nothing changed (githubapi's content digest).

// keepNewer is CheckRun.Keep for a run this replica (version) is about to
// publish under policyDigest: it keeps an existing run that a newer
// version wrote under the same policy.
func keepNewer(version, policyDigest string) func(externalID string) bool {
	mine, myPolicy := versionOf(externalID(0, version, policyDigest))
	return func(existing string) bool {
		theirs, policy := versionOf(existing)
		return policy == myPolicy && compareVersions(theirs, mine) > 0
	}
}

// versionOf reads the launchgate version and policy digest back from an
// external_id that ends with externalID's text ("pr/N v/VERSION
// policy/DIGEST").
func versionOf(externalID string) (version, policy string) {
	for _, f := range strings.Fields(externalID) {
		if v, ok := strings.CutPrefix(f, "v/"); ok {
			version = v
		}
		if p, ok := strings.CutPrefix(f, "policy/"); ok {
			policy = p
		}
	}
	return version, policy
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
