package inspect

import (
	"errors"
	"fmt"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// Files (kind "files") checks that files matching globs exist, for example
// that a service has a container build or infrastructure code. It looks
// only at the tree listing, never at contents.
type Files struct {
	// Any passes when at least one file matches at least one of its globs.
	Any []string `yaml:"any,omitempty"`
	// All requires every one of its globs to match at least one file.
	All []string `yaml:"all,omitempty"`
	// Message tells the developer what to add when the check fails; it is
	// each finding's fix.
	Message string `yaml:"message,omitempty"`
}

// Validate requires at least one glob and rejects malformed ones.
func (c *Files) Validate() error {
	if len(c.Any) == 0 && len(c.All) == 0 {
		return errors.New("set any (at least one glob must match) or all (every glob must match), or both")
	}
	if err := validateGlobList("any", c.Any); err != nil {
		return err
	}
	if err := validateGlobList("all", c.All); err != nil {
		return err
	}
	return nil
}

// Inputs is empty: the check reads no file contents, only the tree listing,
// which the App always has. Listing the globs here would make the App fetch
// every Dockerfile and Terraform blob for nothing.
func (c *Files) Inputs() []string { return nil }

// Check reports a missing match for the any globs as a whole and for each
// all glob separately, so the developer sees exactly which file is missing.
func (c *Files) Check(repo *Repo) []Finding {
	var findings []Finding
	if len(c.Any) > 0 {
		matched, err := repo.Match(c.Any...)
		if err != nil {
			return []Finding{{Message: err.Error()}}
		}
		if len(matched) == 0 {
			findings = append(findings, Finding{Message: "no file matches any of " + briefGlobs(c.Any), Fix: c.fix()})
		}
	}
	for _, g := range c.All {
		matched, err := repo.Match(g)
		if err != nil {
			return []Finding{{Message: err.Error()}}
		}
		if len(matched) == 0 {
			findings = append(findings, Finding{Message: fmt.Sprintf("no file matches %q", g), Fix: c.fix()})
		}
	}
	return findings
}

func (c *Files) fix() string {
	if c.Message == "" {
		return "add a file that matches"
	}
	return c.Message
}

// validateGlobList rejects empty and malformed doublestar globs, naming the
// parameter they came from.
func validateGlobList(param string, globs []string) error {
	for i, g := range globs {
		if g == "" {
			return fmt.Errorf("%s[%d] is empty", param, i)
		}
		if !doublestar.ValidatePattern(g) {
			return fmt.Errorf("%s[%d]: %q is not a valid glob", param, i, g)
		}
	}
	return nil
}

// maxBriefGlobs bounds the globs a finding names: the policy, and the
// README for the default one, list them all.
const maxBriefGlobs = 3

// briefGlobs quotes the first globs of a list and counts the others, so
// that a long list keeps a finding on one line.
func briefGlobs(globs []string) string {
	if len(globs) <= maxBriefGlobs {
		return quoteGlobs(globs)
	}
	return fmt.Sprintf("%s or %d more of the check's globs", quoteGlobs(globs[:maxBriefGlobs]), len(globs)-maxBriefGlobs)
}

func quoteGlobs(globs []string) string {
	q := make([]string, len(globs))
	for i, g := range globs {
		q[i] = fmt.Sprintf("%q", g)
	}
	return strings.Join(q, ", ")
}
