// Package inspect holds the automatic check kinds of a launchgate policy.
//
// Each kind is one small type whose exported fields are its policy
// parameters (decoded strictly from YAML by package policy) and whose Check
// method inspects a repository snapshot. Checks never touch the network or
// the clock: everything they read comes from a Repo.
package inspect

import "sort"

// Finding is one thing a developer must fix, located as precisely as the
// check can: Path is relative to the repository root with forward slashes,
// Line is 1-based or 0 when no line applies. Message says what is wrong;
// Fix, when the check knows it, says how to fix it, so that reports show
// each on a line of its own.
type Finding struct {
	Path    string `json:"path"`
	Line    int    `json:"line"`
	Message string `json:"message"`
	Fix     string `json:"fix,omitempty"`
}

// Checker is a configured automatic check.
type Checker interface {
	// Validate reports a configuration error in the check's parameters. It
	// runs once when the policy is loaded so that a broken policy is
	// rejected before any repository is inspected.
	Validate() error
	// Inputs are the globs of the files the check reads. The App fetches
	// exactly these blobs, and a sign-off or approval of a requirement is
	// voided when a file matching its checks' inputs changes.
	Inputs() []string
	// Check inspects the repository. No findings means the check passes.
	Check(repo *Repo) []Finding
}

// kinds lists the check kinds a policy may use, each with a constructor for
// its zero configuration. Zero values of optional parameters mean "use the
// documented default", so a policy only states what it changes.
var kinds = map[string]func() Checker{
	"files":        func() Checker { return &Files{} },
	"document":     func() Checker { return &Document{} },
	"environments": func() Checker { return &Environments{} },
	"replicas":     func() Checker { return &Replicas{} },
	"probes":       func() Checker { return &Probes{} },
	"alerts":       func() Checker { return &Alerts{} },
	"field":        func() Checker { return &Field{} },
	"loadtest":     func() Checker { return &LoadTest{} },
}

// New returns the zero configuration of a check kind.
func New(kind string) (Checker, bool) {
	ctor, ok := kinds[kind]
	if !ok {
		return nil, false
	}
	return ctor(), true
}

// Kinds lists the known check kinds, sorted.
func Kinds() []string {
	names := make([]string, 0, len(kinds))
	for k := range kinds {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}
