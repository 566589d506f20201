package inspect

import (
	"fmt"
	"strings"
)

// Environments (kind "environments") requires deployment configuration for
// every environment the policy names, where one of the policy's layouts
// finds it and in a form launchgate can render: a kustomize overlay, plain
// manifests or a Helm values file. An environment whose configuration does
// not render fails too. It has no parameters: the environments and layouts
// come from the policy.
type Environments struct {
	layoutChecks `yaml:"-"`
}

// Validate accepts the only configuration there is.
func (c *Environments) Validate() error { return nil }

// WithLayouts implements LayoutReader.
func (c *Environments) WithLayouts(layouts []string) Checker {
	cp := *c
	cp.layouts = layouts
	return &cp
}

// Check reports each environment without configuration, naming what would
// satisfy it, and every rendering failure.
func (c *Environments) Check(repo *Repo) []Finding {
	var findings []Finding
	for _, env := range repo.Rendered(c.layouts) {
		if len(env.Sources) == 0 && len(env.Errors) == 0 {
			findings = append(findings, Finding{Message: missingEnvironment(env, c.layouts)})
			continue
		}
		findings = append(findings, env.Errors...)
	}
	return findings
}

// maxLayoutExamples bounds the layouts a missing environment's finding
// spells out; the policy lists them all.
const maxLayoutExamples = 6

// missingEnvironment says why an environment was not found: the
// environment-like paths that match no environment (the likeliest fix is
// an alias), else the directories that matched but hold nothing
// launchgate renders, else where the layouts look.
func missingEnvironment(env RenderedEnv, layouts []string) string {
	n := env.Env.Name
	msg := fmt.Sprintf("environment %s has no deployment configuration", n)
	if len(env.Unmatched) > 0 {
		paths := make([]string, 0, len(env.Unmatched))
		for _, u := range env.Unmatched {
			paths = append(paths, u.Path)
		}
		if len(paths) == 1 {
			return fmt.Sprintf("%s; %s matches no environment: if it is %s, add aliases: [%s] under %s in the policy's environments",
				msg, paths[0], n, env.Unmatched[0].Name, n)
		}
		return fmt.Sprintf("%s; %s match no environment: if one of them is %s, add its name (e.g. aliases: [%s]) under %s in the policy's environments",
			msg, strings.Join(paths, ", "), n, env.Unmatched[0].Name, n)
	}
	if len(env.Empty) > 0 {
		msg += fmt.Sprintf("; %s matched but holds no kustomization file or Kubernetes manifest", strings.Join(env.Empty, ", "))
	}
	// Layouts spread evenly over the list, which groups similar ones,
	// make varied examples.
	var examples []string
	for i := range min(len(layouts), maxLayoutExamples) {
		examples = append(examples, layoutGlob(layouts[i*len(layouts)/min(len(layouts), maxLayoutExamples)], n))
	}
	var also string
	if len(env.Env.Aliases) > 0 {
		also = fmt.Sprintf(" (or an alias: %s, in place of %s)", strings.Join(env.Env.Aliases, ", "), n)
	}
	return fmt.Sprintf("%s: add it where one of the policy's %d layouts finds it, e.g. %s%s; "+
		"a directory is read by what it holds (a kustomization file, else Kubernetes manifests), "+
		"a values file beside a Chart.yaml as Helm values; the policy's layouts list every place "+
		"(the default policy's are in launchgate's README, \"Deployment layouts\")",
		msg, len(layouts), strings.Join(examples, ", "), also)
}
