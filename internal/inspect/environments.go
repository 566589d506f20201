package inspect

import (
	"fmt"
	"strings"
)

// Environments (kind "environments") requires deployment configuration for
// every environment the policy names, in a form launchgate can render: a
// kustomize overlay, plain manifests or a Helm values file. An environment
// whose configuration does not render fails too. It has no parameters: the
// environments come from the policy.
type Environments struct{}

// Validate accepts the only configuration there is.
func (c *Environments) Validate() error { return nil }

// Inputs are the files rendering reads.
func (c *Environments) Inputs() []string { return renderInputs() }

// Check reports each environment without configuration, naming what would
// satisfy it, and every rendering failure.
func (c *Environments) Check(repo *Repo) []Finding {
	var findings []Finding
	for _, env := range repo.Rendered() {
		if env.Source == "" && len(env.Errors) == 0 {
			findings = append(findings, Finding{Message: missingEnvironment(env.Env)})
			continue
		}
		findings = append(findings, env.Errors...)
	}
	return findings
}

// missingEnvironment names the environment, its aliases and every path
// that would satisfy it.
func missingEnvironment(env Environment) string {
	var also string
	if len(env.Aliases) > 0 {
		also = fmt.Sprintf(" (or an alias: %s, in place of %s)", strings.Join(env.Aliases, ", "), env.Name)
	}
	n := env.Name
	return fmt.Sprintf(
		"environment %s has no deployment configuration: add a kustomize overlay deploy/overlays/%s/kustomization.yaml "+
			"(or deploy/%s/kustomization.yaml), Kubernetes manifests (*.yaml, *.yml, *.json) in deploy/%s/, "+
			"or a Helm values file values-%s.yaml (or values.%s.yaml) beside the chart's Chart.yaml%s",
		n, n, n, n, n, n, also)
}
